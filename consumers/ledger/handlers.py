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
from consumers.ledger.state import LedgerState, StockState, facts_of_credit
from flags.rules import HourLine, found_flags
from schemas import commands as cmd
from schemas import events as ev
from schemas.base import SYSTEM, Command, Event
from schemas.common import county_of
from schemas.decision import Decision, Stamp
from schemas.flags import UNPLACED, OpenFlags, RaisedOnCredit

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


def flag_id_for(county: str, entry_id: UUID, kind: str) -> str:
    """One flag of a kind per credit, named by the county whose list it is on."""
    return f"FL-{county}-{uuid5(entry_id, kind).hex[:20]}"


def decide_ledger(state: LedgerState, command: Command, now: datetime,
                  policy: PointsPolicy) -> Decision:
    stamp = Stamp(command, now)
    if isinstance(command, cmd.CreditPoints):
        return _credit(state, command, stamp, policy)
    if isinstance(command, cmd.ReleaseHeldCredit):
        return _release(state, command, stamp)
    if isinstance(command, cmd.CorrectEntry):
        return _correct(state, command, stamp)
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
    key = str(c.entry_id)
    if key in state.entries or key in state.held:
        account = state.account(c.volunteer_id)
        return stamp.accepted(volunteer_id=c.volunteer_id, balance=account.balance,
                              duplicate=True)
    facts = c.facts
    line = HourLine(entry_id=key, hours=c.hours, at=stamp.now, started_at=facts.started_at,
                    ended_at=facts.ended_at, source=facts.source,
                    resident_id=facts.resident_id)
    raised: dict[str, str] = {}
    for kind, detail in [*((f.kind, f.detail) for f in c.raised),
                         *found_flags(line, state.hour_lines(), policy.flags)]:
        raised.setdefault(kind, detail)
    points = policy.points_for(c.hours)
    if raised:
        return _hold(state, c, stamp, raised, points)
    event = stamp.event(ev.PointsCredited, volunteer_id=c.volunteer_id, entry_id=c.entry_id,
                        request_id=c.request_id, hours=c.hours, points=points,
                        source_event_ids=c.source_event_ids, facts=facts)
    state.evolve(event)
    return stamp.accepted([event], volunteer_id=c.volunteer_id,
                          balance=state.account(c.volunteer_id).balance)


def _hold(state: LedgerState, c: cmd.CreditPoints, stamp: Stamp, raised: dict[str, str],
          points: int) -> Decision:
    """A flag applies: nothing is posted; the flags go to the list of the county the hours
    were served in, and the credit waits for staff."""
    facts = c.facts
    county = (county_of(facts.area) if facts.area
              else county_of(c.request_id) if c.request_id else UNPLACED)
    flags = tuple(ev.HeldFlag(flag_id=flag_id_for(county, c.entry_id, kind), kind=kind,
                              detail=detail[:500])
                  for kind, detail in raised.items())
    held = stamp.event(ev.CreditHeld, volunteer_id=c.volunteer_id, entry_id=c.entry_id,
                       request_id=c.request_id, hours=c.hours, points=points,
                       source_event_ids=c.source_event_ids, facts=facts, flags=flags)
    state.evolve(held)
    listed = stamp.command(
        OpenFlags, county=county, volunteer_id=c.volunteer_id, entry_id=c.entry_id,
        flags=tuple(RaisedOnCredit(flag_id=f.flag_id, kind=f.kind, detail=f.detail)
                    for f in flags),
        request_id=c.request_id, activity_id=facts.activity_id, wish_id=facts.wish_id,
        area=facts.area, hours=c.hours)
    return stamp.accepted([held], [listed], volunteer_id=c.volunteer_id,
                          balance=state.account(c.volunteer_id).balance, held=True,
                          flags=[f.flag_id for f in flags])


