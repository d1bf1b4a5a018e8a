"""Care plans (夕阳计划, 政策找人, DESIGN §11): recurring visits to a resident at a cadence,
each created as a request by the platform itself when it falls due.

A plan is owned by its county, as cases are: a county's plans and their visits are one
aggregate, whose timer opens each period's visit (a request marked proactive, preferring the
plan's team) and closes each period: a visit not completed by then is missed, and a missed
visit opens a case. The plan's notes are sealed under the resident's key; the address a
visit is made at is the resident's profile address, already sealed under that key.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from schemas.base import Actor, Command, Event, Frozen
from schemas.common import (
    LOWEST_PRIORITY,
    AreaCode,
    Identifier,
    Priority,
    RequestId,
    Sealed,
    ServiceType,
)

County = Annotated[str, Field(pattern=r"^[0-9]{6}$")]
Cadence = Literal["week", "fortnight", "month", "quarter"]
CADENCES: tuple[Cadence, ...] = ("week", "fortnight", "month", "quarter")
PlanStatus = Literal["active", "ended"]
VisitStatus = Literal["planned", "done", "missed"]


class CarePlanView(Frozen):
    plan_id: Identifier
    county: County
    resident_id: Identifier
    area: AreaCode = Field(description="The resident's area when the plan was made")
    address: Sealed = Field(description="Where visits are made (the profile's, sealed)")
    service_type: ServiceType
    cadence: Cadence
    team_id: Identifier | None = Field(None, description="The contracted team, preferred")
    notes: Sealed = ""
    priority: Priority = Field(LOWEST_PRIORITY, description="The resident's tier when the "
                               "plan was made: each visit's request carries it")
    created_by: Actor
    started_at: AwareDatetime
    seq: int = Field(0, description="Place in the county's plans")
    status: PlanStatus = "active"
    ended_at: AwareDatetime | None = None
    end_reason: str = ""
    period: int = Field(0, description="The current period, from 0")
    period_ends_at: AwareDatetime
    planned: int = 0
    done: int = 0
    missed: int = 0


class VisitView(Frozen):
    plan_id: Identifier
    period: int
    area: AreaCode
    resident_id: Identifier
    request_id: RequestId
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    status: VisitStatus = "planned"
    done_at: AwareDatetime | None = None

    @property
    def key(self) -> str:
        return visit_key(self.plan_id, self.period)


def visit_key(plan_id: str, period: int) -> str:
    return f"{plan_id}#{period}"


class CareCommand(Command):
    county: County

    @property
    def partition_key(self) -> str:
        return self.county


class CreatePlan(CareCommand):
    type: Literal["CreatePlan"] = "CreatePlan"
    plan_id: Identifier
    resident_id: Identifier
    area: AreaCode
    address: Sealed = Field(min_length=1)
    service_type: ServiceType
    cadence: Cadence
    team_id: Identifier | None = None
    notes: Sealed = ""
    priority: Priority = LOWEST_PRIORITY


class EndPlan(CareCommand):
    type: Literal["EndPlan"] = "EndPlan"
    plan_id: Identifier
    reason: str = Field(min_length=1, max_length=500)


class TurnPeriod(CareCommand):
    """The timer's: the plan's current period ended; the next one's visit falls due."""

    type: Literal["TurnPeriod"] = "TurnPeriod"
    plan_id: Identifier
    period: int = Field(description="The period that ended: names the command")


class RecordVisit(CareCommand):
    """A visit's request was completed, or called off (relayed from the dispatch events)."""

    type: Literal["RecordVisit"] = "RecordVisit"
    plan_id: Identifier
    request_id: RequestId
    done: bool = Field(True, description="False: the request was cancelled, the visit is "
                       "missed")


class CareEvent(Event):
    county: County
    plan_id: Identifier

    @property
    def partition_key(self) -> str:
        return self.county


class PlanCreated(CareEvent):
    type: Literal["PlanCreated"] = "PlanCreated"
    resident_id: Identifier
    area: AreaCode
    address: Sealed
    service_type: ServiceType
    cadence: Cadence
    team_id: Identifier | None = None
    notes: Sealed = ""
    priority: Priority = LOWEST_PRIORITY


class PlanEnded(CareEvent):
    type: Literal["PlanEnded"] = "PlanEnded"
    reason: str


class VisitOpened(CareEvent):
    type: Literal["VisitOpened"] = "VisitOpened"
    period: int
    request_id: RequestId
    starts_at: AwareDatetime
    ends_at: AwareDatetime


class VisitDone(CareEvent):
    type: Literal["VisitDone"] = "VisitDone"
    period: int
    request_id: RequestId


class VisitMissed(CareEvent):
    type: Literal["VisitMissed"] = "VisitMissed"
    period: int
    request_id: RequestId


AnyCareCommand = Annotated[
    CreatePlan | EndPlan | TurnPeriod | RecordVisit, Field(discriminator="type")]
AnyCareEvent = Annotated[
    PlanCreated | PlanEnded | VisitOpened | VisitDone | VisitMissed,
    Field(discriminator="type")]
