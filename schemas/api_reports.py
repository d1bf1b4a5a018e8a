"""The answer of the hours report (DESIGN §10)."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from schemas.base import Frozen


class ReportRowOut(Frozen):
    key: str
    label: str
    hours: float = Field(description="Posted hours net of corrections")
    verified_hours: float
    services: int = Field(description="Services with hours left after corrections")
    activities: int
    volunteers: int = Field(description="Active volunteers: verified hours in the period")


class ReportOut(Frozen):
    area: str | None = Field(description="The area reported on (None: every area)")
    group_by: str
    period: dict[str, date | None] = Field(description="{from, to}")
    rows: list[ReportRowOut]
    totals: ReportRowOut
    truncated: bool = Field(False, description="More volunteers than one report reads: "
                            "narrow the area")
