"""Bodies and answers of micro-wishes (DESIGN §11's HTTP table)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from schemas.common import AreaCode, Hours, Identifier
from schemas.wishes import WishStatus

WishTitle = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                             max_length=100)]
WishDetails = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


class WishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: WishTitle
    details: WishDetails = ""
    area: AreaCode
    resident_id: Identifier | None = Field(None, description="Staff: the resident the wish "
                                           "is for; a resident posts for themself")


class FulfilIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Note = Field(description="What was done, for the resident and the office")
    hours: Hours | None = Field(None, description="Service hours, credited once the wish is "
                                "confirmed")


class WishOut(BaseModel):
    wish_id: str
    status: WishStatus
    area: str
    area_name: str | None = None
    title: str
    details: str
    resident_id: str | None = Field(None, description="For staff and the resident")
    resident_name: str = Field(description="Masked to volunteers (first character kept)")
    claimer: str | None = Field(None, description="The claiming volunteer: for staff and "
                                "the resident")
    mine: bool = Field(False, description="The calling volunteer holds the claim")
    claimed_at: datetime | None = None
    lapses_at: datetime | None = Field(None, description="When the claim is released by "
                                       "itself unless marked done (VD_WISH_CLAIM_WINDOW_S)")
    note: str = ""
    hours: float | None = None
    done_at: datetime | None = None
    fulfilled_at: datetime | None = None
    withdrawn_at: datetime | None = None
    created_at: datetime


class WishListOut(BaseModel):
    wishes: list[WishOut]
    next_cursor: str | None = None
