"""Hours you can trust (DESIGN §10): flags hold credits, staff resolve them, corrections
reverse entries.

Properties over random histories of credits, resolutions and corrections:
- no credit escapes a flag that applies: among the entries posted without a resolution, no
  two intervals overlap, no day has more than the day's maximum, no month more services for
  one resident than the pair's maximum;
- a held credit is posted once, and only when every one of its flags is credited;
- lifetime hours equal the sum of hour entries, verified hours the sum of the verified ones,
  and the balance the sum of points, never below zero.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from hypothesis import given, settings
from hypothesis import strategies as st
from unit.builders import (
    COUNTY,
    STAFF,
    T0,
    VILLAGE_A1,
    envelope,
    ok_body,
    rejection_of,
    rid,
)

from consumers.ledger.handlers import credits_for, decide_ledger
from consumers.ledger.rules import PointsPolicy
from consumers.ledger.state import LedgerState
from flags.owner import FlagsState, decide_flags, flags_in
from flags.rules import LOCAL, FlagLimits, HourLine, found_flags, overlaps
from schemas import commands as cmd
from schemas import events as ev
from schemas.base import SYSTEM, Event
from schemas.decision import Decision
from schemas.flags import OpenFlags, ResolveFlag

V1 = "V-001"
POLICY = PointsPolicy(flags=FlagLimits(hours_per_day_max=12, same_pair_per_month_max=3))


def served(hours: float, start: datetime, *, resident: str | None = "R1",
           raised: tuple[cmd.RaisedFlag, ...] = (), verified: bool = True,
           entry_id: UUID | None = None) -> cmd.CreditPoints:
    return cmd.CreditPoints(
        **envelope(SYSTEM, start), volunteer_id=V1, entry_id=entry_id or uuid4(),
        request_id=rid(1), hours=hours, source_event_ids=(uuid4(),), raised=raised,
        facts=cmd.CreditFacts(source="service", verified=verified, started_at=start,
                              ended_at=start + timedelta(hours=hours), resident_id=resident,
                              area=VILLAGE_A1))


class Office:
    """The ledger and the county's flags, with follow-up commands carried by hand."""

    def __init__(self, policy: PointsPolicy = POLICY) -> None:
        self.policy = policy
        self.ledger = LedgerState()
        self.flags = FlagsState()
        self.events: list[Event] = []

    def credit(self, command: cmd.CreditPoints) -> Decision:
        decision = decide_ledger(self.ledger, command, command.occurred_at, self.policy)
        self.events += decision.events
        for follow_up in decision.commands:
            assert isinstance(follow_up, OpenFlags)
            opened = decide_flags(self.flags, follow_up, command.occurred_at)
            ok_body(opened)
        return decision

    def resolve(self, flag_id: str, decision: str, reason: str = "checked with the team"
                ) -> Decision:
        command = ResolveFlag(**envelope(STAFF, T0), county=COUNTY, flag_id=flag_id,
                              decision=decision, reason=reason)
        answer = decide_flags(self.flags, command, T0)
        for release in answer.commands:
            released = decide_ledger(self.ledger, release, T0, self.policy)
            ok_body(released)
            self.events += released.events
        return answer

    def correct(self, corrects: UUID, *, hours: float | None = None,
                points: int | None = None) -> Decision:
        command = cmd.CorrectEntry(**envelope(STAFF, T0), volunteer_id=V1, entry_id=uuid4(),
                                   corrects=corrects, reason="hours entered twice",
                                   hours=hours, points=points)
        decision = decide_ledger(self.ledger, command, T0, self.policy)
        self.events += decision.events
        return decision

    def open_flags(self) -> list[str]:
        return [f.flag_id for f in self.flags.flags.values() if f.status == "open"]


# -- the pure rules --------------------------------------------------------------------------


def test_a_lone_credit_raises_nothing() -> None:
    line = HourLine("a", 2.0, T0, T0, T0 + timedelta(hours=2), "service", "R1")
    assert found_flags(line, [], FlagLimits()) == []


def test_overlapping_check_ins_are_flagged_and_touching_ones_are_not() -> None:
    first = HourLine("a", 2.0, T0, T0, T0 + timedelta(hours=2))
    later = HourLine("b", 1.0, T0, T0 + timedelta(hours=1), T0 + timedelta(hours=2))
    after = HourLine("c", 1.0, T0, T0 + timedelta(hours=2), T0 + timedelta(hours=3))
    assert [k for k, _ in found_flags(later, [first], FlagLimits())] == ["overlap"]
    assert found_flags(after, [first], FlagLimits()) == []


def test_the_day_is_the_day_in_china() -> None:
    # 23:00 and 01:00 Shanghai time fall on two days, though both are the same UTC day
    evening = datetime(2026, 3, 2, 15, 0, tzinfo=LOCAL).astimezone(LOCAL).replace(hour=23)
    morning = evening + timedelta(hours=2)
    history = [HourLine("a", 8.0, evening, evening, evening + timedelta(minutes=30))]
    line = HourLine("b", 8.0, morning, morning, morning + timedelta(minutes=30))
    assert found_flags(line, history, FlagLimits()) == []


