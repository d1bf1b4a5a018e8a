"""The roster's rules (DESIGN §9 "Roster"): teams and volunteers change by events, and
dispatch and completion honour each change at once.

How: the pure rules of `dispatcher.roster` are asked directly with small read models; then a
`County` driver sends roster commands to the real `DispatchOwner` beside requests, and each
test checks the events (only the changed fields), the answer, the state and what later
commands are allowed. Every refusal goes through `County.refused`, which also checks that the
refused command emitted nothing and left the state as it was. Last, the state after a run of
changes is compared with a fold of its events and with a restore from its stored rows, and
the live board and the inboxes are fed the same events.
"""

from __future__ import annotations

import pytest
from unit.builders import (
    COUNTY,
    HAMLET_A1A,
    STAFF,
    T0,
    TOWN_A,
    TOWN_B,
    VILLAGE_A1,
    VILLAGE_B1,
    County,
    accept,
    change_team,
    change_volunteer,
    complete,
    decline,
    dispatch_snapshot,
    dispatch_to,
    leader,
    minutes,
    register_area,
    register_team,
    register_volunteer,
    resident,
    rid,
    submit,
    team_view,
)

from consumers.live.flow import LiveFlow
from consumers.notifications.inbox import Inboxes
from dispatcher.roster import (
    areas_problem,
    crew_problem,
    people_problem,
    team_changes,
    volunteer_change_problem,
    volunteer_changes,
)
from dispatcher.state import VOLUNTEERS, DispatchState, members_of, volunteers_in
from runtime.redis_store import JOURNALS, ROWS
from schemas import events as ev
from schemas.base import Command
from schemas.common import RequestStatus, ServiceType
from schemas.views import VolunteerView

R1, R2, R3 = rid(1), rid(2), rid(3)
OTHER_COUNTY_AREA = "430522001"

DIRECTORY: tuple[Command, ...] = (
    *(register_area(code) for code in (COUNTY, TOWN_A, VILLAGE_A1, HAMLET_A1A, TOWN_B,
                                       VILLAGE_B1)),
    register_team("T-a", [TOWN_A], capacity=2),
    register_team("T-b", [TOWN_B], capacity=1),
    register_volunteer("V-a1", "T-a"),
    register_volunteer("V-a2", "T-a"),
    register_volunteer("V-b1", "T-b"),
)


@pytest.fixture
def county() -> County:
    county = County()
    for command in DIRECTORY:
        county.ok(command)
    county.events.clear()
    return county


def volunteer_view(volunteer_id: str, team_id: str, *, active: bool = True) -> VolunteerView:
    return VolunteerView(volunteer_id=volunteer_id, name="志愿者", team_id=team_id,
                         county=COUNTY, active=active)


# -- the pure rules ------------------------------------------------------------------------


def test_a_change_is_only_what_differs() -> None:
    team = team_view("T", [TOWN_A], capacity=3)
    asked = {"capacity": 3, "name": "T", "areas": (TOWN_A, TOWN_B), "active": True}
    assert team_changes(team, asked) == {"areas": (TOWN_A, TOWN_B)}


def test_removing_a_phone_there_is_not_changes_nothing() -> None:
    volunteer = volunteer_view("V", "T")
    assert volunteer_changes(volunteer, {"phone": "", "active": True}) == {}
    with_phone = volunteer.model_copy(update={"phone": "pd1.sealed"})
    assert volunteer_changes(with_phone, {"phone": ""}) == {"phone": ""}


def test_a_team_covers_registered_areas_of_its_own_county() -> None:
    known = {TOWN_A, TOWN_B, OTHER_COUNTY_AREA}
    assert areas_problem(COUNTY, [TOWN_A, TOWN_B], known) is None
    unknown = areas_problem(COUNTY, [TOWN_A, "430511009"], known)
    assert unknown is not None and (unknown.code, unknown.details["areas"]) == (
        "unknown_area", ["430511009"])
    outside = areas_problem(COUNTY, [TOWN_A, OTHER_COUNTY_AREA], known)
    assert outside is not None and outside.code == "areas_outside_county"
    assert outside.details == {"field": "areas", "county": COUNTY,
                               "areas": [OTHER_COUNTY_AREA]}


