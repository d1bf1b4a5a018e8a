"""Invariants of the roster hold after every step of any mix of roster changes and requests.

How: hypothesis draws a sequence of steps over a small district (two towns, three teams,
six volunteers): orders, accepts, declines and completions sent by the team's leader, a
deputy or anyone, and roster changes — a team's capacity, active flag, areas, leader or
deputies, a volunteer moved, retired or back. Each step's choices come from one seeded draw
(as in `test_properties`), so a failing example replays exactly.

Every emitted event is folded into a shadow state, one at a time, and checked against the
shadow as it was just before: a dispatch goes only to an active team whose load is below its
capacity (so no dispatch ever leaves a team above its capacity, whatever capacity changes
came first), an accept or a completion is sent by someone who then acts for the team, and a
completion names only active volunteers of the team (so a retired volunteer is never
credited). After each step: a refused command emitted nothing and changed nothing; each
team's load is the number of its open tasks; who acts for which team and who is in which
team agree both ways; no queued request has a free team; and the shadow equals the live
state.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st
from unit.builders import (
    COUNTY,
    HAMLET_A1A,
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
    leader,
    minutes,
    register_area,
    register_team,
    register_volunteer,
    resident,
    rid,
    submit,
)

from dispatcher.matching import Match, choose_team
from dispatcher.state import DispatchState
from schemas import events as ev
from schemas.base import Command, Event
from schemas.common import RequestStatus

TEAMS = ["T1", "T2", "T3"]
VOLUNTEERS = ["V1", "V2", "V3", "V4", "V5", "V6"]
PEOPLE = ["L-T1", "L-T2", "L-T3", "D-x", "D-y", *VOLUNTEERS]
AREAS = [HAMLET_A1A, VILLAGE_A1, TOWN_A, VILLAGE_B1, TOWN_B]
AREA_SETS = [(TOWN_A,), (TOWN_B,), (VILLAGE_A1, TOWN_B), (COUNTY,), (HAMLET_A1A,)]
OPEN = (RequestStatus.DISPATCHED, RequestStatus.ACCEPTED)
KINDS = {"submit": 4, "accept": 3, "decline": 1, "complete": 3, "capacity": 2, "active": 2,
         "areas": 1, "leader": 1, "deputies": 2, "move": 2, "retire": 2, "tick": 1}

DIRECTORY: tuple[Command, ...] = (
    *(register_area(code) for code in (COUNTY, TOWN_A, VILLAGE_A1, HAMLET_A1A, TOWN_B,
                                       VILLAGE_B1)),
    register_team("T1", [HAMLET_A1A], capacity=1),
    register_team("T2", [TOWN_A], capacity=2),
    register_team("T3", [TOWN_B], capacity=1),
    *(register_volunteer(v, TEAMS[n % 3]) for n, v in enumerate(VOLUNTEERS)),
)


@dataclass
class World:
    county: County = field(default_factory=County)
    shadow: DispatchState = field(default_factory=DispatchState)
    requests: int = 0

    def __post_init__(self) -> None:
        for command in DIRECTORY:
            self.county.ok(command)
        self.folded = len(self.county.events)
        for event in self.county.events:
            self.shadow.evolve(event)
        self.now = DIRECTORY[-1].occurred_at

    @property
    def state(self) -> DispatchState:
        return self.county.state

    def send(self, command: Command) -> None:
        before = dispatch_snapshot(self.state)
        decision = self.county.run(command, self.now)
        if decision.outcome is not None and decision.outcome.rejection is not None:
            assert decision.events == () and decision.commands == ()
            assert dispatch_snapshot(self.state) == before, "a refusal changed the state"

    def apply(self, kind: str, seed: int) -> None:
        rng = random.Random(seed)
        self.now += minutes(rng.choice([0, 1, 5, 40]))
        at = self.now
        needs = {"accept": RequestStatus.DISPATCHED, "decline": RequestStatus.DISPATCHED,
                 "complete": RequestStatus.ACCEPTED}.get(kind)
        fitting = [r for r, v in self.state.requests.items() if v.status is needs]
        known = fitting if fitting and rng.random() < 0.8 else list(self.state.requests)
        request_id = rng.choice(known) if known else rid(1)
        request = self.state.requests.get(request_id)
        team_id = request.team_id if request and request.team_id else rng.choice(TEAMS)
        team = self.state.teams[team_id]
        acting = rng.choice([team.leader_id, *team.deputies, rng.choice(PEOPLE)])
        match kind:
            case "submit":
                self.requests += 1
                self.send(submit(rid(self.requests), rng.choice(AREAS), by=resident(), at=at))
            case "accept":
                self.send(accept(request_id, leader(acting), at=at))
            case "decline":
                self.send(decline(request_id, leader(acting), at=at))
            case "complete":
                members = list(self.state.members.get(team_id, ())) or ["V1"]
                crew = rng.sample(members, rng.randint(1, len(members)))
                if rng.random() < 0.2:
                    crew.append(rng.choice(VOLUNTEERS))
                self.send(complete(request_id, leader(acting), dict.fromkeys(crew, 1.5),
                                   at=at))
            case "capacity":
                self.send(change_team(team_id, capacity=rng.randint(1, 3), at=at))
            case "active":
                self.send(change_team(team_id, active=rng.random() < 0.5, at=at))
            case "areas":
                self.send(change_team(team_id, areas=rng.choice(AREA_SETS), at=at))
            case "leader":
                self.send(change_team(team_id, leader_id=rng.choice(PEOPLE), at=at))
            case "deputies":
                self.send(change_team(team_id, deputies=tuple(
                    rng.sample(PEOPLE, rng.randint(0, 2))), at=at))
            case "move":
                self.send(change_volunteer(rng.choice(VOLUNTEERS), team_id=rng.choice(TEAMS),
                                           at=at))
            case "retire":
                self.send(change_volunteer(rng.choice(VOLUNTEERS), active=rng.random() < 0.6,
                                           at=at))
            case "tick":
                for command in self.county.owner.timers(self.now + minutes(40)):
                    self.send(command)
            case _:
                raise AssertionError(kind)

    # -- the invariants --------------------------------------------------------------------

    def check(self) -> None:
        for event in self.county.events[self.folded:]:
            self.check_event(event)
            self.shadow.evolve(event)
        self.folded = len(self.county.events)
        assert dispatch_snapshot(self.shadow) == dispatch_snapshot(self.state)
        self.check_teams()

    def check_event(self, event: Event) -> None:
        """Against the shadow as it was just before the event."""
        if isinstance(event, ev.RequestDispatched):
            team = self.shadow.teams[event.team_id]
            assert team.active, f"dispatched to inactive {team.team_id}"
            assert team.load < team.capacity, f"dispatched to full {team}"
        elif isinstance(event, ev.RequestAccepted):
            assert self.shadow.teams[event.team_id].acts_for(event.actor.subject)
        elif isinstance(event, ev.RequestCompleted):
            assert self.shadow.teams[event.team_id].acts_for(event.actor.subject)
            for named in event.volunteers:
                volunteer = self.shadow.volunteers[named.volunteer_id]
                assert volunteer.active, f"a retired volunteer named: {volunteer}"
                assert volunteer.team_id == event.team_id

    def check_teams(self) -> None:
        state = self.state
        for team_id, team in state.teams.items():
            open_tasks = {r.request_id for r in state.requests.values()
                          if r.team_id == team_id and r.status in OPEN}
            assert team.load == len(open_tasks) >= 0, (team, open_tasks)
            for person in team.people:
                assert state.team_of_leader[person] == team_id
            members = sorted(v for v, view in state.volunteers.items() if view.team_id == team_id)
            assert list(state.members.get(team_id, ())) == members
        for person, team_id in state.team_of_leader.items():
            assert not team_id or person in state.teams[team_id].people
        for request_id in state.queued:
            request = state.requests[request_id]
            found = choose_team(request.area, request.service_type, state.index, state.teams,
                                state.areas, excluded=request.excluded_teams)
            assert not isinstance(found, Match), f"{request_id} waits beside a free team"


steps = st.tuples(st.sampled_from([k for k, weight in KINDS.items() for _ in range(weight)]),
                  st.integers(0, 2**32 - 1))


@settings(max_examples=150, deadline=None)
@given(plan=st.lists(steps, min_size=20, max_size=60))
def test_roster_invariants_hold_after_every_step(plan: list[tuple[str, int]]) -> None:
    world = World()
    world.check()
    for kind, seed in plan:
        world.apply(kind, seed)
        world.check()