@settings(max_examples=200, deadline=None)
@given(a=st.tuples(st.integers(0, 600), st.integers(1, 300)),
       b=st.tuples(st.integers(0, 600), st.integers(1, 300)))
def test_overlap_is_symmetric(a: tuple[int, int], b: tuple[int, int]) -> None:
    def interval(start: int, length: int) -> tuple[datetime, datetime]:
        return T0 + timedelta(minutes=start), T0 + timedelta(minutes=start + length)
    assert overlaps(interval(*a), interval(*b)) == overlaps(interval(*b), interval(*a))


# -- the ledger and the county's list --------------------------------------------------------


def test_a_flagged_credit_is_held_listed_and_posted_when_credited() -> None:
    office = Office()
    office.credit(served(2.0, T0))
    held = office.credit(served(1.0, T0 + timedelta(minutes=30)))
    body = ok_body(held)
    assert body["held"] is True
    assert office.ledger.account(V1).lifetime_hours == 2.0
    [flag_id] = office.open_flags()
    flag = office.flags.flags[flag_id]
    assert (flag.kind, flag.area, flag.hours) == ("overlap", VILLAGE_A1, 1.0)
    assert flag_id in set(office.flags.ranks.drain_changes()[flags_in(VILLAGE_A1, "open")])
    answer = ok_body(office.resolve(flag_id, "credit"))
    assert answer["flag"]["status"] == "credited"
    assert office.ledger.account(V1).lifetime_hours == 3.0
    assert office.ledger.account(V1).balance == 3
    assert rejection_of(office.resolve(flag_id, "credit")).code == "already_resolved"


def test_a_rejected_flag_drops_the_credit_for_good() -> None:
    office = Office()
    command = served(13.0, T0)
    office.credit(command)
    [flag_id] = office.open_flags()
    ok_body(office.resolve(flag_id, "reject", "no such visit happened"))
    assert office.ledger.account(V1).lifetime_hours == 0
    assert office.ledger.held[str(command.entry_id)].status == "rejected"
    again = office.credit(command)  # redelivered: still nothing
    assert ok_body(again)["duplicate"] is True and office.ledger.account(V1).balance == 0


def test_a_credit_waits_for_every_one_of_its_flags() -> None:
    office = Office()
    office.credit(served(10.0, T0))
    office.credit(served(4.0, T0 + timedelta(hours=9),
                         raised=(cmd.RaisedFlag(kind="dispute", detail="only 2 h"),)))
    flags = office.open_flags()
    kinds = sorted(office.flags.flags[f].kind for f in flags)
    assert kinds == ["day_hours", "dispute", "overlap"]
    for flag_id in flags[:-1]:
        office.resolve(flag_id, "credit")
        assert office.ledger.account(V1).lifetime_hours == 10.0
    office.resolve(flags[-1], "credit")
    assert office.ledger.account(V1).lifetime_hours == 14.0


def test_the_same_pair_too_often_in_a_month_is_flagged() -> None:
    office = Office()
    for day in range(3):
        assert "held" not in ok_body(office.credit(served(1.0, T0 + timedelta(days=day))))
    assert ok_body(office.credit(served(1.0, T0 + timedelta(days=3))))["held"] is True
    assert [office.flags.flags[f].kind for f in office.open_flags()] == ["same_pair"]
    assert "held" not in ok_body(office.credit(served(1.0, T0 + timedelta(days=4),
                                                      resident="R2")))


def test_a_correction_reverses_an_entry_and_never_takes_the_balance_below_zero() -> None:
    office = Office()
    first = served(4.0, T0)
    office.credit(first)
    partial = ok_body(office.correct(first.entry_id, hours=1.0))
    assert (partial["points"], partial["hours"], partial["unrecovered_points"]) == (-1, -1.0, 0)
    account = office.ledger.account(V1)
    assert (account.balance, account.lifetime_hours, account.verified_hours) == (3, 3.0, 3.0)
    refused = rejection_of(office.correct(first.entry_id, hours=3.5))
    assert refused.code == "correction_exceeds_entry"
    whole = ok_body(office.correct(first.entry_id))
    assert (whole["points"], whole["hours"]) == (-3, -3.0)
    assert rejection_of(office.correct(first.entry_id)).code == "already_corrected"
    assert rejection_of(office.correct(uuid4())).code == "unknown_entry"


def test_what_a_correction_cannot_take_back_is_unrecovered() -> None:
    office = Office()
    first = served(4.0, T0)
    office.credit(first)
    office.ledger.accounts.put(V1, office.ledger.account(V1).model_copy(update={"balance": 1}))
    body = ok_body(office.correct(first.entry_id))
    assert (body["points"], body["unrecovered_points"], body["balance"]) == (-1, 3, 0)


