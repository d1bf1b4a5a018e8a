"""The HTTP contract (v1): request bodies and answers, as the app and kiosk developers see them.

Paths and fields are stable: new fields may be added, none renamed. Bodies reject unknown
fields so that a typo is a clear 422, not a silently ignored value.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, field_validator

from schemas.api_accounts import MobilePhone
from schemas.base import Frozen
from schemas.commands import (
    REVIEW_SLA_MAX_S,
    TEAM_DEPUTIES_MAX,
    VOLUNTEER_SKILLS_MAX,
    Capacity,
    Latitude,
    Longitude,
    Phone,
    ServiceCheck,
    ServiceCode,
    Skill,
    VolunteerHours,
    distinct,
    one_county,
    sla_needs_review,
)
from schemas.common import (
    LOWEST_PRIORITY,
    AreaCode,
    Channel,
    Identifier,
    LongText,
    Priority,
    RequestStatus,
    ServiceType,
    ShortText,
    Urgency,
)
from schemas.views import (
    CatalogItemView,
    HistoryItem,
    LedgerEntry,
    LiveSnapshot,
    Notification,
    TeamChange,
)

# -- bodies --------------------------------------------------------------------------------


class AreaIn(Frozen):
    code: AreaCode
    name: ShortText
    lat: Latitude | None = None
    lon: Longitude | None = None


class TeamIn(Frozen):
    team_id: Identifier
    name: ShortText
    leader_id: Identifier
    service_types: list[ServiceType] = Field(min_length=1, max_length=14)
    areas: list[AreaCode] = Field(min_length=1, max_length=200)
    capacity: Capacity
    deputies: list[Identifier] = Field([], max_length=TEAM_DEPUTIES_MAX,
                                       description="They act for the team as its leader does")
    active: bool = Field(True, description="An inactive team gets no new dispatches")
    leader_phone: MobilePhone | None = Field(None, description="The leader's phone: its "
                                             "account gains the leader (who signs in with a "
                                             "code)")
    leader_name: ShortText | None = None

    _distinct = field_validator("deputies")(distinct)


class TeamPatch(Frozen):
    """Any of a team's fields; those left out stay as they are."""

    name: ShortText | None = None
    leader_id: Identifier | None = None
    deputies: list[Identifier] | None = Field(None, max_length=TEAM_DEPUTIES_MAX)
    capacity: Capacity | None = None
    areas: list[AreaCode] | None = Field(None, min_length=1, max_length=200)
    service_types: list[ServiceType] | None = Field(None, min_length=1, max_length=14)
    leader_phone: MobilePhone | None = Field(None, description="With `leader_name`: the "
                                             "(new) leader's phone gains the leader's role")
    leader_name: ShortText | None = None
    active: bool | None = None

    _one_county = field_validator("areas")(one_county)
    _distinct = field_validator("deputies")(distinct)


class VolunteerIn(Frozen):
    volunteer_id: Identifier
    name: ShortText
    team_id: Identifier
    skills: list[Skill] = Field([], max_length=VOLUNTEER_SKILLS_MAX)
    phone: Phone | None = Field(None, description="Kept sealed under the volunteer's key")
    active: bool = True

    _distinct = field_validator("skills")(distinct)


class VolunteerPatch(Frozen):
    """Any of a volunteer's fields; those left out stay as they are. `phone: null` removes
    the phone; `active: false` retires the volunteer."""

    name: ShortText | None = None
    phone: Phone | None = None
    team_id: Identifier | None = None
    skills: list[Skill] | None = Field(None, max_length=VOLUNTEER_SKILLS_MAX)
    active: bool | None = None

    _distinct = field_validator("skills")(distinct)


class RequestIn(Frozen):
    service_type: ServiceType
    area: AreaCode
    address: Annotated[str, Field(min_length=1, max_length=200)]
    details: LongText = ""
    urgency: Urgency = Urgency.NORMAL
    contact_name: Annotated[str, Field(max_length=50)] = ""
    contact_phone: Phone | None = None
    resident_id: Identifier | None = Field(None, description="Staff only: the resident "
                                           "they order for")
    channel: Channel = Field(Channel.APP, description="Staff only: `phone` (the default "
                             "for staff), `counter` or `visit`")


