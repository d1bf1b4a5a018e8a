"""Flags on hours (DESIGN §10): what the ledger held, waiting in the staff's list of the
county whose area the hours were served in, until staff credit or reject each one.

The ledger holds the credit and keeps the money side; the flags owner of the county keeps the
list staff work through, so a scope's open flags are a page of a ranking. A flag's id names
its county, so a resolution goes to the right owner without a look-up.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from schemas.base import Actor, Command, Event, Frozen
from schemas.commands import FlagKind
from schemas.common import AreaCode, Identifier

County = Annotated[str, Field(pattern=r"^[0-9]{6}$")]
FlagId = Annotated[str, Field(pattern=r"^FL-[0-9]{6}-[0-9a-f]{20}$",
                              description="FL-, the county code, a dash and 20 hex digits")]
FLAG_ID = re.compile(r"FL-([0-9]{6})-[0-9a-f]{20}")
FlagStatus = Literal["open", "credited", "rejected"]
Reason = Annotated[str, Field(min_length=1, max_length=500)]
UNPLACED = "000000"
"""The county of hours that name no area: their flags are on the platform-wide list."""


def county_of_flag(flag_id: str) -> str | None:
    found = FLAG_ID.fullmatch(flag_id)
    return found.group(1) if found else None


class FlagView(Frozen):
    flag_id: FlagId
    kind: FlagKind
    status: FlagStatus = "open"
    volunteer_id: Identifier
    entry_id: UUID = Field(description="The held credit")
    request_id: str | None = None
    activity_id: str | None = None
    wish_id: str | None = None
    area: AreaCode | None = None
    hours: float = Field(description="The held credit's hours")
    detail: str = ""
    at: AwareDatetime = Field(description="When the credit was held")
    resolved_at: AwareDatetime | None = None
    resolved_by: Actor | None = None
    reason: str | None = Field(None, description="The resolution's reason")
    seq: int = Field(0, description="Place in the county's flags, for paging")


class RaisedOnCredit(Frozen):
    flag_id: FlagId
    kind: FlagKind
    detail: str = ""


class FlagCommand(Command):
    county: County

    @property
    def partition_key(self) -> str:
        return self.county


class OpenFlags(FlagCommand):
    """The ledger held a credit: put its flags on the county's list."""

    type: Literal["OpenFlags"] = "OpenFlags"
    volunteer_id: Identifier
    entry_id: UUID
    flags: tuple[RaisedOnCredit, ...] = Field(min_length=1, max_length=6)
    request_id: str | None = None
    activity_id: str | None = None
    wish_id: str | None = None
    area: AreaCode | None = None
    hours: float


class ResolveFlag(FlagCommand):
    type: Literal["ResolveFlag"] = "ResolveFlag"
    flag_id: FlagId
    decision: Literal["credit", "reject"]
    reason: Reason


class FlagEvent(Event):
    county: County

    @property
    def partition_key(self) -> str:
        return self.county


class FlagRaised(FlagEvent):
    type: Literal["FlagRaised"] = "FlagRaised"
    flag: FlagView


class FlagDecided(FlagEvent):
    """Staff decided a flag; the ledger posts or drops the held credit in its own step."""

    type: Literal["FlagDecided"] = "FlagDecided"
    flag_id: FlagId
    volunteer_id: Identifier
    entry_id: UUID
    decision: Literal["credit", "reject"]
    reason: Reason


AnyFlagCommand = Annotated[OpenFlags | ResolveFlag, Field(discriminator="type")]
AnyFlagEvent = Annotated[FlagRaised | FlagDecided, Field(discriminator="type")]
