"""Bodies and answers of activities (DESIGN §10's HTTP table)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from schemas.activities import LENGTH_MAX, ActivityStatus, SignUpStatus, Slots, Title
from schemas.commands import FlagKind
from schemas.common import AreaCode, Identifier, ServiceType


class ActivityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    activity_id: Identifier
    title: Title
    service_type: ServiceType
    area: AreaCode
    starts_at: AwareDatetime
    ends_at: AwareDatetime = Field(description="After the start, at most 24 hours later")
    slots: Slots
    team_id: Identifier | None = Field(None, description="The organising team; a leader's "
                                       "own team by default")
    approval: bool = Field(False, description="Sign-ups wait for the organiser's approval")

    @field_validator("ends_at")
    @classmethod
    def _after_start(cls, ends_at: datetime, info: ValidationInfo) -> datetime:
        starts_at = info.data.get("starts_at")
        if starts_at is not None and not starts_at < ends_at <= starts_at + LENGTH_MAX:
            raise ValueError("ends_at must be after starts_at, at most 24 hours later")
        return ends_at


class CodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, Field(pattern=r"^[0-9]{6}$", description="The six digits the "
                               "organiser shows")]


class SignUpOut(BaseModel):
    volunteer_id: str
    status: SignUpStatus
    checked_in_at: datetime | None = None
    checked_out_at: datetime | None = None


class ActivityOut(BaseModel):
    activity_id: str
    title: str
    service_type: ServiceType
    area: str
    area_name: str | None = None
    starts_at: datetime
    ends_at: datetime
    slots: int
    team_id: str | None = None
    approval: bool
    organiser: str
    status: ActivityStatus
    confirmed: int = Field(description="How many are confirmed")
    waiting: int
    pending: int
    checked_in: int
    mine: SignUpOut | None = Field(None, description="The calling volunteer's sign-up")
    organising: bool = Field(False, description="Whether the caller is an organiser")
    signups: list[SignUpOut] | None = Field(None, description="Everyone's sign-up with their "
                                            "check-in and check-out: for organisers, in one "
                                            "activity's read")
    closed_at: datetime | None = None
    closed_automatically: bool = Field(False, description="Closed by the platform, "
                                       "VD_ACTIVITY_AUTOCLOSE_S after the end")


class ActivityListOut(BaseModel):
    activities: list[ActivityOut]
    next_cursor: str | None = None


class SignUpAnswer(BaseModel):
    activity_id: str
    volunteer_id: str
    status: SignUpStatus | Literal["cancelled"]
    promoted: str | None = Field(None, description="On a cancellation: the first waiting, "
                                 "now confirmed")


class CodeOut(BaseModel):
    code: str
    valid_until: datetime = Field(description="The code is accepted until then (its minute "
                                  "and the next)")
    rotates_at: datetime = Field(description="When the next code is shown")
    check_in_url: str = Field(description="What the QR code holds: the volunteer page with "
                              "the activity and the code filled in")


class AttendanceOut(BaseModel):
    activity_id: str
    volunteer_id: str
    checked_in_at: datetime
    checked_out_at: datetime | None = None


class CreditedOut(BaseModel):
    volunteer_id: str
    hours: float


class FlaggedOut(BaseModel):
    volunteer_id: str
    hours: float
    kind: FlagKind


class UncreditedOut(BaseModel):
    volunteer_id: str
    reason: str


class CloseOut(BaseModel):
    activity_id: str
    status: ActivityStatus
    credited: list[CreditedOut]
    flagged: list[FlaggedOut] = Field(description="Held for the office: no or late check-out")
    uncredited: list[UncreditedOut] = Field(description="Checked in, but below the minimum "
                                            "share of the activity: no hours")

