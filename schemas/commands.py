"""Commands: imperative requests to the single owner of the state they change.

A command names the aggregate that owns it through `partition_key`: the county for the
directory and request lifecycle, the volunteer for points, the catalog item for stock.
"""

from __future__ import annotations

from typing import Annotated, Literal, TypeVar
from uuid import UUID

from pydantic import (
    AwareDatetime,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from schemas.base import Command, Frozen
from schemas.common import (
    LOWEST_PRIORITY,
    AreaCode,
    Channel,
    Hours,
    Identifier,
    Priority,
    RequestId,
    Sealed,
    ServiceType,
    ShortText,
    Urgency,
    county_of,
)

Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]
Phone = Annotated[str, Field(pattern=r"^\+?[0-9 -]{5,20}$")]
CodeHash = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
CountyCode = Annotated[str, Field(pattern=r"^[0-9]{6}$")]
TEAM_DEPUTIES_MAX = 10
"""Deputies one team may have: enough for shifts, few enough that everyone knows who acts
for the team."""
VOLUNTEER_SKILLS_MAX = 20
Skill = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40),
                  Field(description="A free tag the office gives a volunteer (电工, first_aid)")]
Capacity = Annotated[int, Field(ge=1, le=1000)]


S = TypeVar("S", bound=tuple[str, ...] | None)


def distinct(values: S) -> S:
    """A list of people or tags names each once: a repeat is a client's slip, not data."""
    if values is not None and len(set(values)) != len(values):
        raise ValueError("each value may be named once")
    return values


def one_county(areas: S) -> S:
    """One dispatcher partition owns a team's load, so a team serves a single county."""
    if areas is not None and len({county_of(a) for a in areas}) != 1:
        raise ValueError("all areas of a team must lie in one county")
    return areas


class VolunteerHours(Frozen):
    volunteer_id: Identifier
    hours: Hours


ServiceCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$"),
                        Field(description="The resident's six-digit service code")]


class ServiceCheck(Frozen):
    """When a volunteer was checked in and out of a service with the resident's code."""

    volunteer_id: Identifier
    checked_in_at: AwareDatetime
    checked_out_at: AwareDatetime | None = None


# -- the directory: areas, teams and volunteers of a county ---------------------------------


class CountyCommand(Command):
    @property
    def county(self) -> str:
        raise NotImplementedError

    @property
    def partition_key(self) -> str:
        return self.county


class RegisterArea(CountyCommand):
    type: Literal["RegisterArea"] = "RegisterArea"
    code: AreaCode
    name: ShortText
    lat: Latitude | None = None
    lon: Longitude | None = None

    @property
    def county(self) -> str:
        return county_of(self.code)


class RegisterTeam(CountyCommand):
    type: Literal["RegisterTeam"] = "RegisterTeam"
    team_id: Identifier
    name: ShortText
    leader_id: Identifier
    service_types: tuple[ServiceType, ...] = Field(min_length=1, max_length=14)
    areas: tuple[AreaCode, ...] = Field(min_length=1, max_length=200)
    capacity: Capacity
    deputies: tuple[Identifier, ...] = Field((), max_length=TEAM_DEPUTIES_MAX)
    active: bool = True

    _one_county = field_validator("areas")(one_county)
    _distinct = field_validator("deputies")(distinct)

    @property
    def county(self) -> str:
        return county_of(self.areas[0])


class RegisterVolunteer(CountyCommand):
    type: Literal["RegisterVolunteer"] = "RegisterVolunteer"
    volunteer_id: Identifier
    name: ShortText
    team_id: Identifier
    team_county: CountyCode
    skills: tuple[Skill, ...] = Field((), max_length=VOLUNTEER_SKILLS_MAX)
    phone: Sealed | None = None
    active: bool = True

    _distinct = field_validator("skills")(distinct)

    @property
    def county(self) -> str:
        return self.team_county


