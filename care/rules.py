"""The rules of care plans (DESIGN §11), pure: the periods of a cadence, the visit request of
a period, and who qualifies for a plan ("policy finds the person").

Periods follow the cadence from the plan's start in China time: a week or a fortnight are 7
or 14 days, a month or a quarter end on the same day of the month (the month's last day
when it is shorter) at the same local time. `period_s`, when set, replaces every period by
that many seconds (for tests and drills).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import NAMESPACE_URL, uuid5
from zoneinfo import ZoneInfo

from schemas.care import Cadence
from schemas.common import ServiceType

LOCAL = ZoneInfo("Asia/Shanghai")
DAYS = {"week": 7, "fortnight": 14}
MONTHS = {"month": 1, "quarter": 3}


@dataclass(frozen=True)
class CarePolicy:
    period_s: int | None = None
    """When set, every period is this many seconds (`VD_CARE_PERIOD_S`)."""


def _months_later(start: datetime, months: int) -> datetime:
    local = start.astimezone(LOCAL)
    month0 = local.month - 1 + months
    year, month = local.year + month0 // 12, month0 % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day).astimezone(start.tzinfo)


def period_bounds(start: datetime, cadence: Cadence, period: int, policy: CarePolicy
                  ) -> tuple[datetime, datetime]:
    """When period `period` (from 0) of a plan started at `start` begins and ends."""
    if policy.period_s is not None:
        step = timedelta(seconds=policy.period_s)
        return start + step * period, start + step * (period + 1)
    if cadence in DAYS:
        step = timedelta(days=DAYS[cadence])
        local = start.astimezone(LOCAL)
        begin = (local + step * period).astimezone(start.tzinfo)
        return begin, (local + step * (period + 1)).astimezone(start.tzinfo)
    months = MONTHS[cadence]
    return _months_later(start, months * period), _months_later(start, months * (period + 1))


def visit_request_id(county: str, plan_id: str, period: int) -> str:
    """The request of one period's visit: one per plan and period, however often the timer
    fires."""
    return f"{county}-{uuid5(NAMESPACE_URL, f'visit:{plan_id}:{period}').hex[:16]}"


@dataclass(frozen=True)
class Suggestion:
    cadence: Cadence
    reason: str
    service_type: ServiceType = ServiceType.HEALTH_CHECK


def suggestion_for(birth_year: int | None, tags: frozenset[str], year: int
                   ) -> Suggestion | None:
    """The plan a resident's circumstances call for, the most frequent that applies: living
    alone at 80 or more, or depending on care, weekly; in extreme hardship or with a
    disability, fortnightly or monthly; none otherwise."""
    age = None if birth_year is None else year - birth_year
    if "living_alone" in tags and age is not None and age >= 80:
        return Suggestion("week", "80岁以上独居")
    if "care_dependent" in tags:
        return Suggestion("week", "失能或需要照护")
    if "disability" in tags:
        return Suggestion("fortnight", "残疾")
    if "extreme_hardship" in tags:
        return Suggestion("month", "特困供养")
    if "living_alone" in tags and age is not None and age >= 70:
        return Suggestion("month", "70岁以上独居")
    return None
