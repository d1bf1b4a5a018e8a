"""Timing and refusal limits of dispatch; configuration, not code.

Windows depend on urgency and on the resident's priority tier (DESIGN §11): each tier's
setting is a ceiling on the window urgency gives, so a higher tier's windows are shorter,
an urgent request keeps its short windows whatever its tier, and tier 3 has no ceiling by
default: it waits as long as every request did before tiers."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from schemas.common import LOWEST_PRIORITY, Urgency


@dataclass(frozen=True)
class DispatchPolicy:
    accept_window_s: int = 30 * 60
    accept_window_urgent_s: int = 10 * 60
    complete_window_s: int = 24 * 3600
    complete_window_urgent_s: int = 4 * 3600
    wait_window_s: int = 60 * 60
    wait_window_urgent_s: int = 15 * 60
    accept_window_tiers_s: tuple[int, int, int] = (15 * 60, 20 * 60, 0)
    """The ceilings of tiers 1, 2 and 3 (`VD_ACCEPT_WINDOW_TIER<N>_S`; 0: none), likewise
    below."""
    complete_window_tiers_s: tuple[int, int, int] = (12 * 3600, 18 * 3600, 0)
    wait_window_tiers_s: tuple[int, int, int] = (30 * 60, 45 * 60, 0)
    confirm_window_s: int = 72 * 3600
    max_refusals: int = 3
    review_required: bool = False
    accept_remind_before_s: int = 0
    """The team is reminded this long before its accept deadline (at most half the window
    in); 0: no reminder (the platform's setting, `VD_ACCEPT_REMIND_BEFORE_S`, is 600)."""
    hours_step: float = 0.5
    """Checked time is rounded down to this many hours before it bounds completion hours."""
    hours_caps: tuple[tuple[str, float], ...] = ()
    """Hours per volunteer per service, by service type (`VD_HOURS_CAP_<TYPE>`)."""

    def hours_cap(self, service_type: str) -> float | None:
        return dict(self.hours_caps).get(service_type)

    def checked_hours(self, elapsed: timedelta) -> float:
        """Checked time in hours, rounded down to the step (DESIGN §10)."""
        steps = math.floor(elapsed.total_seconds() / 3600 / self.hours_step + 1e-9)
        return max(0.0, steps * self.hours_step)

    def accept_window(self, urgency: Urgency, priority: int = LOWEST_PRIORITY) -> timedelta:
        return _window(self.accept_window_urgent_s if urgency is Urgency.URGENT
                       else self.accept_window_s, self.accept_window_tiers_s, priority)

    def accept_reminder(self, urgency: Urgency, priority: int = LOWEST_PRIORITY
                        ) -> timedelta | None:
        """How long before the accept deadline the team is reminded, if at all."""
        if self.accept_remind_before_s <= 0:
            return None
        window = self.accept_window(urgency, priority)
        return min(timedelta(seconds=self.accept_remind_before_s), window / 2)

    def complete_window(self, urgency: Urgency, priority: int = LOWEST_PRIORITY) -> timedelta:
        return _window(self.complete_window_urgent_s if urgency is Urgency.URGENT
                       else self.complete_window_s, self.complete_window_tiers_s, priority)

    def wait_window(self, urgency: Urgency, priority: int = LOWEST_PRIORITY) -> timedelta:
        return _window(self.wait_window_urgent_s if urgency is Urgency.URGENT
                       else self.wait_window_s, self.wait_window_tiers_s, priority)

    def confirm_window(self) -> timedelta:
        return timedelta(seconds=self.confirm_window_s)


def _window(by_urgency_s: int, tiers_s: tuple[int, int, int], priority: int) -> timedelta:
    """The window urgency gives, cut to the tier's ceiling (0: none)."""
    ceiling_s = tiers_s[priority - 1]
    return timedelta(seconds=min(by_urgency_s, ceiling_s) if ceiling_s else by_urgency_s)
