"""Which flags a new hour entry raises against the volunteer's own history (DESIGN §10).

Pure: the ledger passes what it holds (posted and held hour lines, net of corrections) and
the limits; the answer is every flag that applies, so a credit never escapes one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from schemas.commands import FlagKind

LOCAL = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class FlagLimits:
    hours_per_day_max: float = 12.0
    same_pair_per_month_max: int = 8


@dataclass(frozen=True)
class HourLine:
    """One hour entry as the flag rules see it: posted or held, net of corrections."""

    entry_id: str
    hours: float
    at: datetime
    started_at: datetime | None = None
    ended_at: datetime | None = None
    source: str = "service"
    resident_id: str | None = None

    @property
    def day(self) -> date:
        """The China-time day the hours were served on (their start, else their posting)."""
        return (self.started_at or self.at).astimezone(LOCAL).date()

    @property
    def interval(self) -> tuple[datetime, datetime] | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return self.started_at, self.ended_at


def overlaps(a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> bool:
    """Half-open intervals meet: one volunteer cannot be in two places at once."""
    return a[0] < b[1] and b[0] < a[1]


def found_flags(new: HourLine, history: Iterable[HourLine], limits: FlagLimits
                ) -> list[tuple[FlagKind, str]]:
    """The flags of §10 a new line raises: overlap, day_hours and same_pair."""
    others = [h for h in history if h.entry_id != new.entry_id and h.hours > 0]
    found: list[tuple[FlagKind, str]] = []
    interval = new.interval
    if interval is not None:
        clashes = [h for h in others if h.interval is not None
                   and overlaps(interval, h.interval)]
        if clashes:
            found.append(("overlap", f"overlaps {len(clashes)} other check-in(s) of the "
                                     "same volunteer"))
    day_total = new.hours + sum(h.hours for h in others if h.day == new.day)
    if day_total > limits.hours_per_day_max:
        found.append(("day_hours", f"{day_total:g} h on {new.day.isoformat()}, more than "
                                   f"{limits.hours_per_day_max:g} h in a day"))
    if new.source == "service" and new.resident_id is not None:
        month = (new.day.year, new.day.month)
        times = 1 + sum(1 for h in others if h.source == "service"
                        and h.resident_id == new.resident_id
                        and (h.day.year, h.day.month) == month)
        if times > limits.same_pair_per_month_max:
            found.append(("same_pair", f"{times} services for the same resident in "
                                       f"{month[0]}-{month[1]:02d}, more than "
                                       f"{limits.same_pair_per_month_max}"))
    return found
