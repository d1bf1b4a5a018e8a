"""The rules of cases (DESIGN §11), pure, and through the county's owner.

Properties, with hypothesis: a deadline of N working days falls on a working day (Monday to
Friday in China time, not a holiday), at the same local time, with exactly N working days
after the opening day up to it; the owner of an area is the most local office containing it
(the county when none does); whatever offices register and whatever opens, steps, closes
and passes deadlines happen, every case has exactly one owner containing its area, a passed
deadline moves it to a scope enclosing the old one (or keeps it at the county), the overdue
mark never goes away, a closed case stays closed, and a refused command changes nothing.
Examples pin a Friday's three days, a week with a holiday, and the codes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from cases.handlers import decide_case, timer_commands
from cases.rules import LOCAL, CasePolicy, due_after, is_working_day, next_office, owner_of
from cases.state import CasesState
from schemas import cases as c
from schemas.base import Actor, Command
from schemas.common import Role, ancestors, within
from schemas.decision import Decision

COUNTY = "430511"
TOWN = COUNTY + "001"
VILLAGE = TOWN + "002"
HAMLET = VILLAGE + "003"
OTHER = COUNTY + "002001"
AREAS = [COUNTY, TOWN, VILLAGE, HAMLET, OTHER]
T0 = datetime(2026, 3, 6, 7, 30, tzinfo=UTC)  # a Friday, 15:30 in China
HOLIDAYS = frozenset({date(2026, 3, 10)})
STAFF = Actor(role=Role.STAFF, subject="S1", scope=None)


def working_between(start: date, end: date, holidays: frozenset[date]) -> int:
    days, day = 0, start
    while day < end:
        day += timedelta(days=1)
        days += is_working_day(day, holidays)
    return days


@given(start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 1, 1),
                          timezones=st.just(UTC)),
       days=st.integers(1, 30),
       holidays=st.frozensets(st.dates(date(2025, 1, 1), date(2028, 3, 1)), max_size=40))
def test_a_deadline_falls_on_the_nth_working_day_at_the_same_time(
        start: datetime, days: int, holidays: frozenset[date]) -> None:
    due = due_after(start, days, holidays)
    local_start, local_due = start.astimezone(LOCAL), due.astimezone(LOCAL)
    assert is_working_day(local_due.date(), holidays)
    assert local_due.time() == local_start.time()
    assert working_between(local_start.date(), local_due.date(), holidays) == days
    assert due > start


def test_a_fridays_three_days_end_on_wednesday_and_a_holiday_adds_one() -> None:
    assert due_after(T0, 3, frozenset()).astimezone(LOCAL) == datetime(
        2026, 3, 11, 15, 30, tzinfo=LOCAL)
    assert due_after(T0, 3, HOLIDAYS).astimezone(LOCAL) == datetime(
        2026, 3, 12, 15, 30, tzinfo=LOCAL)
    assert CasePolicy(deadline_s=5).deadline("other", T0) == T0 + timedelta(seconds=5)


offices = st.sets(st.sampled_from([TOWN, VILLAGE, HAMLET, OTHER, COUNTY]))


@given(area=st.sampled_from(AREAS), held=offices)
def test_the_owner_is_the_most_local_office_containing_the_area(area: str,
                                                                 held: set[str]) -> None:
    owner = owner_of(area, held)
    assert within(area, owner) and (owner in held or owner == COUNTY)
    assert not [o for o in held if within(area, o) and len(o) > len(owner)]
    above = next_office(owner, held)
    if owner == COUNTY:
        assert above is None
    else:
        assert above is not None and within(owner, above) and above != owner


def env(actor: Actor, at: datetime) -> dict[str, object]:
    command_id = uuid4()
    return {"command_id": command_id, "occurred_at": at, "correlation_id": command_id,
            "actor": actor, "county": COUNTY}


steps = st.lists(st.tuples(
    st.sampled_from(["office", "open", "open", "step", "close", "wait", "wait"]),
    st.integers(0, 4), st.sampled_from(AREAS), st.integers(0, 8 * 86400)),
    min_size=5, max_size=60)


@settings(max_examples=200, deadline=None)
@given(steps=steps)
def test_every_case_has_one_owner_and_moves_only_outwards(
        steps: list[tuple[str, int, str, int]]) -> None:
    state = CasesState()
    policy = CasePolicy(holidays=HOLIDAYS)
    now = T0

    def run(command: Command) -> Decision:
        return decide_case(state, command, command.occurred_at, policy)

    for kind, n, area, seconds in steps:
        before = {k: state.cases[k] for k in state.cases}
        decision: Decision | None = None
        if kind == "wait":
            now += timedelta(seconds=seconds)
            for command in timer_commands(state, now):
                run(command)
        elif kind == "office":
            decision = run(c.RegisterOffice(**env(STAFF, now), scope=area))
        elif kind == "open":
            decision = run(c.OpenCase(**env(STAFF, now), case_id=f"C{COUNTY}-{n}", area=area,
                                      kind="complaint", subject="pd1.s"))
        elif kind == "step":
            decision = run(c.RecordStep(**env(STAFF, now), case_id=f"C{COUNTY}-{n}",
                                        kind="note", note="pd1.n"))
        else:
            decision = run(c.CloseCase(**env(STAFF, now), case_id=f"C{COUNTY}-{n}",
                                       resolution="pd1.r"))
        after = {k: state.cases[k] for k in state.cases}
        if decision is not None and decision.outcome and decision.outcome.rejection:
            assert after == before and decision.events == ()
        for case_id, case in after.items():
            assert case.owner_scope in ancestors(case.area), "one owner, containing its area"
            old = before.get(case_id)
            if old is None:
                continue
            assert within(old.owner_scope, case.owner_scope), "it only moves outwards"
            assert case.escalations >= old.escalations
            assert case.overdue or not old.overdue
            if old.status == "closed":
                assert case == old, "a closed case stays closed"
            if case.owner_scope != old.owner_scope:
                assert case.escalations == old.escalations + 1
        for case in after.values():
            if case.status == "open" and case.owner_scope != COUNTY:
                assert case.due_at > now, "a passed deadline has moved it on"


def test_staff_outside_the_owning_office_may_not_act() -> None:
    state = CasesState()
    policy = CasePolicy()
    decide_case(state, c.RegisterOffice(**env(STAFF, T0), scope=VILLAGE), T0, policy)
    decide_case(state, c.OpenCase(**env(STAFF, T0), case_id=f"C{COUNTY}-1", area=HAMLET,
                                  kind="dispute", subject="pd1.s"), T0, policy)
    assert state.cases[f"C{COUNTY}-1"].owner_scope == VILLAGE
    hamlet = Actor(role=Role.STAFF, subject="S2", scope=HAMLET)
    refused = decide_case(state, c.RecordStep(**env(hamlet, T0), case_id=f"C{COUNTY}-1",
                                              kind="act", note="pd1.n"), T0, policy)
    assert refused.outcome is not None and refused.outcome.rejection is not None
    assert refused.outcome.rejection.code == "not_owner"
    again = decide_case(state, c.OpenCase(**env(STAFF, T0), case_id=f"C{COUNTY}-1",
                                          area=HAMLET, kind="dispute", subject="pd1.s"),
                        T0, policy)
    assert again.outcome is not None and again.outcome.rejection is not None
    assert again.outcome.rejection.code == "case_exists"


def test_a_deadline_passes_after_a_restart_from_the_rows_alone() -> None:
    state = CasesState()
    policy = CasePolicy(deadline_s=60)
    decide_case(state, c.RegisterOffice(**env(STAFF, T0), scope=VILLAGE), T0, policy)
    decide_case(state, c.OpenCase(**env(STAFF, T0), case_id=f"C{COUNTY}-1", area=HAMLET,
                                  kind="complaint", subject="pd1.s"), T0, policy)
    rows = {name: {key: records[key] for key in records}
            for name, records in state.collections().items()}
    again = CasesState()
    again.restore(rows)
    later = T0 + timedelta(seconds=61)
    [passed] = timer_commands(again, later)
    decide_case(again, passed, later, policy)
    case = again.cases[f"C{COUNTY}-1"]
    assert (case.owner_scope, case.escalations, case.overdue) == (COUNTY, 1, True)
    assert case.due_at == later + timedelta(seconds=60)
    assert timer_commands(again, later) == []