def test_a_person_acts_for_one_team_and_never_when_retired() -> None:
    team = team_view("T", [TOWN_A]).model_copy(update={"deputies": ("D1",)})
    assert people_problem(team, {"L-T": "T", "D1": "", "X": "T-other"}, {}) is None
    taken = people_problem(team, {"D1": "T-other"}, {})
    assert taken is not None and (taken.kind, taken.code, taken.details["field"]) == (
        "conflict", "leader_has_team", "deputies")
    retired = people_problem(team, {}, {"D1": volunteer_view("D1", "T", active=False)})
    assert retired is not None and (retired.code, retired.details["volunteer_id"]) == (
        "volunteer_retired", "D1")
    both = team.model_copy(update={"deputies": ("L-T",)})
    found = people_problem(both, {}, {})
    assert found is not None and found.code == "leader_is_deputy"


def test_a_completion_names_active_volunteers_of_the_team() -> None:
    volunteers = {"V1": volunteer_view("V1", "T"), "V2": volunteer_view("V2", "T", active=False),
                  "V3": volunteer_view("V3", "T-other")}
    assert crew_problem("T", ["V1"], volunteers) is None
    stranger = crew_problem("T", ["V1", "V3", "V9"], volunteers)
    assert stranger is not None and stranger.details["volunteers"] == ["V3", "V9"]
    retired = crew_problem("T", ["V1", "V2"], volunteers)
    assert retired is not None and (retired.code, retired.details["volunteers"]) == (
        "volunteer_retired", ["V2"])


def test_a_volunteer_moves_within_the_county_and_retires_once_replaced() -> None:
    before = volunteer_view("V1", "T")
    teams = {"T": team_view("T", [TOWN_A])}
    moved = before.model_copy(update={"team_id": "T-far"})
    found = volunteer_change_problem(before, moved, teams, {})
    assert found is not None and found.code == "unknown_team"
    retired = before.model_copy(update={"active": False})
    found = volunteer_change_problem(before, retired, teams, {"V1": "T"})
    assert found is not None and (found.code, found.details) == (
        "volunteer_leads_team", {"team_id": "T"})
    assert volunteer_change_problem(before, retired, teams, {"V1": ""}) is None


# -- teams ----------------------------------------------------------------------------------


def test_a_change_carries_only_the_fields_that_changed(county: County) -> None:
    body = county.ok(change_team("T-a", capacity=5, name="队 T-a"))
    assert body == {"team_id": "T-a", "changed": ["capacity"]}
    (changed,) = county.events
    assert isinstance(changed, ev.TeamChanged)
    assert changed.changes() == {"capacity": 5}
    assert county.state.teams["T-a"].capacity == 5


def test_a_change_to_the_same_values_writes_nothing(county: County) -> None:
    assert county.ok(change_team("T-a", capacity=2, areas=(TOWN_A,))) == {
        "team_id": "T-a", "changed": []}
    assert county.events == []


def test_a_team_keeps_a_bounded_history_of_its_changes(county: County) -> None:
    state = county.state
    state.team_history.drain_changes()
    county.ok(change_team("T-a", capacity=4, at=T0 + minutes(1)))
    county.ok(change_team("T-a", active=False, deputies=("V-a1",), at=T0 + minutes(2)))
    history = state.team_history.drain_changes()["T-a"]
    assert [(h.event, h.changed, h.actor_id) for h in history] == [
        ("TeamChanged", {"capacity": 4}, STAFF.subject),
        ("TeamChanged", {"deputies": ["V-a1"], "active": False}, STAFF.subject)]
    registered = County()
    for command in DIRECTORY[:7]:
        registered.ok(command)
    (first,) = registered.state.team_history.drain_changes()["T-a"]
    assert first.event == "TeamRegistered" and first.changed["capacity"] == 2


def test_unknown_teams_are_not_found(county: County) -> None:
    rejection = county.refused(change_team("T-none", capacity=3))
    assert (rejection.kind, rejection.code) == ("not_found", "team_not_found")


