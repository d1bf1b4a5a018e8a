"""A volunteer's service record (民政部令第67号, 谁记录谁证明): the hour entries of a period as
lines, with their totals. Pure: the record route and the certificate read it alike."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from flags.rules import LOCAL
from schemas.api_hours import RecordEntryOut, RecordTotals
from schemas.views import HeldCredit, LedgerEntry


def day_of(entry: LedgerEntry) -> date:
    """The day served (China time): its start when it was checked in, else its posting."""
    return (entry.started_at or entry.at).astimezone(LOCAL).date()


def in_period(day: date, start: date | None, end: date | None) -> bool:
    return (start is None or day >= start) and (end is None or day <= end)


@dataclass(frozen=True)
class ServiceRecord:
    lines: list[RecordEntryOut]
    totals: RecordTotals


def line_of(entry: LedgerEntry, status: str, places: Mapping[str, str]) -> RecordEntryOut:
    return RecordEntryOut(
        entry_id=entry.entry_id, kind="correction" if entry.kind == "correction" else "credit",
        status="held" if status == "held" else "posted",
        source=entry.source or "service", day=day_of(entry), at=entry.at,
        hours=entry.hours, points=entry.points, verified=bool(entry.verified),
        service_type=entry.service_type, area=entry.area,
        place=places.get(entry.area) if entry.area else None, title=entry.title,
        organiser=entry.organiser, request_id=entry.request_id,
        activity_id=entry.activity_id, wish_id=entry.wish_id, corrects=entry.corrects,
        reason=entry.reason)


def service_record(entries: Iterable[LedgerEntry], held: Iterable[HeldCredit],
                   start: date | None, end: date | None, places: Mapping[str, str]
                   ) -> ServiceRecord:
    """Hour entries and held credits of the days from `start` to `end` (either open), in
    the order served. A correction counts on the day of the entry it corrects, so a
    period's totals net it out where the hours were counted."""
    lines = [line_of(e, "posted", places) for e in entries
             if e.kind in ("credit", "correction") and in_period(day_of(e), start, end)]
    lines += [line_of(h.entry, "held", places) for h in held
              if h.status == "held" and in_period(day_of(h.entry), start, end)]
    lines.sort(key=lambda line: (line.day, line.at))
    posted = [line for line in lines if line.status == "posted"]
    net_by_service: dict[str, float] = {}
    net_by_activity: dict[str, float] = {}
    for line in posted:
        if line.request_id:
            net_by_service[line.request_id] = net_by_service.get(line.request_id, 0) + line.hours
        if line.activity_id:
            net_by_activity[line.activity_id] = (net_by_activity.get(line.activity_id, 0)
                                                 + line.hours)
    totals = RecordTotals(
        hours=round(sum(line.hours for line in posted), 2),
        verified_hours=round(sum(line.hours for line in posted if line.verified), 2),
        held_hours=round(sum(line.hours for line in lines if line.status == "held"), 2),
        services=sum(1 for h in net_by_service.values() if h > 1e-9),
        activities=sum(1 for h in net_by_activity.values() if h > 1e-9))
    return ServiceRecord(lines, totals)
