"""Bodies and answers of care plans and the visits report (DESIGN §11's HTTP table)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from schemas.care import Cadence, PlanStatus, VisitStatus
from schemas.common import Identifier, ServiceType

Notes = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class CarePlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plan_id: Identifier
    resident_id: Identifier
    service_type: ServiceType
    cadence: Cadence
    team_id: Identifier | None = Field(None, description="A contracted team (a nursing "
                                       "home's staff): preferred for each visit")
    notes: Notes = ""


class EndPlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Reason


class VisitOut(BaseModel):
    period: int
    request_id: str
    starts_at: datetime
    ends_at: datetime
    status: VisitStatus
    done_at: datetime | None = None


class CarePlanOut(BaseModel):
    plan_id: str
    status: PlanStatus
    resident_id: str
    resident_name: str
    area: str
    area_name: str | None = None
    service_type: ServiceType
    cadence: Cadence
    team_id: str | None = None
    notes: str = ""
    started_at: datetime
    ended_at: datetime | None = None
    end_reason: str = ""
    period: int = Field(description="The current period, from 0")
    period_ends_at: datetime = Field(description="When the current visit must be done by")
    planned: int
    done: int
    missed: int
    visits: list[VisitOut] = Field(default_factory=list, description="The latest visits, "
                                   "on a plan's own page")


class CarePlanListOut(BaseModel):
    plans: list[CarePlanOut]
    next_cursor: str | None = None


class SuggestionOut(BaseModel):
    resident_id: str
    resident_name: str
    area: str
    reason: str
    cadence: Cadence
    service_type: ServiceType


class SuggestionsOut(BaseModel):
    suggestions: list[SuggestionOut]
    truncated: bool = Field(False, description="More residents than one list reads: "
                            "narrow the area")


class VisitRowOut(BaseModel):
    area: str
    label: str
    planned: int = Field(description="Visits whose period began in the month")
    done: int
    missed: int
    open: int = Field(description="Neither done nor missed yet: the period runs")
    rate: float | None = Field(description="done / planned, three decimals")


class VisitReportOut(BaseModel):
    area: str | None
    month: str | None
    rows: list[VisitRowOut]
    totals: VisitRowOut
    truncated: bool = False