steps = st.one_of(
    st.tuples(st.just("credit"), st.integers(0, 96), st.sampled_from([0.5, 1.0, 2.0, 4.0, 8.0]),
              st.sampled_from(["R1", "R2", None]), st.booleans()),
    st.tuples(st.just("resolve"), st.integers(0, 20), st.sampled_from(["credit", "reject"])),
    st.tuples(st.just("correct"), st.integers(0, 20), st.sampled_from([None, 0.5, 1.0])),
)


@settings(max_examples=120, deadline=None)
@given(plan=st.lists(steps, min_size=5, max_size=40))
def test_no_credit_escapes_a_flag_and_the_ledger_adds_up(plan: list[tuple[Any, ...]]
                                                        ) -> None:
    office = Office()
    for step in plan:
        if step[0] == "credit":
            _, slot, hours, resident, verified = step
            start = T0 + timedelta(hours=3 * slot)
            office.credit(served(hours, start, resident=resident, verified=verified))
        elif step[0] == "resolve" and office.open_flags():
            flags = office.open_flags()
            office.resolve(flags[step[1] % len(flags)], step[2])
        elif step[0] == "correct":
            credits = [e for e in office.ledger.entries.values() if e.kind == "credit"]
            if credits:
                office.correct(credits[step[1] % len(credits)].entry_id, hours=step[2])
        check(office)


def check(office: Office) -> None:
    state = office.ledger
    entries = state.entries_of(V1)
    account = state.account(V1)
    assert account.balance >= 0 and account.balance == sum(e.points for e in entries)
    hour_entries = [e for e in entries if e.kind in ("credit", "correction")]
    assert abs(account.lifetime_hours - sum(e.hours for e in hour_entries)) < 1e-6
    assert abs(account.verified_hours
               - sum(e.hours for e in hour_entries if e.verified)) < 1e-6
    posted = Counter(e.entry_id for e in office.events if isinstance(e, ev.PointsCredited))
    assert all(n == 1 for n in posted.values()), "a credit posted twice"
    released = {e.entry_id for e in office.events
                if isinstance(e, ev.PointsCredited) and e.released_flags}
    for held in state.held.values():
        decisions = [f.decision for f in held.flags]
        assert (held.status == "posted") == (all(d == "credit" for d in decisions))
        assert (held.status == "rejected") == ("reject" in decisions)
    # what is left of each entry after corrections is what later credits were weighed against
    unflagged = [e for e in entries if e.kind == "credit" and e.entry_id not in released
                 and state.remaining(e)[1] > 0]
    by_day: defaultdict[object, float] = defaultdict(float)
    pairs: Counter[tuple[object, str]] = Counter()
    for i, entry in enumerate(unflagged):
        assert entry.started_at is not None and entry.ended_at is not None
        for other in unflagged[:i]:
            assert other.started_at is not None and other.ended_at is not None
            assert not overlaps((entry.started_at, entry.ended_at),
                                (other.started_at, other.ended_at)), "an overlap escaped"
        day = entry.started_at.astimezone(LOCAL).date()
        by_day[day] += state.remaining(entry)[1]
        if entry.resident_id:
            pairs[((day.year, day.month), entry.resident_id)] += 1
    assert all(h <= POLICY.flags.hours_per_day_max for h in by_day.values())
    assert all(n <= POLICY.flags.same_pair_per_month_max for n in pairs.values())


def test_a_confirmed_service_credits_checked_volunteers_verified_and_carries_a_dispute(
) -> None:
    checked = cmd.ServiceCheck(volunteer_id="V-a", checked_in_at=T0,
                               checked_out_at=T0 + timedelta(hours=2))
    confirmed = ev.ServiceConfirmed(
        event_id=uuid4(), occurred_at=T0, correlation_id=uuid4(), actor=SYSTEM,
        request_id=rid(9), team_id="T-1", completed_event_id=uuid4(), confirmed_by="review",
        volunteers=(cmd.VolunteerHours(volunteer_id="V-a", hours=2.0),
                    cmd.VolunteerHours(volunteer_id="V-b", hours=1.0)),
        checks=(checked,), resident_id="R1", area=VILLAGE_A1, service_type="groceries",
        team_name="资江社区服务队", dispute_reason="只来了一个人")
    first, second = credits_for(confirmed)
    assert isinstance(first, cmd.CreditPoints) and isinstance(second, cmd.CreditPoints)
    assert first.facts.verified and first.facts.started_at == T0
    assert not second.facts.verified and second.facts.started_at is None
    assert first.facts.organiser == "资江社区服务队" and first.facts.resident_id == "R1"
    assert [f.kind for f in first.raised] == ["dispute"]
    office = Office()
    held = ok_body(office.credit(first.model_copy(update={"volunteer_id": V1})))
    assert held["held"] is True
    assert [office.flags.flags[f].kind for f in office.open_flags()] == ["dispute"]
