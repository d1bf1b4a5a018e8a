"""The rules of civic points (DESIGN §11), pure, through the county's owner.

Properties, with hypothesis: whatever scorings, corrections, codes, exchanges and passing
days happen, a household's balance is the sum of its entries and never below zero, each
month and rule stands scored at most once (a correction frees it), a quarter sees at most one
exchange per household, a kiosk's stock never goes below zero, and a refused command changes
nothing. Examples pin the codes (`month_closed`, `points_over_max`, `unknown_rule`,
`already_scored`, `quarter_used`, `out_of_scope`, `code_used`, `insufficient_points`) and
the rows read back after a restart.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from hypothesis import event, given, settings
from hypothesis import strategies as st

from households.handlers import decide_household
from households.rules import month_of, previous_month, rules_for, scorable_months
from households.state import CIVIC_ENTRIES, HouseholdsState
from schemas import households as h
from schemas.base import Actor, Command
from schemas.common import Role
from schemas.decision import Decision
from schemas.households import CivicEntry, ScoreItem

COUNTY = "430511"
VILLAGE = "430511001002"
OTHER_VILLAGE = "430511001003"
T0 = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
STAFF = Actor(role=Role.STAFF, subject="S1", scope=VILLAGE)
KIOSK = Actor(role=Role.KIOSK, subject="K1", scope=VILLAGE)
RULES = {"hygiene": 10, "civility": 5, "helping": 8}


def env(actor: Actor, at: datetime, **fields: Any) -> dict[str, Any]:
    command_id = uuid4()
    return {"command_id": command_id, "occurred_at": at, "correlation_id": command_id,
            "actor": actor, "county": COUNTY, **fields}


def decided(state: HouseholdsState, command: Command) -> Decision:
    return decide_household(state, command, command.occurred_at)


def rejection(decision: Decision) -> str | None:
    assert decision.outcome is not None
    return None if decision.outcome.rejection is None else decision.outcome.rejection.code


def ok(decision: Decision) -> dict[str, Any]:
    assert rejection(decision) is None, decision.outcome
    assert decision.outcome is not None
    return dict(decision.outcome.result or {})


def village(at: datetime = T0, stock: int = 3) -> HouseholdsState:
    state = HouseholdsState()
    for rule_id, points_max in RULES.items():
        ok(decided(state, h.SetCivicRule(**env(STAFF, at), rule_id=rule_id, area=VILLAGE,
                                         name=rule_id, points_max=points_max)))
    for n in (1, 2):
        ok(decided(state, h.RegisterHousehold(**env(STAFF, at), household_id=f"H{n}",
                                              area=f"{VILLAGE}00{n}", head_name="pd1.x")))
    ok(decided(state, h.StockCivicItem(**env(STAFF, at), item_id="oil", kiosk_id="K1",
                                       area=VILLAGE, name="菜籽油", points=12, stock=stock)))
    return state


def score(household: str, month: str, at: datetime = T0, **points: int) -> h.ScoreHousehold:
    return h.ScoreHousehold(**env(STAFF, at), household_id=household, month=month,
                            items=tuple(ScoreItem(rule_id=r, points=p, reason="pd1.why")
                                        for r, p in points.items()))


def correct(household: str, month: str, rule_id: str, at: datetime = T0) -> h.CorrectScore:
    return h.CorrectScore(**env(STAFF, at), household_id=household, month=month,
                          rule_id=rule_id, reason="pd1.wrong")


def code(household: str, at: datetime = T0, hash_: str = "hash") -> h.IssueHouseholdCode:
    return h.IssueHouseholdCode(**env(STAFF, at), household_id=household, code_hash=hash_,
                                expires_at=at + timedelta(days=90))


def redeem(household: str, at: datetime = T0, area: str | None = VILLAGE,
           hash_: str = "hash") -> h.RedeemCivic:
    return h.RedeemCivic(**env(KIOSK, at), household_id=household, item_id="oil",
                         code_hash=hash_, kiosk_id="K1", kiosk_area=area,
                         redemption_id=f"CR-{uuid4().hex[:12]}")


def entries_of(state: HouseholdsState, ledger: dict[str, list[CivicEntry]]) -> None:
    for household, fresh in state.entries.drain_changes().items():
        ledger.setdefault(household, []).extend(fresh)


def test_months_are_china_months_and_a_month_is_scored_in_it_and_the_next() -> None:
    assert month_of(datetime(2026, 2, 28, 16, 30, tzinfo=UTC)) == "2026-03"
    assert previous_month("2026-01") == "2025-12"
    assert scorable_months(T0) == ("2026-03", "2026-02")


def test_a_scoring_gives_points_within_each_rules_maximum_once_a_month() -> None:
    state = village()
    assert ok(decided(state, score("H1", "2026-03", hygiene=10, civility=3)))["balance"] == 13
    assert rejection(decided(state, score("H1", "2026-03", hygiene=2))) == "already_scored"
    assert rejection(decided(state, score("H1", "2026-01", hygiene=2))) == "month_closed"
    assert rejection(decided(state, score("H1", "2026-04", hygiene=2))) == "month_closed"
    over = decided(state, score("H2", "2026-02", helping=9))
    assert rejection(over) == "points_over_max"
    assert over.outcome is not None and over.outcome.rejection is not None
    assert over.outcome.rejection.details["field"] == "points"
    assert rejection(decided(state, score("H2", "2026-03", gardening=1))) == "unknown_rule"
    assert ok(decided(state, score("H2", "2026-02", helping=8)))["balance"] == 8


def test_a_correction_reverses_the_scoring_and_frees_the_month_for_a_new_one() -> None:
    state = village()
    ok(decided(state, score("H1", "2026-03", hygiene=10)))
    assert ok(decided(state, correct("H1", "2026-03", "hygiene")))["balance"] == 0
    assert rejection(decided(state, correct("H1", "2026-03", "hygiene"))) == "not_scored"
    assert ok(decided(state, score("H1", "2026-03", hygiene=6)))["balance"] == 6
    fresh = state.entries.drain_changes()["H1"]
    assert [(e.kind, e.points, e.balance_after) for e in fresh] == [
        ("score", 10, 10), ("correction", -10, 0), ("score", 6, 6)]


def test_a_rule_of_the_village_applies_below_it_and_a_retired_rule_to_none() -> None:
    state = village()
    ok(decided(state, h.SetCivicRule(**env(STAFF, T0), rule_id="civility", area=VILLAGE,
                                     name="文明", points_max=5, active=False)))
    assert [r.rule_id for r in rules_for(f"{VILLAGE}001", state.rules)] == ["helping",
                                                                           "hygiene"]
    assert rules_for(OTHER_VILLAGE, state.rules) == []
    assert rejection(decided(state, score("H1", "2026-03", civility=1))) == "unknown_rule"
    moved = decided(state, h.SetCivicRule(**env(STAFF, T0), rule_id="hygiene",
                                          area=OTHER_VILLAGE, name="x", points_max=1))
    assert rejection(moved) == "rule_exists"


def test_an_exchange_takes_the_points_and_the_stock_once_a_quarter() -> None:
    state = village()
    ok(decided(state, score("H1", "2026-03", hygiene=10, helping=8)))
    ok(decided(state, code("H1")))
    assert rejection(decided(state, redeem("H1", hash_="other"))) == "code_required"
    assert rejection(decided(state, redeem("H1", area=OTHER_VILLAGE))) == "out_of_scope"
    done = ok(decided(state, redeem("H1")))
    assert (done["status"], done["balance"], done["stock"]) == ("redeemed", 6, 2)
    assert rejection(decided(state, redeem("H1"))) == "code_used"
    ok(decided(state, code("H1")))
    assert rejection(decided(state, redeem("H1"))) == "quarter_used"
    next_quarter = T0 + timedelta(days=30)
    ok(decided(state, score("H1", "2026-04", next_quarter, hygiene=10)))
    ok(decided(state, code("H1", next_quarter)))
    assert ok(decided(state, redeem("H1", next_quarter)))["balance"] == 4
    ok(decided(state, code("H2")))
    assert rejection(decided(state, redeem("H2"))) == "insufficient_points"


def test_the_rows_read_back_after_a_restart_decide_as_before() -> None:
    state = village(stock=1)
    ok(decided(state, score("H1", "2026-03", hygiene=10, helping=8)))
    ok(decided(state, code("H1")))
    rows = {name: dict(records.drain_changes()) for name, records
            in state.collections().items()}
    restored = HouseholdsState()
    restored.restore(rows)
    assert rejection(decided(restored, score("H1", "2026-03", hygiene=1))) == "already_scored"
    assert ok(decided(restored, redeem("H1")))["stock"] == 0
    ok(decided(restored, code("H2")))
    assert rejection(decided(restored, redeem("H2"))) == "out_of_stock"


STEP = st.one_of(
    st.tuples(st.just("score"), st.sampled_from(["H1", "H2"]),
              st.sampled_from(["2026-02", "2026-03", "2026-04"]),
              st.dictionaries(st.sampled_from(sorted(RULES)), st.integers(0, 12),
                              min_size=1, max_size=3)),
    st.tuples(st.just("correct"), st.sampled_from(["H1", "H2"]),
              st.sampled_from(["2026-02", "2026-03", "2026-04"]),
              st.sampled_from(sorted(RULES))),
    st.tuples(st.just("code"), st.sampled_from(["H1", "H2"])),
    st.tuples(st.just("redeem"), st.sampled_from(["H1", "H2"]),
              st.sampled_from([VILLAGE, OTHER_VILLAGE])),
    st.tuples(st.just("wait"), st.integers(1, 40)),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(STEP, max_size=40))
def test_balances_sum_their_entries_and_stay_whole(steps: list[tuple[Any, ...]]) -> None:
    state = village(stock=2)
    state.entries.drain_changes()
    ledger: dict[str, list[CivicEntry]] = {}
    at = T0
    for step in steps:
        kind = step[0]
        if kind == "wait":
            at += timedelta(days=step[1])
            continue
        if kind == "score":
            command: Command = score(step[1], step[2], at, **step[3])
        elif kind == "correct":
            command = correct(step[1], step[2], step[3], at)
        elif kind == "code":
            command = code(step[1], at)
        else:
            command = redeem(step[1], at, area=step[2])
        before = {k: v.model_dump() for k, v in state.households.items()}
        stock_before = state.items["oil"].stock
        decision = decided(state, command)
        code_ = rejection(decision)
        event(f"{kind}: {code_ or 'ok'}")
        if code_ is not None:
            assert {k: v.model_dump() for k, v in state.households.items()} == before
            assert state.items["oil"].stock == stock_before
        entries_of(state, ledger)
    assert state.items["oil"].stock >= 0
    for household_id, household in state.households.items():
        entries = ledger.get(household_id, [])
        assert household.balance == sum(e.points for e in entries) >= 0
        assert all(e.balance_after >= 0 for e in entries)
        assert household.entries == len(entries)
        standing: Counter[tuple[str | None, str | None]] = Counter()
        for e in entries:
            if e.kind == "score":
                standing[(e.month, e.rule_id)] += 1
            elif e.kind == "correction":
                standing[(e.month, e.rule_id)] -= 1
        assert all(n in (0, 1) for n in standing.values())
        assert {f"{m}|{r}" for (m, r), n in standing.items() if n} == set(household.sheet)
        quarters = [e.at for e in entries if e.kind == "redemption"]
        assert len(household.quarters) == len(set(household.quarters)) == len(quarters)
    assert CIVIC_ENTRIES in state.journals()
