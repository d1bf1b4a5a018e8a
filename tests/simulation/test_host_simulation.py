"""A deterministic simulation of the one host (DESIGN §8): seeded, on a fake clock, the real
`Host` of every owner on the real memory store, through thousands of random steps (5,000 in
`make test`).

A step is one of: a user's command sent (an order, an accept or decline, a completion, a
review, a cancellation, a confirmation, a dispatch by hand, a redeem code, a redemption, a
restock — by the right actor or by anyone); a batch of one key's queued commands applied;
an applied batch delivered again (at-least-once delivery); the process crashing — between
the store's commit and the delivery of the outputs, or halfway through the delivery — and
starting again with nothing in memory; the store refusing a commit for a while; the clock
moving on and the deadline timers firing. Keys are taken in random order (reordering across
keys; never within one), and follow-up commands and credits queue like any other.

After every step: no command has two different answers; no event id stands for two
different events; no request was accepted twice in one dispatch; no balance, available
balance or stock is below zero; each balance is the sum of its ledger; no lifetime hours
fell. Whenever nothing is left half-delivered, and at the end once every queue is drained:
every command sent has its answer, and the store's rows are exactly the fold of the distinct
events delivered.

The seed is printed; `VD_SIM_SEED=<seed> pytest tests/simulation` replays a failure exactly,
and `VD_SIM_STEPS` sets the length (`make soak` runs a long one).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import uuid
from collections import Counter, deque
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from unit.builders import DISTRICT, HAMLET_A1A, TOWN_A, TOWN_B, VILLAGE_A1, VILLAGE_B1

from consumers.ledger.handlers import credits_for
from runtime.embedded import owners_of
from runtime.health import Backoff, HealthBoard
from runtime.host import Host
from runtime.memory_store import MemoryStore
from runtime.ports import Incoming, Step, Unavailable
from runtime.settings import Settings
from schemas import commands as cmd
from schemas import events as ev
from schemas.base import Actor, Command, CommandOutcome, Event, LogMessage
from schemas.common import RequestStatus, Role, ServiceType
from schemas.topics import COUNTY, ITEM, VOLUNTEER, topic_of

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
STAFF = Actor(role=Role.STAFF, subject="S1")
KIOSK = Actor(role=Role.KIOSK, subject="K1")
TEAMS = {"TA": ([TOWN_A], 3), "TH": ([HAMLET_A1A], 1), "TB": ([TOWN_B], 2)}
VOLUNTEERS = {"VA1": "TA", "VA2": "TA", "VH1": "TH", "VB1": "TB"}
AREAS = [HAMLET_A1A, VILLAGE_A1, TOWN_A, VILLAGE_B1]
GIFTS = ("towel", "kettle")
DISTRICT_COUNTY = next(iter(DISTRICT))
WANTED = {"accept": {RequestStatus.DISPATCHED}, "decline": {RequestStatus.DISPATCHED},
          "complete": {RequestStatus.ACCEPTED}, "review": {RequestStatus.COMPLETED},
          "confirm": {RequestStatus.COMPLETED}, "cancel": {RequestStatus.DISPATCHED,
                                                           RequestStatus.SUBMITTED},
          "dispatch": {RequestStatus.ESCALATED, RequestStatus.SUBMITTED}}
"""The statuses a user's command of each kind is mostly about."""


class Crash(BaseException):
    """The process dies: nothing of the host's memory survives (a BaseException, so that
    no handler of the host can mistake it for a failure it could wait out)."""


class Violation(BaseException):
    """An invariant broken inside a delivery: it must not be mistaken by the host for a
    failure of the bus that it could wait out."""


class FlakyStore(MemoryStore):
    """The memory store, refusing commits while `down` (Redis unreachable)."""

    down = 0

    async def commit(self, steps: Sequence[Step],
                     registrations: Sequence[tuple[str, str]] = ()) -> None:
        if self.down:
            self.down -= 1
            raise Unavailable("the store is down")
        await super().commit(steps, registrations)


