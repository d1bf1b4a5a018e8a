"""Who is served first (DESIGN §11, 衡阳's tiers): a resident's priority tier, derived from
their profile's birth year and tags, never typed by the resident.

Tier 1 for the oldest (80 and over) and those in hardship, disabled, dependent on care or
living alone; tier 2 for 70-79 and low income; tier 3 for everyone else, and for an order
with no profile behind it. Pure: the time comes in as an argument, and age counts by the
calendar year in Asia/Shanghai (a birth year is all a profile records).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from schemas.common import LOWEST_PRIORITY
from schemas.residents import ResidentProfile, Tag

CHINA = ZoneInfo("Asia/Shanghai")
TIER1_AGE = 80
TIER2_AGE = 70
TIER1_TAGS = frozenset({Tag.EXTREME_HARDSHIP, Tag.DISABILITY, Tag.CARE_DEPENDENT,
                        Tag.LIVING_ALONE})
TIER2_TAGS = frozenset({Tag.LOW_INCOME})


def priority_tier(birth_year: int | None, tags: Iterable[Tag], year: int) -> int:
    """1, 2 or 3: the highest tier the age or any tag gives (an unknown age gives none)."""
    held = set(tags)
    age = None if birth_year is None else year - birth_year
    if held & TIER1_TAGS or (age is not None and age >= TIER1_AGE):
        return 1
    if held & TIER2_TAGS or (age is not None and age >= TIER2_AGE):
        return 2
    return LOWEST_PRIORITY


def profile_tier(profile: ResidentProfile | None, now: datetime) -> int:
    """The tier of whoever a profile describes, now; no profile (or an erased one): 3."""
    if profile is None or profile.erased:
        return LOWEST_PRIORITY
    return priority_tier(profile.birth_year, profile.tags, now.astimezone(CHINA).year)
