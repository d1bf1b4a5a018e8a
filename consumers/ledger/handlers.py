"""Deciding ledger and stock commands.

A redemption is two-phase, like a pending transfer: the volunteer's owner checks the code, the
quarter and the balance and holds the points; the item's owner reserves one piece of stock;
the answer comes back and the hold is either posted as a ledger entry or released. Holds are
not ledger entries, so a redemption that fails leaves the ledger untouched.
"""

from __future__ import annotations

from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from consumers.ledger.rules import PointsPolicy, quarter_of
from consumers.ledger.state import LedgerState, StockState
from schemas import commands as cmd
from schemas import events as ev
from schemas.base import SYSTEM, Command, Event
from schemas.decision import Decision, Stamp

REFUSAL_MESSAGES = {
    "unknown_item": "this gift is not in the catalog",
    "out_of_stock": "this gift is out of stock",
    "price_changed": "the gift's point cost changed; look at the catalog again",
}


def entry_id_for(request_id: str, volunteer_id: str) -> str:
    """One credit per volunteer per request, whatever path confirmed it and however often."""
    return str(uuid5(NAMESPACE_URL, f"credit:{request_id}:{volunteer_id}"))


def redemption_entry_id(redemption_id: str) -> str:
    """One ledger entry per redemption, however often it is settled."""
    return str(uuid5(NAMESPACE_URL, f"redemption:{redemption_id}"))


def decide_ledger(state: LedgerState, command: Command, now: datetime,
                  policy: PointsPolicy) -> Decision:
    stamp = Stamp(command, now)
    if isinstance(command, cmd.CreditPoints):
        return _credit(state, command, stamp, policy)
    if isinstance(command, cmd.IssueRedeemCode):
        event = stamp.event(ev.RedeemCodeIssued, volunteer_id=command.volunteer_id,
                            code_hash=command.code_hash, expires_at=command.expires_at)
        state.evolve(event)
        return stamp.accepted([event], volunteer_id=command.volunteer_id,
                              expires_at=command.expires_at.isoformat())
    if isinstance(command, cmd.RedeemPoints):
        return _redeem(state, command, stamp)
    if isinstance(command, cmd.SettleRedemption):
        return _settle(state, command, stamp)
    raise TypeError(f"the ledger does not handle {type(command).__name__}")


def _credit(state: LedgerState, c: cmd.CreditPoints, stamp: Stamp,
            policy: PointsPolicy) -> Decision:
    if str(c.entry_id) in state.entries:
        account = state.account(c.volunteer_id)
        return stamp.accepted(volunteer_id=c.volunteer_id, balance=account.balance,
                              duplicate=True)
    event = stamp.event(ev.PointsCredited, volunteer_id=c.volunteer_id, entry_id=c.entry_id,
                        request_id=c.request_id, hours=c.hours,
                        points=policy.points_for(c.hours),
                        source_event_ids=c.source_event_ids)
    state.evolve(event)
    return stamp.accepted([event], volunteer_id=c.volunteer_id,
                          balance=state.account(c.volunteer_id).balance)


def _redeem(state: LedgerState, c: cmd.RedeemPoints, stamp: Stamp) -> Decision:
    account = state.account(c.volunteer_id)
    code = account.code
    if code is None or code.code_hash != c.code_hash:
        return stamp.rejected("forbidden", "invalid_code",
                              "the redeem code is not this volunteer's current code")
    if code.used:
        return stamp.rejected("forbidden", "code_used", "the redeem code was already used")
    if code.expires_at <= stamp.now:
        return stamp.rejected("forbidden", "code_expired",
                              "the redeem code has expired; ask for a new one")
    if any(h.redemption_id == c.redemption_id for h in account.holds) or (
        redemption_entry_id(c.redemption_id) in state.entries
    ):
        return stamp.rejected("conflict", "redemption_exists",
                              f"redemption {c.redemption_id} already exists")
    quarter = quarter_of(stamp.now)
    if quarter in account.redeemed_quarters or any(h.quarter == quarter for h in account.holds):
        return stamp.rejected("conflict", "quarter_used",
                              "this volunteer has already redeemed this quarter",
                              quarter=quarter)
    if account.available < c.points:
        return stamp.rejected("conflict", "insufficient_points",
                              "not enough points for this gift",
                              balance=account.available, needed=c.points)
    held = stamp.event(ev.RedemptionHeld, volunteer_id=c.volunteer_id,
                       redemption_id=c.redemption_id, item_id=c.item_id, points=c.points,
                       quarter=quarter, code_hash=c.code_hash, kiosk_id=c.kiosk_id,
                       origin_command_id=c.command_id)
    state.evolve(held)
    reserve = stamp.command(cmd.ReserveStock, item_id=c.item_id, redemption_id=c.redemption_id,
                            volunteer_id=c.volunteer_id, points=c.points,
                            origin_command_id=c.command_id)
    return stamp.pending([held], [reserve])


