"""Bodies and answers of the routes of hours you can trust (DESIGN §10): flags, corrections
and the service record."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints

from schemas.base import Frozen
from schemas.flags import FlagView

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                          max_length=500)]


class FlagListOut(Frozen):
    flags: list[FlagView]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for older flags")


class FlagResolveIn(Frozen):
    decision: Literal["credit", "reject"]
    reason: Reason


class FlagResolveOut(Frozen):
    flag: FlagView


class CorrectionIn(Frozen):
    entry_id: UUID = Field(description="The credited entry to reverse")
    reason: Reason
    points: int | None = Field(None, ge=1, le=10_000, description="Points to take back; "
                               "default: what is left of the entry's")
    hours: float | None = Field(None, gt=0, le=24, description="Hours to take back; "
                                "default: what is left of the entry's")


class CorrectionOut(Frozen):
    entry_id: UUID
    source: Literal["correction"] = "correction"
    corrects: UUID
    points: int = Field(description="Negative: the points taken back")
    hours: float = Field(description="Negative: the hours taken back")
    unrecovered_points: int = Field(description="Points the balance could not give back")
    balance: int


class RecordEntryOut(Frozen):
    """One line of a service record (民政部令第67号): what, where, when, how long, by whom,
    and whether the hours were checked."""

    entry_id: UUID
    kind: Literal["credit", "correction"]
    status: Literal["posted", "held"] = Field(description="held: a flag waits for staff")
    source: Literal["service", "activity", "wish", "correction"]
    day: date = Field(description="The day served, China time")
    at: AwareDatetime = Field(description="When the entry was posted (or held)")
    hours: float = Field(description="Signed: a correction's are negative")
    points: int
    verified: bool
    service_type: str | None = None
    area: str | None = None
    place: str | None = Field(None, description="The area's name")
    title: str | None = None
    organiser: str | None = None
    request_id: str | None = None
    activity_id: str | None = None
    wish_id: str | None = None
    corrects: UUID | None = None
    reason: str | None = None


class RecordTotals(Frozen):
    hours: float = Field(description="Posted hours in the period, net of corrections")
    verified_hours: float
    held_hours: float = Field(description="Hours flags still hold (not in `hours`)")
    services: int
    activities: int


class RecordOut(Frozen):
    volunteer_id: str
    name: str | None
    period: dict[str, date | None] = Field(description="{from, to}: the days asked for")
    entries: list[RecordEntryOut]
    totals: RecordTotals
    star_level: int = Field(ge=0, le=5, description="By lifetime verified hours: 100 / 300 / "
                            "600 / 1000 / 1500 h for one to five stars")
    lifetime_hours: float
    verified_hours: float