def _release(state: LedgerState, c: cmd.ReleaseHeldCredit, stamp: Stamp) -> Decision:
    """Staff decided one flag: record it; post the credit once every flag is credited."""
    held = state.held.get(str(c.entry_id))
    if held is None or not any(f.flag_id == c.flag_id for f in held.flags):
        return stamp.rejected("not_found", "not_found", "no such held credit")
    if any(f.flag_id == c.flag_id and f.decision is not None for f in held.flags):
        return stamp.accepted(volunteer_id=c.volunteer_id, status=held.status, duplicate=True)
    resolved = stamp.event(ev.FlagResolved, volunteer_id=c.volunteer_id, flag_id=c.flag_id,
                           entry_id=c.entry_id, decision=c.decision, reason=c.reason)
    state.evolve(resolved)
    events: list[Event] = [resolved]
    after = state.held[str(c.entry_id)]
    if after.status == "held" and all(f.decision == "credit" for f in after.flags):
        entry = after.entry
        posted = stamp.event(
            ev.PointsCredited, volunteer_id=c.volunteer_id, entry_id=c.entry_id,
            request_id=entry.request_id, hours=entry.hours, points=entry.points,
            source_event_ids=entry.source_event_ids,
            facts=facts_of_credit(entry),
            released_flags=tuple(f.flag_id for f in after.flags))
        state.evolve(posted)
        events.append(posted)
    return stamp.accepted(events, volunteer_id=c.volunteer_id,
                          status=state.held[str(c.entry_id)].status,
                          balance=state.account(c.volunteer_id).balance)


def _correct(state: LedgerState, c: cmd.CorrectEntry, stamp: Stamp) -> Decision:
    """A reversing entry: it takes back at most what is left of the credit, and at most the
    balance in points (the rest is recorded as unrecovered), so a balance never goes
    negative and lifetime hours fall only by what was credited."""
    if str(c.entry_id) in state.entries:
        return stamp.accepted(volunteer_id=c.volunteer_id, entry_id=str(c.entry_id),
                              duplicate=True)
    target = state.entries.get(str(c.corrects))
    if target is None or target.kind != "credit":
        return stamp.rejected("not_found", "unknown_entry",
                              "no credited entry with this id in the volunteer's ledger",
                              field="entry_id")
    left_points, left_hours = state.remaining(target)
    if left_hours <= 0:
        return stamp.rejected("conflict", "already_corrected",
                              "this entry has been corrected to nothing already")
    hours = left_hours if c.hours is None else c.hours
    if hours > left_hours:
        return stamp.rejected("invalid", "correction_exceeds_entry",
                              f"at most {left_hours:g} h of this entry are left to correct",
                              field="hours", left_hours=left_hours)
    if c.points is not None and c.points > left_points:
        return stamp.rejected("invalid", "correction_exceeds_entry",
                              f"at most {left_points} points of this entry are left to "
                              "correct", field="points", left_points=left_points)
    points = c.points if c.points is not None else (
        left_points if hours == left_hours
        else min(left_points, round(target.points * hours / target.hours)))
    taken = min(points, state.account(c.volunteer_id).balance)
    event = stamp.event(
        ev.PointsCorrected, volunteer_id=c.volunteer_id, entry_id=c.entry_id,
        corrects=target.entry_id, request_id=target.request_id, points=-taken, hours=-hours,
        unrecovered_points=points - taken, reason=c.reason, corrected_at=target.at,
        facts=facts_of_credit(target))
    state.evolve(event)
    account = state.account(c.volunteer_id)
    return stamp.accepted([event], volunteer_id=c.volunteer_id, entry_id=str(c.entry_id),
                          corrects=str(target.entry_id), points=-taken, hours=-hours,
                          unrecovered_points=points - taken, balance=account.balance)


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
    """Points fall due when a service is confirmed: one credit command per volunteer, with
    what the ledger records of it (checked in and out or not, for whom, where, which team);
    a resident's dispute is raised on each, so the credits wait for staff."""
    if not isinstance(event, ev.ServiceConfirmed):
        return []
    checks = {c.volunteer_id: c for c in event.checks}
    raised = (() if event.dispute_reason is None
              else (cmd.RaisedFlag(kind="dispute", detail=event.dispute_reason[:500]),))
    out: list[Command] = []
    for v in event.volunteers:
        check = checks.get(v.volunteer_id)
        facts = cmd.CreditFacts(
            source="service", verified=check is not None,
            started_at=check.checked_in_at if check else None,
            ended_at=check.checked_out_at if check else None,
            resident_id=event.resident_id, area=event.area, service_type=event.service_type,
            team_id=event.team_id, organiser=event.team_name)
        out.append(cmd.CreditPoints(
            command_id=uuid5(event.event_id, v.volunteer_id), occurred_at=event.occurred_at,
            correlation_id=event.correlation_id, causation_id=event.event_id, actor=SYSTEM,
            volunteer_id=v.volunteer_id, entry_id=entry_id_for(event.request_id, v.volunteer_id),
            request_id=event.request_id, hours=v.hours,
            source_event_ids=(event.completed_event_id, event.event_id), facts=facts,
            raised=raised,
        ))
    return out
