"""Civic points (积分超市, DESIGN §11): households of a village scored monthly by the village's
rules, and exchanging goods at the village supermarket's kiosk once a quarter.

Households are owned by their county, as wishes are: a county's households, its villages'
rules, its supermarkets' goods and stock are one aggregate, so a scoring is checked against
the rule it names and an exchange takes the household's points and the kiosk's stock in one
step. Civic points are their own kind of account: never a volunteer's points or hours. A
household's entries only grow (a correction is a reversing entry); the household's row keeps
what the rules read (balance, what each month scored, the quarters exchanged) and its entries
are a journal readers page. The head's and members' names, and each reason, are sealed under
the household's own key.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from schemas.base import Actor, Command, Event, Frozen
from schemas.common import AreaCode, Identifier, Sealed

County = Annotated[str, Field(pattern=r"^[0-9]{6}$")]
Month = Annotated[str, Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$",
                             description="A calendar month in China time, YYYY-MM")]
CivicPoints = Annotated[int, Field(ge=0, le=1000)]
EntryKind = Literal["score", "correction", "redemption"]


def sheet_key(month: str, rule_id: str) -> str:
    """Where a household's row keeps what one rule scored in one month."""
    return f"{month}|{rule_id}"


class HouseholdCode(Frozen):
    """The household's redeem code, printed for its head: kept only as a keyed hash."""

    code_hash: str
    expires_at: AwareDatetime
    used: bool = False


class HouseholdView(Frozen):
    household_id: Identifier
    county: County
    area: AreaCode
    head_name: Sealed
    members: Sealed = Field("", description="The members' names, one per line, sealed")
    created_by: Actor
    created_at: AwareDatetime
    seq: int = 0
    balance: int = Field(0, ge=0)
    sheet: dict[str, int] = Field(default_factory=dict,
                                  description="month|rule → the points it stands at")
    quarters: tuple[str, ...] = Field((), description="The quarters it exchanged in")
    code: HouseholdCode | None = None
    entries: int = 0


class CivicRuleView(Frozen):
    rule_id: Identifier
    county: County
    area: AreaCode
    name: str
    points_max: CivicPoints
    active: bool = True
    updated_at: AwareDatetime


class CivicItemView(Frozen):
    """One good of one supermarket kiosk, with that kiosk's own stock."""

    item_id: Identifier
    county: County
    kiosk_id: Identifier
    area: AreaCode = Field(description="The kiosk's area: the households it serves")
    name: str
    points: int = Field(ge=1)
    stock: int = Field(ge=0)


class CivicEntry(Frozen):
    entry_id: str
    household_id: Identifier
    kind: EntryKind
    points: int = Field(description="Signed: a score adds, a correction and an exchange take")
    balance_after: int = Field(ge=0)
    month: Month | None = None
    rule_id: Identifier | None = None
    reason: Sealed = ""
    item_id: Identifier | None = None
    redemption_id: str | None = None
    kiosk_id: Identifier | None = None
    unrecovered: int = Field(0, ge=0, description="What a correction could not take back: "
                             "the balance never goes below zero")
    actor: Actor
    at: AwareDatetime


class ScoreItem(Frozen):
    rule_id: Identifier
    points: CivicPoints
    reason: Sealed = ""


class HouseholdCommand(Command):
    county: County

    @property
    def partition_key(self) -> str:
        return self.county


class RegisterHousehold(HouseholdCommand):
    type: Literal["RegisterHousehold"] = "RegisterHousehold"
    household_id: Identifier
    area: AreaCode
    head_name: Sealed = Field(min_length=1)
    members: Sealed = ""


class SetCivicRule(HouseholdCommand):
    type: Literal["SetCivicRule"] = "SetCivicRule"
    rule_id: Identifier
    area: AreaCode
    name: str = Field(min_length=1, max_length=100)
    points_max: CivicPoints
    active: bool = True


