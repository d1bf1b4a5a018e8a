"""Residents the office knows (DESIGN §9): profiles, owned per county.

A profile's name, phone and address travel and rest sealed under the resident's own key
(crypto-shredding: erasing the resident destroys it); the area, birth year and tags stay
readable, because the rules and lists work on them (who is 80 and living alone, by village).
An erased profile keeps only its id and area, so counts stay and nobody can read it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from schemas.base import Actor, Command, Event, Frozen
from schemas.common import AreaCode, Identifier, Sealed

County = Annotated[str, Field(pattern=r"^[0-9]{6}$")]
BirthYear = Annotated[int, Field(ge=1900, le=2100)]
TAGS_MAX = 7


class Tag(StrEnum):
    LIVING_ALONE = "living_alone"
    EMPTY_NEST = "empty_nest"
    CARE_DEPENDENT = "care_dependent"
    DISABILITY = "disability"
    LOW_INCOME = "low_income"
    EXTREME_HARDSHIP = "extreme_hardship"
    LEFT_BEHIND_CHILD = "left_behind_child"


Tags = Annotated[tuple[Tag, ...], Field(max_length=TAGS_MAX)]
PROFILE_FIELDS = ("name", "phone", "area", "address", "birth_year", "tags")


class ResidentProfile(Frozen):
    resident_id: Identifier
    county: County
    area: AreaCode
    name: Sealed = ""
    phone: Sealed | None = None
    address: Sealed = ""
    birth_year: BirthYear | None = None
    tags: Tags = ()
    registered_at: AwareDatetime
    registered_by: Actor
    seq: int = Field(0, description="Place in the county's registrations, for paging")
    erased: bool = False


class ResidentCommand(Command):
    county: County
    resident_id: Identifier

    @property
    def partition_key(self) -> str:
        return self.county


class RegisterResident(ResidentCommand):
    type: Literal["RegisterResident"] = "RegisterResident"
    area: AreaCode
    name: Sealed
    phone: Sealed | None = None
    address: Sealed
    birth_year: BirthYear | None = None
    tags: Tags = ()
    join: bool = Field(False, description="A sign-up: a profile already there is joined, "
                       "not refused")


class ChangeResident(ResidentCommand):
    type: Literal["ChangeResident"] = "ChangeResident"
    name: Sealed | None = None
    phone: Sealed | None = None
    area: AreaCode | None = None
    address: Sealed | None = None
    birth_year: BirthYear | None = None
    tags: Tags | None = None
    cleared: tuple[Literal["phone", "birth_year"], ...] = Field(
        (), description="Fields set to none")


class EraseResident(ResidentCommand):
    type: Literal["EraseResident"] = "EraseResident"


class ResidentEvent(Event):
    county: County
    resident_id: Identifier

    @property
    def partition_key(self) -> str:
        return self.county


class ResidentRegistered(ResidentEvent):
    type: Literal["ResidentRegistered"] = "ResidentRegistered"
    area: AreaCode
    name: Sealed
    phone: Sealed | None = None
    address: Sealed
    birth_year: BirthYear | None = None
    tags: Tags = ()


class ResidentChanged(ResidentEvent):
    type: Literal["ResidentChanged"] = "ResidentChanged"
    name: Sealed | None = None
    phone: Sealed | None = None
    area: AreaCode | None = None
    address: Sealed | None = None
    birth_year: BirthYear | None = None
    tags: Tags | None = None
    cleared: tuple[Literal["phone", "birth_year"], ...] = ()


class ResidentErased(ResidentEvent):
    type: Literal["ResidentErased"] = "ResidentErased"


AnyResidentCommand = Annotated[RegisterResident | ChangeResident | EraseResident,
                               Field(discriminator="type")]
AnyResidentEvent = Annotated[ResidentRegistered | ResidentChanged | ResidentErased,
                             Field(discriminator="type")]
