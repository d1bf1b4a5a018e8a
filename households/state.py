"""A county's households, its villages' civic rules and its supermarkets' goods: rows the
rules read, households ranked by registration under every level of their area (a village's
sheet is a page of one ranking), and each household's entries appended to its journal."""

from __future__ import annotations

from typing import Any

from households import rules
from schemas import households as h
from schemas.base import Event
from schemas.common import ancestors
from schemas.households import (
    CivicEntry,
    CivicItemView,
    CivicRuleView,
    HouseholdCode,
    HouseholdView,
)
from schemas.records import Journal, Ranking, Records

HOUSEHOLDS = "households"
CIVIC_RULES = "civic_rules"
CIVIC_ITEMS = "civic_items"
CIVIC_ENTRIES = "civic_entries"


def households_in(area: str | None) -> str:
    """The ranking of the households registered in an area (None: the whole county)."""
    return f"households:{area or 'all'}"


class HouseholdsState:
    def __init__(self) -> None:
        self.households: Records[HouseholdView] = Records()
        self.rules: Records[CivicRuleView] = Records()
        self.items: Records[CivicItemView] = Records()
        self.entries: Journal[CivicEntry] = Journal()
        self.ranks = Ranking()

    def collections(self) -> dict[str, Records[Any]]:
        return {HOUSEHOLDS: self.households, CIVIC_RULES: self.rules,
                CIVIC_ITEMS: self.items}

    def journals(self) -> dict[str, Journal[Any]]:
        return {CIVIC_ENTRIES: self.entries}

    def ranking(self) -> Ranking:
        return self.ranks

    def restore(self, rows: dict[str, dict[str, Any]]) -> None:
        for name, records in self.collections().items():
            for key, row in rows.get(name, {}).items():
                records.load(key, row)

    def evolve(self, event: Event) -> None:
        if isinstance(event, h.HouseholdRegistered):
            self._register(event)
        elif isinstance(event, h.CivicRuleSet):
            self.rules.put(event.rule_id, CivicRuleView(
                rule_id=event.rule_id, county=event.county, area=event.area, name=event.name,
                points_max=event.points_max, active=event.active,
                updated_at=event.occurred_at))
        elif isinstance(event, h.CivicItemStocked):
            self.items.put(event.item_id, CivicItemView(
                item_id=event.item_id, county=event.county, kiosk_id=event.kiosk_id,
                area=event.area, name=event.name, points=event.points, stock=event.stock))
        elif isinstance(event, h.HouseholdCodeIssued):
            household = self.households[event.household_id]
            self.households.put(household.household_id, household.model_copy(update={
                "code": HouseholdCode(code_hash=event.code_hash,
                                      expires_at=event.expires_at)}))
        elif isinstance(event, h.HouseholdScored | h.ScoreCorrected | h.CivicRedeemed):
            self._account(event)

    def _register(self, event: h.HouseholdRegistered) -> None:
        household = HouseholdView(
            household_id=event.household_id, county=event.county, area=event.area,
            head_name=event.head_name, members=event.members, created_by=event.actor,
            created_at=event.occurred_at, seq=len(self.households) + 1)
        self.households.put(household.household_id, household)
        for place in (None, *ancestors(household.area)):
            self.ranks.rank(households_in(place), household.household_id, household.seq)

    def _account(self, event: h.HouseholdScored | h.ScoreCorrected | h.CivicRedeemed) -> None:
        """The household's row and its entries move together, one entry per change."""
        before = self.households[event.household_id]
        entry: dict[str, Any] = {"household_id": before.household_id, "actor": event.actor,
                                 "at": event.occurred_at}
        if isinstance(event, h.HouseholdScored):
            after = rules.scored(before, event.month, event.items)
            balance = before.balance
            for n, item in enumerate(event.items, 1):
                balance += item.points
                self.entries.append(before.household_id, CivicEntry(
                    **entry, entry_id=f"{event.event_id}:{n}", kind="score",
                    points=item.points, balance_after=balance, month=event.month,
                    rule_id=item.rule_id, reason=item.reason))
        elif isinstance(event, h.ScoreCorrected):
            after = rules.corrected(before, event.month, event.rule_id, event.points)
            self.entries.append(before.household_id, CivicEntry(
                **entry, entry_id=str(event.event_id), kind="correction",
                points=-event.points, balance_after=after.balance, month=event.month,
                rule_id=event.rule_id, reason=event.reason, unrecovered=event.unrecovered))
        else:
            after = rules.exchanged(before, event.points, event.quarter)
            good = self.items[event.item_id]
            self.items.put(good.item_id, good.model_copy(update={"stock": good.stock - 1}))
            self.entries.append(before.household_id, CivicEntry(
                **entry, entry_id=str(event.event_id), kind="redemption",
                points=-event.points, balance_after=after.balance, item_id=event.item_id,
                redemption_id=event.redemption_id, kiosk_id=event.kiosk_id))
        self.households.put(after.household_id, after)
