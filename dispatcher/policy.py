"""Timing and refusal limits of dispatch; configuration, not code."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from schemas.common import Urgency


@dataclass(frozen=True)
class DispatchPolicy:
    accept_window_s: int = 30 * 60
    accept_window_urgent_s: int = 10 * 60
    complete_window_s: int = 24 * 3600
    complete_window_urgent_s: int = 4 * 3600
    wait_window_s: int = 60 * 60
    wait_window_urgent_s: int = 15 * 60
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

    def accept_window(self, urgency: Urgency) -> timedelta:
        urgent = urgency is Urgency.URGENT
        return timedelta(seconds=self.accept_window_urgent_s if urgent else self.accept_window_s)

    def accept_reminder(self, urgency: Urgency) -> timedelta | None:
        """How long before the accept deadline the team is reminded, if at all."""
        if self.accept_remind_before_s <= 0:
            return None
        window = self.accept_window(urgency)
        return min(timedelta(seconds=self.accept_remind_before_s), window / 2)

    def complete_window(self, urgency: Urgency) -> timedelta:
        urgent = urgency is Urgency.URGENT
        s = self.complete_window_urgent_s if urgent else self.complete_window_s
        return timedelta(seconds=s)

    def wait_window(self, urgency: Urgency) -> timedelta:
        urgent = urgency is Urgency.URGENT
        return timedelta(seconds=self.wait_window_urgent_s if urgent else self.wait_window_s)

    def confirm_window(self) -> timedelta:
        return timedelta(seconds=self.confirm_window_s)