def test_areas_stay_registered_and_in_the_county(county: County) -> None:
    rejection = county.refused(change_team("T-a", areas=(TOWN_A, "430511009")))
    assert (rejection.kind, rejection.code) == ("invalid", "unknown_area")
    county.ok(register_area(OTHER_COUNTY_AREA))  # registered with its own county
    rejection = county.refused(change_team("T-a", areas=(OTHER_COUNTY_AREA,)))
    assert (rejection.code, rejection.details["areas"]) == ("unknown_area", [OTHER_COUNTY_AREA])


def test_new_areas_and_types_take_new_requests_at_once(county: County) -> None:
    county.ok(submit(R1, VILLAGE_B1, ServiceType.CLEANING, by=resident()))
    assert county.state.requests[R1].status is RequestStatus.ESCALATED
    county.ok(change_team("T-a", areas=(TOWN_B,), service_types=(ServiceType.CLEANING,)))
    county.ok(submit(R2, VILLAGE_B1, ServiceType.CLEANING, by=resident()))
    assert county.state.requests[R2].team_id == "T-a"
    county.ok(submit(R3, HAMLET_A1A, by=resident()))  # T-a no longer covers town A
    assert county.state.requests[R3].status is RequestStatus.ESCALATED


def test_an_inactive_team_gets_no_new_dispatch(county: County) -> None:
    county.ok(submit(R1, HAMLET_A1A, by=resident()))
    county.ok(change_team("T-a", active=False))
    assert county.state.requests[R1].team_id == "T-a", "it keeps the task it has"
    county.ok(accept(R1, leader("L-T-a")))
    county.ok(submit(R2, HAMLET_A1A, by=resident()))
    assert county.state.requests[R2].status is RequestStatus.ESCALATED
    assert county.state.requests[R2].escalation_reason == "no_eligible_team"
    rejection = county.refused(dispatch_to(R2, "T-a"))
    assert (rejection.kind, rejection.code) == ("conflict", "team_inactive")


def test_an_active_team_again_takes_the_queue(county: County) -> None:
    county.ok(submit(R1, VILLAGE_B1, by=resident()))
    assert county.state.requests[R1].team_id == "T-b"
    county.ok(submit(R2, VILLAGE_B1, by=resident()))
    assert R2 in county.state.queued
    county.ok(change_team("T-a", areas=(TOWN_A, TOWN_B), active=False))
    county.ok(change_team("T-a", active=True))
    assert county.state.requests[R2].team_id == "T-a" and not county.state.queued


def test_a_capacity_below_the_load_holds_new_work_back(county: County) -> None:
    county.ok(submit(R1, HAMLET_A1A, by=resident()))
    county.ok(submit(R2, HAMLET_A1A, by=resident()))
    assert county.state.teams["T-a"].load == 2
    county.ok(change_team("T-a", capacity=1))
    assert county.state.teams["T-a"].load == 2, "lowering below the load is allowed"
    county.ok(submit(R3, HAMLET_A1A, by=resident()))
    assert R3 in county.state.queued
    county.ok(decline(R1, leader("L-T-a")))
    assert county.state.teams["T-a"].load == 1 and R3 in county.state.queued
    rejection = county.refused(dispatch_to(R3, "T-a"))
    assert rejection.code == "team_at_capacity"
    county.ok(change_team("T-a", capacity=3))
    assert county.state.requests[R3].team_id == "T-a"


def test_deputies_act_for_their_team_as_the_leader_does(county: County) -> None:
    county.ok(change_team("T-a", deputies=("D-a",)))
    assert county.state.team_of_leader["D-a"] == "T-a"
    county.ok(submit(R1, HAMLET_A1A, by=resident()))
    county.ok(accept(R1, leader("D-a")))
    county.ok(complete(R1, leader("D-a"), {"V-a1": 1.0}))
    county.ok(submit(R2, HAMLET_A1A, by=resident()))
    county.ok(change_team("T-a", deputies=()))
    assert county.state.team_of_leader["D-a"] == ""
    rejection = county.refused(accept(R2, leader("D-a")))
    assert rejection.code == "not_assigned_leader"


