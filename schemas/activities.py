"""Volunteer activities (志愿服务活动, DESIGN §10): published, signed up for, attended with a
rotating code, and closed into verified hours.

An activity is owned by its county, as requests and residents are: a county's activities
are one aggregate, so the office's list of an area's activities is a page of one aggregate's
ranking, and the activity timer (the close by itself after the end) runs where the county is
held. An activity is small and bounded (at most `SLOTS_MAX` confirmed and as many more on
the waiting list or awaiting approval), so it lives in one row with its sign-up book and its
attendance.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, StringConstraints

from schemas.base import Actor, Command, Event, Frozen
from schemas.commands import FlagKind
from schemas.common import AreaCode, Identifier, ServiceType

County = Annotated[str, Field(pattern=r"^[0-9]{6}$")]
Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Organiser = Annotated[str, StringConstraints(max_length=200)]
SLOTS_MAX = 200
"""Confirmed places of one activity: a lecture hall or a clean-up crew, not a marathon."""
Slots = Annotated[int, Field(ge=1, le=SLOTS_MAX)]
LENGTH_MAX = timedelta(hours=24)
"""An activity's scheduled length at most: one credit holds at most 24 hours."""
SignUpStatus = Literal["confirmed", "waiting", "pending"]
ActivityStatus = Literal["open", "closed"]


class Attendance(Frozen):
    """One volunteer's check-in and check-out at the venue."""

    volunteer_id: Identifier
    checked_in_at: AwareDatetime
    checked_out_at: AwareDatetime | None = None


class ActivityCredit(Frozen):
    """What closing gave one volunteer: the hours and the interval they were counted on;
    `flag` when they are held for staff (no or late check-out)."""

    volunteer_id: Identifier
    hours: float = Field(ge=0)
    started_at: AwareDatetime
    ended_at: AwareDatetime
    flag: FlagKind | None = None
    reason: Literal["below_min_share", "below_step"] | None = Field(
        None, description="Why no hours were credited")


class ActivityView(Frozen):
    activity_id: Identifier
    county: County
    title: Title
    service_type: ServiceType
    area: AreaCode
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    slots: Slots
    team_id: Identifier | None = None
    approval: bool = False
    organiser: Organiser = Field("", description="Whom the record names as organiser: the "
                                 "team's name, or the office's (its area's name)")
    created_by: Actor
    created_at: AwareDatetime
    seq: int = Field(0, description="Place in the county's activities")
    status: ActivityStatus = "open"
    confirmed: tuple[Identifier, ...] = ()
    waiting: tuple[Identifier, ...] = Field((), description="In the order they came")
    pending: tuple[Identifier, ...] = Field((), description="Awaiting the organiser's "
                                            "approval, in the order they came")
    attendance: tuple[Attendance, ...] = ()
    closed_at: AwareDatetime | None = None
    closed_automatically: bool = False
    credits: tuple[ActivityCredit, ...] = ()

    def attended(self, volunteer_id: str) -> Attendance | None:
        return next((a for a in self.attendance if a.volunteer_id == volunteer_id), None)

    def status_of(self, volunteer_id: str) -> SignUpStatus | None:
        if volunteer_id in self.confirmed:
            return "confirmed"
        if volunteer_id in self.waiting:
            return "waiting"
        if volunteer_id in self.pending:
            return "pending"
        return None


class ActivityCommand(Command):
    county: County
    activity_id: Identifier

    @property
    def partition_key(self) -> str:
        return self.county


class PublishActivity(ActivityCommand):
    type: Literal["PublishActivity"] = "PublishActivity"
    title: Title
    service_type: ServiceType
    area: AreaCode
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    slots: Slots
    team_id: Identifier | None = None
    approval: bool = False
    organiser: Organiser = ""


class SignUp(ActivityCommand):
    type: Literal["SignUp"] = "SignUp"
    volunteer_id: Identifier


class CancelSignUp(ActivityCommand):
    type: Literal["CancelSignUp"] = "CancelSignUp"
    volunteer_id: Identifier


class ApproveSignUp(ActivityCommand):
    type: Literal["ApproveSignUp"] = "ApproveSignUp"
    volunteer_id: Identifier


class CheckIn(ActivityCommand):
    """Sent once the gateway has checked the rotating code; the check-in's time is the
    command's `occurred_at`, when the volunteer showed the code."""

    type: Literal["CheckIn"] = "CheckIn"
    volunteer_id: Identifier


class CheckOut(ActivityCommand):
    type: Literal["CheckOut"] = "CheckOut"
    volunteer_id: Identifier


class CloseActivity(ActivityCommand):
    """From an organiser, or from the activity timer (`automatic`)."""

    type: Literal["CloseActivity"] = "CloseActivity"
    automatic: bool = False


class ActivityEvent(Event):
    county: County
    activity_id: Identifier

    @property
    def partition_key(self) -> str:
        return self.county


class ActivityPublished(ActivityEvent):
    type: Literal["ActivityPublished"] = "ActivityPublished"
    title: Title
    service_type: ServiceType
    area: AreaCode
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    slots: Slots
    team_id: Identifier | None = None
    approval: bool = False
    organiser: Organiser = ""


class VolunteerSignedUp(ActivityEvent):
    type: Literal["VolunteerSignedUp"] = "VolunteerSignedUp"
    volunteer_id: Identifier
    status: SignUpStatus


class SignUpCancelled(ActivityEvent):
    type: Literal["SignUpCancelled"] = "SignUpCancelled"
    volunteer_id: Identifier
    promoted: Identifier | None = Field(None, description="The first waiting, now confirmed")


class SignUpApproved(ActivityEvent):
    type: Literal["SignUpApproved"] = "SignUpApproved"
    volunteer_id: Identifier
    status: Literal["confirmed", "waiting"]


class VolunteerCheckedIn(ActivityEvent):
    type: Literal["VolunteerCheckedIn"] = "VolunteerCheckedIn"
    volunteer_id: Identifier
    at: AwareDatetime


class VolunteerCheckedOut(ActivityEvent):
    type: Literal["VolunteerCheckedOut"] = "VolunteerCheckedOut"
    volunteer_id: Identifier
    at: AwareDatetime


class ActivityClosed(ActivityEvent):
    type: Literal["ActivityClosed"] = "ActivityClosed"
    automatic: bool = False
    credits: tuple[ActivityCredit, ...] = ()


AnyActivityCommand = Annotated[
    PublishActivity | SignUp | CancelSignUp | ApproveSignUp | CheckIn | CheckOut
    | CloseActivity,
    Field(discriminator="type")]
AnyActivityEvent = Annotated[
    ActivityPublished | VolunteerSignedUp | SignUpCancelled | SignUpApproved
    | VolunteerCheckedIn | VolunteerCheckedOut | ActivityClosed,
    Field(discriminator="type")]