class SimBus:
    """Topics of memory: every delivered output in order, commands queued by key. A crash
    can be armed to strike before the next delivery or halfway through it."""

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.crash: str | None = None

    async def deliver(self, outputs: Sequence[LogMessage], upto: int | None = None) -> None:
        crash, self.crash = self.crash, None
        if crash == "before":
            raise Crash
        half = len(outputs) // 2 if crash == "halfway" else len(outputs)
        for message in outputs[:half]:
            self.sim.delivered(message)
        if crash == "halfway":
            raise Crash
        for message in outputs[half:]:
            self.sim.delivered(message)


class Simulation:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.now = T0
        self.monotonic = 0.0
        self.settings = Settings(accept_window_s=1800, complete_window_s=3600,
                                 wait_window_s=1800, confirm_window_s=3600, max_refusals=3,
                                 marker_ttl_s=7 * 24 * 3600)
        self.store = FlakyStore(self.settings.marker_ttl_s, lambda: self.monotonic)
        self.bus = SimBus(self)
        self.queues: dict[tuple[str, str], deque[Command]] = {}
        self.applied: list[list[Command]] = []
        self.log: list[LogMessage] = []
        self.events: dict[uuid.UUID, Event] = {}
        self.answers: dict[uuid.UUID, CommandOutcome] = {}
        self.accepted: set[tuple[str, int]] = set()
        self.sent: dict[uuid.UUID, Command] = {}
        self.unsettled: set[uuid.UUID] = set()
        """Commands whose batch crashed after the store's commit: until they are applied
        again, the store is ahead of the log."""
        self.requests: list[str] = []
        self.lifetime: dict[str, float] = {}
        self.restarts = 0
        self.start()

    # -- the process -----------------------------------------------------------------------

    def start(self) -> None:
        """A fresh process: owners with nothing in memory, on the store that survived."""
        board = HealthBoard()
        self.hosts = [Host(owner, self.store, self.bus, self.clock, board,
                           backoff=Backoff(first_s=0.0, max_s=0.0))
                      for owner in owners_of(self.settings)]

    def clock(self) -> datetime:
        return self.now

    def host_of(self, command: Command) -> Host:
        topic = topic_of(command)
        return next(h for h in self.hosts if h.owner.family.command_topic is topic)

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def enqueue(self, command: Command) -> None:
        self.queues.setdefault((topic_of(command).name, command.partition_key),
                               deque()).append(command)

    def delivered(self, message: LogMessage) -> None:
        self.log.append(message)
        if isinstance(message, CommandOutcome):
            earlier = self.answers.setdefault(message.command_id, message)
            if earlier != message:
                raise Violation(f"two answers to {message.command_id}")
        elif isinstance(message, Event):
            first = message.event_id not in self.events
            earlier_event = self.events.setdefault(message.event_id, message)
            if earlier_event != message:
                raise Violation(f"two events with the id {message.event_id}")
            if first and isinstance(message, ev.RequestAccepted):
                dispatch = (message.request_id, message.attempt)
                if dispatch in self.accepted:
                    raise Violation(f"{message.request_id} accepted twice in one dispatch")
                self.accepted.add(dispatch)
            for credit in credits_for(message):
                self.enqueue(credit)
        elif isinstance(message, Command):
            self.enqueue(message)

    # -- the users ---------------------------------------------------------------------------

    def envelope(self, actor: Actor) -> dict[str, Any]:
        command_id = self.new_id()
        return {"command_id": command_id, "occurred_at": self.now,
                "correlation_id": command_id, "actor": actor,
                "fingerprint": command_id.hex[:8]}

    def send(self, command: Command) -> None:
        self.sent[command.command_id] = command
        self.enqueue(command)

    def district(self) -> None:
        for code, (name, lat, lon) in DISTRICT.items():
            self.send(cmd.RegisterArea(**self.envelope(STAFF), code=code, name=name, lat=lat,
                                       lon=lon))
        for team_id, (areas, capacity) in TEAMS.items():
            self.send(cmd.RegisterTeam(
                **self.envelope(STAFF), team_id=team_id, name=team_id, leader_id=f"L-{team_id}",
                service_types=(ServiceType.GROCERIES, ServiceType.CLEANING), areas=tuple(areas),
                capacity=capacity))
        for volunteer_id, team_id in VOLUNTEERS.items():
            self.send(cmd.RegisterVolunteer(**self.envelope(STAFF), volunteer_id=volunteer_id,
                                            name="志愿者", team_id=team_id,
                                            team_county=DISTRICT_COUNTY))
        for item in GIFTS:
            self.send(cmd.StockCatalogItem(**self.envelope(STAFF), item_id=item, name=item,
                                           points=self.rng.choice((1, 2, 3)), stock=2))

    async def user_command(self) -> Command:
        """A command of a user: mostly by the actor it is for, about a recent request (as
        the store shows it now), sometimes by anyone about any."""
        rng = self.rng
        kind = rng.choice(("submit", "accept", "accept", "decline", "complete", "complete",
                           "review", "cancel", "confirm", "dispatch", "code", "redeem",
                           "redeem", "restock"))
        leader = Actor(role=Role.LEADER, subject=f"L-{rng.choice(list(TEAMS))}")
        resident = Actor(role=Role.RESIDENT, subject=rng.choice(("R1", "R2")))
        if kind == "submit" or not self.requests:
            request_id = f"{DISTRICT_COUNTY}-{rng.getrandbits(64):016x}"
            self.requests.append(request_id)
            return cmd.SubmitRequest(**self.envelope(resident), request_id=request_id,
                                     service_type=rng.choice((ServiceType.GROCERIES,
                                                              ServiceType.CLEANING)),
                                     area=rng.choice(AREAS), address="1栋")
        request_id = rng.choice(self.requests)
        if rng.random() < 0.85:
            candidates = [rng.choice(self.requests[-30:]) for _ in range(6)]
            rows = await self.store.rows(COUNTY.tag(DISTRICT_COUNTY), "requests", candidates)
            wanted = WANTED.get(kind)
            fitting = [r for r in rows if r is not None and r.status in wanted] if wanted else []
            request = (fitting or [r for r in rows if r is not None] or [None])[0]
            if request is not None:
                request_id = request.request_id
                resident = Actor(role=Role.RESIDENT, subject=request.resident_id)
                if request.team_id is not None:
                    leader = Actor(role=Role.LEADER, subject=f"L-{request.team_id}")
        team = leader.subject.removeprefix("L-")
        members = [v for v, t in VOLUNTEERS.items() if t == team] or list(VOLUNTEERS)
        volunteer = rng.choice(members if rng.random() < 0.9 else list(VOLUNTEERS))
        if kind == "accept":
            return cmd.AcceptRequest(**self.envelope(leader), request_id=request_id)
        if kind == "decline":
            return cmd.DeclineRequest(**self.envelope(leader), request_id=request_id,
                                      reason="忙")
        if kind == "complete":
            crew = (cmd.VolunteerHours(volunteer_id=volunteer,
                                       hours=rng.choice((0.5, 1.0, 2.0, 3.5))),)
            return cmd.CompleteRequest(**self.envelope(leader), request_id=request_id,
                                       volunteers=crew)
        if kind == "review":
            return cmd.ReviewRequest(**self.envelope(resident), request_id=request_id,
                                     rating=rng.randint(1, 5))
        if kind == "cancel":
            return cmd.CancelRequest(**self.envelope(rng.choice((resident, STAFF))),
                                     request_id=request_id)
        if kind == "confirm":
            return cmd.ConfirmService(**self.envelope(STAFF), request_id=request_id)
        if kind == "dispatch":
            return cmd.DispatchRequest(**self.envelope(STAFF), request_id=request_id,
                                       team_id=rng.choice(list(TEAMS)))
        if kind == "code":
            return cmd.IssueRedeemCode(**self.envelope(Actor(role=Role.VOLUNTEER,
                                                             subject=volunteer)),
                                       volunteer_id=volunteer, code_hash="a" * 64,
                                       expires_at=self.now + timedelta(minutes=10))
        if kind == "redeem":
            envelope = self.envelope(KIOSK)
            return cmd.RedeemPoints(**envelope, volunteer_id=volunteer,
                                    item_id=rng.choice(GIFTS), points=rng.choice((1, 2, 3)),
                                    code_hash="a" * 64, kiosk_id="K1",
                                    redemption_id=f"RD-{envelope['command_id'].hex[:20]}")
        return cmd.StockCatalogItem(**self.envelope(STAFF), item_id=rng.choice(GIFTS),
                                    name="gift", points=rng.choice((1, 2, 3)),
                                    stock=rng.randint(0, 2))

    # -- steps -------------------------------------------------------------------------------

    async def step(self) -> None:
        rng = self.rng
        roll = rng.random()
        if roll < 0.30:
            self.send(await self.user_command())
        elif roll < 0.80:
            await self.apply_one_key()
        elif roll < 0.85 and self.applied:
            await self.apply(rng.choice(self.applied[-50:]), acknowledge=False)
        elif roll < 0.88:
            self.store.down = rng.randint(1, 3)
        elif roll < 0.90:
            self.restarts += 1
            self.start()
        elif roll < 0.94:
            await self.tick()
        else:
            await self.apply_one_key()

    async def apply_one_key(self) -> None:
        waiting = sorted(k for k, q in self.queues.items() if q)
        if not waiting:
            return
        queue = self.queues[self.rng.choice(waiting)]
        batch = list(queue)[:self.rng.randint(1, 5)]
        if self.rng.random() < 0.08:
            self.bus.crash = self.rng.choice(("before", "halfway"))
        if await self.apply(batch, acknowledge=True):
            for _ in batch:
                queue.popleft()
            self.applied.append(batch)

    async def apply(self, batch: list[Command], acknowledge: bool) -> bool:
        """One delivery of a batch to its owner; False if the process crashed meanwhile
        (the batch stays unacknowledged, to be delivered again)."""
        try:
            await self.host_of(batch[0]).apply([Incoming(c) for c in batch])
        except Crash:
            if acknowledge:
                self.unsettled.update(c.command_id for c in batch)
            self.restarts += 1
            self.start()
            return False
        self.unsettled.difference_update(c.command_id for c in batch)
        return True

    async def tick(self) -> None:
        self.now += timedelta(seconds=self.rng.choice((10, 30, 60, 300, 900, 300, 40 * 86400)))
        self.monotonic += 60
        for host in self.hosts:
            if host.owner.family is COUNTY:
                await host.ensure(await self.store.registered(COUNTY.name))
            await host.fire_timers()

    async def drain(self) -> None:
        """Deliver everything still queued, with no more faults."""
        self.store.down = 0
        for _ in range(100_000):
            waiting = sorted(k for k, q in self.queues.items() if q)
            if not waiting:
                return
            queue = self.queues[waiting[0]]
            batch = list(queue)
            await self.host_of(batch[0]).apply([Incoming(c) for c in batch])
            for _ in batch:
                queue.popleft()
            self.unsettled.difference_update(c.command_id for c in batch)
        raise AssertionError("the queues never drained")

    # -- invariants --------------------------------------------------------------------------

    async def check(self) -> None:
        volunteers = list(VOLUNTEERS)
        rows = await self.store.load([VOLUNTEER.tag(v) for v in volunteers],
                                     ["accounts", "entries"])
        for volunteer_id, found in zip(volunteers, rows, strict=True):
            account = found["accounts"].get(volunteer_id)
            if account is None:
                continue
            assert account.balance >= 0 and account.available >= 0, account
            entries = found["entries"].values()
            assert account.balance == sum(e.points for e in entries), account
            assert len(entries) == account.entries_count
            assert account.lifetime_hours >= self.lifetime.get(volunteer_id, 0.0)
            self.lifetime[volunteer_id] = account.lifetime_hours
        for items in await self.store.load([ITEM.tag(i) for i in GIFTS], ["items"]):
            assert all(item.stock >= 0 for item in items["items"].values())

    async def check_settled(self) -> None:
        """Nothing half-delivered: the store holds exactly the fold of the events — rows,
        journals and rankings alike."""
        folded = owners_of(self.settings)
        by_topic = {o.family.event_topic.name: o for o in folded}
        seen: set[uuid.UUID] = set()
        for message in self.log:
            if isinstance(message, Event) and message.event_id not in seen:
                seen.add(message.event_id)
                by_topic[topic_of(message).name].evolve(message)
        for owner in folded:
            keys = owner.held()
            names = list(owner.state_of(keys[0]).collections()) if keys else []
            stored = await self.store.load([owner.family.tag(k) for k in keys], names)
            for key, rows in zip(keys, stored, strict=True):
                mine = {name: dict(records)
                        for name, records in owner.state_of(key).collections().items()}
                assert rows == mine, f"{owner.name} {key}: the store is not the fold"
                await self.check_written(owner.family.tag(key), owner.state_of(key))

    async def check_written(self, tag: str, state: Any) -> None:
        """What a fold from nothing wrote to journals and rankings is all they hold."""
        step = Step(tag)
        step.take(state)
        for name, lists in step.appends.items():
            found = await self.store.journals(tag, name, list(lists), 10_000)
            assert [items for items, _ in found] == list(lists.values()), f"{tag} {name}"
        for index, moves in step.ranks.items():
            ranked = await self.store.ranked([tag], index, 1_000_000)
            assert {m: score for score, m, _ in ranked} == {
                m: score for m, score in moves.items() if score is not None}, f"{tag} {index}"

    def digest(self) -> str:
        """What happened, for checking that a seed replays exactly."""
        return hashlib.sha256("".join(m.model_dump_json() for m in self.log).encode()
                              ).hexdigest()