def test_a_new_leader_takes_over_and_the_old_one_stops(county: County) -> None:
    county.ok(submit(R1, HAMLET_A1A, by=resident()))
    county.ok(change_team("T-a", leader_id="L-new"))
    assert county.refused(accept(R1, leader("L-T-a"))).code == "not_assigned_leader"
    county.ok(accept(R1, leader("L-new")))
    county.ok(register_team("T-c", [TOWN_A], leader_id="L-T-a"))


def test_a_person_leads_or_deputises_for_one_team(county: County) -> None:
    rejection = county.refused(change_team("T-a", deputies=("L-T-b",)))
    assert (rejection.kind, rejection.code) == ("conflict", "leader_has_team")
    rejection = county.refused(change_team("T-b", leader_id="L-T-a"))
    assert rejection.details["team_id"] == "T-a"
    rejection = county.refused(register_team("T-c", [TOWN_A], leader_id="L-c")
                               .model_copy(update={"deputies": ("L-T-b",)}))
    assert rejection.code == "leader_has_team"
    rejection = county.refused(change_team("T-a", deputies=("L-T-a",)))
    assert rejection.code == "leader_is_deputy"


# -- volunteers -----------------------------------------------------------------------------


def test_a_retired_volunteer_cannot_be_named_at_completion(county: County) -> None:
    county.ok(submit(R1, HAMLET_A1A, by=resident()))
    county.ok(accept(R1, leader("L-T-a")))
    county.ok(change_volunteer("V-a2", active=False))
    (retired,) = county.events[-1:]
    assert isinstance(retired, ev.VolunteerChanged) and retired.changes() == {"active": False}
    rejection = county.refused(complete(R1, leader("L-T-a"), {"V-a1": 1.0, "V-a2": 1.0}))
    assert (rejection.kind, rejection.code, rejection.details["volunteers"]) == (
        "invalid", "volunteer_retired", ["V-a2"])
    county.ok(complete(R1, leader("L-T-a"), {"V-a1": 1.0}))


def test_a_retired_volunteer_cannot_become_a_deputy(county: County) -> None:
    county.ok(change_volunteer("V-a2", active=False))
    rejection = county.refused(change_team("T-a", deputies=("V-a2",)))
    assert rejection.code == "volunteer_retired"


def test_a_deputy_is_retired_only_once_another_is_named(county: County) -> None:
    county.ok(change_team("T-a", deputies=("V-a1",)))
    rejection = county.refused(change_volunteer("V-a1", active=False))
    assert (rejection.kind, rejection.code) == ("conflict", "volunteer_leads_team")
    county.ok(change_team("T-a", deputies=("V-a2",)))
    county.ok(change_volunteer("V-a1", active=False))


def test_a_moved_volunteer_serves_their_new_team(county: County) -> None:
    body = county.ok(change_volunteer("V-a2", team_id="T-b", skills=("电工",)))
    assert body == {"volunteer_id": "V-a2", "team_id": "T-b", "changed": ["skills", "team_id"]}
    (moved,) = county.events
    assert isinstance(moved, ev.VolunteerChanged) and moved.from_team_id == "T-a"
    assert county.state.members["T-a"] == ("V-a1",)
    assert county.state.members["T-b"] == ("V-a2", "V-b1")
    county.ok(submit(R1, VILLAGE_B1, by=resident()))
    county.ok(accept(R1, leader("L-T-b")))
    county.ok(complete(R1, leader("L-T-b"), {"V-a2": 2.0}))
    county.ok(submit(R2, HAMLET_A1A, by=resident()))
    county.ok(accept(R2, leader("L-T-a")))
    rejection = county.refused(complete(R2, leader("L-T-a"), {"V-a2": 1.0}))
    assert rejection.code == "volunteer_not_in_team"


def test_a_volunteer_moves_only_to_a_team_of_the_county(county: County) -> None:
    rejection = county.refused(change_volunteer("V-a1", team_id="T-none"))
    assert (rejection.kind, rejection.code) == ("invalid", "unknown_team")
    rejection = county.refused(change_volunteer("V-none", name="谁"))
    assert (rejection.kind, rejection.code) == ("not_found", "volunteer_not_found")


