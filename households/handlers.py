"""Deciding civic-points commands: check against the county's households, rules and goods,
emit events, answer. Every refusal comes before the first event, so a refused command changes
nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from consumers.ledger.rules import quarter_of
from households import rules
from households.state import HouseholdsState
from schemas import households as h
from schemas.base import Command, Event
from schemas.common import within
from schemas.decision import Decision, Refused, Stamp
from schemas.households import HouseholdView


def decide_household(state: HouseholdsState, command: Command, now: datetime) -> Decision:
    assert isinstance(command, h.HouseholdCommand)
    stamp = Stamp(command, now)
    try:
        if not isinstance(command, h.RedeemCivic | h.IssueHouseholdCode | h.ScoreHousehold
                          | h.CorrectScore):
            return _directory(state, command, stamp)
        household = state.households.get(command.household_id)
        if household is None:
            raise Refused("not_found", "household_not_found",
                          f"no household {command.household_id}")
        return _account(state, household, command, stamp)
    except Refused as e:
        return stamp.rejected(e.kind, e.code, e.message, **e.details)


def _emit(state: HouseholdsState, stamp: Stamp, kind: type[h.HouseholdEvent], **fields: Any
          ) -> Event:
    event = stamp.event(kind, county=stamp.cause.partition_key, **fields)
    state.evolve(event)
    return event


def _in_county(county: str, area: str) -> None:
    if not within(area, county):
        raise Refused("invalid", "area_outside_county", "the area is not in this county",
                      field="area")


def _directory(state: HouseholdsState, c: h.HouseholdCommand, stamp: Stamp) -> Decision:
    if isinstance(c, h.RegisterHousehold):
        _in_county(c.county, c.area)
        if c.household_id in state.households:
            raise Refused("conflict", "household_exists", f"household {c.household_id} "
                          "is registered")
        event = _emit(state, stamp, h.HouseholdRegistered, household_id=c.household_id,
                      area=c.area, head_name=c.head_name, members=c.members)
        return stamp.accepted([event], household_id=c.household_id)
    if isinstance(c, h.SetCivicRule):
        _in_county(c.county, c.area)
        before = state.rules.get(c.rule_id)
        if before is not None and before.area != c.area:
            raise Refused("conflict", "rule_exists", f"rule {c.rule_id} belongs to area "
                          f"{before.area}", area=before.area)
        event = _emit(state, stamp, h.CivicRuleSet, rule_id=c.rule_id, area=c.area,
                      name=c.name, points_max=c.points_max, active=c.active)
        return stamp.accepted([event], rule_id=c.rule_id, created=before is None)
    assert isinstance(c, h.StockCivicItem)
    _in_county(c.county, c.area)
    before_item = state.items.get(c.item_id)
    if before_item is not None and before_item.kiosk_id != c.kiosk_id:
        raise Refused("conflict", "item_exists", f"good {c.item_id} is on another kiosk's "
                      "shelf", kiosk_id=before_item.kiosk_id)
    stock = c.stock + (0 if before_item is None else before_item.stock)
    event = _emit(state, stamp, h.CivicItemStocked, item_id=c.item_id, kiosk_id=c.kiosk_id,
                  area=c.area, name=c.name, points=c.points, stock=stock)
    return stamp.accepted([event], item_id=c.item_id, stock=stock)


def _account(state: HouseholdsState, household: HouseholdView, c: h.HouseholdCommand,
             stamp: Stamp) -> Decision:
    if isinstance(c, h.ScoreHousehold):
        rules.check_scoring(household, c.month, c.items, state.rules, stamp.now)
        event = _emit(state, stamp, h.HouseholdScored, household_id=household.household_id,
                      month=c.month, items=c.items)
    elif isinstance(c, h.CorrectScore):
        taken = rules.check_correction(household, c.month, c.rule_id)
        event = _emit(state, stamp, h.ScoreCorrected, household_id=household.household_id,
                      month=c.month, rule_id=c.rule_id, points=taken,
                      unrecovered=household.sheet[h.sheet_key(c.month, c.rule_id)] - taken,
                      reason=c.reason)
    elif isinstance(c, h.IssueHouseholdCode):
        event = _emit(state, stamp, h.HouseholdCodeIssued,
                      household_id=household.household_id, code_hash=c.code_hash,
                      expires_at=c.expires_at)
        return stamp.accepted([event], household_id=household.household_id,
                              expires_at=c.expires_at.isoformat())
    else:
        assert isinstance(c, h.RedeemCivic)
        rules.check_village(household, c.kiosk_area)
        rules.check_code(household.code, c.code_hash, stamp.now)
        item = rules.check_exchange(household, state.items.get(c.item_id), c.kiosk_id,
                                    stamp.now)
        event = _emit(state, stamp, h.CivicRedeemed, household_id=household.household_id,
                      item_id=item.item_id, points=item.points,
                      quarter=quarter_of(stamp.now), kiosk_id=c.kiosk_id,
                      redemption_id=c.redemption_id)
        after = state.households[household.household_id]
        return stamp.accepted([event], redemption_id=c.redemption_id, status="redeemed",
                              balance=after.balance, item_id=item.item_id,
                              points=item.points, quarter=quarter_of(stamp.now),
                              stock=state.items[item.item_id].stock)
    after = state.households[household.household_id]
    return stamp.accepted([event], household_id=household.household_id,
                          balance=after.balance)