async def run(seed: int, steps: int) -> Simulation:
    sim = Simulation(seed)
    sim.district()
    for n in range(steps):
        try:
            await sim.step()
            await sim.check()
            if not sim.unsettled and n % max(50, steps // 100) == 0:
                await sim.check_settled()
        except (AssertionError, Violation) as e:
            raise AssertionError(f"step {n} of seed {seed}: {e}") from e
    await sim.drain()
    await sim.check()
    await sim.check_settled()
    unanswered = [c for c in sim.sent if c not in sim.answers]
    assert unanswered == [], f"seed {seed}: {len(unanswered)} commands never answered"
    return sim


def test_the_host_survives_crashes_duplicates_and_reordering() -> None:
    seed = int(os.environ.get("VD_SIM_SEED") or random.SystemRandom().randrange(2**32))
    steps = int(os.environ.get("VD_SIM_STEPS", "5000"))
    print(f"simulation seed {seed} ({steps} steps): VD_SIM_SEED={seed} replays it")
    sim = asyncio.run(run(seed, steps))
    assert sim.restarts > 0 and len(sim.applied) > steps // 10
    statuses = Counter(type(e).__name__ for e in sim.events.values())
    assert statuses["RequestAccepted"] > 0 and statuses["PointsCredited"] > 0, statuses


def test_a_seed_replays_exactly() -> None:
    seed = 20261202
    first, again = asyncio.run(run(seed, 400)), asyncio.run(run(seed, 400))
    assert first.digest() == again.digest()
    assert first.restarts == again.restarts > 0


def test_statuses_reached_cover_the_lifecycle() -> None:
    sim = asyncio.run(run(7, 1500))
    reached = {status for r in sim.events.values() if isinstance(r, ev.RequestEvent)
               for status in [type(r).__name__]}
    assert {"RequestDispatched", "RequestAccepted", "RequestCompleted", "RequestReviewed",
            "RequestCancelled", "RequestQueued", "AcceptDeadlinePassed"} <= reached
