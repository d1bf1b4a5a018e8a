"""The rules of micro-wishes (DESIGN §11), pure, through the county's owner.

Properties, with hypothesis: whatever posts, claims, releases, fulfilments, confirmations,
withdrawals and passing days happen, a wish has one claimer exactly from its claim until it
is released, lapses or is withdrawn (a fulfilled wish keeps it), no volunteer holds more
than `claims_max` open claims, a refused command changes nothing, a fulfilled or withdrawn
wish stays so, no claim outlives its window once the timer has fired, and every confirmation
of a wish with hours sends one credit with the wish's entry id (the statistics show the steps
reach every status). Examples pin the codes (`already_claimed`, `claim_limit`, `not_claimer`,
`not_done`), a released claim claimed again, the credit's facts, and a claim that lapses by
itself, also after a restart (the state restored from its rows), once per claim.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, uuid4, uuid5

from hypothesis import event, given, settings
from hypothesis import strategies as st

from schemas import commands as cmd
from schemas import wishes as w
from schemas.base import Actor, Command
from schemas.common import Role
from schemas.decision import Decision
from wishes.handlers import decide_wish, entry_id_for
from wishes.owner import WishesOwner
from wishes.rules import WishPolicy, lapses_at
from wishes.state import WishesState

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
POLICY = WishPolicy(claims_max=3, claim_window_s=14 * 86400)
STAFF = Actor(role=Role.STAFF, subject="S1", scope="430511")
RESIDENT = Actor(role=Role.RESIDENT, subject="R1")


def volunteer(n: int) -> Actor:
    return Actor(role=Role.VOLUNTEER, subject=f"V{n}")


def env(actor: Actor, at: datetime, wish_id: str, **fields: Any) -> dict[str, Any]:
    command_id = uuid4()
    return {"command_id": command_id, "occurred_at": at, "correlation_id": command_id,
            "actor": actor, "county": "430511", "wish_id": wish_id, **fields}


def decided(state: WishesState, command: Command) -> Decision:
    return decide_wish(state, command, command.occurred_at, POLICY)


def rejection(decision: Decision) -> str | None:
    assert decision.outcome is not None
    return None if decision.outcome.rejection is None else decision.outcome.rejection.code


def ok(decision: Decision) -> dict[str, Any]:
    assert rejection(decision) is None, decision.outcome
    assert decision.outcome is not None
    return dict(decision.outcome.result or {})


def post(state: WishesState, wish_id: str, at: datetime = T0) -> None:
    ok(decided(state, w.PostWish(**env(RESIDENT, at, wish_id), area="430511001002",
                                 resident_id="R1", title="pd1.sealed-title")))


def claim(n: int, wish_id: str, at: datetime = T0) -> w.ClaimWish:
    return w.ClaimWish(**env(volunteer(n), at, wish_id), volunteer_id=f"V{n}")


def release(n: int, wish_id: str, at: datetime = T0) -> w.ReleaseClaim:
    return w.ReleaseClaim(**env(volunteer(n), at, wish_id), volunteer_id=f"V{n}")


def fulfil(n: int, wish_id: str, at: datetime = T0, hours: float | None = 1.5
           ) -> w.FulfilWish:
    return w.FulfilWish(**env(volunteer(n), at, wish_id), volunteer_id=f"V{n}",
                        note="送到了", hours=hours)


def confirm(wish_id: str, at: datetime = T0, by: Actor = RESIDENT) -> w.ConfirmWish:
    return w.ConfirmWish(**env(by, at, wish_id))


# -- properties ----------------------------------------------------------------------------

WISHES = ["W0", "W1", "W2", "W9"]
"""Three posted first; W9 only if a step posts it."""
KINDS = ["post", "claim", "claim", "release", "fulfil", "fulfil", "confirm", "confirm",
         "withdraw", "wait"]
steps = st.lists(st.tuples(
    st.sampled_from(KINDS), st.sampled_from(WISHES), st.integers(0, 2), st.booleans(),
    st.integers(0, 10 * 86400)), min_size=20, max_size=100)
"""Each step: what, on which wish, by whom (0: the wish's claimer, if any), with hours or
by staff, and how long a wait lasts."""


def rows(state: WishesState) -> dict[str, w.WishView]:
    return {wish_id: state.wishes[wish_id] for wish_id in state.wishes}


@settings(max_examples=300, deadline=None)
@given(steps=steps)
def test_a_wish_has_one_claimer_and_no_volunteer_holds_more_than_the_limit(
        steps: list[tuple[str, str, int, bool, int]]) -> None:
    reached: set[str] = set()
    owner = WishesOwner(POLICY)
    state = owner.state_of("430511")
    now = T0
    for wish_id in WISHES[:3]:
        post(state, wish_id)
    for kind, wish_id, who, with_hours, seconds in steps:
        before = rows(state)
        claimer = before[wish_id].claimer if wish_id in before else None
        n = who or (int(claimer[1:]) if claimer else 1)
        command: Command
        if kind == "wait":
            now += timedelta(seconds=seconds)
            for lapse in owner.timers(now):
                ok(owner.decide(lapse, now))
            assert all((lapses_at(state.wishes[i], POLICY) or now) > now
                       for i in state.claimed), "no claim outlives its window"
            continue
        if kind == "post":
            command = w.PostWish(**env(RESIDENT, now, wish_id), area="430511001",
                                 resident_id="R1", title="pd1.t")
        elif kind == "claim":
            command = claim(n, wish_id, now)
        elif kind == "release":
            command = release(n, wish_id, now)
        elif kind == "fulfil":
            command = fulfil(n, wish_id, now, 2.0 if with_hours else None)
        elif kind == "confirm":
            command = confirm(wish_id, now, STAFF if with_hours else RESIDENT)
        else:
            command = w.WithdrawWish(**env(RESIDENT, now, wish_id))
        decision = decided(state, command)
        after = rows(state)
        if rejection(decision) is not None:
            assert after == before and decision.events == () and decision.commands == ()
            continue
        credits = [c for c in decision.commands if isinstance(c, cmd.CreditPoints)]
        if kind == "confirm":
            wish = after[wish_id]
            assert wish.status == "fulfilled"
            assert [(c.volunteer_id, c.entry_id, c.hours) for c in credits] == (
                [] if wish.hours is None else
                [(wish.claimer, entry_id_for(wish_id, wish.claimer or ""), wish.hours)])
        else:
            assert credits == []
        for i, old in before.items():
            if old.status in ("fulfilled", "withdrawn"):
                assert after[i] == old, "a fulfilled or withdrawn wish stays so"
        for wish in after.values():
            held = wish.status in ("claimed", "done", "fulfilled")
            assert (wish.claimer is not None) == held, "one claimer, from claim to the end"
            assert (wish.claimed_at is not None) == held
        assert state.claimed == {i: x.claimer for i, x in after.items()
                                 if x.status == "claimed"}
        for v in (1, 2):
            assert state.held_by(f"V{v}") <= POLICY.claims_max
        reached |= {x.status for x in after.values()}
    event(f"reached {', '.join(sorted(reached))}")


# -- examples ------------------------------------------------------------------------------


def test_one_claimer_at_a_time_and_at_most_three_open_claims() -> None:
    state = WishesState()
    for n in range(5):
        post(state, f"W{n}")
    ok(decided(state, claim(1, "W0")))
    assert rejection(decided(state, claim(2, "W0"))) == "already_claimed"
    assert rejection(decided(state, claim(1, "W0"))) == "already_claimed"
    assert rejection(decided(state, release(2, "W0"))) == "not_claimer"
    ok(decided(state, claim(1, "W1")))
    ok(decided(state, claim(1, "W2")))
    assert rejection(decided(state, claim(1, "W3"))) == "claim_limit"
    assert ok(decided(state, release(1, "W2"))) == {
        "wish_id": "W2", "status": "open", "claimer": None}
    ok(decided(state, claim(2, "W2")))
    ok(decided(state, claim(1, "W3")))
    ok(decided(state, fulfil(1, "W3")))
    ok(decided(state, claim(1, "W4"))), "a wish marked done is no longer an open claim"
    assert rejection(decided(state, confirm("W0"))) == "not_done"
    assert rejection(decided(state, claim(3, "W9"))) == "not_found"


def test_confirming_credits_the_claimer_once_with_the_wishs_facts() -> None:
    state = WishesState()
    post(state, "W1")
    ok(decided(state, claim(1, "W1")))
    assert [c for c in decided(state, fulfil(1, "W1", T0 + timedelta(days=2))).commands] == []
    confirming = decided(state, confirm("W1", T0 + timedelta(days=3)))
    assert ok(confirming)["status"] == "fulfilled"
    [credit] = confirming.commands
    [fulfilled] = confirming.events
    assert isinstance(credit, cmd.CreditPoints)
    assert (credit.volunteer_id, credit.hours, credit.request_id, credit.source_event_ids) == (
        "V1", 1.5, None, (fulfilled.event_id,))
    assert credit.entry_id == uuid5(NAMESPACE_URL, "wish:W1:V1")
    facts = credit.facts
    assert (facts.source, facts.verified, facts.wish_id, facts.area, facts.resident_id) == (
        "wish", True, "W1", "430511001002", "R1")
    assert rejection(decided(state, confirm("W1"))) == "not_done"
    assert rejection(decided(state, w.WithdrawWish(**env(RESIDENT, T0, "W1")))) == "not_open"


def test_a_wish_done_without_hours_is_fulfilled_without_a_credit() -> None:
    state = WishesState()
    post(state, "W1")
    ok(decided(state, claim(1, "W1")))
    ok(decided(state, fulfil(1, "W1", hours=None)))
    confirming = decided(state, confirm("W1", by=STAFF))
    assert ok(confirming)["status"] == "fulfilled" and confirming.commands == ()
    assert state.wishes["W1"].confirmed_by == STAFF


def test_a_claim_lapses_by_itself_once_also_after_a_restart() -> None:
    owner = WishesOwner(POLICY)
    state = owner.state_of("430511")
    post(state, "W1")
    ok(decided(state, claim(1, "W1")))
    window = timedelta(seconds=POLICY.claim_window_s)
    assert owner.timers(T0 + window - timedelta(seconds=1)) == []
    saved = {name: records.drain_changes() for name, records in state.collections().items()}
    restarted = WishesOwner(POLICY)
    restarted.state_of("430511").restore(saved)
    [lapse] = restarted.timers(T0 + window)
    assert isinstance(lapse, w.ReleaseClaim) and lapse.lapsed and lapse.claim == 1
    assert restarted.timers(T0 + window + timedelta(hours=1))[0].command_id == lapse.command_id
    assert ok(restarted.decide(lapse, lapse.occurred_at))["status"] == "open"
    assert restarted.timers(T0 + 2 * window) == []
    again = restarted.state_of("430511")
    ok(decided(again, claim(2, "W1", T0 + window)))
    late = restarted.decide(lapse, T0 + 2 * window)
    assert ok(late)["claimer"] == "V2" and late.events == (), "an old lapse ends no new claim"
    [second] = restarted.timers(T0 + 2 * window)
    assert second.command_id != lapse.command_id
