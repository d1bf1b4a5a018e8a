"""Deciding dispatch commands follows the lifecycle, matching and authority rules of DESIGN §4.

How: a `County` driver sends commands to the real `DispatchOwner` at chosen moments and keeps
every event it emits. Each test starts from the same small directory (areas of county 430511,
five teams, their volunteers), drives one journey and checks the events, the answer and the
state. Every refusal goes through `County.refused`, which also checks that the rejected
command emitted nothing and left the state exactly as it was.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TypeVar

import pytest
from unit.builders import (
    COUNTY,
    HAMLET_A1A,
    HAMLET_A1B,
    STAFF,
    T0,
    TOWN_A,
    TOWN_B,
    VILLAGE_A1,
    VILLAGE_B1,
    County,
    accept,
    approve,
    cancel,
    check_in,
    check_out,
    complete,
    confirm,
    decline,
    dispatch_snapshot,
    dispatch_to,
    expire,
    leader,
    minutes,
    register_area,
    register_team,
    register_volunteer,
    resident,
    review,
    rid,
    submit,
)

from dispatcher.handlers import decide
from dispatcher.policy import DispatchPolicy
from dispatcher.state import DispatchState
from schemas import events as ev
from schemas.base import SYSTEM, Actor, Command, Event
from schemas.common import RequestStatus, Role, ServiceType, Urgency
from schemas.decision import Decision

E = TypeVar("E", bound=Event)
C = TypeVar("C", bound=Command)

GROCERIES = ServiceType.GROCERIES
CLEANING = ServiceType.CLEANING

# The same directory for every test. Built once, so two counties set up from it are identical
# down to their event ids.
DIRECTORY: tuple[Command, ...] = (
    *(register_area(code) for code in (COUNTY, TOWN_A, VILLAGE_A1, HAMLET_A1A, HAMLET_A1B,
                                       TOWN_B, VILLAGE_B1)),
    register_team("T-hamlet", [HAMLET_A1A], capacity=1),
    register_team("T-village", [VILLAGE_A1], capacity=2),
    register_team("T-town", [TOWN_A], capacity=2),
    register_team("T-clean", [TOWN_A], [CLEANING], capacity=1),
    register_team("T-b", [TOWN_B], capacity=1),
    register_volunteer("V-h1", "T-hamlet"),
    register_volunteer("V-h2", "T-hamlet"),
    register_volunteer("V-v1", "T-village"),
    register_volunteer("V-t1", "T-town"),
    register_volunteer("V-b1", "T-b"),
)

R1, R2, R3 = rid(1), rid(2), rid(3)
ALICE = resident("R-alice")
BOB = resident("R-bob")


def lead(team_id: str) -> Actor:
    return leader(f"L-{team_id}")


def set_up(policy: DispatchPolicy | None = None) -> County:
    county = County(policy or DispatchPolicy())
    for command in DIRECTORY:
        county.ok(command)
    county.events.clear()
    return county


@pytest.fixture
def county() -> County:
    return set_up()


def only(events: list[Event], kind: type[E]) -> E:
    found = [e for e in events if isinstance(e, kind)]
    assert len(found) == 1, f"expected one {kind.__name__}, got {events}"
    return found[0]


def names(events: list[Event]) -> list[str]:
    return [type(e).__name__ for e in events]


def status(county: County, request_id: str) -> RequestStatus:
    return county.state.requests[request_id].status


def load(county: County, team_id: str) -> int:
    return county.state.teams[team_id].load


def submitted(county: County, request_id: str = R1, area: str = HAMLET_A1A, *,
              at: datetime = T0, by: Actor = ALICE,
              urgency: Urgency = Urgency.NORMAL) -> str | None:
    """Submit a request; the team it was dispatched to."""
    county.ok(submit(request_id, area, by=by, at=at, urgency=urgency))
    team_id = county.state.requests[request_id].team_id
    return team_id


def completed(county: County, request_id: str = R1, *, at: datetime = T0,
              checked: bool = False) -> str:
    """Submit, accept and complete a request (its volunteers checked in and out with the
    resident's code, if `checked`); the team that did it."""
    team_id = submitted(county, request_id, at=at)
    assert team_id is not None
    county.ok(accept(request_id, lead(team_id), at=at + minutes(5)))
    hours = {"T-hamlet": {"V-h1": 2.0, "V-h2": 1.5}}.get(team_id, {"V-v1": 1.0})
    if checked:
        county.ok(check_in(request_id, lead(team_id), hours, at=at + minutes(10)))
        county.ok(check_out(request_id, lead(team_id), hours, at=at + minutes(135)))
    county.ok(complete(request_id, lead(team_id), hours, at=at + minutes(140 if checked
                                                                           else 90)))
    return team_id


# -- the directory -------------------------------------------------------------------------


def test_registers_an_area_under_its_nearest_registered_parent() -> None:
    county = County()
    county.ok(register_area(COUNTY))
    body = county.ok(register_area(HAMLET_A1A))  # its village and town are not registered
    assert body["parent"] == COUNTY and body["level"] == 3
    county.ok(register_area(VILLAGE_A1, 27.26, 111.49))
    assert county.ok(register_area(HAMLET_A1B))["parent"] == VILLAGE_A1
    area = county.events[-1]
    assert isinstance(area, ev.AreaRegistered) and area.parent == VILLAGE_A1
    assert county.state.areas[VILLAGE_A1].lat == 27.26


def test_refuses_a_second_area_with_the_same_code(county: County) -> None:
    rejection = county.refused(register_area(TOWN_A))
    assert (rejection.kind, rejection.code) == ("conflict", "area_exists")


def test_refuses_a_second_team_with_the_same_id(county: County) -> None:
    rejection = county.refused(register_team("T-town", [TOWN_A], leader_id="L-new"))
    assert (rejection.kind, rejection.code) == ("conflict", "team_exists")


def test_refuses_a_team_covering_an_unregistered_area(county: County) -> None:
    rejection = county.refused(register_team("T-new", [TOWN_A, "430511009"]))
    assert (rejection.kind, rejection.code) == ("invalid", "unknown_area")
    assert rejection.details["areas"] == ["430511009"]


def test_refuses_a_leader_who_already_leads_a_team(county: County) -> None:
    rejection = county.refused(register_team("T-new", [TOWN_B], leader_id="L-T-town"))
    assert (rejection.kind, rejection.code) == ("conflict", "leader_has_team")
    assert rejection.details["team_id"] == "T-town"


def test_refuses_a_second_volunteer_with_the_same_id(county: County) -> None:
    rejection = county.refused(register_volunteer("V-h1", "T-town"))
    assert (rejection.kind, rejection.code) == ("conflict", "volunteer_exists")
    assert county.state.volunteers["V-h1"].team_id == "T-hamlet"


def test_refuses_a_volunteer_of_an_unknown_team(county: County) -> None:
    rejection = county.refused(register_volunteer("V-new", "T-nobody"))
    assert (rejection.kind, rejection.code) == ("invalid", "unknown_team")


# -- submitting and dispatching -----------------------------------------------------------


def test_dispatches_a_new_request_to_the_most_local_team(county: County) -> None:
    body = county.ok(submit(R1, HAMLET_A1A, by=ALICE, at=T0))
    assert body == {"request_id": R1, "status": "dispatched", "team_id": "T-hamlet"}
    assert names(county.events) == ["RequestSubmitted", "RequestDispatched"]
    submitted_, dispatched = county.events
    assert isinstance(submitted_, ev.RequestSubmitted) and submitted_.resident_id == "R-alice"
    assert isinstance(dispatched, ev.RequestDispatched)
    assert (dispatched.team_id, dispatched.attempt, dispatched.level) == ("T-hamlet", 1, 3)
    assert dispatched.accept_by == T0 + timedelta(minutes=30)
    assert not dispatched.manual
    assert load(county, "T-hamlet") == 1
    assert county.state.tasks["T-hamlet"] == (R1,)
    assert county.state.by_resident["R-alice"] == (R1,)


def test_a_full_team_passes_the_next_request_to_a_wider_level(county: County) -> None:
    assert submitted(county, R1) == "T-hamlet"
    assert submitted(county, R2) == "T-village"
    assert submitted(county, R3) == "T-village"
    assert submitted(county, rid(4)) == "T-town"


def test_urgent_requests_get_shorter_deadlines(county: County) -> None:
    submitted(county, R1, urgency=Urgency.URGENT)
    submitted(county, R2, VILLAGE_A1)
    urgent, normal = county.state.requests[R1], county.state.requests[R2]
    assert urgent.accept_by == T0 + timedelta(minutes=10)
    assert normal.accept_by == T0 + timedelta(minutes=30)
    county.ok(accept(R1, lead("T-hamlet"), at=T0 + minutes(1)))
    county.ok(accept(R2, lead("T-village"), at=T0 + minutes(1)))
    assert county.state.requests[R1].complete_by == T0 + minutes(1) + timedelta(hours=4)
    assert county.state.requests[R2].complete_by == T0 + minutes(1) + timedelta(hours=24)


def test_refuses_a_second_request_with_the_same_id(county: County) -> None:
    submitted(county, R1)
    rejection = county.refused(submit(R1, VILLAGE_A1, by=ALICE))
    assert (rejection.kind, rejection.code) == ("conflict", "request_exists")


def test_refuses_a_request_in_an_unregistered_area(county: County) -> None:
    rejection = county.refused(submit(R1, "430511001001009", by=ALICE))
    assert (rejection.kind, rejection.code) == ("invalid", "unknown_area")
    assert R1 not in county.state.requests


def test_holds_a_request_for_review_when_the_office_requires_it() -> None:
    county = set_up(DispatchPolicy(review_required=True))
    body = county.ok(submit(R1, HAMLET_A1A, by=ALICE))
    assert body["status"] == "in_review" and body["team_id"] is None
    assert names(county.events) == ["RequestSubmitted", "RequestHeldForReview"]
    assert load(county, "T-hamlet") == 0
    mark = len(county.events)
    body = county.ok(approve(R1, at=T0 + minutes(20)))
    assert body["status"] == "dispatched" and body["team_id"] == "T-hamlet"
    assert county.types_since(mark) == ["RequestApproved", "RequestDispatched"]
    assert county.state.requests[R1].accept_by == T0 + minutes(50), "the window starts now"
    rejection = county.refused(approve(R1))
    assert (rejection.kind, rejection.code) == ("conflict", "illegal_transition")


def test_refuses_to_approve_a_request_that_was_never_held() -> None:
    county = set_up()
    submitted(county, R1)
    rejection = county.refused(approve(R1))
    assert (rejection.kind, rejection.code) == ("conflict", "illegal_transition")
    assert rejection.details == {"status": "dispatched", "action": "approve"}


def test_refuses_commands_about_an_unknown_request(county: County) -> None:
    for command in (accept(R1, lead("T-hamlet")), cancel(R1, by=ALICE), review(R1, by=ALICE),
                    confirm(R1), dispatch_to(R1, "T-town"), expire(R1, T0)):
        rejection = county.refused(command)
        assert (rejection.kind, rejection.code) == ("not_found", "request_not_found")


# -- declines, deadlines and escalation ---------------------------------------------------


def test_a_declined_request_goes_to_the_next_team_and_never_back(county: County) -> None:
    submitted(county, R1)
    mark = len(county.events)
    body = county.ok(decline(R1, lead("T-hamlet"), at=T0 + minutes(3)))
    assert body["team_id"] == "T-village"
    assert county.types_since(mark) == ["RequestDeclined", "RequestDispatched"]
    declined, dispatched = county.since(mark)
    assert isinstance(declined, ev.RequestDeclined) and declined.team_id == "T-hamlet"
    assert isinstance(dispatched, ev.RequestDispatched) and dispatched.attempt == 2
    assert dispatched.accept_by == T0 + minutes(33)
    request = county.state.requests[R1]
    assert request.excluded_teams == ("T-hamlet",) and request.refusals == 1
    assert (load(county, "T-hamlet"), load(county, "T-village")) == (0, 1)
    assert county.state.tasks["T-hamlet"] == ()
    assert county.state.teams["T-hamlet"].declined == 1


def test_a_passed_accept_deadline_sends_the_request_to_the_next_team(county: County) -> None:
    submitted(county, R1)
    due = county.state.requests[R1].accept_by
    assert due is not None
    mark = len(county.events)
    county.ok(expire(R1, due))
    assert county.types_since(mark) == ["AcceptDeadlinePassed", "RequestDispatched"]
    request = county.state.requests[R1]
    assert request.team_id == "T-village" and request.excluded_teams == ("T-hamlet",)
    assert county.state.teams["T-hamlet"].timed_out == 1 and load(county, "T-hamlet") == 0


def test_the_deadline_timer_raises_the_expiry_itself(county: County) -> None:
    submitted(county, R1)
    due = county.state.requests[R1].accept_by
    assert due is not None
    assert county.owner.timers(due - timedelta(seconds=1)) == []
    mark = len(county.events)
    (decision,) = county.fire_timers(due)
    assert county.types_since(mark) == ["AcceptDeadlinePassed", "RequestDispatched"]
    assert decision.outcome is not None and decision.outcome.ok
    assert county.owner.timers(due + minutes(29)) == [], "each deadline fires once"


def test_a_team_that_has_not_accepted_is_reminded_before_its_deadline() -> None:
    county = set_up(DispatchPolicy(accept_remind_before_s=600))
    submitted(county, R1)
    request = county.state.requests[R1]
    assert request.accept_by is not None and request.remind_at == request.accept_by - minutes(10)
    assert county.owner.timers(request.remind_at - timedelta(seconds=1)) == []
    mark = len(county.events)
    county.fire_timers(request.remind_at)
    assert county.types_since(mark) == ["AcceptReminderDue"]
    assert county.state.requests[R1].remind_at is None
    written = county.state.history.drain_changes().get(R1, [])
    assert "AcceptReminderDue" not in [h.event for h in written], (
        "a reminder is not a step of the request")
    assert county.owner.timers(request.remind_at + minutes(1)) == [], "it fires once"
    county.ok(accept(R1, lead("T-hamlet"), at=request.remind_at + minutes(1)))
    submitted(county, R2)
    again = county.state.requests[R2]
    county.ok(accept(R2, lead("T-village"), at=T0 + minutes(1)))
    mark = len(county.events)
    county.fire_timers(again.remind_at or T0)
    assert "AcceptReminderDue" not in county.types_since(mark), "an accepted task is not"
    urgent = DispatchPolicy(accept_remind_before_s=3600)
    assert urgent.accept_reminder(Urgency.URGENT) == urgent.accept_window(Urgency.URGENT) / 2
    assert DispatchPolicy().accept_reminder(Urgency.NORMAL) is None


@pytest.mark.parametrize("moved_on_by", ["accept", "decline", "cancel", "other_due"])
def test_a_stale_deadline_changes_nothing(county: County, moved_on_by: str) -> None:
    submitted(county, R1)
    due = county.state.requests[R1].accept_by
    assert due is not None
    if moved_on_by == "accept":
        county.ok(accept(R1, lead("T-hamlet"), at=T0 + minutes(2)))
    elif moved_on_by == "decline":
        county.ok(decline(R1, lead("T-hamlet"), at=T0 + minutes(2)))
    elif moved_on_by == "cancel":
        county.ok(cancel(R1, by=ALICE, at=T0 + minutes(2)))
    else:
        due = due - timedelta(seconds=1)
    before = dispatch_snapshot(county.state)
    decision = county.run(expire(R1, due, at=T0 + minutes(40)))
    assert decision.events == ()
    assert decision.outcome is not None and decision.outcome.ok
    assert dispatch_snapshot(county.state) == before


def test_escalates_after_too_many_refusals(county: County) -> None:
    submitted(county, R1)
    county.ok(decline(R1, lead("T-hamlet")))
    county.ok(decline(R1, lead("T-village")))
    mark = len(county.events)
    body = county.ok(decline(R1, lead("T-town")))
    assert body["status"] == "escalated"
    assert county.types_since(mark) == ["RequestDeclined", "RequestEscalated"]
    escalated = county.events[-1]
    assert isinstance(escalated, ev.RequestEscalated)
    assert (escalated.reason, escalated.refusals) == ("too_many_refusals", 3)
    assert all(load(county, t) == 0 for t in ("T-hamlet", "T-village", "T-town"))


def test_the_refusal_limit_is_configuration() -> None:
    county = set_up(DispatchPolicy(max_refusals=1))
    submitted(county, R1)
    county.ok(decline(R1, lead("T-hamlet")))
    assert status(county, R1) is RequestStatus.ESCALATED
    assert county.state.requests[R1].escalation_reason == "too_many_refusals"


def test_escalates_when_no_team_offers_the_service_there(county: County) -> None:
    county.ok(submit(R1, VILLAGE_B1, CLEANING, by=ALICE))
    assert names(county.events) == ["RequestSubmitted", "RequestEscalated"]
    escalated = county.events[-1]
    assert isinstance(escalated, ev.RequestEscalated)
    assert (escalated.reason, escalated.refusals) == ("no_eligible_team", 0)


def test_escalates_when_every_serving_team_has_refused(county: County) -> None:
    submitted(county, R1, VILLAGE_B1)
    county.ok(decline(R1, lead("T-b")))
    escalated = county.events[-1]
    assert isinstance(escalated, ev.RequestEscalated) and escalated.reason == "no_eligible_team"


# -- the queue: all teams busy ------------------------------------------------------------


def test_queues_a_request_while_every_serving_team_is_full(county: County) -> None:
    assert submitted(county, R1, VILLAGE_B1) == "T-b"
    mark = len(county.events)
    assert submitted(county, R2, VILLAGE_B1, at=T0 + minutes(1)) is None
    assert county.types_since(mark) == ["RequestSubmitted", "RequestQueued"]
    request = county.state.requests[R2]
    assert request.status is RequestStatus.SUBMITTED
    assert request.wait_until == T0 + minutes(61)
    assert list(county.state.queued) == [R2]


@pytest.mark.parametrize("freed_by", ["complete", "decline", "cancel"])
def test_a_queued_request_goes_to_the_first_team_that_frees_capacity(
    county: County, freed_by: str
) -> None:
    submitted(county, R1, VILLAGE_B1)
    submitted(county, R2, VILLAGE_B1, at=T0 + minutes(1))
    later = T0 + minutes(30)
    mark = len(county.events)
    if freed_by == "complete":
        county.ok(accept(R1, lead("T-b"), at=later))
        county.ok(complete(R1, lead("T-b"), {"V-b1": 1.0}, at=later))
    elif freed_by == "decline":
        county.ok(decline(R1, lead("T-b"), at=later))
    else:
        county.ok(cancel(R1, by=ALICE, at=later))
    dispatched = only(county.since(mark), ev.RequestDispatched)
    assert (dispatched.request_id, dispatched.team_id) == (R2, "T-b")
    assert dispatched.accept_by == later + minutes(30)
    assert county.state.requests[R2].wait_until is None
    assert list(county.state.queued) == []
    assert load(county, "T-b") == 1


def test_a_new_team_takes_queued_requests(county: County) -> None:
    submitted(county, R1, VILLAGE_B1)
    submitted(county, R2, VILLAGE_B1)
    mark = len(county.events)
    county.ok(register_team("T-b2", [VILLAGE_B1], capacity=3, at=T0 + minutes(5)))
    dispatched = only(county.since(mark), ev.RequestDispatched)
    assert (dispatched.request_id, dispatched.team_id) == (R2, "T-b2")


def test_the_queue_serves_urgent_requests_first_then_the_oldest(county: County) -> None:
    submitted(county, R1, VILLAGE_B1)
    submitted(county, R2, VILLAGE_B1, at=T0 + minutes(1))
    submitted(county, R3, VILLAGE_B1, at=T0 + minutes(2), urgency=Urgency.URGENT)
    submitted(county, rid(4), VILLAGE_B1, at=T0 + minutes(3))
    assert [r.request_id for r in county.state.queue_in_order()] == [R3, R2, rid(4)]
    county.ok(cancel(R1, by=ALICE, at=T0 + minutes(4)))
    assert county.state.requests[R3].team_id == "T-b"
    county.ok(cancel(R3, by=ALICE, at=T0 + minutes(5)))
    assert county.state.requests[R2].team_id == "T-b"


def test_a_request_that_waits_too_long_is_escalated(county: County) -> None:
    submitted(county, R1, VILLAGE_B1)
    submitted(county, R2, VILLAGE_B1, urgency=Urgency.URGENT)
    wait_until = county.state.requests[R2].wait_until
    assert wait_until == T0 + minutes(15), "urgent requests wait less"
    mark = len(county.events)
    county.fire_timers(wait_until)
    assert county.types_since(mark) == ["RequestEscalated"]
    escalated = county.events[-1]
    assert isinstance(escalated, ev.RequestEscalated) and escalated.reason == "all_teams_busy"
    assert list(county.state.queued) == []
    assert county.state.requests[R2].wait_until is None


def test_a_queued_request_dispatched_meanwhile_ignores_its_wait_timer(county: County) -> None:
    submitted(county, R1, VILLAGE_B1)
    submitted(county, R2, VILLAGE_B1)
    wait_until = county.state.requests[R2].wait_until
    assert wait_until is not None
    county.ok(cancel(R1, by=ALICE, at=T0 + minutes(10)))
    before = dispatch_snapshot(county.state)
    decision = county.run(expire(R2, wait_until))
    assert decision.events == () and dispatch_snapshot(county.state) == before
    assert status(county, R2) is RequestStatus.DISPATCHED


# -- who may do what -----------------------------------------------------------------------


@pytest.mark.parametrize("who", [lead("T-village"), ALICE, STAFF, leader("L-nobody")])
def test_only_the_assigned_teams_leader_may_accept_decline_or_complete(
    county: County, who: Actor
) -> None:
    submitted(county, R1)
    for command in (accept(R1, who), decline(R1, who), complete(R1, who, {"V-h1": 1.0})):
        rejection = county.refused(command)
        assert (rejection.kind, rejection.code) == ("forbidden", "not_assigned_leader")
    county.ok(accept(R1, lead("T-hamlet")))
    rejection = county.refused(complete(R1, who, {"V-h1": 1.0}))
    assert rejection.kind == "forbidden"


def test_a_leader_whose_team_was_passed_over_can_no_longer_accept(county: County) -> None:
    submitted(county, R1)
    county.ok(decline(R1, lead("T-hamlet")))
    rejection = county.refused(accept(R1, lead("T-hamlet")))
    assert rejection.code == "not_assigned_leader"


def test_accepting_twice_is_an_illegal_transition(county: County) -> None:
    submitted(county, R1)
    county.ok(accept(R1, lead("T-hamlet")))
    for command in (accept(R1, lead("T-hamlet")), decline(R1, lead("T-hamlet"))):
        rejection = county.refused(command)
        assert (rejection.kind, rejection.code) == ("conflict", "illegal_transition")


def test_completing_before_accepting_is_an_illegal_transition(county: County) -> None:
    submitted(county, R1)
    rejection = county.refused(complete(R1, lead("T-hamlet"), {"V-h1": 1.0}))
    assert (rejection.kind, rejection.code) == ("conflict", "illegal_transition")


@pytest.mark.parametrize("stranger", ["V-v1", "V-unknown"])
def test_completion_names_only_volunteers_of_the_team(county: County, stranger: str) -> None:
    submitted(county, R1)
    county.ok(accept(R1, lead("T-hamlet")))
    rejection = county.refused(complete(R1, lead("T-hamlet"), {"V-h1": 1.0, stranger: 2.0}))
    assert (rejection.kind, rejection.code) == ("invalid", "volunteer_not_in_team")
    assert rejection.details["volunteers"] == [stranger]
    assert status(county, R1) is RequestStatus.ACCEPTED


def test_completion_frees_the_team_and_starts_the_confirmation_window(county: County) -> None:
    completed(county, R1, checked=True)
    request = county.state.requests[R1]
    done = only(county.events, ev.RequestCompleted)
    assert request.status is RequestStatus.COMPLETED
    assert request.confirm_by == T0 + minutes(140) + timedelta(hours=72)
    assert request.completed_event_id == done.event_id
    assert [v.volunteer_id for v in request.volunteers] == ["V-h1", "V-h2"]
    team = county.state.teams["T-hamlet"]
    assert (team.load, team.completed, team.accepted) == (0, 1, 1)
    assert county.state.tasks["T-hamlet"] == ()


@pytest.mark.parametrize("who", [BOB, lead("T-hamlet"), resident("R-alice-2")])
def test_only_the_resident_who_ordered_it_or_staff_may_cancel(county: County, who: Actor) -> None:
    submitted(county, R1)
    rejection = county.refused(cancel(R1, by=who))
    assert (rejection.kind, rejection.code) == ("forbidden", "not_owner")


@pytest.mark.parametrize("who", [ALICE, STAFF])
def test_an_accepted_request_may_still_be_cancelled(county: County, who: Actor) -> None:
    submitted(county, R1)
    county.ok(accept(R1, lead("T-hamlet")))
    county.ok(cancel(R1, by=who, at=T0 + minutes(10)))
    cancelled = only(county.events, ev.RequestCancelled)
    assert (cancelled.by_role, cancelled.team_id) == (who.role, "T-hamlet")
    assert status(county, R1) is RequestStatus.CANCELLED
    assert load(county, "T-hamlet") == 0 and county.state.tasks["T-hamlet"] == ()


def test_an_escalated_request_may_be_cancelled(county: County) -> None:
    county.ok(submit(R1, VILLAGE_B1, CLEANING, by=ALICE))
    county.ok(cancel(R1, by=ALICE))
    assert status(county, R1) is RequestStatus.CANCELLED


@pytest.mark.parametrize("who", [ALICE, STAFF])
def test_a_completed_request_cannot_be_cancelled(county: County, who: Actor) -> None:
    completed(county, R1)
    rejection = county.refused(cancel(R1, by=who))
    assert (rejection.kind, rejection.code) == ("conflict", "illegal_transition")


# -- review and confirmation ---------------------------------------------------------------


def test_the_residents_review_confirms_the_service(county: County) -> None:
    completed(county, R1)
    mark = len(county.events)
    body = county.ok(review(R1, by=ALICE, rating=4, at=T0 + minutes(200)))
    assert body["status"] == "reviewed"
    assert county.types_since(mark) == ["RequestReviewed", "ServiceConfirmed"]
    confirmed = county.events[-1]
    assert isinstance(confirmed, ev.ServiceConfirmed)
    assert confirmed.confirmed_by == "review"
    assert confirmed.completed_event_id == only(county.events, ev.RequestCompleted).event_id
    assert [(v.volunteer_id, v.hours) for v in confirmed.volunteers] == [
        ("V-h1", 2.0), ("V-h2", 1.5)]
    team = county.state.teams["T-hamlet"]
    assert (team.rating_sum, team.rating_count) == (4, 1)
    assert county.state.requests[R1].confirmed


@pytest.mark.parametrize("who", [BOB, lead("T-hamlet"), STAFF])
def test_only_the_resident_who_ordered_it_may_review(county: County, who: Actor) -> None:
    completed(county, R1)
    rejection = county.refused(review(R1, by=who))
    assert (rejection.kind, rejection.code) == ("forbidden", "not_owner")


def test_a_request_is_reviewed_once(county: County) -> None:
    completed(county, R1)
    county.ok(review(R1, by=ALICE))
    rejection = county.refused(review(R1, by=ALICE, rating=1))
    assert (rejection.kind, rejection.code) == ("conflict", "illegal_transition")


def test_an_unfinished_request_cannot_be_reviewed_or_confirmed(county: County) -> None:
    submitted(county, R1)
    county.ok(accept(R1, lead("T-hamlet")))
    assert county.refused(review(R1, by=ALICE)).code == "illegal_transition"
    assert county.refused(confirm(R1)).code == "illegal_transition"


def test_staff_confirmation_then_review_confirms_only_once(county: County) -> None:
    completed(county, R1)
    mark = len(county.events)
    county.ok(confirm(R1, at=T0 + minutes(100)))
    assert county.types_since(mark) == ["ServiceConfirmed"]
    assert only(county.events, ev.ServiceConfirmed).confirmed_by == "staff"
    county.ok(review(R1, by=ALICE))
    assert county.types_since(mark) == ["ServiceConfirmed", "RequestReviewed"]
    rejection = county.refused(confirm(R1))
    assert (rejection.kind, rejection.code) == ("conflict", "already_confirmed")
    assert county.fire_timers(T0 + timedelta(days=30)) == [], "the window has nothing to do"


def test_the_confirmation_window_confirms_an_unreviewed_service(county: County) -> None:
    completed(county, R1, checked=True)
    confirm_by = county.state.requests[R1].confirm_by
    assert confirm_by is not None
    assert county.owner.timers(confirm_by - timedelta(seconds=1)) == []
    mark = len(county.events)
    (decision,) = county.fire_timers(confirm_by)
    assert decision.outcome is not None and decision.outcome.ok
    confirmed = only(county.since(mark), ev.ServiceConfirmed)
    assert confirmed.confirmed_by == "window" and confirmed.actor == SYSTEM
    county.ok(review(R1, by=ALICE, at=confirm_by + minutes(1)))
    assert county.types_since(mark) == ["ServiceConfirmed", "RequestReviewed"]


def test_a_repeated_window_confirmation_changes_nothing(county: County) -> None:
    completed(county, R1)
    county.ok(review(R1, by=ALICE))
    before = dispatch_snapshot(county.state)
    decision = county.run(confirm(R1, by=SYSTEM))
    assert decision.events == () and dispatch_snapshot(county.state) == before


# -- dispatch by hand ----------------------------------------------------------------------


def test_staff_may_move_a_dispatched_request_to_another_team(county: County) -> None:
    submitted(county, R1)
    mark = len(county.events)
    body = county.ok(dispatch_to(R1, "T-town", at=T0 + minutes(5)))
    assert body["team_id"] == "T-town"
    dispatched = only(county.since(mark), ev.RequestDispatched)
    assert dispatched.manual and dispatched.attempt == 2
    assert dispatched.accept_by == T0 + minutes(35)
    assert (load(county, "T-hamlet"), load(county, "T-town")) == (0, 1)
    assert county.state.tasks["T-hamlet"] == () and county.state.tasks["T-town"] == (R1,)
    assert county.refused(accept(R1, lead("T-hamlet"))).code == "not_assigned_leader"
    county.ok(accept(R1, lead("T-town")))


def test_staff_may_dispatch_an_escalated_request(county: County) -> None:
    submitted(county, R1, VILLAGE_B1)
    county.ok(decline(R1, lead("T-b")))
    assert status(county, R1) is RequestStatus.ESCALATED
    county.ok(register_team("T-b2", [VILLAGE_B1], at=T0 + minutes(1)))
    county.ok(dispatch_to(R1, "T-b2"))
    assert county.state.requests[R1].team_id == "T-b2"
    assert status(county, R1) is RequestStatus.DISPATCHED


@pytest.mark.parametrize(
    ("team_id", "kind", "code"),
    [
        ("T-clean", "invalid", "team_cannot_serve"),     # wrong service type
        ("T-b", "invalid", "team_cannot_serve"),         # does not cover the area
        ("T-nobody", "invalid", "unknown_team"),
        ("T-hamlet", "conflict", "already_dispatched"),
    ],
)
def test_dispatch_by_hand_checks_type_coverage_and_identity(
    county: County, team_id: str, kind: str, code: str
) -> None:
    submitted(county, R1)
    rejection = county.refused(dispatch_to(R1, team_id))
    assert (rejection.kind, rejection.code) == (kind, code)


def test_dispatch_by_hand_respects_capacity(county: County) -> None:
    submitted(county, R1)
    assert submitted(county, R2) == "T-village"
    rejection = county.refused(dispatch_to(R2, "T-hamlet"))
    assert (rejection.kind, rejection.code) == ("conflict", "team_at_capacity")
    assert rejection.details == {"load": 1, "capacity": 1}


def test_an_accepted_request_within_its_service_window_stays_with_its_team(
    county: County,
) -> None:
    submitted(county, R1)
    county.ok(accept(R1, lead("T-hamlet")))
    window_ends = county.state.requests[R1].complete_by
    assert window_ends is not None
    rejection = county.refused(dispatch_to(R1, "T-town", at=window_ends - minutes(1)))
    assert (rejection.kind, rejection.code) == ("conflict", "not_overdue")
    assert county.state.requests[R1].team_id == "T-hamlet"


def test_staff_give_an_overdue_accepted_request_to_another_team(county: County) -> None:
    submitted(county, R1)
    county.ok(accept(R1, lead("T-hamlet")))
    window_ends = county.state.requests[R1].complete_by
    assert window_ends is not None
    county.ok(dispatch_to(R1, "T-town", at=window_ends + minutes(1)))
    moved = county.state.requests[R1]
    assert (moved.status, moved.team_id, moved.complete_by) == (
        RequestStatus.DISPATCHED, "T-town", None)
    assert (load(county, "T-hamlet"), load(county, "T-town")) == (0, 1)
    assert R1 not in county.state.tasks.get("T-hamlet", ())
    late = county.refused(complete(R1, lead("T-hamlet"), {"V-h1": 2.0},
                                   at=window_ends + minutes(2)))
    assert late.code == "not_assigned_leader", "the old team can no longer complete it"
    county.ok(accept(R1, lead("T-town"), at=window_ends + minutes(3)))
    county.ok(complete(R1, lead("T-town"), {"V-t1": 1.0}, at=window_ends + minutes(30)))
    assert status(county, R1) is RequestStatus.COMPLETED


def test_moving_a_request_away_by_hand_lets_a_queued_one_in(county: County) -> None:
    county.ok(register_team("T-b2", [TOWN_B], capacity=1, leader_id="L-b2"))
    assert submitted(county, R1, VILLAGE_B1) == "T-b", "the smaller id of two equals"
    assert submitted(county, R2, VILLAGE_B1) == "T-b2"
    county.ok(decline(R2, leader("L-b2"), at=T0 + minutes(1)))
    assert list(county.state.queued) == [R2], "T-b is full and T-b2 refused it"
    county.ok(dispatch_to(R1, "T-b2", at=T0 + minutes(2)))
    assert county.state.requests[R1].team_id == "T-b2"
    assert county.state.requests[R2].team_id == "T-b"
    assert list(county.state.queued) == []
    assert (load(county, "T-b"), load(county, "T-b2")) == (1, 1)


# -- determinism ---------------------------------------------------------------------------


def test_the_same_command_on_identical_states_yields_identical_events() -> None:
    journey = (
        submit(R1, HAMLET_A1A, by=ALICE, at=T0),
        submit(R2, HAMLET_A1A, by=BOB, at=T0 + minutes(1)),
        decline(R1, lead("T-hamlet"), at=T0 + minutes(2)),
        accept(R1, lead("T-village"), at=T0 + minutes(3)),
        complete(R1, lead("T-village"), {"V-v1": 3.0}, at=T0 + minutes(60)),
        review(R1, by=ALICE, at=T0 + minutes(61)),
    )
    one, two = set_up(), set_up()
    for command in journey:
        first, second = one.run(command), two.run(command)
        assert first == second
        assert first.events, "each step of the journey emits something"
    assert one.events == two.events
    assert dispatch_snapshot(one.state) == dispatch_snapshot(two.state)


def test_event_ids_derive_from_the_command_and_differ_from_each_other(county: County) -> None:
    command = submit(R1, HAMLET_A1A, by=ALICE)
    decision = county.run(command)
    ids = [e.event_id for e in decision.events]
    assert len(set(ids)) == len(ids) == 2
    assert all(e.causation_id == command.command_id for e in decision.events)
    assert all(e.correlation_id == command.correlation_id for e in decision.events)
    assert all(e.occurred_at == T0 for e in decision.events)
    assert decision.outcome is not None and decision.outcome.command_id == command.command_id


def test_the_state_is_a_fold_of_the_events(county: County) -> None:
    completed(county, R1)
    submitted(county, R2, VILLAGE_B1)
    submitted(county, R3, VILLAGE_B1)
    county.ok(decline(R2, lead("T-b"), at=T0 + minutes(5)))
    fresh = DispatchState()
    replay = County()
    for command in DIRECTORY:
        replay.ok(command)
    for event in replay.events + county.events:
        fresh.evolve(event)
    assert dispatch_snapshot(fresh) == dispatch_snapshot(county.state)


def test_the_owner_decides_with_the_plain_decide_function(county: County) -> None:
    state = DispatchState()
    for command in DIRECTORY:
        decision: Decision = decide(state, command, T0, DispatchPolicy())
        assert decision.outcome is not None and decision.outcome.ok
    assert dispatch_snapshot(state) == dispatch_snapshot(county.state)
    assert set(county.owner.counties) == {COUNTY}


def as_staff_of(command: C, scope: str) -> C:
    return command.model_copy(update={"actor": Actor(role=Role.STAFF, subject="S-scoped",
                                                     scope=scope)})


def test_the_owner_holds_staff_to_their_scope(county: County) -> None:
    """The gateway checks the scope against its views; the owner, against its own state."""
    county.ok(submit(R1, HAMLET_A1A, by=ALICE))
    for command in (approve(R1), cancel(R1, by=STAFF), confirm(R1),
                    dispatch_to(R1, "T-village")):
        rejection = county.refused(as_staff_of(command, TOWN_B))
        assert (rejection.kind, rejection.code) == ("not_found", "not_found"), command
    for creation in (register_area(TOWN_A + "009"), register_team("T-new", [TOWN_B, TOWN_A]),
                     register_volunteer("V-new", "T-town")):
        rejection = county.refused(as_staff_of(creation, TOWN_B))
        assert (rejection.kind, rejection.code) == ("forbidden", "out_of_scope"), creation
    outside = county.refused(as_staff_of(dispatch_to(R1, "T-town"), VILLAGE_A1))
    assert outside.code == "unknown_team", "a team based outside is as one that is not there"
    moved = county.ok(as_staff_of(dispatch_to(R1, "T-village"), VILLAGE_A1))
    assert moved["team_id"] == "T-village"


# -- checked in and out with the resident's code (DESIGN §10) ---------------------------------


def accepted_by_hamlet(county: County) -> Actor:
    team_id = submitted(county, R1)
    assert team_id == "T-hamlet"
    county.ok(accept(R1, lead(team_id), at=T0 + minutes(5)))
    return lead(team_id)


def test_a_check_in_needs_the_residents_code_and_a_volunteer_of_the_team(county: County
                                                                         ) -> None:
    leader_ = accepted_by_hamlet(county)
    wrong = county.refused(check_in(R1, leader_, ["V-h1"], code="000000"))
    assert (wrong.kind, wrong.code) == ("invalid", "bad_code")
    stranger = county.refused(check_in(R1, leader_, ["V-v1"]))
    assert stranger.kind == "invalid"
    county.ok(check_in(R1, leader_, ["V-h1"], at=T0 + minutes(10)))
    again = county.refused(check_in(R1, leader_, ["V-h1"]))
    assert again.code == "already_checked_in"
    assert county.refused(check_out(R1, leader_, ["V-h2"])).code == "not_checked_in"
    county.ok(check_out(R1, leader_, ["V-h1"], at=T0 + minutes(40)))
    assert county.refused(check_out(R1, leader_, ["V-h1"])).code == "already_checked_out"
    (check,) = county.state.requests[R1].checks
    assert (check.checked_in_at, check.checked_out_at) == (T0 + minutes(10), T0 + minutes(40))


def test_completion_hours_may_not_exceed_the_checked_time(county: County) -> None:
    leader_ = accepted_by_hamlet(county)
    county.ok(check_in(R1, leader_, ["V-h1"], at=T0 + minutes(10)))
    county.ok(check_out(R1, leader_, ["V-h1"], at=T0 + minutes(99)))  # 1 h 29 min: 1.0 h
    over = county.refused(complete(R1, leader_, {"V-h1": 1.5}, at=T0 + minutes(100)))
    assert (over.code, over.details["checked_hours"]) == ("hours_exceed_elapsed", 1.0)
    county.ok(complete(R1, leader_, {"V-h1": 1.0, "V-h2": 1.0}, at=T0 + minutes(100)))
    request = county.state.requests[R1]
    assert request.confirm_by is None, "an unchecked volunteer: only review or staff confirm"
    assert [c.volunteer_id for c in request.checks] == ["V-h1"]


def test_a_volunteer_still_checked_in_is_checked_out_at_completion(county: County) -> None:
    leader_ = accepted_by_hamlet(county)
    county.ok(check_in(R1, leader_, ["V-h1"], at=T0 + minutes(10)))
    county.ok(complete(R1, leader_, {"V-h1": 2.0}, at=T0 + minutes(135)))
    (check,) = county.state.requests[R1].checks
    assert check.checked_out_at == T0 + minutes(135)
    assert county.state.requests[R1].confirm_by is not None


def test_the_service_types_cap_bounds_completion_hours() -> None:
    county = set_up(DispatchPolicy(hours_caps=(("groceries", 2.0),)))
    leader_ = accepted_by_hamlet(county)
    capped = county.refused(complete(R1, leader_, {"V-h1": 2.5}, at=T0 + minutes(60)))
    assert (capped.code, capped.details["cap_hours"]) == ("hours_over_cap", 2.0)


def test_a_dispute_at_review_is_carried_to_the_confirmation(county: County) -> None:
    completed(county, R1, checked=True)
    refused = county.refused(review(R1, by=ALICE, dispute="   "))
    assert refused.code == "dispute_reason_required"
    county.ok(review(R1, by=ALICE, dispute="只来了一个小时"))
    confirmed = only(county.events, ev.ServiceConfirmed)
    assert confirmed.dispute_reason == "只来了一个小时"
    assert {c.volunteer_id for c in confirmed.checks} == {"V-h1", "V-h2"}
    assert confirmed.resident_id == ALICE.subject and confirmed.area == HAMLET_A1A