class ChangeTeam(CountyCommand):
    """Change some of a team's fields; None leaves a field as it is. Sent to the county the
    team is registered in, which its areas may not leave."""

    type: Literal["ChangeTeam"] = "ChangeTeam"
    team_id: Identifier
    team_county: CountyCode
    name: ShortText | None = None
    leader_id: Identifier | None = None
    deputies: tuple[Identifier, ...] | None = Field(None, max_length=TEAM_DEPUTIES_MAX)
    capacity: Capacity | None = None
    areas: tuple[AreaCode, ...] | None = Field(None, min_length=1, max_length=200)
    service_types: tuple[ServiceType, ...] | None = Field(None, min_length=1, max_length=14)
    active: bool | None = None

    _one_county = field_validator("areas")(one_county)
    _distinct = field_validator("deputies")(distinct)

    @property
    def county(self) -> str:
        return self.team_county


class ChangeVolunteer(CountyCommand):
    """Change some of a volunteer's fields (None: as it is): their profile, their team in
    the same county, or whether they still serve (active false retires them)."""

    type: Literal["ChangeVolunteer"] = "ChangeVolunteer"
    volunteer_id: Identifier
    team_county: CountyCode
    name: ShortText | None = None
    phone: Sealed | None = Field(None, description="Sealed; an empty string removes it")
    team_id: Identifier | None = None
    skills: tuple[Skill, ...] | None = Field(None, max_length=VOLUNTEER_SKILLS_MAX)
    active: bool | None = None

    _distinct = field_validator("skills")(distinct)

    @property
    def county(self) -> str:
        return self.team_county


REVIEW_SLA_MAX_S = 30 * 86400
"""The longest time a review rule may give the office: a month."""


def sla_needs_review(sla_s: int | None, info: ValidationInfo) -> int | None:
    """A time for the review makes sense only where orders are reviewed."""
    if sla_s is not None and info.data.get("required") is False:
        raise ValueError("a time for the review only where review is required")
    return sla_s


class SetReviewRule(CountyCommand):
    """Staff decide whether orders of an area (and below), of one service type or of all,
    wait for the office's review (审单), and within what time; the same area and type again
    replace the rule. The most specific rule wins (`dispatcher.review`)."""

    type: Literal["SetReviewRule"] = "SetReviewRule"
    area: AreaCode
    service_type: ServiceType | None = None
    required: bool
    sla_s: int | None = Field(None, ge=1, le=REVIEW_SLA_MAX_S)

    _sla = field_validator("sla_s")(sla_needs_review)

    @property
    def county(self) -> str:
        return county_of(self.area)


# -- the request lifecycle -----------------------------------------------------------------


class RequestCommand(CountyCommand):
    request_id: RequestId

    @property
    def county(self) -> str:
        return county_of(self.request_id)


class SubmitRequest(RequestCommand):
    type: Literal["SubmitRequest"] = "SubmitRequest"
    service_type: ServiceType
    area: AreaCode
    address: Sealed = Field(min_length=1)
    details: Sealed = ""
    urgency: Urgency = Urgency.NORMAL
    contact_name: Sealed = ""
    contact_phone: Sealed | None = None
    resident_id: Identifier | None = Field(None, description="Staff ordering on a "
                                           "resident's behalf; else the actor is the resident")
    channel: Channel = Channel.APP
    plan_id: Identifier | None = Field(None, description="The care plan a visit is made "
                                       "for: the platform itself created the request")
    preferred_team_id: Identifier | None = Field(None, description="Tried first when "
                                                 "eligible: the plan's contracted team")
    priority: Priority = Field(LOWEST_PRIORITY, description="Derived by the gateway from "
                               "the resident's profile, never typed by the resident")

    @model_validator(mode="after")
    def _id_names_county(self) -> SubmitRequest:
        if county_of(self.area) != county_of(self.request_id):
            raise ValueError("request_id must start with the county of its area")
        return self


class ApproveRequest(RequestCommand):
    type: Literal["ApproveRequest"] = "ApproveRequest"


class CancelRequest(RequestCommand):
    type: Literal["CancelRequest"] = "CancelRequest"
    reason: Annotated[str, Field(max_length=500)] = ""


