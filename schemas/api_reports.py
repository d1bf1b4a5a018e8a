"""The answers of the hours report (DESIGN §10) and of the micro-wishes report (§11)."""

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


class WishRowOut(Frozen):
    key: str = Field(description="The area's code (the scope's own row: its code, 本级)")
    label: str
    collected: int = Field(description="Wishes posted in the period")
    open: int = Field(description="Of them, waiting for a claimer now")
    claimed: int = Field(description="Of them, ever taken up by a volunteer")
    fulfilled: int = Field(description="Of them, confirmed fulfilled")
    withdrawn: int
    rate: float | None = Field(description="fulfilled / collected, three decimals; null "
                               "without wishes")


class WishReportOut(Frozen):
    area: str | None = Field(description="The area reported on (None: every area)")
    period: dict[str, date | None] = Field(description="{from, to}: days of posting")
    rows: list[WishRowOut]
    totals: WishRowOut
    truncated: bool = Field(False, description="More wishes than one report reads: narrow "
                            "the area or the period")
