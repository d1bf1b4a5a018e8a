"""Builders for the unit tests of the pure rules: envelopes, commands, a small district, and
thin drivers that decide commands against the real owners and keep every event they emit.

Nothing here fakes a rule: the drivers call `DispatchOwner.decide`, `decide_ledger` and
`decide_stock` exactly as the runtime does, and only remember what came out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from typing import Any
from uuid import UUID, uuid4

from consumers.ledger.handlers import decide_ledger, decide_stock
from consumers.ledger.rules import PointsPolicy
from consumers.ledger.state import LedgerState, StockState
from dispatcher.owner import DispatchOwner
from dispatcher.policy import DispatchPolicy
from dispatcher.state import DispatchState
from schemas import commands as cmd
from schemas.base import SYSTEM, Actor, Command, Event, Rejection
from schemas.common import Role, ServiceType, Urgency
from schemas.decision import Decision
from schemas.views import AreaView, TeamView

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # a Monday morning in Shanghai, 2026Q1

COUNTY = "430511"
TOWN_A = "430511001"
VILLAGE_A1 = "430511001001"
HAMLET_A1A = "430511001001001"
HAMLET_A1B = "430511001001002"  # no coordinates of its own: located at its village
VILLAGE_A2 = "430511001002"
TOWN_B = "430511002"
VILLAGE_B1 = "430511002001"

# code -> (name, lat, lon); parents before children, as the office registers them
DISTRICT: dict[str, tuple[str, float | None, float | None]] = {
    COUNTY: ("北塔区", 27.240, 111.470),
    TOWN_A: ("东塔街道", 27.250, 111.480),
    VILLAGE_A1: ("资江社区", 27.260, 111.490),
    HAMLET_A1A: ("一组", 27.265, 111.495),
    HAMLET_A1B: ("二组", None, None),
    VILLAGE_A2: ("新滩社区", 27.300, 111.540),
    TOWN_B: ("状元洲街道", 27.200, 111.400),
    VILLAGE_B1: ("洲上村", 27.210, 111.410),
}

STAFF = Actor(role=Role.STAFF, subject="S001")
KIOSK = Actor(role=Role.KIOSK, subject="K001")


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def resident(subject: str = "R001") -> Actor:
    return Actor(role=Role.RESIDENT, subject=subject)


def leader(subject: str) -> Actor:
    return Actor(role=Role.LEADER, subject=subject)


def volunteer(subject: str) -> Actor:
    return Actor(role=Role.VOLUNTEER, subject=subject)


def rid(n: int) -> str:
    """A request id in the test county."""
    return f"{COUNTY}-{n:016x}"


def code_hash(plain: str) -> str:
    return sha256(plain.encode()).hexdigest()


def envelope(actor: Actor, at: datetime, command_id: UUID | None = None) -> dict[str, Any]:
    command_id = command_id or uuid4()
    return {"command_id": command_id, "occurred_at": at, "correlation_id": command_id,
            "actor": actor}


# -- directory and lifecycle commands -------------------------------------------------------


def register_area(code: str, lat: float | None = None, lon: float | None = None, *,
                  name: str = "某地", at: datetime = T0) -> cmd.RegisterArea:
    return cmd.RegisterArea(**envelope(STAFF, at), code=code, name=name, lat=lat, lon=lon)


def register_team(team_id: str, areas: Iterable[str],
                  service_types: Iterable[ServiceType] = (ServiceType.GROCERIES,), *,
                  capacity: int = 2, leader_id: str | None = None,
                  at: datetime = T0) -> cmd.RegisterTeam:
    return cmd.RegisterTeam(
        **envelope(STAFF, at), team_id=team_id, name=f"队 {team_id}",
        leader_id=leader_id or f"L-{team_id}", service_types=tuple(service_types),
        areas=tuple(areas), capacity=capacity,
    )


def register_volunteer(volunteer_id: str, team_id: str, *,
                       at: datetime = T0) -> cmd.RegisterVolunteer:
    return cmd.RegisterVolunteer(**envelope(STAFF, at), volunteer_id=volunteer_id,
                                 name="志愿者", team_id=team_id, team_county=COUNTY)


def change_team(team_id: str, *, at: datetime = T0, by: Actor = STAFF,
                **fields: Any) -> cmd.ChangeTeam:
    return cmd.ChangeTeam(**envelope(by, at), team_id=team_id, team_county=COUNTY, **fields)


def change_volunteer(volunteer_id: str, *, at: datetime = T0, by: Actor = STAFF,
                     **fields: Any) -> cmd.ChangeVolunteer:
    return cmd.ChangeVolunteer(**envelope(by, at), volunteer_id=volunteer_id,
                               team_county=COUNTY, **fields)


def submit(request_id: str, area: str, service_type: ServiceType = ServiceType.GROCERIES, *,
           urgency: Urgency = Urgency.NORMAL, by: Actor | None = None,
           at: datetime = T0, command_id: UUID | None = None,
           priority: int = 3) -> cmd.SubmitRequest:
    return cmd.SubmitRequest(
        **envelope(by or resident(), at, command_id), request_id=request_id,
        service_type=service_type, area=area, address="东塔路 1 号", urgency=urgency,
        contact_name="王阿姨", contact_phone="0739-5550101", priority=priority,
    )


def approve(request_id: str, *, by: Actor = STAFF, at: datetime = T0) -> cmd.ApproveRequest:
    return cmd.ApproveRequest(**envelope(by, at), request_id=request_id)


SERVICE_CODE = "424242"


def accept(request_id: str, by: Actor, *, at: datetime = T0,
           code: str | None = SERVICE_CODE) -> cmd.AcceptRequest:
    return cmd.AcceptRequest(**envelope(by, at), request_id=request_id, service_code=code)


def check_in(request_id: str, by: Actor, volunteer_ids: Iterable[str], *, at: datetime = T0,
             code: str = SERVICE_CODE) -> cmd.CheckInVolunteers:
    return cmd.CheckInVolunteers(**envelope(by, at), request_id=request_id, code=code,
                                 volunteer_ids=tuple(volunteer_ids))


def check_out(request_id: str, by: Actor, volunteer_ids: Iterable[str], *, at: datetime = T0,
              code: str = SERVICE_CODE) -> cmd.CheckOutVolunteers:
    return cmd.CheckOutVolunteers(**envelope(by, at), request_id=request_id, code=code,
                                  volunteer_ids=tuple(volunteer_ids))


def decline(request_id: str, by: Actor, *, at: datetime = T0) -> cmd.DeclineRequest:
    return cmd.DeclineRequest(**envelope(by, at), request_id=request_id, reason="人手不够")


def complete(request_id: str, by: Actor, hours: Mapping[str, float], *,
             at: datetime = T0) -> cmd.CompleteRequest:
    return cmd.CompleteRequest(
        **envelope(by, at), request_id=request_id,
        volunteers=tuple(cmd.VolunteerHours(volunteer_id=v, hours=h) for v, h in hours.items()),
    )


def review(request_id: str, *, by: Actor | None = None, rating: int = 5,
           at: datetime = T0, dispute: str | None = None) -> cmd.ReviewRequest:
    return cmd.ReviewRequest(**envelope(by or resident(), at), request_id=request_id,
                             rating=rating, comment="很好", dispute=dispute is not None,
                             dispute_reason=dispute or "")


def cancel(request_id: str, *, by: Actor | None = None, at: datetime = T0) -> cmd.CancelRequest:
    return cmd.CancelRequest(**envelope(by or resident(), at), request_id=request_id,
                             reason="不需要了")


def confirm(request_id: str, *, by: Actor = STAFF, at: datetime = T0) -> cmd.ConfirmService:
    return cmd.ConfirmService(**envelope(by, at), request_id=request_id)


def expire(request_id: str, due_at: datetime, *, at: datetime | None = None) -> cmd.ExpireDeadline:
    return cmd.ExpireDeadline(**envelope(SYSTEM, at or due_at), request_id=request_id,
                              due_at=due_at)


def dispatch_to(request_id: str, team_id: str, *, by: Actor = STAFF,
                at: datetime = T0) -> cmd.DispatchRequest:
    return cmd.DispatchRequest(**envelope(by, at), request_id=request_id, team_id=team_id)


# -- ledger and stock commands --------------------------------------------------------------


def credit(volunteer_id: str, request_id: str, hours: float, *, entry_id: UUID | None = None,
           at: datetime = T0) -> cmd.CreditPoints:
    return cmd.CreditPoints(
        **envelope(SYSTEM, at), volunteer_id=volunteer_id, entry_id=entry_id or uuid4(),
        request_id=request_id, hours=hours, source_event_ids=(uuid4(), uuid4()),
    )


def issue_code(volunteer_id: str, plain: str = "123456", *, at: datetime = T0,
               ttl: timedelta = timedelta(minutes=10)) -> cmd.IssueRedeemCode:
    return cmd.IssueRedeemCode(**envelope(volunteer(volunteer_id), at),
                               volunteer_id=volunteer_id, code_hash=code_hash(plain),
                               expires_at=at + ttl)


def redeem(volunteer_id: str, item_id: str, points: int, *, plain: str = "123456",
           redemption_id: str | None = None, at: datetime = T0) -> cmd.RedeemPoints:
    return cmd.RedeemPoints(
        **envelope(KIOSK, at), volunteer_id=volunteer_id,
        redemption_id=redemption_id or f"RD-{uuid4().hex[:12]}", item_id=item_id,
        points=points, code_hash=code_hash(plain), kiosk_id=KIOSK.subject,
    )


def stock_item(item_id: str, *, points: int = 5, stock: int = 1, name: str = "大米 5kg",
               at: datetime = T0) -> cmd.StockCatalogItem:
    return cmd.StockCatalogItem(**envelope(STAFF, at), item_id=item_id, name=name,
                                points=points, stock=stock)


# -- read models for matching ---------------------------------------------------------------


def area_view(code: str, lat: float | None = None, lon: float | None = None) -> AreaView:
    return AreaView(code=code, name=code, lat=lat, lon=lon)


def district_areas() -> dict[str, AreaView]:
    return {code: area_view(code, lat, lon) for code, (_, lat, lon) in DISTRICT.items()}


def team_view(team_id: str, areas: Iterable[str],
              service_types: Iterable[ServiceType] = (ServiceType.GROCERIES,), *,
              capacity: int = 4, load: int = 0, ratings: Iterable[int] = ()) -> TeamView:
    ratings = tuple(ratings)
    return TeamView(
        team_id=team_id, name=team_id, leader_id=f"L-{team_id}",
        service_types=tuple(service_types), areas=tuple(areas), capacity=capacity,
        county=COUNTY, load=load, rating_sum=sum(ratings), rating_count=len(ratings),
    )


# -- drivers --------------------------------------------------------------------------------


def ok_body(decision: Decision) -> dict[str, Any]:
    """The result of an accepted decision (failing the test with the rejection otherwise)."""
    assert decision.outcome is not None, "the decision has no answer"
    assert decision.outcome.rejection is None, decision.outcome.rejection
    assert decision.outcome.result is not None
    return dict(decision.outcome.result)


def rejection_of(decision: Decision) -> Rejection:
    assert decision.outcome is not None, "the decision has no answer"
    assert decision.outcome.rejection is not None, f"accepted: {decision.outcome.result}"
    return decision.outcome.rejection


def dispatch_snapshot(state: DispatchState) -> dict[str, Any]:
    """Everything a dispatch state holds, as plain comparable data (timers excepted)."""
    rows: dict[str, Any] = {name: dict(records.items())
                            for name, records in state.collections().items()}
    rows["queued"] = list(state.queued)
    return rows


@dataclass
class County:
    """The dispatcher of the test county, deciding commands at the command's own time."""

    policy: DispatchPolicy = field(default_factory=DispatchPolicy)
    owner: DispatchOwner = field(init=False)
    events: list[Event] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.owner = DispatchOwner(self.policy)

    @property
    def state(self) -> DispatchState:
        return self.owner.state_of(COUNTY)

    def run(self, command: Command, now: datetime | None = None) -> Decision:
        decision = self.owner.decide(command, now or command.occurred_at)
        self.events.extend(decision.events)
        return decision

    def ok(self, command: Command, now: datetime | None = None) -> dict[str, Any]:
        return ok_body(self.run(command, now))

    def refused(self, command: Command, now: datetime | None = None) -> Rejection:
        """Decide a command that must be rejected, and check it left no trace."""
        before = dispatch_snapshot(self.state)
        decision = self.run(command, now)
        rejection = rejection_of(decision)
        assert decision.events == () and decision.commands == ()
        assert dispatch_snapshot(self.state) == before, "a rejected command changed the state"
        return rejection

    def fire_timers(self, now: datetime) -> list[Decision]:
        return [self.run(c, now) for c in self.owner.timers(now)]

    def since(self, mark: int) -> list[Event]:
        return self.events[mark:]

    def types_since(self, mark: int) -> list[str]:
        return [type(e).__name__ for e in self.events[mark:]]

    def with_district(self) -> County:
        for code, (name, lat, lon) in DISTRICT.items():
            self.ok(register_area(code, lat, lon, name=name))
        return self


@dataclass
class Kiosk:
    """The ledger and the stock, with the two-phase redemption carried through by hand."""

    policy: PointsPolicy = field(default_factory=PointsPolicy)
    ledger: LedgerState = field(default_factory=LedgerState)
    stock: StockState = field(default_factory=StockState)
    events: list[Event] = field(default_factory=list)

    def run_ledger(self, command: Command, now: datetime | None = None) -> Decision:
        decision = decide_ledger(self.ledger, command, now or command.occurred_at, self.policy)
        self.events.extend(decision.events)
        return decision

    def run_stock(self, command: Command, now: datetime | None = None) -> Decision:
        decision = decide_stock(self.stock, command, now or command.occurred_at)
        self.events.extend(decision.events)
        return decision

    def redeem(self, command: cmd.RedeemPoints, now: datetime | None = None) -> Decision:
        """Run a redemption to its end: hold, reserve, settle. The last answer is returned."""
        now = now or command.occurred_at
        held = self.run_ledger(command, now)
        if held.outcome is not None:
            return held
        (reserve,) = held.commands
        reserved = self.run_stock(reserve, now)
        (settle,) = reserved.commands
        return self.run_ledger(settle, now)
