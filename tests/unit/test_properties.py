"""Invariants of dispatch and points hold after every step of any sequence of commands.

How: hypothesis draws a policy and a sequence of steps over a small fixed district (two towns,
four teams of capacity 1-2, five volunteers). A step is a lifecycle command (submit, approve,
accept, decline, complete, review, cancel, confirm, expire, dispatch by hand), the clock moving
on and the deadline timers firing, or a ledger/stock move (issue a code, redeem, reserve
stock, settle, restock, deliver a credit again). About half the steps are sent by the right
actor with the right arguments and the rest by anyone, with anything, so refusals are
exercised as much as progress. Confirmed services are turned into credits by `credits_for`
and given to the ledger, exactly as the runtime does.

After every step `World.check` asserts, for dispatch: each team's load is within 0..capacity
and equals the number of open tasks assigned to it (its inbox holds exactly those); no request
is accepted twice by one dispatch (only staff give an accepted request to another team, once
its service window has passed), and the accepting team is the one it was last dispatched to;
a team that declined or let a request time out is never offered it again by matching; a
queued request has no free team; a service is confirmed at most once. For points: balances are never
negative and equal the sum of the ledger entries; lifetime hours never decrease and equal the
sum of credited hours; each volunteer redeems at most once per quarter; stock is never
negative and equals what was stocked less what was reserved; every credit traces to the
confirmation of that request naming that volunteer, for the same hours, once. A refused
command emits nothing and changes nothing, and folding all emitted events into fresh states
gives the live states, and so does restoring them from their stored rows.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from hypothesis import given, settings
from hypothesis import strategies as st
from unit.builders import (
    COUNTY,
    DISTRICT,
    HAMLET_A1A,
    STAFF,
    TOWN_A,
    TOWN_B,
    VILLAGE_A1,
    VILLAGE_B1,
    County,
    Kiosk,
    accept,
    approve,
    cancel,
    complete,
    confirm,
    decline,
    dispatch_snapshot,
    dispatch_to,
    expire,
    issue_code,
    leader,
    redeem,
    register_area,
    register_team,
    register_volunteer,
    resident,
    review,
    rid,
    stock_item,
    submit,
)

from consumers.ledger.handlers import credits_for
from consumers.ledger.rules import PointsPolicy
from consumers.ledger.state import LedgerState, StockState
from dispatcher.matching import NoMatch, choose_team
from dispatcher.policy import DispatchPolicy
from dispatcher.state import DispatchState
from runtime.redis_store import ROWS
from schemas import commands as cmd
from schemas import events as ev
from schemas.base import SYSTEM, Command
from schemas.common import RequestStatus, ServiceType, Urgency
from schemas.decision import Decision
from schemas.flags import OpenFlags
from schemas.records import Records

START = datetime(2026, 3, 25, 1, 0, tzinfo=UTC)  # a week before the quarter ends in Shanghai

GROCERIES, CLEANING, REPAIR = ServiceType.GROCERIES, ServiceType.CLEANING, ServiceType.REPAIR
TEAMS = {  # team -> (areas, service types, capacity)
    "T1": ((HAMLET_A1A,), (GROCERIES,), 1),
    "T2": ((TOWN_A,), (GROCERIES, CLEANING), 2),
    "T3": ((TOWN_B,), (GROCERIES,), 1),
    "T4": ((COUNTY,), (CLEANING,), 1),
}
TEAM_IDS = [*TEAMS, "T-none"]
MEMBERS = {"T1": ("V1", "V2"), "T2": ("V3",), "T3": ("V4",), "T4": ("V5",)}
VOLUNTEERS = ["V1", "V2", "V3", "V4", "V5", "V-none"]
AREAS = [HAMLET_A1A, VILLAGE_A1, TOWN_A, VILLAGE_B1, COUNTY]
SERVICES = [GROCERIES, CLEANING, REPAIR]
RESIDENTS = [resident("R-a"), resident("R-b")]
ACTORS = [*RESIDENTS, *(leader(f"L-{t}") for t in TEAMS), leader("L-none"), STAFF, SYSTEM]
ITEMS = {"rice": 1, "oil": 2}  # initial price; "tea" is never stocked
ITEM_IDS = [*ITEMS, "tea"]
SERVED = [(HAMLET_A1A, GROCERIES), (VILLAGE_A1, GROCERIES), (TOWN_A, GROCERIES),
          (VILLAGE_B1, GROCERIES), (VILLAGE_A1, CLEANING), (VILLAGE_B1, CLEANING)]
REQUESTS = 8
S = RequestStatus
NEEDS: dict[str, set[RequestStatus]] = {
    "approve": {S.IN_REVIEW},
    "accept": {S.DISPATCHED},
    "decline": {S.DISPATCHED},
    "complete": {S.ACCEPTED},
    "review": {S.COMPLETED},
    "cancel": {S.SUBMITTED, S.IN_REVIEW, S.DISPATCHED, S.ACCEPTED, S.ESCALATED},
    "confirm": {S.COMPLETED, S.REVIEWED},
    "expire": {S.DISPATCHED, S.SUBMITTED},
    "manual": {S.SUBMITTED, S.IN_REVIEW, S.DISPATCHED, S.ACCEPTED, S.ESCALATED},
}

DIRECTORY: tuple[Command, ...] = (
    *(register_area(code, lat, lon, at=START) for code, (_, lat, lon) in DISTRICT.items()
      if code in (COUNTY, TOWN_A, VILLAGE_A1, HAMLET_A1A, TOWN_B, VILLAGE_B1)),
    *(register_team(t, areas, types, capacity=capacity, at=START)
      for t, (areas, types, capacity) in TEAMS.items()),
    *(register_volunteer(v, t, at=START) for t, vs in MEMBERS.items() for v in vs),
)
CATALOG = tuple(stock_item(item, points=price, stock=1, at=START) for item, price in ITEMS.items())

KINDS = {  # how often each step is drawn, relative to the others
    "submit": 3, "approve": 1, "accept": 3, "decline": 1, "complete": 3, "review": 3,
    "cancel": 1, "confirm": 1, "expire": 1, "manual": 1, "tick": 2,
    "issue_code": 1, "redeem": 2, "reserve": 2, "settle": 2, "restock": 1, "redeliver": 1,
}
LEDGER_KINDS = {  # points only: services confirmed as the dispatcher would confirm them
    "served": 3, "issue_code": 1, "redeem": 4, "reserve": 3, "settle": 3, "restock": 1,
    "redeliver": 1,
}


@dataclass(frozen=True)
class Step:
    kind: str
    right: bool          # sent by the right actor with sensible arguments
    wait_min: int        # the clock moves on this much first
    request: int
    actor: int
    team: int
    area: int
    service: int
    urgent: bool
    volunteers: tuple[int, ...]
    hours: float
    rating: int
    volunteer: int
    item: int
    points: int


def _wait_min(draw: int) -> int:
    """Mostly a few minutes; now and then hours or days, past deadlines and quarter ends."""
    return draw % 10 if draw < 88 else [45, 3 * 60, 80 * 60, 9 * 24 * 60][draw % 4]


def make_step(kind: str, right: bool, wait_draw: int, seed: int) -> Step:
    """The step's other choices come from one seeded draw: fewer draws make hypothesis
    several times faster here, and a failing example still replays exactly."""
    rng = random.Random(seed)
    return Step(
        kind=kind, right=right, wait_min=_wait_min(wait_draw),
        request=rng.randrange(2 * REQUESTS + 1),
        actor=rng.randrange(len(ACTORS)),
        team=rng.randrange(len(TEAM_IDS)),
        area=rng.randrange(len(AREAS)),
        service=rng.randrange(len(SERVICES)),
        urgent=rng.random() < 0.5,
        volunteers=tuple(rng.sample(range(len(VOLUNTEERS)), rng.randint(1, 3))),
        hours=rng.choice([0.5, 1.25, 2.5, 4.0, 6.0]),
        rating=rng.randint(1, 5),
        volunteer=rng.randrange(len(VOLUNTEERS) - 1),
        item=rng.randrange(len(ITEM_IDS)),
        points=rng.randint(1, 6),
    )


def steps_of(kinds: dict[str, int]) -> st.SearchStrategy[Step]:
    return st.builds(
        make_step,
        kind=st.sampled_from([kind for kind, weight in kinds.items() for _ in range(weight)]),
        right=st.sampled_from([True, True, True, False]),
        wait_draw=st.integers(0, 99),
        seed=st.integers(0, 2**32 - 1),
    )


steps = steps_of(KINDS)
ledger_steps = steps_of(LEDGER_KINDS)


policies = st.builds(DispatchPolicy, max_refusals=st.integers(1, 3),
                     review_required=st.sampled_from([False, False, True]))
points_policies = st.builds(PointsPolicy, points_per_hour=st.sampled_from([1.0, 1.5]),
                            rounding=st.sampled_from(["half_up", "floor", "ceil"]))


@dataclass
class Folded:
    """Fresh states fed only with the events the live ones emitted."""

    dispatch: DispatchState = field(default_factory=DispatchState)
    ledger: LedgerState = field(default_factory=LedgerState)
    stock: StockState = field(default_factory=StockState)
    dispatch_events: int = 0
    kiosk_events: int = 0


@dataclass
class World:
    """The dispatcher and the ledger of one county, driven step by step, with what they said."""

    policy: DispatchPolicy
    points: PointsPolicy
    now: datetime = START
    county: County = field(init=False)
    kiosk: Kiosk = field(init=False)
    codes: dict[str, str] = field(default_factory=dict)
    reserves: list[cmd.ReserveStock] = field(default_factory=list)
    settles: list[cmd.SettleRedemption] = field(default_factory=list)
    confirmations: list[ev.ServiceConfirmed] = field(default_factory=list)
    lifetime: dict[str, float] = field(default_factory=dict)
    counter: int = 0
    stocked: Counter[str] = field(default_factory=Counter)
    sent: list[tuple[str, Command, datetime, Decision]] = field(default_factory=list)
    folded: Folded = field(default_factory=Folded)

    def __post_init__(self) -> None:
        self.county = County(self.policy)
        self.kiosk = Kiosk(self.points)
        for command in DIRECTORY:
            self.county.ok(command)
        for item in CATALOG:
            self.kiosk.run_stock(item)
            self.stocked[item.item_id] += item.stock

    @property
    def state(self) -> DispatchState:
        return self.county.state

    def next_number(self) -> int:
        self.counter += 1
        return self.counter

    # -- sending commands ------------------------------------------------------------------

    def to_dispatcher(self, command: Command) -> Decision:
        before = dispatch_snapshot(self.state)
        decision = self.county.run(command, self.now)
        self.sent.append(("dispatch", command, self.now, decision))
        if decision.outcome is not None and decision.outcome.rejection is not None:
            assert decision.events == () and decision.commands == ()
            assert dispatch_snapshot(self.state) == before, "a refusal changed the dispatcher"
        for event in decision.events:
            if isinstance(event, ev.ServiceConfirmed):
                self.confirmations.append(event)
                for credit in credits_for(event):
                    self.to_ledger(credit)
        return decision

    def to_ledger(self, command: Command) -> Decision:
        before = dict(self.kiosk.ledger.accounts.items())
        decision = self.kiosk.run_ledger(command, self.now)
        self.sent.append(("ledger", command, self.now, decision))
        refused = decision.outcome is not None and decision.outcome.rejection is not None
        if refused and not isinstance(command, cmd.SettleRedemption):
            assert decision.events == () and decision.commands == ()
            assert dict(self.kiosk.ledger.accounts.items()) == before, "a refusal changed points"
        for follow_up in decision.commands:
            if isinstance(follow_up, OpenFlags):  # a held credit's flags, for staff's list
                assert isinstance(command, cmd.CreditPoints)
                continue
            assert isinstance(follow_up, cmd.ReserveStock)
            self.reserves.append(follow_up)
        return decision

    def to_stock(self, command: Command) -> Decision:
        decision = self.kiosk.run_stock(command, self.now)
        self.sent.append(("stock", command, self.now, decision))
        for follow_up in decision.commands:
            assert isinstance(follow_up, cmd.SettleRedemption)
            self.settles.append(follow_up)
        return decision

    def decide_again(self, sent: list[tuple[str, Command, datetime, Decision]]) -> None:
        """Decide commands another world was sent, at the same moments, asserting that each
        decision is the very same as there."""
        for target, command, now, decision in sent:
            if target == "dispatch":
                again = self.county.run(command, now)
            elif target == "ledger":
                again = self.kiosk.run_ledger(command, now)
            else:
                again = self.kiosk.run_stock(command, now)
            assert again == decision

    # -- one step --------------------------------------------------------------------------

    def target(self, step: Step) -> str:
        """The request a step is about: for a right step, one in a status the command needs
        (when there is one); otherwise any id, registered or not."""
        needs = NEEDS.get(step.kind)
        if step.right and needs is not None:
            fitting = [r for r, v in self.state.requests.items() if v.status in needs]
            if fitting:
                return fitting[step.request % len(fitting)]
        known = list(self.state.requests)
        if step.kind == "submit":
            if step.right and len(known) < REQUESTS:
                return rid(len(known) + 1)
        elif known and step.request % 8:
            return known[step.request % len(known)]
        return rid(step.request % REQUESTS + 1)

    def apply(self, step: Step) -> None:
        self.now += timedelta(minutes=step.wait_min)
        request_id = self.target(step)
        request = self.state.requests.get(request_id)
        anyone = ACTORS[step.actor]
        owner = resident(request.resident_id) if request else RESIDENTS[step.actor % 2]
        assigned = request.team_id if request and request.team_id else "T-none"
        lead = leader(f"L-{assigned}") if step.right else anyone
        at = self.now
        match step.kind:
            case "submit":
                area, service = (SERVED[step.area % len(SERVED)] if step.right
                                 else (AREAS[step.area], SERVICES[step.service]))
                self.to_dispatcher(submit(
                    request_id, area, service, at=at,
                    urgency=Urgency.URGENT if step.urgent else Urgency.NORMAL,
                    by=RESIDENTS[step.actor % 2]))
            case "approve":
                self.to_dispatcher(approve(request_id, at=at))
            case "accept":
                self.to_dispatcher(accept(request_id, lead, at=at))
            case "decline":
                self.to_dispatcher(decline(request_id, lead, at=at))
            case "complete":
                if step.right:
                    crew = MEMBERS.get(assigned, ("V1",))[: len(step.volunteers)]
                else:
                    crew = tuple(VOLUNTEERS[v] for v in step.volunteers)
                self.to_dispatcher(complete(request_id, lead, dict.fromkeys(crew, step.hours),
                                            at=at))
            case "review":
                self.to_dispatcher(review(request_id, by=owner if step.right else anyone,
                                          rating=step.rating, at=at))
            case "cancel":
                self.to_dispatcher(cancel(request_id, by=owner if step.right else anyone, at=at))
            case "confirm":
                self.to_dispatcher(confirm(request_id, by=STAFF if step.right else anyone,
                                           at=at))
            case "expire":
                due = (request.accept_by or request.wait_until) if request else None
                if not step.right or due is None:
                    due = at - timedelta(minutes=step.rating)
                self.to_dispatcher(expire(request_id, due, at=at))
            case "manual":
                self.to_dispatcher(dispatch_to(request_id, TEAM_IDS[step.team], at=at))
            case "tick":
                for command in self.county.owner.timers(self.now):
                    self.to_dispatcher(command)
            case _:
                self.apply_to_ledger(step)

    def apply_to_ledger(self, step: Step) -> None:
        volunteer_id = VOLUNTEERS[step.volunteer]
        match step.kind:
            case "issue_code":
                plain = f"{self.next_number():06d}"
                self.to_ledger(issue_code(volunteer_id, plain, at=self.now))
                self.codes[volunteer_id] = plain
            case "redeem":
                item_id = ITEM_IDS[step.item]
                if step.right:  # one who has points, a fresh code and the catalog's price
                    rich = [v for v, a in self.kiosk.ledger.accounts.items() if a.available]
                    volunteer_id = rich[step.volunteer % len(rich)] if rich else volunteer_id
                    plain = f"{self.next_number():06d}"
                    self.to_ledger(issue_code(volunteer_id, plain, at=self.now))
                    self.codes[volunteer_id] = plain
                    known = self.kiosk.stock.items.get(item_id)
                    points = known.points if known else step.points
                else:  # whatever code it has (maybe used or expired), or a wrong one
                    plain = self.codes.get(volunteer_id, "000000") if step.urgent else "999999"
                    points = step.points
                self.to_ledger(redeem(volunteer_id, item_id, points, plain=plain,
                                      redemption_id=f"RD-{self.next_number()}", at=self.now))
            case "reserve":
                if self.reserves:
                    self.to_stock(self.reserves.pop(step.request % len(self.reserves)))
            case "settle":
                if self.settles:
                    self.to_ledger(self.settles.pop(step.request % len(self.settles)))
            case "restock":
                item_id = ITEM_IDS[step.item % len(ITEMS)]
                price = ITEMS[item_id] + (0 if step.right else 1)
                added = step.points % 3
                self.to_stock(stock_item(item_id, points=price, stock=added, at=self.now))
                self.stocked[item_id] += added
            case "served":
                self.served(step)
            case "redeliver":
                if self.confirmations:
                    confirmed = self.confirmations[step.request % len(self.confirmations)]
                    for credit in credits_for(confirmed):
                        decision = self.to_ledger(credit)
                        assert decision.events == (), "a credit was applied twice"
            case _:
                raise AssertionError(step.kind)

    def served(self, step: Step) -> None:
        """A service confirmed as the dispatcher confirms one, for the ledger-only runs."""
        crew = tuple(VOLUNTEERS[v] for v in step.volunteers if v < len(VOLUNTEERS) - 1)
        if not crew:
            return
        n = self.next_number()
        confirmed = ev.ServiceConfirmed(
            event_id=uuid5(NAMESPACE_URL, f"confirmed:{n}"), occurred_at=self.now,
            correlation_id=uuid5(NAMESPACE_URL, f"journey:{n}"), actor=SYSTEM,
            request_id=rid(1000 + n), team_id="T1", confirmed_by="window",
            volunteers=tuple(cmd.VolunteerHours(volunteer_id=v, hours=step.hours) for v in crew),
            completed_event_id=uuid5(NAMESPACE_URL, f"completed:{n}"),
        )
        self.confirmations.append(confirmed)
        for credit in credits_for(confirmed):
            self.to_ledger(credit)

    # -- the invariants --------------------------------------------------------------------

    def check(self) -> None:
        self.check_teams()
        self.check_requests()
        self.check_accounts()
        self.check_stock()
        self.check_folds()

    def check_teams(self) -> None:
        state = self.state
        for team_id, team in state.teams.items():
            open_tasks = {
                r.request_id for r in state.requests.values()
                if r.team_id == team_id
                and r.status in (RequestStatus.DISPATCHED, RequestStatus.ACCEPTED)
            }
            assert 0 <= team.load <= team.capacity, team
            assert team.load == len(open_tasks), (team_id, team.load, open_tasks)
            inbox = state.tasks.get(team_id, ())
            assert len(inbox) == len(set(inbox)) and set(inbox) == open_tasks

    def check_requests(self) -> None:
        state = self.state
        last_team: dict[str, str] = {}
        refused_by: defaultdict[str, set[str]] = defaultdict(set)
        accepted: Counter[str] = Counter()
        confirmed: Counter[str] = Counter()
        for event in self.county.events:
            if isinstance(event, ev.RequestDispatched):
                assert event.manual or event.team_id not in refused_by[event.request_id], (
                    "matching offered a request to a team that had refused it")
                assert event.manual or not accepted[event.request_id], (
                    "only staff move an accepted request to another team")
                last_team[event.request_id] = event.team_id
                accepted[event.request_id] = 0
            elif isinstance(event, ev.RequestDeclined | ev.AcceptDeadlinePassed):
                assert last_team[event.request_id] == event.team_id
                refused_by[event.request_id].add(event.team_id)
            elif isinstance(event, ev.RequestAccepted):
                accepted[event.request_id] += 1
                assert accepted[event.request_id] == 1, "accepted twice by one dispatch"
                assert event.team_id == last_team[event.request_id]
            elif isinstance(event, ev.ServiceConfirmed):
                confirmed[event.request_id] += 1
            elif isinstance(event, ev.RequestEscalated) and event.reason == "too_many_refusals":
                assert event.refusals >= self.policy.max_refusals
        assert all(n == 1 for n in confirmed.values()), confirmed
        for request in state.requests.values():
            if request.status in (RequestStatus.ACCEPTED, RequestStatus.COMPLETED,
                                  RequestStatus.REVIEWED):
                assert accepted[request.request_id] == 1
                assert request.team_id == last_team[request.request_id]
            if request.status is RequestStatus.DISPATCHED:
                assert request.accept_by is not None and request.team_id is not None
            assert request.confirmed == (confirmed[request.request_id] == 1)
        for request_id in state.queued:
            request = state.requests[request_id]
            assert request.status is RequestStatus.SUBMITTED and request.wait_until is not None
            found = choose_team(request.area, request.service_type, state.index, state.teams,
                                state.areas, excluded=request.excluded_teams)
            assert found == NoMatch(all_busy=True), f"{request_id} waits beside a free team"

    def check_accounts(self) -> None:
        confirmations = {c.event_id: c for c in self.confirmations}
        credited: Counter[tuple[str | None, str]] = Counter()
        redeemed: Counter[tuple[str, str]] = Counter()
        stock_events = {e.event_id: e for e in self.kiosk.events
                        if isinstance(e, ev.StockReserved)}
        for event in self.kiosk.events:
            if isinstance(event, ev.PointsCredited | ev.CreditHeld):
                credited[(event.request_id, event.volunteer_id)] += 1
                sources = [confirmations[i] for i in event.source_event_ids if i in confirmations]
                assert sources, "a credit without a confirmed service"
                (source,) = sources
                assert source.request_id == event.request_id
                assert source.completed_event_id in event.source_event_ids
                hours = {v.volunteer_id: v.hours for v in source.volunteers}
                assert hours.get(event.volunteer_id) == event.hours, "credited a stranger"
                assert event.points == self.points.points_for(event.hours)
            elif isinstance(event, ev.PointsRedeemed):
                redeemed[(event.volunteer_id, event.quarter)] += 1
                (stock_event_id,) = event.source_event_ids
                reserved = stock_events[stock_event_id]
                assert (reserved.redemption_id, reserved.volunteer_id, reserved.item_id) == (
                    event.redemption_id, event.volunteer_id, event.item_id)
        assert all(n == 1 for n in credited.values()), credited
        assert all(n == 1 for n in redeemed.values()), redeemed
        for volunteer_id, account in self.kiosk.ledger.accounts.items():
            entries = self.kiosk.ledger.entries_of(volunteer_id)
            assert account.balance >= 0 and account.available >= 0, account
            assert account.balance == sum(e.points for e in entries)
            assert [e.seq for e in entries] == list(range(1, account.entries_count + 1))
            credited_hours = sum(e.hours for e in entries if e.kind == "credit")
            assert abs(account.lifetime_hours - credited_hours) < 1e-6
            assert account.lifetime_hours >= self.lifetime.get(volunteer_id, 0.0)
            self.lifetime[volunteer_id] = account.lifetime_hours
            assert len(set(account.redeemed_quarters)) == len(account.redeemed_quarters)
            assert len({e.entry_id for e in entries}) == len(entries)
            quarters = [*account.redeemed_quarters, *(h.quarter for h in account.holds)]
            assert len(set(quarters)) == len(quarters), "two redemptions in one quarter"

    def check_stock(self) -> None:
        reserved = Counter(e.item_id for e in self.kiosk.events if isinstance(e, ev.StockReserved))
        for item_id, item in self.kiosk.stock.items.items():
            assert item.stock >= 0
            assert item.stock == self.stocked[item_id] - reserved[item_id]

    def check_folds(self) -> None:
        """The shadow states have been fed every emitted event and nothing else: a fold of
        the whole log into fresh states, kept up to date instead of redone at each step."""
        folded = self.folded
        for event in self.county.events[folded.dispatch_events:]:
            folded.dispatch.evolve(event)
        for kiosk_event in self.kiosk.events[folded.kiosk_events:]:
            folded.ledger.evolve(kiosk_event)
            folded.stock.evolve(kiosk_event)
        folded.dispatch_events = len(self.county.events)
        folded.kiosk_events = len(self.kiosk.events)
        assert dispatch_snapshot(folded.dispatch) == dispatch_snapshot(self.state)
        assert dict(folded.ledger.accounts.items()) == dict(self.kiosk.ledger.accounts.items())
        assert dict(folded.ledger.entries.items()) == dict(self.kiosk.ledger.entries.items())
        assert dict(folded.stock.items.items()) == dict(self.kiosk.stock.items.items())


@settings(max_examples=150, deadline=None)
@given(policy=policies, points=points_policies, plan=st.lists(steps, min_size=20, max_size=60))
def test_invariants_hold_after_every_step(policy: DispatchPolicy, points: PointsPolicy,
                                          plan: list[Step]) -> None:
    world = World(policy, points)
    world.check()
    for step in plan:
        world.apply(step)
        world.check()


@settings(max_examples=150, deadline=None)
@given(points=points_policies, plan=st.lists(ledger_steps, min_size=20, max_size=60))
def test_points_invariants_hold_after_every_step(points: PointsPolicy, plan: list[Step]) -> None:
    """The same invariants, on runs that are mostly credits and redemptions."""
    world = World(DispatchPolicy(), points)
    for step in plan:
        world.apply(step)
        world.check()


@settings(max_examples=50, deadline=None)
@given(policy=policies, points=points_policies, plan=st.lists(steps, min_size=10, max_size=40))
def test_deciding_is_deterministic(policy: DispatchPolicy, points: PointsPolicy,
                                   plan: list[Step]) -> None:
    """Every command the first world was sent, decided again at the same moment on a second
    world built alike, gives the very same decision: events, follow-up commands and answer."""
    one = World(policy, points)
    for step in plan:
        one.apply(step)
    two = World(policy, points)
    two.decide_again(one.sent)
    assert two.county.events == one.county.events
    assert two.kiosk.events == one.kiosk.events


def restored_rows(collections: dict[str, Records[Any]]) -> dict[str, dict[str, Any]]:
    """Rows as storage gives them back: each one written to JSON and read again."""
    return {name: {key: ROWS[name].validate_json(ROWS[name].dump_json(value))
                   for key, value in records.items()}
            for name, records in collections.items()}


@settings(max_examples=60, deadline=None)
@given(policy=policies, points=points_policies,
       before=st.lists(steps, min_size=10, max_size=40),
       after=st.lists(steps, min_size=5, max_size=20))
def test_a_state_restored_from_its_stored_rows_decides_as_the_live_one(
        policy: DispatchPolicy, points: PointsPolicy, before: list[Step],
        after: list[Step]) -> None:
    """What a restart does: states rebuilt from their stored rows (the index, the queue and
    the deadline timers derived again) hold the same and decide every later command alike."""
    one = World(policy, points)
    for step in before:
        one.apply(step)
    two = World(policy, points)
    dispatch = DispatchState()
    dispatch.restore(restored_rows(one.state.collections()))
    two.kiosk.ledger.restore(restored_rows(one.kiosk.ledger.collections()))
    two.kiosk.stock = StockState()
    two.kiosk.stock.restore(restored_rows(one.kiosk.stock.collections()))
    two.county.owner.counties[COUNTY] = dispatch
    assert dispatch_snapshot(dispatch) == dispatch_snapshot(one.state)
    assert dict(two.kiosk.ledger.entries.items()) == dict(one.kiosk.ledger.entries.items())
    sent = len(one.sent)
    for step in after:
        one.apply(step)
    two.decide_again(one.sent[sent:])
    assert dispatch_snapshot(dispatch) == dispatch_snapshot(one.state)
    assert dict(two.kiosk.ledger.accounts.items()) == dict(one.kiosk.ledger.accounts.items())
    assert dict(two.kiosk.stock.items.items()) == dict(one.kiosk.stock.items.items())
    assert dispatch.queue_in_order() == one.state.queue_in_order()
    end_of_days = one.now + timedelta(days=365)
    assert (sorted((r.request_id, at) for r, at in dispatch.due(end_of_days))
            == sorted((r.request_id, at) for r, at in one.state.due(end_of_days)))