class AcceptRequest(RequestCommand):
    """The gateway draws the resident's service code: the leader who accepts never sees it."""

    type: Literal["AcceptRequest"] = "AcceptRequest"
    service_code: ServiceCode | None = None


class CrewCheck(RequestCommand):
    """The leader checks volunteers in on arrival and out when done, with the resident's
    code (DESIGN §10)."""

    code: ServiceCode
    volunteer_ids: tuple[Identifier, ...] = Field(min_length=1, max_length=100)

    @field_validator("volunteer_ids")
    @classmethod
    def _distinct(cls, ids: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(ids)) != len(ids):
            raise ValueError("each volunteer may be named once")
        return ids


class CheckInVolunteers(CrewCheck):
    type: Literal["CheckInVolunteers"] = "CheckInVolunteers"


class CheckOutVolunteers(CrewCheck):
    type: Literal["CheckOutVolunteers"] = "CheckOutVolunteers"


class DeclineRequest(RequestCommand):
    type: Literal["DeclineRequest"] = "DeclineRequest"
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class CompleteRequest(RequestCommand):
    type: Literal["CompleteRequest"] = "CompleteRequest"
    volunteers: tuple[VolunteerHours, ...] = Field(min_length=1, max_length=100)

    @field_validator("volunteers")
    @classmethod
    def _distinct(cls, volunteers: tuple[VolunteerHours, ...]) -> tuple[VolunteerHours, ...]:
        ids = [v.volunteer_id for v in volunteers]
        if len(set(ids)) != len(ids):
            raise ValueError("each volunteer may be named once")
        return volunteers


class ReviewRequest(RequestCommand):
    type: Literal["ReviewRequest"] = "ReviewRequest"
    rating: int = Field(ge=1, le=5)
    comment: Annotated[str, Field(max_length=1000)] = ""
    dispute: bool = False
    dispute_reason: Annotated[str, Field(max_length=500)] = ""


class DispatchRequest(RequestCommand):
    """Staff dispatch by hand, overriding matching (still checked for type and coverage)."""

    type: Literal["DispatchRequest"] = "DispatchRequest"
    team_id: Identifier


class ConfirmService(RequestCommand):
    """Staff (or the confirmation window) confirm a completed service so points are due."""

    type: Literal["ConfirmService"] = "ConfirmService"


class ExpireDeadline(RequestCommand):
    """Raised by the deadline timer; names the deadline so a stale timer changes nothing."""

    type: Literal["ExpireDeadline"] = "ExpireDeadline"
    due_at: AwareDatetime


DispatchCommand = Annotated[
    RegisterArea
    | RegisterTeam
    | RegisterVolunteer
    | ChangeTeam
    | ChangeVolunteer
    | SetReviewRule
    | SubmitRequest
    | ApproveRequest
    | CancelRequest
    | AcceptRequest
    | CheckInVolunteers
    | CheckOutVolunteers
    | DeclineRequest
    | CompleteRequest
    | ReviewRequest
    | DispatchRequest
    | ConfirmService
    | ExpireDeadline,
    Field(discriminator="type"),
]


# -- points ---------------------------------------------------------------------------------


class VolunteerCommand(Command):
    volunteer_id: Identifier

    @property
    def partition_key(self) -> str:
        return self.volunteer_id


CreditSource = Literal["service", "activity", "wish"]
FlagKind = Literal["overlap", "day_hours", "same_pair", "late_checkout", "no_checkout",
                   "dispute"]


class CreditFacts(Frozen):
    """What an hour was for, where and when, and how it was verified (DESIGN §10).

    The sender states them; the ledger checks the flags against them, and the record, the
    certificate and the reports read them from the entry."""

    source: CreditSource = "service"
    verified: bool = True
    activity_id: Identifier | None = None
    wish_id: Identifier | None = None
    started_at: AwareDatetime | None = Field(None, description="Checked in (or began)")
    ended_at: AwareDatetime | None = Field(None, description="Checked out (or ended)")
    resident_id: Identifier | None = Field(None, description="Whom the service was for")
    area: AreaCode | None = None
    service_type: ServiceType | None = None
    team_id: Identifier | None = None
    title: Annotated[str, StringConstraints(max_length=200)] | None = None
    organiser: Annotated[str, StringConstraints(max_length=200)] | None = None


