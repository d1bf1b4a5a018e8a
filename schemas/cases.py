"""Cases of the "can't get it done" window (办不成事, DESIGN §11): a complaint or a stalled
matter with an owner, a deadline in working days and a closed loop of recorded steps.

A case is owned by its county, as wishes are: a county's cases are one aggregate, which also
knows the county's offices (the scopes that have staff), so the owner of a new case and the
scope a passed deadline moves it to are decided where the case is. The subject, details,
step notes and resolution are free text about a person: they enter the log sealed under the
resident's key (under the case's own key when no resident is named), except for the cases
the platform opens by itself, whose words are the platform's own.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from schemas.base import Actor, Command, Event, Frozen
from schemas.common import AreaCode, Identifier, Sealed

County = Annotated[str, Field(pattern=r"^[0-9]{6}$")]
CaseKind = Literal["stalled", "missed_visit", "dispute", "complaint", "other"]
CASE_KINDS: tuple[CaseKind, ...] = ("stalled", "missed_visit", "dispute", "complaint", "other")
StepKind = Literal["note", "prescribe", "act", "verify"]
STEP_KINDS: tuple[StepKind, ...] = ("note", "prescribe", "act", "verify")
CaseStatus = Literal["open", "closed"]
CASE_STATUSES: tuple[CaseStatus, ...] = ("open", "closed")


class CaseStep(Frozen):
    kind: StepKind
    note: Sealed
    at: AwareDatetime
    by: Actor


class CaseView(Frozen):
    case_id: Identifier
    county: County
    area: AreaCode
    kind: CaseKind
    subject: Sealed
    details: Sealed = ""
    resident_id: Identifier | None = None
    request_id: str | None = None
    plan_id: str | None = None
    opened_by: Actor
    opened_at: AwareDatetime
    seq: int = Field(0, description="Place in the county's cases")
    status: CaseStatus = "open"
    owner_scope: AreaCode = Field(description="The office that owns it: the most local scope "
                                  "containing its area that has staff (the county at last)")
    due_at: AwareDatetime
    escalations: int = Field(0, description="Deadlines passed so far")
    overdue: bool = Field(False, description="A deadline passed; it stays so until closed")
    steps: tuple[CaseStep, ...] = ()
    resolution: Sealed = ""
    resident_satisfied: bool | None = None
    closed_at: AwareDatetime | None = None
    closed_by: Actor | None = None

    @property
    def sealed_for(self) -> str:
        """Whose key its words are sealed under."""
        return self.resident_id or self.case_id


class CaseCommand(Command):
    county: County

    @property
    def partition_key(self) -> str:
        return self.county


class OpenCase(CaseCommand):
    type: Literal["OpenCase"] = "OpenCase"
    case_id: Identifier
    area: AreaCode
    kind: CaseKind
    subject: Sealed = Field(min_length=1)
    details: Sealed = ""
    resident_id: Identifier | None = None
    request_id: str | None = None
    plan_id: str | None = None


class RecordStep(CaseCommand):
    type: Literal["RecordStep"] = "RecordStep"
    case_id: Identifier
    kind: StepKind
    note: Sealed = Field(min_length=1)


class CloseCase(CaseCommand):
    type: Literal["CloseCase"] = "CloseCase"
    case_id: Identifier
    resolution: Sealed = Field(min_length=1)
    resident_satisfied: bool | None = None


class PassDeadline(CaseCommand):
    """The timer's: the case's deadline passed while it was open."""

    type: Literal["PassDeadline"] = "PassDeadline"
    case_id: Identifier
    escalations: int = Field(description="The deadlines passed before this one: names it")


class RegisterOffice(CaseCommand):
    """A scope of the county has staff: cases in it are owned there from now on."""

    type: Literal["RegisterOffice"] = "RegisterOffice"
    scope: AreaCode


class CaseEvent(Event):
    county: County

    @property
    def partition_key(self) -> str:
        return self.county


class CaseOpened(CaseEvent):
    type: Literal["CaseOpened"] = "CaseOpened"
    case_id: Identifier
    area: AreaCode
    kind: CaseKind
    subject: Sealed
    details: Sealed = ""
    resident_id: Identifier | None = None
    request_id: str | None = None
    plan_id: str | None = None
    owner_scope: AreaCode
    due_at: AwareDatetime


class StepRecorded(CaseEvent):
    type: Literal["StepRecorded"] = "StepRecorded"
    case_id: Identifier
    kind: StepKind
    note: Sealed


class CaseClosed(CaseEvent):
    type: Literal["CaseClosed"] = "CaseClosed"
    case_id: Identifier
    resolution: Sealed
    resident_satisfied: bool | None = None
    on_time: bool = Field(description="Closed before any deadline passed")


class DeadlinePassed(CaseEvent):
    """The case moved to the next enclosing office with a new deadline, or, at the county,
    stayed there overdue (`due_at` unchanged)."""

    type: Literal["DeadlinePassed"] = "DeadlinePassed"
    case_id: Identifier
    from_scope: AreaCode
    owner_scope: AreaCode
    due_at: AwareDatetime
    escalations: int


class OfficeRegistered(CaseEvent):
    type: Literal["OfficeRegistered"] = "OfficeRegistered"
    scope: AreaCode


AnyCaseCommand = Annotated[
    OpenCase | RecordStep | CloseCase | PassDeadline | RegisterOffice,
    Field(discriminator="type")]
AnyCaseEvent = Annotated[
    CaseOpened | StepRecorded | CaseClosed | DeadlinePassed | OfficeRegistered,
    Field(discriminator="type")]
