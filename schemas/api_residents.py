"""Bodies and answers of residents' profiles (DESIGN §9's HTTP table)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from schemas.api_accounts import MobilePhone
from schemas.common import AreaCode, Identifier, ShortText
from schemas.residents import BirthYear, Tag, Tags

Address = Annotated[str, Field(min_length=1, max_length=200)]


class ResidentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resident_id: Identifier | None = Field(None, description="Made by the platform if absent")
    name: ShortText
    phone: MobilePhone | None = Field(None, description="Optional: many elderly people have "
                                      "none; with one, the phone's account gains the resident "
                                      "(they sign in with a code)")
    area: AreaCode
    address: Address
    birth_year: BirthYear | None = None
    tags: Annotated[list[Tag], Field(max_length=7)] = []


class ResidentPatch(BaseModel):
    """Only the fields given change; `phone` or `birth_year` null removes it. A resident
    changing their own profile may not set `tags` (staff do)."""

    model_config = ConfigDict(extra="forbid")

    name: ShortText | None = None
    phone: MobilePhone | None = None
    area: AreaCode | None = None
    address: Address | None = None
    birth_year: BirthYear | None = None
    tags: Annotated[list[Tag], Field(max_length=7)] | None = None


class ResidentCreatedOut(BaseModel):
    resident_id: str


class ResidentOut(BaseModel):
    resident_id: str
    name: str
    phone: str | None = Field(None, description="Whole in a profile read (audited for staff); "
                              "masked in lists")
    area: str
    area_name: str | None = None
    address: str
    birth_year: int | None = None
    tags: Tags = ()
    registered_at: str
    registered_by: str = Field(description="Who entered the profile: `self` for a sign-up, "
                               "else the staff id")


class ResidentListOut(BaseModel):
    residents: list[ResidentOut]
    next_cursor: str | None = None
