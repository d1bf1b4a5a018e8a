"""The rules of care plans (DESIGN §11), pure, and through the county's owner.

Properties, with hypothesis: a cadence's periods follow each other without a gap or an
overlap from the plan's start, a month ending on the same day of the month (the last day of
a shorter month) at the same China time; whatever plans are made and ended, whatever time
passes (also longer than several periods, as when the platform was stopped) and whatever
visits are completed, a plan never creates two visits for one period nor sends a request
twice, its periods are numbered from 0 without a gap, it has at most one visit planned, its
counts add up (planned = done + missed + the open one), and every missed visit whose time
was still to come opened exactly one case. Examples pin a month at the end of January and
who is suggested a plan.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from care.handlers import decide_care, timer_commands
from care.rules import LOCAL, CarePolicy, period_bounds, suggestion_for
from care.state import CareState
from schemas import care as cp
from schemas import cases
from schemas import commands as cmd
from schemas.base import Actor, Command
from schemas.care import CADENCES, Cadence
from schemas.common import Role

COUNTY = "430511"
AREA = "430511001002003"
T0 = datetime(2026, 1, 31, 2, 0, tzinfo=UTC)  # 10:00 on 31 January in China
STAFF = Actor(role=Role.STAFF, subject="S1", scope=COUNTY)


@given(cadence=st.sampled_from(CADENCES),
       start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 1, 1),
                          timezones=st.just(UTC)),
       period=st.integers(0, 40))
def test_periods_follow_each_other_from_the_start(cadence: Cadence, start: datetime,
                                                  period: int) -> None:
    policy = CarePolicy()
    begin, end = period_bounds(start, cadence, period, policy)
    after_begin, _ = period_bounds(start, cadence, period + 1, policy)
    assert begin < end == after_begin
    assert period_bounds(start, cadence, 0, policy)[0] == start
    assert end.astimezone(LOCAL).time() == start.astimezone(LOCAL).time()
    if cadence in ("month", "quarter"):
        assert end.astimezone(LOCAL).day <= start.astimezone(LOCAL).day


def test_a_month_from_the_end_of_january_ends_on_the_last_of_february() -> None:
    _, end = period_bounds(T0, "month", 0, CarePolicy())
    assert end.astimezone(LOCAL) == datetime(2026, 2, 28, 10, 0, tzinfo=LOCAL)
    _, march = period_bounds(T0, "month", 1, CarePolicy())
    assert march.astimezone(LOCAL) == datetime(2026, 3, 31, 10, 0, tzinfo=LOCAL)
    assert period_bounds(T0, "week", 2, CarePolicy(period_s=5)) == (
        T0 + timedelta(seconds=10), T0 + timedelta(seconds=15))


def cadence_for(birth_year: int | None, *tags: str) -> str | None:
    found = suggestion_for(birth_year, frozenset(tags), 2026)
    return None if found is None else found.cadence


def test_the_most_vulnerable_are_suggested_the_most_frequent_visits() -> None:
    assert cadence_for(1940, "living_alone") == "week"
    assert cadence_for(1950, "living_alone") == "month"
    assert cadence_for(1990, "extreme_hardship") == "month"
    assert cadence_for(None, "care_dependent") == "week"
    assert cadence_for(1980, "disability") == "fortnight"
    assert cadence_for(1940, "empty_nest") is None


def env(actor: Actor, at: datetime) -> dict[str, object]:
    command_id = uuid4()
    return {"command_id": command_id, "occurred_at": at, "correlation_id": command_id,
            "actor": actor, "county": COUNTY}


steps = st.lists(st.tuples(
    st.sampled_from(["create", "end", "wait", "wait", "complete", "complete"]),
    st.integers(0, 2), st.sampled_from(CADENCES), st.integers(0, 120 * 86400)),
    min_size=5, max_size=50)


@settings(max_examples=150, deadline=None)
@given(steps=steps)
def test_a_plan_never_creates_two_visits_for_one_period(
        steps: list[tuple[str, int, Cadence, int]]) -> None:
    state = CareState()
    policy = CarePolicy()
    now = T0
    sent: list[tuple[str, str]] = []
    missed_cases: list[str] = []

    def run(command: Command) -> None:
        decision = decide_care(state, command, command.occurred_at, policy)
        for follow in decision.commands:
            if isinstance(follow, cmd.SubmitRequest):
                assert follow.plan_id is not None
                sent.append((follow.plan_id, follow.request_id))
            elif isinstance(follow, cases.OpenCase):
                missed_cases.append(follow.case_id)

    for kind, n, cadence, seconds in steps:
        plan_id = f"P{n}"
        if kind == "wait":
            now += timedelta(seconds=seconds)
            for command in timer_commands(state, now):
                run(command)
        elif kind == "create":
            run(cp.CreatePlan(**env(STAFF, now), plan_id=plan_id, resident_id=f"R{n}",
                              area=AREA, address="pd1.a", service_type="health_check",
                              cadence=cadence))
        elif kind == "end":
            run(cp.EndPlan(**env(STAFF, now), plan_id=plan_id, reason="搬走了"))
        elif plan_id in state.plans:
            visit = state.current_visit(state.plans[plan_id])
            if visit is not None:
                run(cp.RecordVisit(**env(STAFF, now), plan_id=plan_id,
                                   request_id=visit.request_id))
    assert len(set(sent)) == len(sent), "a request is sent once"
    assert len(set(missed_cases)) == len(missed_cases), "a missed visit opens one case"
    for plan_id in state.plans:
        plan = state.plans[plan_id]
        visits = [state.visits[k] for k in state.visits if state.visits[k].plan_id == plan_id]
        periods = sorted(v.period for v in visits)
        assert periods == list(range(plan.period + 1)), "numbered from 0 without a gap"
        assert sum(v.status == "planned" for v in visits) <= 1
        assert plan.planned == len(visits)
        assert plan.planned == plan.done + plan.missed + sum(
            v.status == "planned" for v in visits)
        ordered = sorted(visits, key=lambda v: v.period)
        for before, after in itertools.pairwise(ordered):
            assert before.ends_at == after.starts_at, "no gap, no overlap"


def test_a_period_turns_after_a_restart_from_the_rows_alone() -> None:
    state = CareState()
    policy = CarePolicy(period_s=60)
    decide_care(state, cp.CreatePlan(**env(STAFF, T0), plan_id="P1", resident_id="R1",
                                     area=AREA, address="pd1.a", service_type="health_check",
                                     cadence="week"), T0, policy)
    rows = {name: {key: records[key] for key in records}
            for name, records in state.collections().items()}
    again = CareState()
    again.restore(rows)
    later = T0 + timedelta(seconds=61)
    [turn] = timer_commands(again, later)
    assert isinstance(turn, cp.TurnPeriod) and (turn.plan_id, turn.period) == ("P1", 0)
    decision = decide_care(again, turn, later, policy)
    assert [type(e).__name__ for e in decision.events] == ["VisitMissed", "VisitOpened"]
    assert {type(c).__name__ for c in decision.commands} == {"OpenCase", "SubmitRequest"}
    assert timer_commands(again, later) == [], "turned once"
