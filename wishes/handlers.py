"""Deciding wish commands: check against the county's wishes, emit events, answer; a
confirmation of a wish done with hours also sends the claimer's credit to the ledger as a
follow-up command, as an activity's close does."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from schemas import commands as cmd
from schemas import wishes as w
from schemas.base import SYSTEM, Command, Event
from schemas.decision import Decision, Refused, Stamp
from schemas.wishes import WishView
from wishes import rules
from wishes.rules import WishPolicy
from wishes.state import WishesState

CREDIT_TITLE = "微心愿"
"""What the volunteer's record names a wish's hours by: the wish's own title is free text
about the resident, sealed under their key, and a ledger entry is kept forever."""


def entry_id_for(wish_id: str, volunteer_id: str) -> UUID:
    """One ledger entry per volunteer per wish, however often it is confirmed or relayed."""
    return uuid5(NAMESPACE_URL, f"wish:{wish_id}:{volunteer_id}")


def decide_wish(state: WishesState, command: Command, now: datetime, policy: WishPolicy
                ) -> Decision:
    assert isinstance(command, w.WishCommand)
    stamp = Stamp(command, now)
    try:
        if isinstance(command, w.PostWish):
            return _post(state, command, stamp)
        wish = state.wishes.get(command.wish_id)
        if wish is None:
            raise Refused("not_found", "not_found", "no such wish")
        return _step(state, wish, command, stamp, policy)
    except Refused as e:
        return stamp.rejected(e.kind, e.code, e.message, **e.details)


def _emit(state: WishesState, stamp: Stamp, kind: type[w.WishEvent], wish_id: str,
          **fields: Any) -> Event:
    event = stamp.event(kind, county=stamp.cause.partition_key, wish_id=wish_id, **fields)
    state.evolve(event)
    return event


def _answer(stamp: Stamp, state: WishesState, wish_id: str, events: list[Event],
            commands: list[Command] | None = None) -> Decision:
    wish = state.wishes[wish_id]
    return stamp.accepted(events, commands or [], wish_id=wish_id, status=wish.status,
                          claimer=wish.claimer)


def _post(state: WishesState, c: w.PostWish, stamp: Stamp) -> Decision:
    if c.wish_id in state.wishes:
        raise Refused("conflict", "wish_exists", f"wish {c.wish_id} exists")
    if not c.area.startswith(c.county):
        raise Refused("invalid", "area_outside_county", "the area is not in this county",
                      field="area")
    event = _emit(state, stamp, w.WishPosted, c.wish_id, area=c.area,
                  resident_id=c.resident_id, title=c.title, details=c.details)
    return _answer(stamp, state, c.wish_id, [event])


def _step(state: WishesState, wish: WishView, c: Command, stamp: Stamp, policy: WishPolicy
          ) -> Decision:
    if isinstance(c, w.ClaimWish):
        rules.check_claim(wish, c.volunteer_id, state.held_by(c.volunteer_id), policy)
        event = _emit(state, stamp, w.WishClaimed, wish.wish_id, volunteer_id=c.volunteer_id)
        return _answer(stamp, state, wish.wish_id, [event])
    if isinstance(c, w.ReleaseClaim):
        if c.lapsed:
            if not rules.lapsed(wish, c.claim, c.occurred_at, policy):
                return _answer(stamp, state, wish.wish_id, [])
        else:
            rules.check_release(wish, c.volunteer_id)
        event = _emit(state, stamp, w.ClaimReleased, wish.wish_id,
                      volunteer_id=c.volunteer_id, lapsed=c.lapsed)
        return _answer(stamp, state, wish.wish_id, [event])
    if isinstance(c, w.FulfilWish):
        rules.check_fulfil(wish, c.volunteer_id)
        event = _emit(state, stamp, w.WishDone, wish.wish_id, volunteer_id=c.volunteer_id,
                      note=c.note, hours=c.hours)
        return _answer(stamp, state, wish.wish_id, [event])
    if isinstance(c, w.ConfirmWish):
        rules.check_confirm(wish)
        assert wish.claimer is not None
        event = _emit(state, stamp, w.WishFulfilled, wish.wish_id,
                      volunteer_id=wish.claimer, hours=wish.hours)
        follow = [] if wish.hours is None else [_credit(stamp, wish, event.event_id)]
        return _answer(stamp, state, wish.wish_id, [event], follow)
    assert isinstance(c, w.WithdrawWish)
    rules.check_withdraw(wish)
    event = _emit(state, stamp, w.WishWithdrawn, wish.wish_id)
    return _answer(stamp, state, wish.wish_id, [event])


def _credit(stamp: Stamp, wish: WishView, fulfilled_event_id: UUID) -> Command:
    """The claimer's hours, verified: the resident or staff confirmed the wish fulfilled."""
    assert wish.claimer is not None and wish.hours is not None
    return stamp.command(
        cmd.CreditPoints, volunteer_id=wish.claimer,
        entry_id=entry_id_for(wish.wish_id, wish.claimer), request_id=None, hours=wish.hours,
        source_event_ids=(fulfilled_event_id,),
        facts=cmd.CreditFacts(source="wish", verified=True, wish_id=wish.wish_id,
                              resident_id=wish.resident_id, area=wish.area,
                              title=CREDIT_TITLE))


def timer_commands(state: WishesState, now: datetime, policy: WishPolicy) -> list[Command]:
    """A release for every claim past its window; the id names the wish and the claim, so
    a lapse fired twice is applied once, and a later claim lapses in its own time."""
    out: list[Command] = []
    for wish in state.lapsed(now, policy):
        assert wish.claimer is not None
        command_id = uuid5(NAMESPACE_URL, f"lapse:{wish.wish_id}:{wish.claims}")
        out.append(w.ReleaseClaim(
            command_id=command_id, occurred_at=now, correlation_id=command_id, actor=SYSTEM,
            county=wish.county, wish_id=wish.wish_id, volunteer_id=wish.claimer,
            lapsed=True, claim=wish.claims))
    return out
