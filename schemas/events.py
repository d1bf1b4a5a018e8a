"""Events: immutable facts in the past tense. The log of these is the source of truth."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from schemas.base import Event, Frozen
from schemas.commands import (
    CodeHash,
    CountyCode,
    CreditFacts,
    FlagKind,
    Latitude,
    Longitude,
    ServiceCheck,
    VolunteerHours,
)
from schemas.common import (
    LOWEST_PRIORITY,
    AreaCode,
    Channel,
    Hours,
    Identifier,
    Priority,
    RequestId,
    Role,
    Sealed,
    ServiceType,
    Urgency,
    county_of,
)

# -- the directory and request lifecycle (keyed by county) ---------------------------------


class CountyEvent(Event):
    @property
    def county(self) -> str:
        raise NotImplementedError

    @property
    def partition_key(self) -> str:
        return self.county


class AreaRegistered(CountyEvent):
    type: Literal["AreaRegistered"] = "AreaRegistered"
    code: AreaCode
    name: str
    lat: Latitude | None = None
    lon: Longitude | None = None
    parent: AreaCode | None = None

    @property
    def county(self) -> str:
        return county_of(self.code)


class TeamRegistered(CountyEvent):
    type: Literal["TeamRegistered"] = "TeamRegistered"
    team_id: Identifier
    name: str
    leader_id: Identifier
    service_types: tuple[ServiceType, ...]
    areas: tuple[AreaCode, ...]
    capacity: int
    deputies: tuple[Identifier, ...] = ()
    active: bool = True

    @property
    def county(self) -> str:
        return county_of(self.areas[0])


TEAM_FIELDS = ("name", "leader_id", "deputies", "capacity", "areas", "service_types", "active")
"""What a team change may carry."""


class TeamChanged(CountyEvent):
    """Some of a team's fields changed: it carries only those (None: unchanged)."""

    type: Literal["TeamChanged"] = "TeamChanged"
    team_id: Identifier
    team_county: CountyCode
    name: str | None = None
    leader_id: Identifier | None = None
    deputies: tuple[Identifier, ...] | None = None
    capacity: int | None = None
    areas: tuple[AreaCode, ...] | None = None
    service_types: tuple[ServiceType, ...] | None = None
    active: bool | None = None

    @property
    def county(self) -> str:
        return self.team_county

    def changes(self) -> dict[str, object]:
        return {f: getattr(self, f) for f in TEAM_FIELDS if getattr(self, f) is not None}


class VolunteerRegistered(CountyEvent):
    type: Literal["VolunteerRegistered"] = "VolunteerRegistered"
    volunteer_id: Identifier
    name: str
    team_id: Identifier
    team_county: str
    skills: tuple[str, ...] = ()
    phone: Sealed | None = None
    active: bool = True

    @property
    def county(self) -> str:
        return self.team_county


VOLUNTEER_FIELDS = ("name", "phone", "team_id", "skills", "active")
"""What a volunteer change may carry."""


class VolunteerChanged(CountyEvent):
    """Some of a volunteer's fields changed (None: unchanged): a move to another team of the
    county names the team left, and `active: false` retires the volunteer (their points
    stay; they can no longer be named at a completion)."""

    type: Literal["VolunteerChanged"] = "VolunteerChanged"
    volunteer_id: Identifier
    team_county: CountyCode
    name: str | None = None
    phone: Sealed | None = Field(None, description="Sealed; an empty string: removed")
    team_id: Identifier | None = None
    from_team_id: Identifier | None = None
    skills: tuple[str, ...] | None = None
    active: bool | None = None

    @property
    def county(self) -> str:
        return self.team_county

    def changes(self) -> dict[str, object]:
        return {f: getattr(self, f) for f in VOLUNTEER_FIELDS if getattr(self, f) is not None}


class ReviewRuleSet(CountyEvent):
    """A review rule of an area and service type (None: every type), replacing any before."""

    type: Literal["ReviewRuleSet"] = "ReviewRuleSet"
    area: AreaCode
    service_type: ServiceType | None = None
    required: bool
    sla_s: int | None = None

    @property
    def county(self) -> str:
        return county_of(self.area)


class RequestEvent(CountyEvent):
    request_id: RequestId

    @property
    def county(self) -> str:
        return county_of(self.request_id)


class RequestSubmitted(RequestEvent):
    type: Literal["RequestSubmitted"] = "RequestSubmitted"
    resident_id: Identifier
    service_type: ServiceType
    area: AreaCode
    address: Sealed
    details: Sealed = ""
    urgency: Urgency = Urgency.NORMAL
    contact_name: Sealed = ""
    contact_phone: Sealed | None = None
    channel: Channel = Channel.APP
    """The actor is who entered it: the resident, or the staff member on their behalf."""
    plan_id: Identifier | None = None
    preferred_team_id: Identifier | None = None
    priority: Priority = LOWEST_PRIORITY
    """The resident's tier when they ordered (events from before tiers decode as 3)."""