class ReviewRuleIn(Frozen):
    area: AreaCode = Field(description="The rule bears on orders in this area and below")
    service_type: ServiceType | None = Field(None, description="Only orders of this type; "
                                             "none: every type")
    required: bool = Field(description="Whether those orders wait for the office's review")
    sla_s: int | None = Field(None, ge=1, le=REVIEW_SLA_MAX_S, description="Seconds the "
                              "office has for the review; past it the order is on the "
                              "board's overdue list (`review_sla`). Only with required")

    _sla = field_validator("sla_s")(sla_needs_review)


class ReviewRuleOut(Frozen):
    area: str
    service_type: ServiceType | None
    required: bool
    sla_s: int | None
    set_at: AwareDatetime
    set_by: str


class ReviewRuleListOut(Frozen):
    rules: list[ReviewRuleOut]


class CancelIn(Frozen):
    reason: Annotated[str, Field(max_length=500)] = ""


class DeclineIn(Frozen):
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class CompleteIn(Frozen):
    volunteers: list[VolunteerHours] = Field(min_length=1, max_length=100)


class ReviewIn(Frozen):
    rating: int = Field(ge=1, le=5)
    comment: Annotated[str, Field(max_length=1000)] = ""
    dispute: bool = Field(False, description="The resident disputes the hours shown: the "
                          "credits are held for staff (DESIGN §10)")
    dispute_reason: Annotated[str, Field(max_length=500)] = Field(
        "", description="Required with `dispute: true` (422 `dispute_reason_required`)")


class CrewCheckIn(Frozen):
    code: ServiceCode
    volunteer_ids: list[Identifier] = Field(min_length=1, max_length=100)


class DispatchIn(Frozen):
    team_id: Identifier


class CatalogIn(Frozen):
    item_id: Identifier
    name: ShortText
    points: int = Field(ge=1, le=100_000)
    stock: int = Field(ge=0, le=1_000_000)
    kind: Literal["service", "civic"] = Field(
        "service", description="service: a gift for volunteers' service points, shared by "
        "every kiosk; civic: a good of one village supermarket's kiosk, for households' "
        "civic points, with that kiosk's own stock")
    kiosk_id: Identifier | None = Field(None, description="The supermarket's kiosk: "
                                        "required for a civic good, refused for a gift")


class RedemptionIn(Frozen):
    volunteer_id: Identifier
    item_id: Identifier
    code: Annotated[str, Field(pattern=r"^[0-9]{8}$", description="The volunteer's 8-digit code")]


# -- answers -------------------------------------------------------------------------------


class ErrorBody(Frozen):
    code: str
    message: str
    details: dict[str, object] | list[object] | None = None


class ErrorOut(Frozen):
    error: ErrorBody


class PendingOut(Frozen):
    """The owner has not answered within the wait: poll `status_url`."""

    command_id: UUID
    status: Literal["pending"] = "pending"
    status_url: str


class CreatedOut(Frozen):
    id: str
    kind: str


class StatusOut(Frozen):
    request_id: str
    status: RequestStatus
    team_id: str | None = None


class RequestOut(Frozen):
    request_id: str
    status: RequestStatus
    team_id: str | None
    service_type: ServiceType
    area: str
    area_name: str | None = None
    urgency: Urgency
    priority: Priority = Field(LOWEST_PRIORITY, description="The resident's tier when they "
                               "ordered (DESIGN §11): 1 and 2 are served first and get "
                               "shorter windows")
    address: str
    details: str
    contact_name: str
    contact_phone: str | None
    resident_id: str
    attempt: int
    refusals: int
    submitted_at: AwareDatetime
    accept_by: AwareDatetime | None
    complete_by: AwareDatetime | None
    review_by: AwareDatetime | None = Field(None, description="When the office's review "
                                            "of an order held for it is due, if a review "
                                            "rule set a time")
    volunteers: list[VolunteerHours]
    rating: int | None
    comment: str
    escalation_reason: str | None
    history: list[HistoryItem]
    history_total: int = Field(0, description="How many history items the request has; "
                               "`history` holds the first 200")
    service_code: str | None = Field(None, description="The six-digit code the leader "
                                     "checks volunteers in and out with, once accepted: "
                                     "shown to its resident and to staff in scope, never to "
                                     "the leader")
    checks: list[ServiceCheck] = Field(default_factory=list, description="Volunteers "
                                       "checked in and out, with the times")
    dispute_reason: str | None = Field(None, description="The resident's dispute of the "
                                       "hours, if any")
    plan_id: str | None = Field(None, description="The care plan whose visit this is")
    proactive: bool = Field(False, description="The platform created it by itself, from a "
                            "care plan, without being asked")


