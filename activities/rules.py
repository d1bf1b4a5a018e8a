"""The rules of activities, pure (DESIGN §10): the sign-up book, the rotating code, and the
hours a volunteer's check-in and check-out are worth.

Nothing here reads a clock or a store: times and secrets come in as arguments.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from schemas.activities import ActivityCredit, SignUpStatus
from schemas.commands import FlagKind

CODE_DIGITS = 6
CODE_PERIOD_S = 60
"""The code changes every minute; the current and the previous minute's are accepted, so a
code read at the end of a minute still works while it is typed."""
US_PER_HOUR = 3_600_000_000


@dataclass(frozen=True)
class ActivityPolicy:
    hours_step: float = 0.5
    """Credited hours are rounded down to a multiple of this."""
    min_share: float = 0.6
    """Below this share of the scheduled length a volunteer is credited nothing."""
    late_checkout_grace_s: int = 30 * 60
    """A check-out later than the end by more than this is flagged `late_checkout`."""
    check_in_early_s: int = 30 * 60
    """Check-in opens this long before the start."""
    autoclose_s: int = 7200
    """An activity still open this long after its end closes by itself."""


# -- the sign-up book ----------------------------------------------------------------------


@dataclass(frozen=True)
class Book:
    """Who is confirmed, waiting (first come first promoted) and awaiting approval.

    The waiting list and the approval queue together hold at most `slots` more people:
    beyond that a sign-up is `full` (a list longer than the activity itself would never be
    reached)."""

    slots: int
    approval: bool = False
    confirmed: tuple[str, ...] = ()
    waiting: tuple[str, ...] = ()
    pending: tuple[str, ...] = ()

    def holds(self, volunteer_id: str) -> bool:
        return volunteer_id in (*self.confirmed, *self.waiting, *self.pending)

    @property
    def full(self) -> bool:
        """No place left for one more: the slots (but with approval) and the list beyond."""
        beyond = len(self.waiting) + len(self.pending)
        if self.approval:
            return beyond >= self.slots
        return len(self.confirmed) >= self.slots and beyond >= self.slots


class BookRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def sign_up(book: Book, volunteer_id: str) -> tuple[Book, SignUpStatus]:
    """Confirmed while there is a free slot, then waiting; with approval, pending."""
    if book.holds(volunteer_id):
        raise BookRefused("already_signed_up", "you are already signed up")
    if book.full:
        raise BookRefused("full", "the activity and its waiting list are full")
    if book.approval:
        return replace(book, pending=(*book.pending, volunteer_id)), "pending"
    if len(book.confirmed) < book.slots:
        return replace(book, confirmed=(*book.confirmed, volunteer_id)), "confirmed"
    return replace(book, waiting=(*book.waiting, volunteer_id)), "waiting"


def cancel(book: Book, volunteer_id: str) -> tuple[Book, str | None]:
    """Leave the book; a confirmed place that frees up goes to the first waiting."""
    if not book.holds(volunteer_id):
        raise BookRefused("not_signed_up", "you are not signed up")
    left = Book(book.slots, book.approval,
                tuple(v for v in book.confirmed if v != volunteer_id),
                tuple(v for v in book.waiting if v != volunteer_id),
                tuple(v for v in book.pending if v != volunteer_id))
    if left.waiting and len(left.confirmed) < left.slots:
        first = left.waiting[0]
        return replace(left, confirmed=(*left.confirmed, first), waiting=left.waiting[1:]), first
    return left, None


def approve(book: Book, volunteer_id: str) -> tuple[Book, SignUpStatus]:
    """A pending sign-up becomes confirmed, or waiting when the slots are taken."""
    if volunteer_id not in book.pending:
        raise BookRefused("not_pending", "this volunteer has no sign-up awaiting approval")
    rest = tuple(v for v in book.pending if v != volunteer_id)
    if len(book.confirmed) < book.slots:
        return replace(book, pending=rest, confirmed=(*book.confirmed, volunteer_id)), "confirmed"
    return replace(book, pending=rest, waiting=(*book.waiting, volunteer_id)), "waiting"


# -- the rotating code ---------------------------------------------------------------------


def minute_of(at: datetime) -> int:
    return int(at.timestamp()) // CODE_PERIOD_S


def code_at(secret: bytes, minute: int) -> str:
    """The code of one minute: an HMAC of the activity's secret and the minute."""
    digest = hmac.new(secret, minute.to_bytes(8, "big"), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**CODE_DIGITS:0{CODE_DIGITS}d}"


def code_accepted(secret: bytes, code: str, at: datetime) -> bool:
    """The current and the previous minute's code are good."""
    minute = minute_of(at)
    return any(hmac.compare_digest(code, code_at(secret, m)) for m in (minute, minute - 1))


# -- hours ---------------------------------------------------------------------------------


def _us(span: timedelta) -> int:
    """A span in whole microseconds, exactly (no float on the way)."""
    return (span.days * 86_400 + span.seconds) * 1_000_000 + span.microseconds


def hours_for(policy: ActivityPolicy, volunteer_id: str, starts_at: datetime,
              ends_at: datetime, checked_in_at: datetime, checked_out_at: datetime | None
              ) -> ActivityCredit:
    """A volunteer's hours: check-out minus check-in, clipped to the activity, rounded down
    to the step; nothing below the minimum share of the scheduled length. No check-out is
    closed at the end and flagged `no_checkout`; a check-out later than the end by more
    than the grace is flagged `late_checkout` (its hours are clipped all the same)."""
    flag: FlagKind | None = None
    if checked_out_at is None:
        flag, ended = "no_checkout", ends_at
    else:
        ended = checked_out_at
        if checked_out_at - ends_at > timedelta(seconds=policy.late_checkout_grace_s):
            flag = "late_checkout"
    begin, end = max(checked_in_at, starts_at), min(ended, ends_at)
    counted_us = max(0, _us(end - begin))
    scheduled_us = _us(ends_at - starts_at)
    step_us = round(policy.hours_step * US_PER_HOUR)
    if counted_us < policy.min_share * scheduled_us or counted_us < step_us:
        return ActivityCredit(
            volunteer_id=volunteer_id, hours=0.0, started_at=checked_in_at, ended_at=ended,
            flag=flag, reason="below_min_share" if counted_us < policy.min_share * scheduled_us
            else "below_step")
    hours = round(counted_us // step_us * policy.hours_step, 6)
    return ActivityCredit(volunteer_id=volunteer_id, hours=hours, started_at=checked_in_at,
                          ended_at=ended, flag=flag)