class RequestHeldForReview(RequestEvent):
    """The office reviews orders (审核) before they are dispatched."""

    type: Literal["RequestHeldForReview"] = "RequestHeldForReview"
    review_by: AwareDatetime | None = Field(None, description="The review rule's SLA: past "
                                            "it the order is overdue on the board")


class RequestApproved(RequestEvent):
    type: Literal["RequestApproved"] = "RequestApproved"


class RequestDispatched(RequestEvent):
    type: Literal["RequestDispatched"] = "RequestDispatched"
    team_id: Identifier
    attempt: int
    accept_by: AwareDatetime
    manual: bool = False
    level: int | None = Field(default=None, description="0 county .. 3 hamlet of the team's area")
    distance_km: float | None = None
    remind_at: AwareDatetime | None = Field(None, description="When the team is reminded, "
                                            "if it has not accepted by then")


class RequestQueued(RequestEvent):
    """Teams serve it but all are at capacity: it waits for the first free one."""

    type: Literal["RequestQueued"] = "RequestQueued"
    wait_until: AwareDatetime


class RequestAccepted(RequestEvent):
    type: Literal["RequestAccepted"] = "RequestAccepted"
    team_id: Identifier
    attempt: int
    complete_by: AwareDatetime
    service_code: str | None = Field(None, description="The resident's code to check "
                                     "volunteers in and out with")


class VolunteersCheckedIn(RequestEvent):
    type: Literal["VolunteersCheckedIn"] = "VolunteersCheckedIn"
    team_id: Identifier
    volunteer_ids: tuple[Identifier, ...]


class VolunteersCheckedOut(RequestEvent):
    type: Literal["VolunteersCheckedOut"] = "VolunteersCheckedOut"
    team_id: Identifier
    volunteer_ids: tuple[Identifier, ...]


class RequestDeclined(RequestEvent):
    type: Literal["RequestDeclined"] = "RequestDeclined"
    team_id: Identifier
    attempt: int
    reason: str


class AcceptReminderDue(RequestEvent):
    """The team has not accepted and its deadline is near: its leader and deputies hear."""

    type: Literal["AcceptReminderDue"] = "AcceptReminderDue"
    team_id: Identifier
    accept_by: AwareDatetime


class AcceptDeadlinePassed(RequestEvent):
    type: Literal["AcceptDeadlinePassed"] = "AcceptDeadlinePassed"
    team_id: Identifier
    attempt: int


EscalationReason = Literal["no_eligible_team", "too_many_refusals", "all_teams_busy"]


class RequestEscalated(RequestEvent):
    """No team could take it, or too many refused: office staff must step in."""

    type: Literal["RequestEscalated"] = "RequestEscalated"
    reason: EscalationReason
    refusals: int
    area: AreaCode | None = Field(None, description="The request's area and resident, so "
                                  "that the case it opens names them")
    resident_id: Identifier | None = None


class RequestCancelled(RequestEvent):
    type: Literal["RequestCancelled"] = "RequestCancelled"
    reason: str = ""
    by_role: Role
    team_id: Identifier | None = None
    plan_id: Identifier | None = Field(None, description="A care plan's visit called off: "
                                       "it is missed")


class RequestCompleted(RequestEvent):
    type: Literal["RequestCompleted"] = "RequestCompleted"
    team_id: Identifier
    volunteers: tuple[VolunteerHours, ...]
    confirm_by: AwareDatetime | None = Field(description="None when a volunteer was not "
                                             "checked in: only the resident or staff confirm")
    checks: tuple[ServiceCheck, ...] = Field((), description="The named volunteers who were "
                                             "checked in, closed at completion")
    plan_id: Identifier | None = Field(None, description="The care plan the visit was for")


class RequestReviewed(RequestEvent):
    type: Literal["RequestReviewed"] = "RequestReviewed"
    team_id: Identifier
    rating: int = Field(ge=1, le=5)
    comment: str = ""
    area: AreaCode | None = Field(None, description="The request's area and type, so that a "
                                  "board which has forgotten the request counts it all the same")
    service_type: ServiceType | None = None
    dispute: bool = False
    dispute_reason: str = ""


class ServiceConfirmed(RequestEvent):
    """Points become due: the resident reviewed, staff confirmed, or the window passed. It
    carries what the ledger records of the service: who was checked in and out, for whom,
    where, by which team, and the resident's dispute if any (which holds the credits)."""

    type: Literal["ServiceConfirmed"] = "ServiceConfirmed"
    team_id: Identifier
    volunteers: tuple[VolunteerHours, ...]
    completed_event_id: UUID
    confirmed_by: Literal["review", "staff", "window"]
    checks: tuple[ServiceCheck, ...] = ()
    resident_id: Identifier | None = None
    area: AreaCode | None = None
    service_type: ServiceType | None = None
    team_name: str | None = None
    dispute_reason: str | None = Field(None, description="Set when the resident disputed")


