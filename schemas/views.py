"""Read models: derived state that the gateway serves. They can be dropped and rebuilt."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, JsonValue

from schemas.base import Frozen
from schemas.commands import ServiceCheck, VolunteerHours
from schemas.common import (
    LOWEST_PRIORITY,
    Channel,
    Priority,
    RequestStatus,
    Role,
    ServiceType,
    Urgency,
)


class AreaView(Frozen):
    code: str
    name: str
    lat: float | None = None
    lon: float | None = None
    parent: str | None = None


class TeamView(Frozen):
    team_id: str
    name: str
    leader_id: str
    service_types: tuple[ServiceType, ...]
    areas: tuple[str, ...]
    capacity: int
    county: str
    load: int = Field(0, description="Requests dispatched to or accepted by the team, still open")
    dispatched: int = 0
    accepted: int = 0
    declined: int = 0
    timed_out: int = 0
    completed: int = 0
    rating_sum: int = 0
    rating_count: int = 0
    deputies: tuple[str, ...] = Field((), description="They act for the team as its leader does")
    active: bool = Field(True, description="An inactive team gets no new dispatches")

    @property
    def rating(self) -> float | None:
        return self.rating_sum / self.rating_count if self.rating_count else None

    @property
    def people(self) -> frozenset[str]:
        """Who acts for the team: its leader and its deputies."""
        return frozenset((self.leader_id, *self.deputies))

    def acts_for(self, subject: str) -> bool:
        """Whether this person may answer for the team (accept, decline, complete, read its
        tasks): its leader, or one of its deputies."""
        return subject == self.leader_id or subject in self.deputies


class TeamChange(Frozen):
    """One line of a team's history: what an event set, and who sent it."""

    at: AwareDatetime
    event: str
    actor_role: Role
    actor_id: str
    changed: dict[str, JsonValue]


class VolunteerView(Frozen):
    volunteer_id: str
    name: str
    team_id: str
    county: str
    skills: tuple[str, ...] = ()
    phone: str | None = Field(None, description="Sealed under the volunteer's key")
    active: bool = Field(True, description="False: retired (their points stay)")
    registered_at: AwareDatetime | None = Field(None, description="Orders the volunteer list")

    @property
    def rank(self) -> float:
        """Where the volunteer stands in the lists: by registration (a row written before
        that was kept ranks 0)."""
        return 0.0 if self.registered_at is None else self.registered_at.timestamp()


class HistoryItem(Frozen):
    at: AwareDatetime
    event: str
    status: RequestStatus
    actor_role: Role
    team_id: str | None = None
    note: str = ""
    actor_id: str | None = Field(None, description="Who did it, where it was staff (an "
                                 "order entered on a resident's behalf names its staff)")
    channel: Channel | None = Field(None, description="For the order: how it came in")


class ReviewRuleView(Frozen):
    """Whether orders of an area (and below) and a service type (None: all) wait for the
    office's review, and within what time (None: no deadline)."""

    area: str
    service_type: ServiceType | None = None
    required: bool
    sla_s: int | None = None
    set_at: AwareDatetime
    set_by: str


class RequestView(Frozen):
    request_id: str
    resident_id: str
    service_type: ServiceType
    area: str
    address: str
    details: str
    urgency: Urgency
    priority: Priority = LOWEST_PRIORITY
    contact_name: str = ""
    contact_phone: str | None = None
    status: RequestStatus
    team_id: str | None = None
    attempt: int = 0
    refusals: int = 0
    excluded_teams: tuple[str, ...] = ()
    submitted_at: AwareDatetime
    accept_by: AwareDatetime | None = None
    remind_at: AwareDatetime | None = None
    wait_until: AwareDatetime | None = None
    complete_by: AwareDatetime | None = None
    confirm_by: AwareDatetime | None = None
    review_by: AwareDatetime | None = Field(None, description="When the office's review "
                                            "of a held order is due, if a rule set a time")
    dispatched_at: AwareDatetime | None = None
    accepted_at: AwareDatetime | None = None
    completed_at: AwareDatetime | None = None
    volunteers: tuple[VolunteerHours, ...] = ()
    completed_event_id: UUID | None = None
    confirmed: bool = False
    rating: int | None = None
    comment: str = ""
    escalation_reason: str | None = None
    service_code: str | None = Field(None, description="Shown to the resident and staff only")
    checks: tuple[ServiceCheck, ...] = ()
    dispute_reason: str | None = None
    plan_id: str | None = Field(None, description="A care plan's visit: the platform made it")
    preferred_team_id: str | None = None


class LedgerEntry(Frozen):
    """One immutable line of a volunteer's points ledger, naming the events it comes from."""

    entry_id: UUID
    volunteer_id: str = ""
    seq: int = Field(0, description="Its place in the volunteer's ledger, from 1")
    kind: Literal["credit", "redemption", "correction"]
    points: int = Field(description="Signed: credits positive, redemptions and corrections "
                        "negative")
    hours: float = Field(0.0, description="Signed: a correction's are negative")
    at: AwareDatetime
    request_id: str | None = None
    redemption_id: str | None = None
    item_id: str | None = None
    source_event_ids: tuple[UUID, ...]
    source: Literal["service", "activity", "wish", "correction"] | None = Field(
        None, description="Where an hour entry comes from; none for a redemption")
    verified: bool | None = Field(None, description="Whether the hours were checked (§10)")
    activity_id: str | None = None
    wish_id: str | None = None
    started_at: AwareDatetime | None = None
    ended_at: AwareDatetime | None = None
    resident_id: str | None = Field(None, description="Whom a service was for (kept for the "
                                    "same-pair flag; not shown on the record)")
    area: str | None = None
    service_type: str | None = None
    team_id: str | None = None
    title: str | None = None
    organiser: str | None = None
    corrects: UUID | None = Field(None, description="The entry a correction reverses")
    unrecovered_points: int = Field(0, description="Points a correction could not take back")
    reason: str | None = None


