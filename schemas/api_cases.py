"""Bodies and answers of the cases of the "can't get it done" window (DESIGN §11)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from schemas.cases import CaseKind, CaseStatus, StepKind
from schemas.common import AreaCode, Identifier, Role

Subject = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]
Said = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class CaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: Subject
    details: Text = ""
    area: AreaCode
    request_id: str | None = Field(None, max_length=40, description="The request the case "
                                   "is about: the resident's own, or one in the staff's scope")
    kind: CaseKind | None = Field(None, description="complaint (the default) or other for a "
                                  "resident; any kind for staff")
    resident_id: Identifier | None = Field(None, description="Staff: the resident the case "
                                           "is for, if any; a resident opens their own")


class StepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: StepKind
    note: Said


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resolution: Said
    resident_satisfied: bool | None = Field(None, description="What the resident said of "
                                            "the outcome, if asked")


class StepOut(BaseModel):
    kind: StepKind
    note: str
    at: datetime
    by_role: Role
    by: str | None = Field(None, description="Who recorded it: for staff")


class CaseOut(BaseModel):
    case_id: str
    status: CaseStatus
    kind: CaseKind
    area: str
    area_name: str | None = None
    subject: str
    details: str
    resident_id: str | None = None
    resident_name: str = Field("", description="For staff and the resident themself")
    request_id: str | None = None
    plan_id: str | None = None
    owner_scope: str = Field(description="The office that owns it now")
    owner_name: str | None = None
    due_at: datetime
    overdue: bool = Field(description="A deadline passed (it moved up, or stays at the "
                          "county), or the current one has passed")
    escalations: int
    steps: list[StepOut]
    resolution: str = ""
    resident_satisfied: bool | None = None
    opened_at: datetime
    opened_by_role: Role
    closed_at: datetime | None = None
    can_act: bool = Field(False, description="The caller may record steps and close it")


class CaseListOut(BaseModel):
    cases: list[CaseOut]
    next_cursor: str | None = None
