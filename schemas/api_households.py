"""Bodies and answers of civic points and the village points supermarket (DESIGN §11's HTTP
table)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from schemas.common import AreaCode, Identifier
from schemas.households import CivicPoints, EntryKind, Month

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50,
                                        pattern=r"^[^\x00-\x1f\x7f]+$")]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
RuleName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                            max_length=100)]
RedeemCode = Annotated[str, Field(pattern=r"^[0-9]{8}$",
                                  description="The household's 8-digit redeem code")]


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HouseholdIn(In):
    household_id: Identifier
    area: AreaCode = Field(description="The village or hamlet the household lives in")
    head_name: Name
    members: list[Name] = Field(default_factory=list, max_length=30,
                                description="The members' names")


class CivicRuleIn(In):
    rule_id: Identifier
    area: AreaCode = Field(description="The village setting it: it applies to every "
                           "household in or below this area")
    name: RuleName
    points_max: CivicPoints = Field(description="The most one month's scoring gives")
    active: bool = Field(True, description="false retires the rule: no longer on the "
                         "sheet, no longer scored (what it gave stays)")


class ScoreItemIn(In):
    rule_id: Identifier
    points: CivicPoints
    reason: Reason = ""


class ScoresIn(In):
    month: Month
    items: list[ScoreItemIn] = Field(min_length=1, max_length=50)


class CorrectionIn(In):
    month: Month
    rule_id: Identifier
    reason: Annotated[Reason, StringConstraints(min_length=1)]


class CivicRedemptionIn(In):
    household_id: Identifier
    item_id: Identifier
    code: RedeemCode


class HouseholdOut(BaseModel):
    household_id: str
    area: str
    area_name: str | None = None
    head_name: str = Field(description="Whole for staff, masked (first character kept) "
                           "at a kiosk")
    members: list[str] = Field(default_factory=list, description="For staff")
    balance: int
    quarter: str = Field(description="This quarter, in China time")
    exchanged_this_quarter: bool
    code_expires_at: datetime | None = Field(None, description="For staff: when the "
                                             "printed code expires (None: no valid code)")
    created_at: datetime


class HouseholdListOut(BaseModel):
    households: list[HouseholdOut]
    next_cursor: str | None = None


class CivicRuleOut(BaseModel):
    rule_id: str
    area: str
    name: str
    points_max: int
    active: bool
    updated_at: datetime


class CivicRuleListOut(BaseModel):
    rules: list[CivicRuleOut]


class CivicEntryOut(BaseModel):
    entry_id: str
    kind: EntryKind
    points: int
    balance_after: int
    month: str | None = None
    rule_id: str | None = None
    reason: str = ""
    item_id: str | None = None
    redemption_id: str | None = None
    unrecovered: int = 0
    at: datetime


class CivicPointsOut(HouseholdOut):
    entries: list[CivicEntryOut] = Field(description="The newest first")
    entries_total: int


class ScoresOut(BaseModel):
    household_id: str
    month: str
    balance: int


class SheetRow(BaseModel):
    household_id: str
    head_name: str
    area: str
    balance: int
    scores: dict[str, int] = Field(description="rule id → the points the month stands at "
                                   "(a rule not named is not scored yet)")


class SheetOut(BaseModel):
    area: str
    month: str
    open: bool = Field(description="The month may still be scored (this month or the last)")
    rules: list[CivicRuleOut]
    households: list[SheetRow]
    truncated: bool = Field(False, description="More households than one sheet shows "
                            "(VD_CIVIC_SHEET_MAX): narrow the area")


class CivicItemOut(BaseModel):
    item_id: str
    kind: Literal["civic"] = "civic"
    kiosk_id: str
    area: str
    name: str
    points: int
    stock: int


class CivicRedemptionOut(BaseModel):
    redemption_id: str
    status: str
    balance: int
    item_id: str
    points: int
    quarter: str