class RequestListOut(Frozen):
    requests: list[RequestOut]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; "
                                    "none when this page was the last")


class VolunteerOut(Frozen):
    volunteer_id: str
    name: str
    team_id: str
    skills: list[str] = Field(default_factory=list)
    active: bool = Field(True, description="False: retired (their points stay)")
    phone: str | None = Field(None, description="Shown to staff in scope and to the leader "
                              "and deputies of the volunteer's team; to no one else")


class VolunteerListOut(Frozen):
    volunteers: list[VolunteerOut]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page; "
                                    "none when this page was the last")


class TeamOut(Frozen):
    team_id: str
    name: str
    leader_id: str
    service_types: list[ServiceType]
    areas: list[str]
    capacity: int
    load: int
    rating: float | None
    completed: int
    deputies: list[str] = Field(default_factory=list)
    active: bool = True


class TeamDetailOut(TeamOut):
    county: str
    history: list[TeamChange] = Field(description="The team's registration and changes, "
                                      "oldest first, at most 200")
    history_total: int


class TasksOut(Frozen):
    team: TeamOut
    tasks: list[RequestOut]
    volunteers: list[VolunteerOut]


class TeamListOut(Frozen):
    teams: list[TeamOut]


class CandidateOut(TeamOut):
    level: int = Field(description="0 county .. 3 hamlet: how local the team's covered area is")
    full: bool
    refused: bool = Field(description="The team declined this request or let it time out")


class CandidateListOut(Frozen):
    request_id: str
    candidates: list[CandidateOut]


class AreaOut(Frozen):
    code: str
    name: str
    parent: str | None
    level: int
    lat: float | None
    lon: float | None


class AreaListOut(Frozen):
    areas: list[AreaOut]


class ServiceTypeOut(Frozen):
    code: ServiceType
    name_zh: str
    name_en: str
    description_zh: str
    description_en: str


class ServiceTypeListOut(Frozen):
    service_types: list[ServiceTypeOut]


class PointsOut(Frozen):
    volunteer_id: str
    name: str | None
    balance: int
    available: int
    lifetime_hours: float
    verified_hours: float = Field(0.0, description="Lifetime hours that were checked in and "
                                  "out or confirmed, net of corrections")
    star_level: int = Field(0, ge=0, le=5, description="By verified hours: 100 / 300 / 600 / "
                            "1000 / 1500 h for one to five stars (一星 … 五星)")
    quarter: str
    redeemed_this_quarter: bool
    entries: list[LedgerEntry]
    entries_total: int
    next_cursor: str | None = Field(None, description="Pass as `cursor` for older entries")


class RedeemCodeOut(Frozen):
    code: str
    expires_at: AwareDatetime


class CatalogItemOut(CatalogItemView):
    kind: Literal["service", "civic"] = "service"
    kiosk_id: str | None = Field(None, description="A civic good's kiosk")
    area: str | None = Field(None, description="A civic good's kiosk's area: the "
                             "households it serves")


class CatalogOut(Frozen):
    items: list[CatalogItemOut]


class RedemptionOut(Frozen):
    redemption_id: str
    status: str
    balance: int
    item_id: str
    points: int
    lifetime_hours: float
    quarter: str


class CommandStatusOut(Frozen):
    command_id: UUID
    status: Literal["pending", "done", "rejected"]
    result: dict[str, object] | None = None
    error: ErrorBody | None = None


class NotificationListOut(Frozen):
    notifications: list[Notification]


class LiveOut(LiveSnapshot):
    pass
