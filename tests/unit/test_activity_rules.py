"""The rules of activities (DESIGN §10), pure: hours, the sign-up book and the rotating code.

Properties, with hypothesis: hours never exceed the checked time nor the activity's length,
are a multiple of the step, and are zero below the minimum share; a missing check-out is
counted to the end and flagged, a check-out past the grace is flagged and still clipped.
Whatever sign-ups, cancellations and approvals happen, the book never confirms more than the
slots, never lists anyone twice, promotes the first waiting when a place frees up, and keeps
approval sign-ups pending until approved. A code is good in its minute and the next only.
Examples pin the owner: closing credits the ledger once per volunteer with the activity's
facts; check-in opens half an hour early, for confirmed sign-ups, until the end, and a repeat
changes nothing; and an activity left open is closed by its timer, also after a restart (the
state restored from its rows).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from activities.handlers import decide_activity, entry_id_for
from activities.owner import ActivitiesOwner
from activities.rules import (
    ActivityPolicy,
    Book,
    BookRefused,
    approve,
    cancel,
    code_accepted,
    code_at,
    hours_for,
    minute_of,
    sign_up,
)
from activities.state import ActivitiesState
from schemas import activities as act
from schemas import commands as cmd
from schemas.base import Actor
from schemas.common import Role, ServiceType
from schemas.decision import Decision

T0 = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)
POLICY = ActivityPolicy()
STAFF = Actor(role=Role.STAFF, subject="S1")


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


# -- hours ---------------------------------------------------------------------------------

lengths = st.integers(min_value=1, max_value=24 * 60).map(minutes)
offsets = st.integers(min_value=-120, max_value=26 * 60).map(minutes)
steps = st.sampled_from([0.25, 0.5, 1.0])
shares = st.sampled_from([0.0, 0.5, 0.6, 1.0])


@settings(max_examples=400)
@given(length=lengths, check_in=offsets, stay=st.integers(0, 26 * 60).map(minutes),
       out=st.booleans(), step=steps, share=shares)
def test_hours_stay_within_the_checked_time_and_the_activity(
        length: timedelta, check_in: timedelta, stay: timedelta, out: bool, step: float,
        share: float) -> None:
    policy = ActivityPolicy(hours_step=step, min_share=share)
    starts_at, ends_at = T0, T0 + length
    checked_in = T0 + check_in
    checked_out = checked_in + stay if out else None
    credit = hours_for(policy, "V1", starts_at, ends_at, checked_in, checked_out)
    hours = credit.hours
    assert 0 <= hours <= length.total_seconds() / 3600 + 1e-9
    checked_until = checked_out if checked_out is not None else ends_at
    assert hours <= max(0.0, (checked_until - checked_in).total_seconds() / 3600) + 1e-9
    assert math.isclose(hours / step, round(hours / step), abs_tol=1e-6)
    counted = max(timedelta(0), min(checked_until, ends_at) - max(checked_in, starts_at))
    if counted < share * length:
        assert hours == 0 and credit.reason == "below_min_share"
    elif hours == 0:
        assert credit.reason == "below_step" and counted < timedelta(hours=step)
    assert credit.flag == ("no_checkout" if checked_out is None else
                           "late_checkout" if checked_out - ends_at > minutes(30) else None)


def test_hours_are_the_checked_time_rounded_down_to_the_step() -> None:
    two_hours = T0 + timedelta(hours=2)
    credit = hours_for(POLICY, "V1", T0, two_hours, T0 - minutes(20), T0 + minutes(109))
    assert (credit.hours, credit.flag) == (1.5, None)
    assert hours_for(POLICY, "V1", T0, two_hours, T0, T0 + minutes(71)).hours == 0, (
        "71 minutes of 120 are below the 60 % share")
    assert hours_for(POLICY, "V1", T0, two_hours, T0, T0 + minutes(72)).hours == 1.0


def test_a_missing_check_out_counts_to_the_end_and_a_late_one_is_clipped() -> None:
    ends_at = T0 + timedelta(hours=2)
    forgot = hours_for(POLICY, "V1", T0, ends_at, T0, None)
    assert (forgot.hours, forgot.flag, forgot.ended_at) == (2.0, "no_checkout", ends_at)
    late = hours_for(POLICY, "V1", T0, ends_at, T0, ends_at + minutes(31))
    assert (late.hours, late.flag) == (2.0, "late_checkout")
    within_grace = hours_for(POLICY, "V1", T0, ends_at, T0, ends_at + minutes(30))
    assert (within_grace.hours, within_grace.flag) == (2.0, None)


# -- the sign-up book ----------------------------------------------------------------------

people = st.sampled_from([f"V{n}" for n in range(8)])
moves = st.lists(st.tuples(st.sampled_from(["sign_up", "cancel", "approve"]), people),
                 max_size=40)


@settings(max_examples=300)
@given(slots=st.integers(1, 4), approval=st.booleans(), steps=moves)
def test_the_book_never_confirms_more_than_the_slots(slots: int, approval: bool,
                                                     steps: list[tuple[str, str]]) -> None:
    book = Book(slots, approval)
    for move, person in steps:
        before = book
        try:
            if move == "sign_up":
                book, status = sign_up(book, person)
                assert status == ("pending" if approval else
                                  "confirmed" if len(before.confirmed) < slots else "waiting")
            elif move == "cancel":
                book, promoted = cancel(book, person)
                if person in before.confirmed and before.waiting:
                    assert promoted == before.waiting[0]
                    assert book.confirmed[-1] == promoted
            else:
                book, status = approve(book, person)
                assert person in book.confirmed or person in book.waiting
        except BookRefused:
            assert book == before
        everyone = [*book.confirmed, *book.waiting, *book.pending]
        assert len(everyone) == len(set(everyone))
        assert len(book.confirmed) <= slots
        assert len(book.waiting) + len(book.pending) <= slots
        if not approval:
            assert not book.pending
            assert not book.waiting or len(book.confirmed) == slots


def test_a_full_book_refuses_and_a_cancellation_promotes_the_first_waiting() -> None:
    book = Book(1)
    for person in ("V1", "V2", "V3"):
        if person == "V3":
            try:
                sign_up(book, person)
            except BookRefused as e:
                assert e.code == "full"
            else:
                raise AssertionError("a third sign-up fits neither the slot nor the list")
        else:
            book, _ = sign_up(book, person)
    assert (book.confirmed, book.waiting) == (("V1",), ("V2",))
    book, promoted = cancel(book, "V1")
    assert (promoted, book.confirmed, book.waiting) == ("V2", ("V2",), ())


# -- the rotating code ---------------------------------------------------------------------


@given(at=st.integers(0, 10**10).map(lambda s: datetime.fromtimestamp(s, UTC)),
       secret=st.binary(min_size=16, max_size=32))
def test_a_code_is_good_in_its_minute_and_the_next_only(at: datetime, secret: bytes) -> None:
    code = code_at(secret, minute_of(at))
    assert len(code) == 6 and code.isdigit()
    assert code_accepted(secret, code, at)
    assert code_accepted(secret, code, at + timedelta(seconds=60))
    later = at + timedelta(seconds=120)
    assert code_accepted(secret, code, later) == (
        code in (code_at(secret, minute_of(later)), code_at(secret, minute_of(later) - 1)))


# -- the owner -----------------------------------------------------------------------------


def env(actor: Actor, at: datetime, **fields: Any) -> dict[str, Any]:
    command_id = uuid4()
    return {"command_id": command_id, "occurred_at": at, "correlation_id": command_id,
            "actor": actor, "county": "430511", **fields}


def decided(state: ActivitiesState, command: act.ActivityCommand) -> Decision:
    return decide_activity(state, command, command.occurred_at, POLICY)


def answer_of(decision: Decision) -> dict[str, Any]:
    assert decision.outcome is not None
    assert decision.outcome.ok, decision.outcome.rejection
    return dict(decision.outcome.result or {})


def publish(state: ActivitiesState, slots: int = 2) -> None:
    answer_of(decided(state, act.PublishActivity(
        **env(STAFF, T0 - timedelta(days=1), activity_id="A1"), title="文明劝导",
        service_type=ServiceType.CIVILITY, area="430511001", starts_at=T0,
        ends_at=T0 + timedelta(hours=2), slots=slots, organiser="北塔区")))


def volunteer(n: int) -> Actor:
    return Actor(role=Role.VOLUNTEER, subject=f"V{n}")


def test_closing_credits_the_ledger_once_per_volunteer_with_the_activitys_facts() -> None:
    state = ActivitiesState()
    publish(state)
    for n in (1, 2):
        answer_of(decided(state, act.SignUp(**env(volunteer(n), T0 - minutes(60), activity_id="A1",
                                                  volunteer_id=f"V{n}"))))
        answer_of(decided(state, act.CheckIn(**env(volunteer(n), T0 - minutes(5),
                                                   activity_id="A1", volunteer_id=f"V{n}"))))
    answer_of(decided(state, act.CheckOut(**env(volunteer(1), T0 + minutes(100),
                                                activity_id="A1", volunteer_id="V1"))))
    early = decided(state, act.CloseActivity(**env(STAFF, T0 - minutes(1), activity_id="A1")))
    assert early.outcome is not None and early.outcome.rejection is not None
    assert early.outcome.rejection.code == "not_started"
    closing = decided(state, act.CloseActivity(**env(STAFF, T0 + minutes(130),
                                                     activity_id="A1")))
    body = answer_of(closing)
    assert body["credited"] == [{"volunteer_id": "V1", "hours": 1.5}]
    assert body["flagged"] == [{"volunteer_id": "V2", "hours": 2.0, "kind": "no_checkout"}]
    credits = [c for c in closing.commands if isinstance(c, cmd.CreditPoints)]
    assert [(c.volunteer_id, c.hours, c.entry_id) for c in credits] == [
        ("V1", 1.5, entry_id_for("A1", "V1")), ("V2", 2.0, entry_id_for("A1", "V2"))]
    [closed] = closing.events
    assert all(c.source_event_ids == (closed.event_id,) and c.request_id is None
               for c in credits)
    facts = credits[0].facts
    assert (facts.source, facts.verified, facts.activity_id, facts.organiser, facts.area,
            facts.started_at, facts.ended_at) == (
        "activity", True, "A1", "北塔区", "430511001", T0 - minutes(5), T0 + minutes(100))
    assert credits[0].raised == () and credits[1].raised[0].kind == "no_checkout"
    again = decided(state, act.CloseActivity(**env(STAFF, T0 + minutes(131), activity_id="A1")))
    assert again.outcome is not None and again.outcome.rejection is not None
    assert again.outcome.rejection.code == "already_closed"


def test_an_activity_left_open_closes_by_itself_also_after_a_restart() -> None:
    owner = ActivitiesOwner(POLICY)
    state = owner.state_of("430511")
    publish(state)
    ends_at = T0 + timedelta(hours=2)
    assert owner.timers(ends_at + timedelta(seconds=7199)) == []
    rows = {name: records.drain_changes() for name, records in state.collections().items()}
    restarted = ActivitiesOwner(POLICY)
    restarted.state_of("430511").restore(rows)
    [close] = restarted.timers(ends_at + timedelta(seconds=7200))
    assert isinstance(close, act.CloseActivity) and close.automatic
    assert restarted.timers(ends_at + timedelta(seconds=7300))[0].command_id == (
        close.command_id), "a timer fired twice is one command"
    answer_of(restarted.decide(close, close.occurred_at))
    assert restarted.timers(ends_at + timedelta(hours=5)) == []


def rejection(decision: Decision) -> str | None:
    assert decision.outcome is not None
    return None if decision.outcome.rejection is None else decision.outcome.rejection.code


def test_check_in_opens_half_an_hour_early_for_confirmed_sign_ups_until_the_end() -> None:
    state = ActivitiesState()
    publish(state, slots=1)
    for n in (1, 2):
        answer_of(decided(state, act.SignUp(**env(volunteer(n), T0 - minutes(90),
                                                  activity_id="A1", volunteer_id=f"V{n}"))))

    def check_in(n: int, at: datetime) -> Decision:
        return decided(state, act.CheckIn(**env(volunteer(n), at, activity_id="A1",
                                                volunteer_id=f"V{n}")))

    assert rejection(check_in(1, T0 - minutes(31))) == "check_in_closed"
    assert rejection(check_in(2, T0)) == "not_signed_up", "V2 is on the waiting list"
    assert rejection(check_in(1, T0 + timedelta(hours=2, seconds=1))) == "check_in_closed"
    first = answer_of(check_in(1, T0 - minutes(30)))
    again = check_in(1, T0 + minutes(5))
    assert answer_of(again) == first and again.events == (), "a repeat changes nothing"
    cancelled = decided(state, act.CancelSignUp(**env(volunteer(1), T0, activity_id="A1",
                                                      volunteer_id="V1")))
    assert rejection(cancelled) == "checked_in"
    answer_of(decided(state, act.CheckOut(**env(volunteer(1), T0 + minutes(155),
                                                activity_id="A1", volunteer_id="V1"))))
    closing = answer_of(decided(state, act.CloseActivity(**env(STAFF, T0 + minutes(160),
                                                               activity_id="A1"))))
    assert closing["flagged"] == [{"volunteer_id": "V1", "hours": 2.0, "kind": "late_checkout"}]