class RaisedFlag(Frozen):
    """A flag the sender already knows applies (a missing check-out, a dispute)."""

    kind: FlagKind
    detail: Annotated[str, StringConstraints(max_length=500)] = ""


class CreditPoints(VolunteerCommand):
    """Credit one volunteer for one service, activity or wish; the entry id makes it happen
    once. The ledger holds it instead when a flag applies: one the sender raised, or one the
    ledger finds against the volunteer's own history (overlap, hours per day, same pair)."""

    type: Literal["CreditPoints"] = "CreditPoints"
    entry_id: UUID
    request_id: RequestId | None = None
    hours: Hours
    source_event_ids: tuple[UUID, ...] = Field(min_length=1)
    facts: CreditFacts = CreditFacts()
    raised: tuple[RaisedFlag, ...] = ()


class ReleaseHeldCredit(VolunteerCommand):
    """A flag of a held credit was decided by staff: the ledger posts the credit once every
    flag of it is credited, and drops it for good at the first rejection."""

    type: Literal["ReleaseHeldCredit"] = "ReleaseHeldCredit"
    entry_id: UUID
    flag_id: Identifier
    decision: Literal["credit", "reject"]
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)]


class CorrectEntry(VolunteerCommand):
    """Staff reverse a credited entry, whole or in part, with a reason (DESIGN §10)."""

    type: Literal["CorrectEntry"] = "CorrectEntry"
    entry_id: UUID = Field(description="The reversing entry's own id")
    corrects: UUID
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    points: int | None = Field(None, ge=1, description="Points to take back (default: what "
                               "is left of the entry's)")
    hours: float | None = Field(None, gt=0, le=24, description="Hours to take back "
                                "(default: what is left of the entry's)")


class IssueRedeemCode(VolunteerCommand):
    """Only a hash of the code travels: the plain code is shown once, to the volunteer."""

    type: Literal["IssueRedeemCode"] = "IssueRedeemCode"
    code_hash: CodeHash
    expires_at: AwareDatetime


class RedeemPoints(VolunteerCommand):
    type: Literal["RedeemPoints"] = "RedeemPoints"
    redemption_id: Identifier
    item_id: Identifier
    points: int = Field(ge=1)
    code_hash: CodeHash
    kiosk_id: Identifier


class SettleRedemption(VolunteerCommand):
    """Second step of a redemption: the stock owner's answer comes back to the ledger."""

    type: Literal["SettleRedemption"] = "SettleRedemption"
    redemption_id: Identifier
    origin_command_id: UUID
    stock_event_id: UUID
    reserved: bool
    reason: str = ""
    stock_left: int | None = None


LedgerCommand = Annotated[
    CreditPoints | IssueRedeemCode | RedeemPoints | SettleRedemption | ReleaseHeldCredit
    | CorrectEntry,
    Field(discriminator="type"),
]


# -- gift stock -----------------------------------------------------------------------------


class ItemCommand(Command):
    item_id: Identifier

    @property
    def partition_key(self) -> str:
        return self.item_id


class StockCatalogItem(ItemCommand):
    """Add an item or restock it: the same id adds stock and may update name and cost."""

    type: Literal["StockCatalogItem"] = "StockCatalogItem"
    name: ShortText
    points: int = Field(ge=1, le=100_000)
    stock: int = Field(ge=0, le=1_000_000)


class ReserveStock(ItemCommand):
    type: Literal["ReserveStock"] = "ReserveStock"
    redemption_id: Identifier
    volunteer_id: Identifier
    points: int = Field(ge=1)
    origin_command_id: UUID


StockCommand = Annotated[StockCatalogItem | ReserveStock, Field(discriminator="type")]
