"""The rules of civic points, pure (DESIGN §11): what a village's rules allow a month's scoring
to give, what a correction takes back, and when a household may exchange.

Nothing here reads a clock or a store: the moment, the household, its rules and the good come
in as arguments. Each check raises `Refused` before anything changes; each step returns the
new household, and the county's state evolves by the same steps, so the rules and the stored
rows agree: the balance is the sum of the entries and never below zero, a month and a rule
score a household once (until corrected), a quarter sees one exchange.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from consumers.ledger.rules import QUARTER_ZONE, quarter_of
from schemas.common import within
from schemas.decision import Refused
from schemas.households import (
    CivicItemView,
    CivicRuleView,
    HouseholdCode,
    HouseholdView,
    ScoreItem,
    sheet_key,
)


def month_of(moment: datetime) -> str:
    """The calendar month of a moment in China time."""
    local = moment.astimezone(QUARTER_ZONE)
    return f"{local.year:04d}-{local.month:02d}"


def previous_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:])
    return f"{year - 1:04d}-12" if number == 1 else f"{year:04d}-{number - 1:02d}"


def scorable_months(now: datetime) -> tuple[str, str]:
    """A month is scored during that month and the next: this month and the one before."""
    current = month_of(now)
    return current, previous_month(current)


def rules_for(area: str, rules: Mapping[str, CivicRuleView]) -> list[CivicRuleView]:
    """The active rules that apply to a household of an area: those set for it or for an
    area that contains it, in the order of their ids."""
    return [r for _, r in sorted(rules.items()) if r.active and within(area, r.area)]


def check_scoring(household: HouseholdView, month: str, items: Sequence[ScoreItem],
                  rules: Mapping[str, CivicRuleView], now: datetime) -> None:
    if month not in scorable_months(now):
        raise Refused("invalid", "month_closed", "a month is scored during that month and "
                      "the next", field="month")
    seen: set[str] = set()
    for n, item in enumerate(items):
        rule = rules.get(item.rule_id)
        if rule is None or not rule.active or not within(household.area, rule.area):
            raise Refused("invalid", "unknown_rule", f"no rule {item.rule_id} applies to "
                          "this household", field=f"items.{n}.rule_id")
        if item.rule_id in seen:
            raise Refused("invalid", "duplicate_rule", f"rule {item.rule_id} is named twice",
                          field=f"items.{n}.rule_id")
        seen.add(item.rule_id)
        if item.points > rule.points_max:
            raise Refused("invalid", "points_over_max", f"rule {item.rule_id} gives at most "
                          f"{rule.points_max} points", field="points",
                          points_max=rule.points_max, rule_id=item.rule_id)
        if sheet_key(month, item.rule_id) in household.sheet:
            raise Refused("conflict", "already_scored", f"{month} is scored for rule "
                          f"{item.rule_id}: correct it first", rule_id=item.rule_id)


def scored(household: HouseholdView, month: str, items: Sequence[ScoreItem]) -> HouseholdView:
    sheet = dict(household.sheet)
    for item in items:
        sheet[sheet_key(month, item.rule_id)] = item.points
    return household.model_copy(update={
        "sheet": sheet, "balance": household.balance + sum(i.points for i in items),
        "entries": household.entries + len(items)})


def check_correction(household: HouseholdView, month: str, rule_id: str) -> int:
    """What a correction of one month's scoring by one rule takes back: its points, as far
    as the balance allows (points already exchanged stay exchanged)."""
    key = sheet_key(month, rule_id)
    if key not in household.sheet:
        raise Refused("conflict", "not_scored", f"{month} is not scored for rule {rule_id}")
    return min(household.sheet[key], household.balance)


def corrected(household: HouseholdView, month: str, rule_id: str, taken: int) -> HouseholdView:
    sheet = dict(household.sheet)
    sheet.pop(sheet_key(month, rule_id), None)
    return household.model_copy(update={
        "sheet": sheet, "balance": household.balance - taken,
        "entries": household.entries + 1})


def check_code(code: HouseholdCode | None, code_hash: str, now: datetime) -> None:
    if code is None or code.code_hash != code_hash:
        raise Refused("forbidden", "code_required", "the code is not this household's "
                      "current redeem code")
    if code.used:
        raise Refused("forbidden", "code_used", "the redeem code was already used")
    if code.expires_at <= now:
        raise Refused("forbidden", "code_expired", "the redeem code has expired; ask the "
                      "village office for a new one")


def check_village(household: HouseholdView, kiosk_area: str | None) -> None:
    """A household exchanges at a kiosk of its own village (whose area contains it)."""
    if not within(household.area, kiosk_area):
        raise Refused("forbidden", "out_of_scope", "this household belongs to another "
                      "village's supermarket")


def check_exchange(household: HouseholdView, item: CivicItemView | None, kiosk_id: str,
                   now: datetime) -> CivicItemView:
    """From the kiosk's own goods, once a quarter, for what the balance pays."""
    if item is None or item.kiosk_id != kiosk_id:
        raise Refused("not_found", "unknown_item", "this good is not on this kiosk's shelf")
    if item.stock < 1:
        raise Refused("conflict", "out_of_stock", "this good is out of stock")
    quarter = quarter_of(now)
    if quarter in household.quarters:
        raise Refused("conflict", "quarter_used", f"this household has exchanged in {quarter}",
                      quarter=quarter)
    if household.balance < item.points:
        raise Refused("conflict", "insufficient_points", f"the good costs {item.points}, "
                      f"the household has {household.balance}", balance=household.balance,
                      points=item.points)
    return item


def exchanged(household: HouseholdView, points: int, quarter: str) -> HouseholdView:
    code = household.code
    return household.model_copy(update={
        "balance": household.balance - points,
        "quarters": (*household.quarters, quarter),
        "code": None if code is None else code.model_copy(update={"used": True}),
        "entries": household.entries + 1})
