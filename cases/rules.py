"""The rules of cases (DESIGN §11), pure: working-day deadlines in China time, the office that
owns a case and the one a passed deadline moves it to, and who may act on it.

Working days are Monday to Friday in Asia/Shanghai, less the configured holidays. A deadline
of N working days falls at the same time of day on the Nth working day after the day the
case opened (or moved), so a case opened on Friday afternoon with three days is due on
Wednesday afternoon.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from schemas.base import Actor
from schemas.cases import CaseKind, CaseView
from schemas.common import Role, ancestors, county_of, within
from schemas.decision import Refused

LOCAL = ZoneInfo("Asia/Shanghai")
DEFAULT_DAYS: dict[CaseKind, int] = {"stalled": 3, "missed_visit": 3, "dispute": 5,
                                     "complaint": 5, "other": 10}


@dataclass(frozen=True)
class CasePolicy:
    days: tuple[tuple[CaseKind, int], ...] = tuple(DEFAULT_DAYS.items())
    """Working days to a deadline, by kind (`VD_CASE_DAYS_<KIND>`)."""
    holidays: frozenset[date] = field(default_factory=frozenset)
    """Days that are not working days (`VD_HOLIDAYS`)."""
    deadline_s: int | None = None
    """When set, every deadline is this many seconds (`VD_CASE_DEADLINE_S`, for drills)."""

    def working_days(self, kind: CaseKind) -> int:
        return dict(self.days).get(kind, DEFAULT_DAYS[kind])

    def deadline(self, kind: CaseKind, start: datetime) -> datetime:
        if self.deadline_s is not None:
            return start + timedelta(seconds=self.deadline_s)
        return due_after(start, self.working_days(kind), self.holidays)


def is_working_day(day: date, holidays: frozenset[date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def due_after(start: datetime, days: int, holidays: frozenset[date]) -> datetime:
    """The same local time on the `days`-th working day after the start's day."""
    local = start.astimezone(LOCAL)
    day = local.date()
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            counted += 1
    due: datetime = datetime.combine(day, local.time(), tzinfo=LOCAL)
    return due.astimezone(start.tzinfo)


def owner_of(area: str, offices: Iterable[str]) -> str:
    """The most local office whose scope contains the area; the county when none does."""
    held = set(offices)
    return next((code for code in ancestors(area) if code in held), county_of(area))


def next_office(scope: str, offices: Iterable[str]) -> str | None:
    """The nearest office enclosing `scope` (the county counts as one); None at the county."""
    held = set(offices)
    county = county_of(scope)
    for code in ancestors(scope)[1:]:
        if code in held or code == county:
            return code
    return None


def check_can_work(case: CaseView, actor: Actor) -> None:
    """Steps and closing belong to the owning office's staff and the enclosing scopes'."""
    if case.status == "closed":
        raise Refused("conflict", "case_closed", "the case is closed")
    if actor.role is not Role.STAFF or not within(case.owner_scope, actor.scope):
        raise Refused("forbidden", "not_owner", "the case is owned by the office of "
                      f"{case.owner_scope}: its staff or an enclosing scope's act on it",
                      owner_scope=case.owner_scope)