class ScoreHousehold(HouseholdCommand):
    type: Literal["ScoreHousehold"] = "ScoreHousehold"
    household_id: Identifier
    month: Month
    items: tuple[ScoreItem, ...] = Field(min_length=1, max_length=50)


class CorrectScore(HouseholdCommand):
    type: Literal["CorrectScore"] = "CorrectScore"
    household_id: Identifier
    month: Month
    rule_id: Identifier
    reason: Sealed = Field(min_length=1)


class IssueHouseholdCode(HouseholdCommand):
    type: Literal["IssueHouseholdCode"] = "IssueHouseholdCode"
    household_id: Identifier
    code_hash: str
    expires_at: AwareDatetime


class StockCivicItem(HouseholdCommand):
    """Add a good to a kiosk's shelf, or restock it (the same id: more stock)."""

    type: Literal["StockCivicItem"] = "StockCivicItem"
    item_id: Identifier
    kiosk_id: Identifier
    area: AreaCode
    name: str = Field(min_length=1, max_length=100)
    points: int = Field(ge=1, le=100_000)
    stock: int = Field(ge=0, le=1_000_000)


class RedeemCivic(HouseholdCommand):
    type: Literal["RedeemCivic"] = "RedeemCivic"
    household_id: Identifier
    item_id: Identifier
    code_hash: str
    kiosk_id: Identifier
    kiosk_area: AreaCode | None = Field(description="The kiosk's area (None: an operator's "
                                        "kiosk token, every area)")
    redemption_id: str


class HouseholdEvent(Event):
    county: County

    @property
    def partition_key(self) -> str:
        return self.county


class HouseholdRegistered(HouseholdEvent):
    type: Literal["HouseholdRegistered"] = "HouseholdRegistered"
    household_id: Identifier
    area: AreaCode
    head_name: Sealed
    members: Sealed = ""


class CivicRuleSet(HouseholdEvent):
    type: Literal["CivicRuleSet"] = "CivicRuleSet"
    rule_id: Identifier
    area: AreaCode
    name: str
    points_max: CivicPoints
    active: bool = True


class HouseholdScored(HouseholdEvent):
    type: Literal["HouseholdScored"] = "HouseholdScored"
    household_id: Identifier
    month: Month
    items: tuple[ScoreItem, ...]


class ScoreCorrected(HouseholdEvent):
    """A reversing entry: the scoring is taken back (as far as the balance allows) and the
    month and rule may be scored again."""

    type: Literal["ScoreCorrected"] = "ScoreCorrected"
    household_id: Identifier
    month: Month
    rule_id: Identifier
    points: int = Field(ge=0, description="What was taken back")
    unrecovered: int = Field(0, ge=0)
    reason: Sealed


class HouseholdCodeIssued(HouseholdEvent):
    type: Literal["HouseholdCodeIssued"] = "HouseholdCodeIssued"
    household_id: Identifier
    code_hash: str
    expires_at: AwareDatetime


class CivicItemStocked(HouseholdEvent):
    type: Literal["CivicItemStocked"] = "CivicItemStocked"
    item_id: Identifier
    kiosk_id: Identifier
    area: AreaCode
    name: str
    points: int
    stock: int = Field(description="The stock after it")


class CivicRedeemed(HouseholdEvent):
    type: Literal["CivicRedeemed"] = "CivicRedeemed"
    household_id: Identifier
    item_id: Identifier
    points: int
    quarter: str
    kiosk_id: Identifier
    redemption_id: str


AnyHouseholdCommand = Annotated[
    RegisterHousehold | SetCivicRule | ScoreHousehold | CorrectScore | IssueHouseholdCode
    | StockCivicItem | RedeemCivic,
    Field(discriminator="type")]
AnyHouseholdEvent = Annotated[
    HouseholdRegistered | CivicRuleSet | HouseholdScored | ScoreCorrected | HouseholdCodeIssued
    | CivicItemStocked | CivicRedeemed,
    Field(discriminator="type")]
