"""The points ledger and the gift stock keep the rules of DESIGN §4.

How: `points_for` and `quarter_of` are checked on hand-picked values (rates, rounding modes,
the edges of quarters in China time). The handlers are driven through `Kiosk`, which calls
`decide_ledger` and `decide_stock` and carries a redemption through its two phases by hand
(hold → reserve stock → settle), so each phase can be inspected. Every refused ledger command
is checked to emit nothing and to leave the account exactly as it was.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal
from uuid import uuid4

import pytest
from unit.builders import (
    T0,
    Kiosk,
    credit,
    issue_code,
    ok_body,
    redeem,
    rejection_of,
    rid,
    stock_item,
)

from consumers.ledger.handlers import credits_for, entry_id_for
from consumers.ledger.rules import PointsPolicy, quarter_of
from consumers.ledger.state import LedgerState, StockState
from schemas import commands as cmd
from schemas import events as ev
from schemas.base import SYSTEM, Command, Rejection
from schemas.views import AccountView

Rounding = Literal["half_up", "floor", "ceil"]
V1 = "V-001"


def account(kiosk: Kiosk, volunteer_id: str = V1) -> AccountView:
    return kiosk.ledger.account(volunteer_id)


def refused(kiosk: Kiosk, command: Command, now: datetime | None = None) -> Rejection:
    """Decide a ledger command that must be refused, and check that it left no trace."""
    before = (dict(kiosk.ledger.accounts.items()), dict(kiosk.ledger.entries.items()))
    decision = kiosk.run_ledger(command, now)
    assert decision.events == () and decision.commands == ()
    assert (dict(kiosk.ledger.accounts.items()), dict(kiosk.ledger.entries.items())) == before
    return rejection_of(decision)


def funded(points: int = 10, *, stock: int = 2, price: int = 5) -> Kiosk:
    """A volunteer with `points` points and a fresh code, and a gift in stock."""
    kiosk = Kiosk()
    day = 0
    while points > 0:  # at most 10 h a day: more than 12 would be held by a flag
        hours = min(points, 10)
        ok_body(kiosk.run_ledger(credit(V1, rid(1 + day), float(hours),
                                        at=T0 - timedelta(days=day))))
        points -= hours
        day += 1
    ok_body(kiosk.run_ledger(issue_code(V1, at=T0)))
    ok_body(kiosk.run_stock(stock_item("rice", points=price, stock=stock)))
    return kiosk


# -- points_for and quarter_of -------------------------------------------------------------


@pytest.mark.parametrize(("hours", "points"), [(1.0, 1), (2.0, 2), (24.0, 24), (2.5, 3),
                                                (0.4, 0), (0.5, 1), (1.49, 1)])
def test_one_hour_is_one_point_by_default(hours: float, points: int) -> None:
    assert PointsPolicy().points_for(hours) == points


@pytest.mark.parametrize(
    ("hours", "rate", "rounding", "points"),
    [
        (1.5, 1.0, "half_up", 2),
        (1.5, 1.0, "floor", 1),
        (1.5, 1.0, "ceil", 2),
        (1.2, 1.0, "ceil", 2),
        (1.2, 1.0, "half_up", 1),
        (2.5, 2.0, "floor", 5),
        (0.25, 2.0, "half_up", 1),   # exactly a half rounds up
        (0.24, 2.0, "half_up", 0),
        (1.1, 1.5, "half_up", 2),    # 1.65
        (2.3, 10.0, "floor", 23),    # 22.999999999999996 in binary floats
        (0.1, 3.0, "ceil", 1),
        (0.7, 10.0, "ceil", 7),      # 7.000000000000001 in binary floats
        (8.0, 0.5, "half_up", 4),
    ],
)
def test_points_follow_the_configured_rate_and_rounding(
    hours: float, rate: float, rounding: Rounding, points: int
) -> None:
    assert PointsPolicy(points_per_hour=rate, rounding=rounding).points_for(hours) == points


@pytest.mark.parametrize(
    ("moment", "quarter"),
    [
        ("2026-03-31T15:59:59+00:00", "2026Q1"),
        ("2026-03-31T16:00:00+00:00", "2026Q2"),  # midnight on 1 April in Shanghai
        ("2026-03-31T16:30:00+00:00", "2026Q2"),
        ("2026-06-30T15:59:59+00:00", "2026Q2"),
        ("2026-06-30T16:00:00+00:00", "2026Q3"),
        ("2026-09-30T16:00:00+00:00", "2026Q4"),
        ("2025-12-31T15:59:59+00:00", "2025Q4"),
        ("2025-12-31T16:00:00+00:00", "2026Q1"),  # the new year starts early in China
        ("2026-04-01T00:00:00+08:00", "2026Q2"),
        ("2026-03-31T12:00:00-05:00", "2026Q2"),  # 01:00 on 1 April in Shanghai
        ("2026-01-01T00:00:00+09:00", "2025Q4"),  # 23:00 on 31 December in Shanghai
    ],
)
def test_the_quarter_is_counted_in_china_time(moment: str, quarter: str) -> None:
    assert quarter_of(datetime.fromisoformat(moment)) == quarter


# -- credits -------------------------------------------------------------------------------


def test_a_credit_adds_points_and_lifetime_hours() -> None:
    kiosk = Kiosk()
    command = credit(V1, rid(7), 2.5)
    body = ok_body(kiosk.run_ledger(command))
    assert body == {"volunteer_id": V1, "balance": 3}
    (event,) = kiosk.events
    assert isinstance(event, ev.PointsCredited)
    assert (event.points, event.hours, event.entry_id) == (3, 2.5, command.entry_id)
    mine = account(kiosk)
    assert (mine.balance, mine.lifetime_hours) == (3, 2.5)
    (entry,) = kiosk.ledger.entries_of(V1)
    assert (entry.kind, entry.points, entry.hours, entry.request_id) == ("credit", 3, 2.5, rid(7))
    assert entry.source_event_ids == (*command.source_event_ids, event.event_id)


def test_a_credit_is_applied_once_per_entry_id() -> None:
    kiosk = Kiosk()
    first = credit(V1, rid(1), 2.0)
    ok_body(kiosk.run_ledger(first))
    again = credit(V1, rid(1), 5.0, entry_id=first.entry_id)  # redelivered under a new id
    decision = kiosk.run_ledger(again)
    assert decision.events == ()
    assert ok_body(decision) == {"volunteer_id": V1, "balance": 2, "duplicate": True}
    mine = account(kiosk)
    assert (mine.balance, mine.lifetime_hours, len(kiosk.ledger.entries_of(V1))) == (2, 2.0, 1)
    ok_body(kiosk.run_ledger(credit(V1, rid(2), 1.0)))
    assert account(kiosk).balance == 3


def test_credits_use_the_configured_policy() -> None:
    kiosk = Kiosk(policy=PointsPolicy(points_per_hour=2.0, rounding="floor"))
    ok_body(kiosk.run_ledger(credit(V1, rid(1), 1.75)))
    assert (account(kiosk).balance, account(kiosk).lifetime_hours) == (3, 1.75)


def confirmed_service(event_id: Any = None, by: Literal["review", "staff", "window"] = "review",
                      completed_event_id: Any = None) -> ev.ServiceConfirmed:
    correlation = uuid4()
    return ev.ServiceConfirmed(
        event_id=event_id or uuid4(), occurred_at=T0, correlation_id=correlation,
        actor=SYSTEM, request_id=rid(9), team_id="T-1",
        volunteers=(cmd.VolunteerHours(volunteer_id="V-a", hours=2.0),
                    cmd.VolunteerHours(volunteer_id="V-b", hours=0.5)),
        completed_event_id=completed_event_id or uuid4(), confirmed_by=by,
    )


def test_a_confirmed_service_gives_one_credit_per_volunteer() -> None:
    confirmed = confirmed_service()
    credits = credits_for(confirmed)
    assert all(isinstance(c, cmd.CreditPoints) for c in credits)
    assert [(c.volunteer_id, c.hours, c.request_id) for c in credits if
            isinstance(c, cmd.CreditPoints)] == [("V-a", 2.0, rid(9)), ("V-b", 0.5, rid(9))]
    for c in credits:
        assert isinstance(c, cmd.CreditPoints)
        assert c.source_event_ids == (confirmed.completed_event_id, confirmed.event_id)
        assert str(c.entry_id) == entry_id_for(rid(9), c.volunteer_id)
        assert c.causation_id == confirmed.event_id
        assert c.correlation_id == confirmed.correlation_id
    assert len({c.command_id for c in credits}) == 2
    assert credits_for(confirmed) == credits, "the same event gives the same commands"


def test_two_confirmations_of_one_service_credit_it_once() -> None:
    completed = uuid4()
    first = credits_for(confirmed_service(completed_event_id=completed, by="staff"))
    second = credits_for(confirmed_service(completed_event_id=completed, by="review"))
    kiosk = Kiosk()
    for command in (*first, *second):
        ok_body(kiosk.run_ledger(command))
    assert account(kiosk, "V-a").balance == 2
    assert account(kiosk, "V-b").balance == 1
    assert len([e for e in kiosk.events if isinstance(e, ev.PointsCredited)]) == 2


def test_only_a_confirmed_service_gives_credits() -> None:
    completed = ev.RequestCompleted(
        event_id=uuid4(), occurred_at=T0, correlation_id=uuid4(), actor=SYSTEM,
        request_id=rid(9), team_id="T-1",
        volunteers=(cmd.VolunteerHours(volunteer_id="V-a", hours=2.0),), confirm_by=T0,
    )
    assert credits_for(completed) == []


# -- redemption ----------------------------------------------------------------------------


def test_a_redemption_holds_the_points_then_settles_into_a_negative_entry() -> None:
    kiosk = funded(10)
    command = redeem(V1, "rice", 5, at=T0 + timedelta(minutes=1))
    held = kiosk.run_ledger(command)
    assert held.outcome is None, "the answer waits for the stock"
    (hold_event,) = held.events
    assert isinstance(hold_event, ev.RedemptionHeld)
    assert (hold_event.points, hold_event.quarter) == (5, "2026Q1")
    mine = account(kiosk)
    assert (mine.balance, mine.held, mine.available) == (10, 5, 5)
    assert mine.code is not None and mine.code.used
    assert kiosk.ledger.entries_of(V1)[-1].kind == "credit", "a hold is not a ledger entry"

    (reserve,) = held.commands
    assert isinstance(reserve, cmd.ReserveStock)
    assert (reserve.item_id, reserve.points, reserve.origin_command_id) == (
        "rice", 5, command.command_id)
    reserved = kiosk.run_stock(reserve)
    (stock_event,) = reserved.events
    assert isinstance(stock_event, ev.StockReserved) and stock_event.stock == 1
    assert kiosk.stock.items["rice"].stock == 1

    (settle,) = reserved.commands
    assert isinstance(settle, cmd.SettleRedemption) and settle.reserved
    done = kiosk.run_ledger(settle)
    body = ok_body(done)
    assert done.outcome is not None and done.outcome.command_id == command.command_id
    assert body["status"] == "completed" and body["balance"] == 5
    assert body["lifetime_hours"] == 10.0 and body["stock_left"] == 1
    (redeemed,) = done.events
    assert isinstance(redeemed, ev.PointsRedeemed)
    mine = account(kiosk)
    assert (mine.balance, mine.held, mine.lifetime_hours) == (5, 0, 10.0)
    assert mine.redeemed_quarters == ("2026Q1",)
    entry = kiosk.ledger.entries_of(V1)[-1]
    assert (entry.kind, entry.points, entry.hours, entry.item_id) == ("redemption", -5, 0.0, "rice")
    assert entry.source_event_ids == (stock_event.event_id, redeemed.event_id)
    assert sum(e.points for e in kiosk.ledger.entries_of(V1)) == mine.balance


def test_a_redemption_may_spend_the_whole_balance() -> None:
    kiosk = funded(5)
    ok_body(kiosk.redeem(redeem(V1, "rice", 5)))
    assert account(kiosk).balance == 0


def test_refuses_a_code_that_is_not_the_volunteers_current_one() -> None:
    kiosk = funded()
    rejection = refused(kiosk, redeem(V1, "rice", 5, plain="654321"))
    assert (rejection.kind, rejection.code) == ("forbidden", "invalid_code")
    stranger = Kiosk()
    ok_body(stranger.run_ledger(credit("V-002", rid(1), 10.0)))
    rejection = refused(stranger, redeem("V-002", "rice", 5))
    assert (rejection.kind, rejection.code) == ("forbidden", "invalid_code"), "no code issued"


def test_a_new_code_replaces_the_old_one() -> None:
    kiosk = funded()
    ok_body(kiosk.run_ledger(issue_code(V1, "999999", at=T0 + timedelta(minutes=1))))
    assert refused(kiosk, redeem(V1, "rice", 5)).code == "invalid_code"
    ok_body(kiosk.redeem(redeem(V1, "rice", 5, plain="999999", at=T0 + timedelta(minutes=2))))


def test_refuses_a_used_code() -> None:
    kiosk = funded(20)
    ok_body(kiosk.redeem(redeem(V1, "rice", 5)))
    rejection = refused(kiosk, redeem(V1, "rice", 5, at=T0 + timedelta(minutes=1)))
    assert (rejection.kind, rejection.code) == ("forbidden", "code_used")


def test_refuses_an_expired_code() -> None:
    kiosk = funded()
    expires_at = T0 + timedelta(minutes=10)
    rejection = refused(kiosk, redeem(V1, "rice", 5, at=expires_at))
    assert (rejection.kind, rejection.code) == ("forbidden", "code_expired")
    ok_body(kiosk.redeem(redeem(V1, "rice", 5, at=expires_at - timedelta(seconds=1))))


def test_refuses_a_second_redemption_in_the_same_quarter() -> None:
    kiosk = funded(20, stock=5)
    ok_body(kiosk.redeem(redeem(V1, "rice", 5)))
    later = datetime(2026, 3, 31, 15, 59, tzinfo=UTC)  # still Q1 in Shanghai
    ok_body(kiosk.run_ledger(issue_code(V1, "222222", at=later)))
    rejection = refused(kiosk, redeem(V1, "rice", 5, plain="222222", at=later))
    assert (rejection.kind, rejection.code) == ("conflict", "quarter_used")
    assert rejection.details == {"quarter": "2026Q1"}
    in_q2 = datetime(2026, 3, 31, 16, 30, tzinfo=UTC)  # already Q2 in Shanghai
    ok_body(kiosk.run_ledger(issue_code(V1, "333333", at=in_q2)))
    body = ok_body(kiosk.redeem(redeem(V1, "rice", 5, plain="333333", at=in_q2)))
    assert body["quarter"] == "2026Q2"
    assert account(kiosk).redeemed_quarters == ("2026Q1", "2026Q2")


def test_a_pending_hold_counts_against_the_quarter() -> None:
    kiosk = funded(20, stock=5)
    held = kiosk.run_ledger(redeem(V1, "rice", 5))
    assert held.outcome is None and held.commands
    ok_body(kiosk.run_ledger(issue_code(V1, "222222", at=T0 + timedelta(minutes=1))))
    rejection = refused(kiosk, redeem(V1, "rice", 5, plain="222222", at=T0 + timedelta(minutes=1)))
    assert rejection.code == "quarter_used"


def test_refuses_a_redemption_beyond_the_balance() -> None:
    kiosk = funded(4)
    rejection = refused(kiosk, redeem(V1, "rice", 5))
    assert (rejection.kind, rejection.code) == ("conflict", "insufficient_points")
    assert rejection.details == {"balance": 4, "needed": 5}
    code = account(kiosk).code
    assert code is not None and not code.used


def test_refuses_a_redemption_id_used_before() -> None:
    kiosk = funded(20)
    ok_body(kiosk.redeem(redeem(V1, "rice", 5, redemption_id="RD-1")))
    next_quarter = datetime(2026, 4, 2, 1, 0, tzinfo=UTC)
    ok_body(kiosk.run_ledger(issue_code(V1, "222222", at=next_quarter)))
    rejection = refused(kiosk, redeem(V1, "rice", 5, plain="222222", redemption_id="RD-1",
                                      at=next_quarter))
    assert (rejection.kind, rejection.code) == ("conflict", "redemption_exists")


@pytest.mark.parametrize(
    ("item_id", "points", "reason"),
    [("rice", 5, "out_of_stock"), ("oil", 5, "unknown_item"), ("rice", 4, "price_changed")],
)
def test_a_refused_reservation_voids_the_hold_and_restores_the_code(
    item_id: str, points: int, reason: str
) -> None:
    kiosk = funded(10, stock=0)
    before = account(kiosk)
    entries_before = kiosk.ledger.entries_of(V1)
    command = redeem(V1, item_id, points)
    decision = kiosk.redeem(command)
    rejection = rejection_of(decision)
    assert (rejection.kind, rejection.code) == ("conflict", reason)
    assert decision.outcome is not None and decision.outcome.command_id == command.command_id
    (voided,) = decision.events
    assert isinstance(voided, ev.RedemptionVoided) and voided.reason == reason
    after = account(kiosk)
    assert after.balance == before.balance == 10
    assert kiosk.ledger.entries_of(V1) == entries_before
    assert after.redeemed_quarters == () and after.holds == ()
    assert after.code == before.code and after.code is not None and not after.code.used
    assert kiosk.stock.items["rice"].stock == 0
    ok_body(kiosk.run_stock(stock_item("rice", points=5, stock=1)))
    ok_body(kiosk.redeem(redeem(V1, "rice", 5)))  # the same code, the same quarter
    assert account(kiosk).balance == 5


def test_settling_twice_or_without_a_hold_changes_nothing() -> None:
    kiosk = funded(10)
    held = kiosk.run_ledger(redeem(V1, "rice", 5))
    (settle,) = kiosk.run_stock(held.commands[0]).commands
    ok_body(kiosk.run_ledger(settle))
    before = dict(kiosk.ledger.accounts.items())
    for again in (settle, settle.model_copy(update={"command_id": uuid4(), "reserved": False})):
        decision = kiosk.run_ledger(again)
        assert decision == type(decision)((), (), None)
    assert dict(kiosk.ledger.accounts.items()) == before
    assert account(kiosk).balance == 5


# -- stock ---------------------------------------------------------------------------------


def test_stock_never_goes_below_zero() -> None:
    kiosk = Kiosk()
    ok_body(kiosk.run_stock(stock_item("rice", points=5, stock=1)))
    answers = []
    for n in range(3):
        reserve = cmd.ReserveStock(
            command_id=uuid4(), occurred_at=T0, correlation_id=uuid4(), actor=SYSTEM,
            item_id="rice", redemption_id=f"RD-{n}", volunteer_id=f"V-{n}", points=5,
            origin_command_id=uuid4(),
        )
        (event,) = kiosk.run_stock(reserve).events
        answers.append(type(event).__name__)
    assert answers == ["StockReserved", "StockRefused", "StockRefused"]
    assert kiosk.stock.items["rice"].stock == 0


def test_restocking_adds_to_the_stock_and_may_change_the_price() -> None:
    kiosk = Kiosk()
    assert ok_body(kiosk.run_stock(stock_item("rice", points=5, stock=2)))["created"] is True
    body = ok_body(kiosk.run_stock(stock_item("rice", points=6, stock=3, name="大米 10kg")))
    assert (body["stock"], body["created"]) == (5, False)
    stocked = kiosk.events[-1]
    assert isinstance(stocked, ev.CatalogItemStocked) and (stocked.added, stocked.stock) == (3, 5)
    item = kiosk.stock.items["rice"]
    assert (item.stock, item.points, item.name) == (5, 6, "大米 10kg")


def test_the_ledger_state_is_a_fold_of_its_events() -> None:
    kiosk = funded(20, stock=1)
    ok_body(kiosk.redeem(redeem(V1, "rice", 5)))
    in_q2 = datetime(2026, 4, 1, tzinfo=timezone(timedelta(hours=8)))
    ok_body(kiosk.run_ledger(issue_code(V1, "222222", at=in_q2)))
    assert rejection_of(kiosk.redeem(redeem(V1, "rice", 5, plain="222222", at=in_q2))).code == (
        "out_of_stock")
    ok_body(kiosk.run_ledger(credit(V1, rid(2), 1.5, at=in_q2)))
    assert [type(e).__name__ for e in kiosk.events[-3:]] == [
        "StockRefused", "RedemptionVoided", "PointsCredited"]
    ledger, stock = LedgerState(), StockState()
    for event in kiosk.events:
        ledger.evolve(event)
        stock.evolve(event)
    assert dict(ledger.accounts.items()) == dict(kiosk.ledger.accounts.items())
    assert dict(ledger.entries.items()) == dict(kiosk.ledger.entries.items())
    assert dict(stock.items.items()) == dict(kiosk.stock.items.items())