DispatchEvent = Annotated[
    AreaRegistered
    | TeamRegistered
    | TeamChanged
    | VolunteerRegistered
    | VolunteerChanged
    | ReviewRuleSet
    | RequestSubmitted
    | RequestHeldForReview
    | RequestApproved
    | RequestDispatched
    | RequestQueued
    | RequestAccepted
    | RequestDeclined
    | AcceptDeadlinePassed
    | AcceptReminderDue
    | RequestEscalated
    | RequestCancelled
    | RequestCompleted
    | RequestReviewed
    | ServiceConfirmed
    | VolunteersCheckedIn
    | VolunteersCheckedOut,
    Field(discriminator="type"),
]

# -- points (keyed by volunteer) -----------------------------------------------------------


class VolunteerEvent(Event):
    volunteer_id: Identifier

    @property
    def partition_key(self) -> str:
        return self.volunteer_id


class RedeemCodeIssued(VolunteerEvent):
    type: Literal["RedeemCodeIssued"] = "RedeemCodeIssued"
    code_hash: CodeHash
    expires_at: AwareDatetime


class PointsCredited(VolunteerEvent):
    type: Literal["PointsCredited"] = "PointsCredited"
    entry_id: UUID
    request_id: RequestId | None = None
    hours: Hours
    points: int = Field(ge=0)
    source_event_ids: tuple[UUID, ...]
    facts: CreditFacts = CreditFacts()
    released_flags: tuple[Identifier, ...] = Field(
        (), description="The flags whose resolution released this credit, if it was held")


class HeldFlag(Frozen):
    flag_id: Identifier
    kind: FlagKind
    detail: str = ""


class CreditHeld(VolunteerEvent):
    """A credit a flag applies to: not an entry, nothing posted, until staff resolve every
    one of its flags (DESIGN §10)."""

    type: Literal["CreditHeld"] = "CreditHeld"
    entry_id: UUID
    request_id: RequestId | None = None
    hours: Hours
    points: int = Field(ge=0)
    source_event_ids: tuple[UUID, ...]
    facts: CreditFacts = CreditFacts()
    flags: tuple[HeldFlag, ...] = Field(min_length=1)


class FlagResolved(VolunteerEvent):
    """Staff decided one flag; a held credit whose flags are all credited is then posted by a
    PointsCredited of its own, and one with a rejected flag is dropped for good."""

    type: Literal["FlagResolved"] = "FlagResolved"
    flag_id: Identifier
    entry_id: UUID
    decision: Literal["credit", "reject"]
    reason: str


class PointsCorrected(VolunteerEvent):
    """A reversing entry: negative points and hours against one credited entry, with the
    reason. Points never take the balance below zero; what could not be taken back is
    `unrecovered_points`. It carries the corrected entry's facts, so reports net it out
    where the credit was counted."""

    type: Literal["PointsCorrected"] = "PointsCorrected"
    entry_id: UUID
    corrects: UUID
    request_id: RequestId | None = Field(None, description="The corrected service's request")
    points: int = Field(le=0)
    hours: float = Field(le=0)
    unrecovered_points: int = Field(ge=0)
    reason: str
    corrected_at: AwareDatetime = Field(description="When the corrected entry was posted")
    facts: CreditFacts = CreditFacts()


class RedemptionHeld(VolunteerEvent):
    """Points set aside while the gift's stock is reserved (first phase of two)."""

    type: Literal["RedemptionHeld"] = "RedemptionHeld"
    redemption_id: Identifier
    item_id: Identifier
    points: int = Field(ge=1)
    quarter: str
    code_hash: CodeHash
    kiosk_id: Identifier
    origin_command_id: UUID


class PointsRedeemed(VolunteerEvent):
    type: Literal["PointsRedeemed"] = "PointsRedeemed"
    entry_id: UUID
    redemption_id: Identifier
    item_id: Identifier
    points: int = Field(ge=1)
    quarter: str
    source_event_ids: tuple[UUID, ...]


class RedemptionVoided(VolunteerEvent):
    """The hold is released: the gift could not be reserved. Nothing reaches the ledger."""

    type: Literal["RedemptionVoided"] = "RedemptionVoided"
    redemption_id: Identifier
    reason: str


LedgerEvent = Annotated[
    RedeemCodeIssued | PointsCredited | RedemptionHeld | PointsRedeemed | RedemptionVoided
    | CreditHeld | FlagResolved | PointsCorrected,
    Field(discriminator="type"),
]

# -- gift stock (keyed by catalog item) ----------------------------------------------------


class ItemEvent(Event):
    item_id: Identifier

    @property
    def partition_key(self) -> str:
        return self.item_id


class CatalogItemStocked(ItemEvent):
    type: Literal["CatalogItemStocked"] = "CatalogItemStocked"
    name: str
    points: int
    added: int
    stock: int


class StockReserved(ItemEvent):
    type: Literal["StockReserved"] = "StockReserved"
    redemption_id: Identifier
    volunteer_id: Identifier
    stock: int = Field(ge=0)


class StockRefused(ItemEvent):
    type: Literal["StockRefused"] = "StockRefused"
    redemption_id: Identifier
    volunteer_id: Identifier
    reason: Literal["unknown_item", "out_of_stock", "price_changed"]


StockEvent = Annotated[
    CatalogItemStocked | StockReserved | StockRefused, Field(discriminator="type")
]