def _settle(state: LedgerState, c: cmd.SettleRedemption, stamp: Stamp) -> Decision:
    account = state.account(c.volunteer_id)
    hold = next((h for h in account.holds if h.redemption_id == c.redemption_id), None)
    if hold is None:
        return stamp.pending()
    if not c.reserved:
        voided = stamp.event(ev.RedemptionVoided, volunteer_id=c.volunteer_id,
                             redemption_id=c.redemption_id, reason=c.reason)
        state.evolve(voided)
        return stamp.rejected("conflict", c.reason or "not_reserved",
                              REFUSAL_MESSAGES.get(c.reason, "the gift could not be reserved"),
                              answer_to=c.origin_command_id, events=[voided])
    redeemed = stamp.event(
        ev.PointsRedeemed, volunteer_id=c.volunteer_id,
        entry_id=UUID(redemption_entry_id(c.redemption_id)),
        redemption_id=c.redemption_id, item_id=hold.item_id, points=hold.points,
        quarter=hold.quarter, source_event_ids=(c.stock_event_id,),
    )
    state.evolve(redeemed)
    after = state.account(c.volunteer_id)
    return stamp.accepted(
        [redeemed], answer_to=c.origin_command_id, redemption_id=c.redemption_id,
        status="completed", item_id=hold.item_id, points=hold.points, balance=after.balance,
        lifetime_hours=after.lifetime_hours, quarter=hold.quarter, stock_left=c.stock_left,
    )


def decide_stock(state: StockState, command: Command, now: datetime) -> Decision:
    stamp = Stamp(command, now)
    if isinstance(command, cmd.StockCatalogItem):
        item = state.items.get(command.item_id)
        stock = command.stock + (item.stock if item else 0)
        event = stamp.event(ev.CatalogItemStocked, item_id=command.item_id, name=command.name,
                            points=command.points, added=command.stock, stock=stock)
        state.evolve(event)
        return stamp.accepted([event], item_id=command.item_id, name=command.name,
                              points=command.points, stock=stock, created=item is None)
    if isinstance(command, cmd.ReserveStock):
        return _reserve(state, command, stamp)
    raise TypeError(f"stock does not handle {type(command).__name__}")


def _reserve(state: StockState, c: cmd.ReserveStock, stamp: Stamp) -> Decision:
    item = state.items.get(c.item_id)
    reason = None
    if item is None:
        reason = "unknown_item"
    elif item.points != c.points:
        reason = "price_changed"
    elif item.stock < 1:
        reason = "out_of_stock"
    event: Event
    if reason is None:
        assert item is not None
        event = stamp.event(ev.StockReserved, item_id=c.item_id, redemption_id=c.redemption_id,
                            volunteer_id=c.volunteer_id, stock=item.stock - 1)
    else:
        event = stamp.event(ev.StockRefused, item_id=c.item_id, redemption_id=c.redemption_id,
                            volunteer_id=c.volunteer_id, reason=reason)
    state.evolve(event)
    settle = stamp.command(
        cmd.SettleRedemption, volunteer_id=c.volunteer_id, redemption_id=c.redemption_id,
        origin_command_id=c.origin_command_id, stock_event_id=event.event_id,
        reserved=reason is None, reason=reason or "",
        stock_left=event.stock if isinstance(event, ev.StockReserved) else None,
    )
    return stamp.pending([event], [settle])


def credits_for(event: Event) -> list[Command]:
    """Points fall due when a service is confirmed: one credit command per volunteer."""
    if not isinstance(event, ev.ServiceConfirmed):
        return []
    return [
        cmd.CreditPoints(
            command_id=uuid5(event.event_id, v.volunteer_id), occurred_at=event.occurred_at,
            correlation_id=event.correlation_id, causation_id=event.event_id, actor=SYSTEM,
            volunteer_id=v.volunteer_id, entry_id=entry_id_for(event.request_id, v.volunteer_id),
            request_id=event.request_id, hours=v.hours,
            source_event_ids=(event.completed_event_id, event.event_id),
        )
        for v in event.volunteers
    ]