class HeldFlagState(Frozen):
    flag_id: str
    kind: str
    detail: str = ""
    decision: Literal["credit", "reject"] | None = None


class HeldCredit(Frozen):
    """A credit a flag holds (DESIGN §10): not a ledger entry until every flag is credited;
    dropped for good at the first rejection. `entry` is what it will post as."""

    entry: LedgerEntry
    flags: tuple[HeldFlagState, ...]
    status: Literal["held", "posted", "rejected"] = "held"


class Hold(Frozen):
    redemption_id: str
    item_id: str
    points: int
    quarter: str
    code_hash: str
    origin_command_id: UUID


class RedeemCode(Frozen):
    code_hash: str
    expires_at: AwareDatetime
    used: bool = False


class AccountView(Frozen):
    volunteer_id: str
    balance: int = 0
    lifetime_hours: float = 0.0
    verified_hours: float = Field(0.0, description="Hours of entries checked in and out or "
                                  "confirmed, net of corrections: they set the star level")
    entries_count: int = Field(0, description="Ledger entries so far (they are kept apart, "
                               "each written once)")
    redeemed_quarters: tuple[str, ...] = ()
    holds: tuple[Hold, ...] = ()
    code: RedeemCode | None = Field(None, description="The one code that may be used now")

    @property
    def held(self) -> int:
        return sum(h.points for h in self.holds)

    @property
    def available(self) -> int:
        return self.balance - self.held


class CatalogItemView(Frozen):
    item_id: str
    name: str
    points: int
    stock: int


class StageCount(Frozen):
    """Requests that reached a stage (today, all time) and those in it now."""

    status: RequestStatus
    today: int
    total: int
    current: int


class Percentiles(Frozen):
    count: int
    p50_s: float | None
    p90_s: float | None


class LiveRequest(Frozen):
    """A request as the office sees it on the live board: no names, phones or addresses."""

    request_id: str
    service_type: ServiceType
    area: str
    area_name: str
    status: RequestStatus
    urgency: Urgency
    priority: Priority = LOWEST_PRIORITY
    team_id: str | None
    since: AwareDatetime
    due: AwareDatetime | None = None
    reason: str | None = None


class LiveEvent(Frozen):
    at: AwareDatetime
    type: str
    request_id: str | None = None
    area: str | None = None
    service_type: str | None = None
    team_id: str | None = None
    status: RequestStatus | None = None


class TeamStanding(Frozen):
    team_id: str
    name: str
    completed: int
    rating: float | None
    acceptance_rate: float | None
    load: int
    capacity: int


class Notification(Frozen):
    notification_id: UUID
    at: AwareDatetime
    recipient: str
    kind: str
    request_id: str | None = None
    text_zh: str
    text_en: str


class TimingPoint(Frozen):
    at: AwareDatetime
    seconds: float


class WishCounts(Frozen):
    """The micro-wishes of a scope: how many were ever posted, how many stand open or held
    by a volunteer now (claimed, or marked done and awaiting confirmation), and how many
    were fulfilled or withdrawn in all."""

    collected: int = 0
    open: int = 0
    claimed: int = 0
    fulfilled: int = 0
    withdrawn: int = 0


class CaseCounts(Frozen):
    """The cases of a scope: open now, of them past a deadline, and closed in all, of them
    before any deadline passed."""

    open: int = 0
    overdue: int = 0
    closed: int = 0
    closed_on_time: int = 0


class VisitCounts(Frozen):
    """The care visits of a scope in all: created as they fell due, done, missed."""

    planned: int = 0
    done: int = 0
    missed: int = 0


class FlagCounts(Frozen):
    open: int = Field(0, description="Flags on held hours awaiting a decision")


class Programmes(Frozen):
    """What the office's programmes beside dispatch stand at in a scope (DESIGN §11)."""

    wishes: WishCounts = WishCounts()
    cases: CaseCounts = CaseCounts()
    visits: VisitCounts = VisitCounts()
    flags: FlagCounts = FlagCounts()


class LiveSnapshot(Frozen):
    generated_at: AwareDatetime
    position: int = Field(description="How many messages the board has folded in (events and "
                          "dead letters), the same in every mode: it only grows, and the live "
                          "stream sends it as each message's id")
    events: int = Field(0, description="How many events (of every topic) were folded in; "
                        "on a scope's board, how many of its requests', teams', wishes' "
                        "and flags'")
    funnel: tuple[StageCount, ...]
    by_area: dict[str, dict[str, int]]
    by_service_type: dict[str, dict[str, int]]
    time_to_dispatch: Percentiles
    time_to_accept: Percentiles
    time_to_complete: Percentiles
    overdue: tuple[LiveRequest, ...]
    escalated: tuple[LiveRequest, ...]
    recent: tuple[LiveEvent, ...]
    teams: tuple[TeamStanding, ...]
    timings: dict[str, tuple[TimingPoint, ...]] = Field(
        default_factory=dict, description="Recent durations by stage, for charts"
    )
    programmes: Programmes = Field(default_factory=Programmes, description="Micro-wishes, "
                                   "cases, care visits and flags of the scope")
    dead_letters: int = Field(0, description="Messages set aside, on the whole platform's "
                              "board only (they belong to no area): 0 on a scope's board")
