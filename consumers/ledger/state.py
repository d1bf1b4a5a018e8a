"""Volunteers' accounts and gift stock: folds of the ledger and stock events.

An account row holds the balance, hours, holds and code; each ledger entry is a row of its
own (keyed by its id, written once), so a credit writes one new entry rather than the whole
ledger again, and a ranking by place in the ledger lets readers page it newest first.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flags.rules import HourLine
from schemas import events as ev
from schemas.base import Event
from schemas.commands import CreditFacts
from schemas.records import Journal, Ranking, Records
from schemas.views import (
    AccountView,
    CatalogItemView,
    HeldCredit,
    HeldFlagState,
    Hold,
    LedgerEntry,
    RedeemCode,
)


def facts_of_entry(facts: CreditFacts) -> dict[str, Any]:
    """An hour entry's facts, flat on the entry as clients read them."""
    return facts.model_dump()


def facts_of_credit(entry: LedgerEntry) -> CreditFacts:
    """The facts a credited entry was posted with (for its reversal and a held credit)."""
    return CreditFacts.model_validate(entry.model_dump(include=set(CreditFacts.model_fields)))


class LedgerState:
    def __init__(self) -> None:
        self.accounts: Records[AccountView] = Records()
        self.entries: Records[LedgerEntry] = Records()
        self.held: Records[HeldCredit] = Records()
        self.ranks = Ranking()

    def collections(self) -> dict[str, Records[Any]]:
        return {"accounts": self.accounts, "entries": self.entries, "held": self.held}

    def journals(self) -> dict[str, Journal[Any]]:
        return {}

    def ranking(self) -> Ranking:
        return self.ranks

    def restore(self, rows: dict[str, dict[str, Any]]) -> None:
        for key, account in rows.get("accounts", {}).items():
            self.accounts.load(key, account)
        for key, entry in rows.get("entries", {}).items():
            self.entries.load(key, entry)
        for key, held in rows.get("held", {}).items():
            self.held.load(key, held)

    def account(self, volunteer_id: str) -> AccountView:
        return self.accounts.get(volunteer_id) or AccountView(volunteer_id=volunteer_id)

    def entries_of(self, volunteer_id: str) -> list[LedgerEntry]:
        """A volunteer's whole ledger in order (for checks and tests; readers page it)."""
        return sorted((e for e in self.entries.values() if e.volunteer_id == volunteer_id),
                      key=lambda e: e.seq)

    def _taken_back(self) -> dict[UUID, tuple[int, float]]:
        """Per corrected credit, what its corrections reversed: (points, hours), negative."""
        taken: dict[UUID, tuple[int, float]] = {}
        for other in self.entries.values():
            if other.corrects is not None:
                points, hours = taken.get(other.corrects, (0, 0.0))
                taken[other.corrects] = (points + other.points - other.unrecovered_points,
                                         hours + other.hours)
        return taken

    def remaining(self, entry: LedgerEntry) -> tuple[int, float]:
        """What is left of a credit after the corrections of it: (points, hours)."""
        points, hours = self._taken_back().get(entry.entry_id, (0, 0.0))
        return entry.points + points, round(entry.hours + hours, 4)

    def hour_lines(self) -> list[HourLine]:
        """Every hour the volunteer has served or claims, net of corrections: posted credits
        and credits still held (what the flag rules weigh a new credit against). The
        corrections are summed once, not once per credit."""
        taken = self._taken_back()
        lines = [self._line(e, round(e.hours + taken.get(e.entry_id, (0, 0.0))[1], 4))
                 for e in self.entries.values() if e.kind == "credit"]
        lines += [self._line(h.entry, h.entry.hours) for h in self.held.values()
                  if h.status == "held"]
        return lines

    @staticmethod
    def _line(entry: LedgerEntry, hours: float) -> HourLine:
        return HourLine(entry_id=str(entry.entry_id), hours=hours, at=entry.at,
                        started_at=entry.started_at, ended_at=entry.ended_at,
                        source=entry.source or "service", resident_id=entry.resident_id)

    def _post(self, account: AccountView, entry: LedgerEntry) -> AccountView:
        self.entries.put(str(entry.entry_id), entry)
        self.ranks.rank("entries", str(entry.entry_id), entry.seq)
        return account.model_copy(update={"entries_count": entry.seq})

    def evolve(self, event: Event) -> None:
        if not isinstance(event, ev.VolunteerEvent):
            return
        account = self.account(event.volunteer_id)
        if isinstance(event, ev.RedeemCodeIssued):
            account = account.model_copy(
                update={"code": RedeemCode(code_hash=event.code_hash, expires_at=event.expires_at)}
            )
        elif isinstance(event, ev.PointsCredited):
            facts = event.facts
            entry = LedgerEntry(
                entry_id=event.entry_id, volunteer_id=event.volunteer_id,
                seq=account.entries_count + 1, kind="credit", points=event.points,
                hours=event.hours, at=event.occurred_at, request_id=event.request_id,
                source_event_ids=(*event.source_event_ids, event.event_id),
                **facts_of_entry(facts),
            )
            account = self._hours(self._post(account, entry), event.points, event.hours,
                                  facts.verified)
            held = self.held.get(str(event.entry_id))
            if held is not None:
                self.held.put(str(event.entry_id), held.model_copy(update={"status": "posted"}))
        elif isinstance(event, ev.CreditHeld):
            self.held.put(str(event.entry_id), HeldCredit(
                entry=LedgerEntry(
                    entry_id=event.entry_id, volunteer_id=event.volunteer_id, kind="credit",
                    points=event.points, hours=event.hours, at=event.occurred_at,
                    request_id=event.request_id,
                    source_event_ids=(*event.source_event_ids, event.event_id),
                    **facts_of_entry(event.facts)),
                flags=tuple(HeldFlagState(flag_id=f.flag_id, kind=f.kind, detail=f.detail)
                            for f in event.flags)))
        elif isinstance(event, ev.FlagResolved):
            held = self.held.get(str(event.entry_id))
            if held is not None:
                flags = tuple(f.model_copy(update={"decision": event.decision})
                              if f.flag_id == event.flag_id else f for f in held.flags)
                status = "rejected" if event.decision == "reject" else held.status
                self.held.put(str(event.entry_id),
                              held.model_copy(update={"flags": flags, "status": status}))
        elif isinstance(event, ev.PointsCorrected):
            entry = LedgerEntry(
                entry_id=event.entry_id, volunteer_id=event.volunteer_id,
                seq=account.entries_count + 1, kind="correction", points=event.points,
                hours=event.hours, at=event.occurred_at, corrects=event.corrects,
                request_id=event.request_id,
                unrecovered_points=event.unrecovered_points, reason=event.reason,
                source_event_ids=(event.event_id,),
                **(facts_of_entry(event.facts) | {
                    "source": "correction",
                    "started_at": event.facts.started_at or event.corrected_at}),
            )
            account = self._hours(self._post(account, entry), event.points, event.hours,
                                  event.facts.verified)
        elif isinstance(event, ev.RedemptionHeld):
            hold = Hold(
                redemption_id=event.redemption_id, item_id=event.item_id, points=event.points,
                quarter=event.quarter, code_hash=event.code_hash,
                origin_command_id=event.origin_command_id,
            )
            code = account.code
            if code is not None and code.code_hash == event.code_hash:
                code = code.model_copy(update={"used": True})
            account = account.model_copy(update={"holds": (*account.holds, hold), "code": code})
        elif isinstance(event, ev.PointsRedeemed):
            entry = LedgerEntry(
                entry_id=event.entry_id, volunteer_id=event.volunteer_id,
                seq=account.entries_count + 1, kind="redemption", points=-event.points,
                at=event.occurred_at, redemption_id=event.redemption_id, item_id=event.item_id,
                source_event_ids=(*event.source_event_ids, event.event_id),
            )
            account = self._post(account, entry).model_copy(update={
                "balance": account.balance - event.points,
                "holds": tuple(h for h in account.holds if h.redemption_id != event.redemption_id),
                "redeemed_quarters": (*account.redeemed_quarters, event.quarter),
            })
        elif isinstance(event, ev.RedemptionVoided):
            released = [h for h in account.holds if h.redemption_id == event.redemption_id]
            code = account.code
            if code is not None and released and code.code_hash == released[0].code_hash:
                code = code.model_copy(update={"used": False})
            account = account.model_copy(update={
                "holds": tuple(h for h in account.holds if h.redemption_id != event.redemption_id),
                "code": code,
            })
        self.accounts.put(account.volunteer_id, account)

    @staticmethod
    def _hours(account: AccountView, points: int, hours: float, verified: bool
               ) -> AccountView:
        """Signed: a credit adds, a correction takes back (never below a zero balance)."""
        return account.model_copy(update={
            "balance": account.balance + points,
            "lifetime_hours": round(account.lifetime_hours + hours, 4),
            "verified_hours": round(account.verified_hours + (hours if verified else 0.0), 4),
        })


class StockState:
    def __init__(self) -> None:
        self.items: Records[CatalogItemView] = Records()
        self.ranks = Ranking()

    def collections(self) -> dict[str, Records[Any]]:
        return {"items": self.items}

    def journals(self) -> dict[str, Journal[Any]]:
        return {}

    def ranking(self) -> Ranking:
        return self.ranks

    def restore(self, rows: dict[str, dict[str, Any]]) -> None:
        for key, item in rows.get("items", {}).items():
            self.items.load(key, item)

    def evolve(self, event: Event) -> None:
        if isinstance(event, ev.CatalogItemStocked):
            self.items.put(event.item_id, CatalogItemView(
                item_id=event.item_id, name=event.name, points=event.points, stock=event.stock,
            ))
        elif isinstance(event, ev.StockReserved):
            item = self.items[event.item_id]
            self.items.put(event.item_id, item.model_copy(update={"stock": event.stock}))
