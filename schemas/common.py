"""Value types shared by every command, event and read model.

Area codes follow the official division codes (统计用区划代码): county 6 digits, town or
subdistrict 9, village or community 12, and the platform's own hamlet suffix makes 15.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

AREA_LEVEL_LENGTHS = (6, 9, 12, 15)
COUNTY_CODE_LENGTH = 6

AreaCode = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{6}([0-9]{3}){0,3}$"),
    Field(description="Division code: 6 (county), 9 (town), 12 (village) or 15 (hamlet) digits"),
]
Identifier = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"),
    Field(description="Letters, digits and _ . : - ; at most 64 characters"),
]
RequestId = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{6}-[0-9a-f]{16}$"),
    Field(description="County code, a dash and 16 hex digits"),
]
SEALED_MAX = 16_000
Sealed = Annotated[
    str,
    StringConstraints(max_length=SEALED_MAX),
    Field(description="A personal field sealed under its person's key (`pd1.` and AES-GCM in "
                      "base64); readable only through the gateway while the key exists"),
]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Hours = Annotated[float, Field(gt=0, le=24, description="Hours of service, at most 24 per task")]
Points = Annotated[int, Field(ge=0)]


class Role(StrEnum):
    RESIDENT = "resident"
    LEADER = "leader"
    VOLUNTEER = "volunteer"
    STAFF = "staff"
    KIOSK = "kiosk"
    SYSTEM = "system"


class ServiceType(StrEnum):
    GROCERIES = "groceries"
    MEAL_DELIVERY = "meal_delivery"
    CLEANING = "cleaning"
    BATHING = "bathing"
    HEALTH_CHECK = "health_check"
    COMPANIONSHIP = "companionship"
    ESCORT = "escort"
    REPAIR = "repair"
    TUTORING = "tutoring"
    LEGAL_AID = "legal_aid"
    PSYCH_SUPPORT = "psych_support"
    OUTREACH = "outreach"
    CIVILITY = "civility"
    OTHER = "other"


class Channel(StrEnum):
    """How an order reached the platform: the resident's own app, or staff entering it on
    their behalf (代点单) from a call, at the counter, or on a visit."""

    APP = "app"
    PHONE = "phone"
    COUNTER = "counter"
    VISIT = "visit"


class Urgency(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"


Priority = Annotated[int, Field(ge=1, le=3, description="The resident's tier (DESIGN §11): "
                                 "1 the most vulnerable, served first; 3 everyone else")]
LOWEST_PRIORITY = 3
"""A request without a profile behind it, and every request older than tiers."""


class RequestStatus(StrEnum):
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"
    COMPLETED = "completed"
    REVIEWED = "reviewed"
    CANCELLED = "cancelled"
    ESCALATED = "escalated"


def county_of(area: str) -> str:
    """The county code that owns an area: its first six digits."""
    return area[:COUNTY_CODE_LENGTH]


def area_level(code: str) -> int:
    """0 for a county, 1 town, 2 village, 3 hamlet."""
    return AREA_LEVEL_LENGTHS.index(len(code))


def ancestors(code: str) -> list[str]:
    """The code itself and every enclosing level, most local first."""
    return [code[:n] for n in reversed(AREA_LEVEL_LENGTHS) if n <= len(code)]


def within(area: str, scope: str | None) -> bool:
    """Whether an area lies in a scope (None: every area). Codes nest by prefix."""
    return scope is None or area.startswith(scope)
