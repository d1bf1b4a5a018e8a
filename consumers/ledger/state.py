"""Volunteers' accounts and gift stock: folds of the ledger and stock events.

An account row holds the balance, hours, holds and code; each ledger entry is a row of its
own (keyed by its id, written once), so a credit writes one new entry rather than the whole
ledger again, and a ranking by place in the ledger lets readers page it newest first.
"""

from __future__ import annotations

from typing import Any

from schemas import events as ev
from schemas.base import Event
from schemas.commands import CreditFacts
from schemas.records import Journal, Ranking, Records
from schemas.views import AccountView, CatalogItemView, Hold, LedgerEntry, RedeemCode


def facts_of_entry(facts: CreditFacts) -> dict[str, Any]:
    """An hour entry's facts, flat on the entry as clients read them."""
    return facts.model_dump()


class LedgerState:
    def __init__(self) -> None:
        self.accounts: Records[AccountView] = Records()
        self.entries: Records[LedgerEntry] = Records()
        self.ranks = Ranking()

    def collections(self) -> dict[str, Records[Any]]:
        return {"accounts": self.accounts, "entries": self.entries}

    def journals(self) -> dict[str, Journal[Any]]:
        return {}

    def ranking(self) -> Ranking:
        return self.ranks

    def restore(self, rows: dict[str, dict[str, Any]]) -> None:
        for key, account in rows.get("accounts", {}).items():
            self.accounts.load(key, account)
        for key, entry in rows.get("entries", {}).items():
            self.entries.load(key, entry)

    def account(self, volunteer_id: str) -> AccountView:
        return self.accounts.get(volunteer_id) or AccountView(volunteer_id=volunteer_id)

    def entries_of(self, volunteer_id: str) -> list[LedgerEntry]:
        """A volunteer's whole ledger in order (for checks and tests; readers page it)."""
        return sorted((e for e in self.entries.values() if e.volunteer_id == volunteer_id),
                      key=lambda e: e.seq)

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
            verified = event.hours if facts.verified else 0.0
            account = self._post(account, entry).model_copy(update={
                "balance": account.balance + event.points,
                "lifetime_hours": round(account.lifetime_hours + event.hours, 4),
                "verified_hours": round(account.verified_hours + verified, 4),
            })
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