def test_the_volunteer_lists_follow_moves_and_team_bases(county: County) -> None:
    state = county.state
    registered = County()
    for command in DIRECTORY:
        registered.ok(command)
    ranks = registered.state.ranks.drain_changes()
    assert set(ranks[VOLUNTEERS]) == {"V-a1", "V-a2", "V-b1"}
    assert set(ranks[volunteers_in(TOWN_A)]) == {"V-a1", "V-a2"}
    assert set(ranks[volunteers_in(COUNTY)]) == {"V-a1", "V-a2", "V-b1"}
    assert set(ranks[members_of("T-b")]) == {"V-b1"}
    state.ranks.drain_changes()
    county.ok(change_volunteer("V-a2", team_id="T-b"))
    moves = state.ranks.drain_changes()
    score = state.volunteers["V-a2"].rank
    assert moves == {members_of("T-a"): {"V-a2": None}, members_of("T-b"): {"V-a2": score},
                     volunteers_in(TOWN_A): {"V-a2": None}, volunteers_in(TOWN_B): {"V-a2": score}}
    county.ok(change_team("T-b", areas=(VILLAGE_B1, TOWN_B)))
    moves = state.ranks.drain_changes()
    assert moves[volunteers_in(VILLAGE_B1)] == {"V-a2": score, "V-b1": state.volunteers[
        "V-b1"].rank}
    assert volunteers_in(TOWN_B) not in moves, "still below the town"


# -- folding and restoring -------------------------------------------------------------------


def test_the_state_after_changes_is_a_fold_and_a_restore_of_them(county: County) -> None:
    county.ok(submit(R1, HAMLET_A1A, by=resident()))
    county.ok(change_team("T-a", capacity=1, deputies=("V-a1",), areas=(TOWN_A, TOWN_B)))
    county.ok(change_team("T-b", active=False))
    county.ok(change_volunteer("V-b1", team_id="T-a", phone="pd1.sealed"))
    county.ok(change_volunteer("V-a2", active=False))
    county.ok(submit(R2, VILLAGE_B1, by=resident()))
    folded = DispatchState()
    everything = County()
    for command in DIRECTORY:
        everything.ok(command)
    for event in everything.events:
        folded.evolve(event)
    for event in county.events:
        folded.evolve(event)
    assert dispatch_snapshot(folded) == dispatch_snapshot(county.state)
    restored = DispatchState()
    restored.restore({name: {k: ROWS[name].validate_json(ROWS[name].dump_json(v))
                             for k, v in records.items()}
                      for name, records in county.state.collections().items()})
    assert dispatch_snapshot(restored) == dispatch_snapshot(county.state)
    assert restored.queue_in_order() == county.state.queue_in_order()
    history = county.state.team_history.drain_changes()
    for items in history.values():
        for item in items:
            assert JOURNALS["team_history"].validate_json(
                JOURNALS["team_history"].dump_json(item)) == item


def test_the_board_and_the_inboxes_follow_the_changes(county: County) -> None:
    county.ok(change_team("T-a", name="新名字", capacity=4, deputies=("D-a", "D-b")))
    county.ok(change_team("T-a", leader_id="L-new"))
    county.ok(submit(R1, HAMLET_A1A, by=resident()))
    flow, inboxes = LiveFlow(), Inboxes()
    everything = County()
    for command in DIRECTORY:
        everything.ok(command)
    for event in [*everything.events, *county.events]:
        flow.evolve(event)
        inboxes.evolve(event)
    [standing] = [t for t in flow.snapshot(T0).teams if t.team_id == "T-a"]
    assert (standing.name, standing.capacity, standing.load) == ("新名字", 4, 1)
    told = [n for n in inboxes.drain_fresh() if n.kind == "new_task"]
    assert sorted(n.recipient for n in told) == ["D-a", "D-b", "L-new"]
    assert len({n.notification_id for n in told}) == 3
