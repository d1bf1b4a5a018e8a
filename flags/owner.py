"""The flags owner: each county's list of flags on held hours, ranked by when they were
raised under every level of their area and by status, so a scope's open flags are a page of
a ranking however many were resolved before."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from schemas import commands as cmd
from schemas.base import Command, Event
from schemas.common import ancestors
from schemas.decision import Decision, Stamp
from schemas.flags import (
    FlagCommand,
    FlagDecided,
    FlagEvent,
    FlagRaised,
    FlagView,
    OpenFlags,
    ResolveFlag,
)
from schemas.records import HeldStates, Journal, Ranking, Records
from schemas.topics import FLAG

FLAGS = "flags"


def flags_in(area: str | None, status: str | None) -> str:
    """The ranking of the flags of an area (None: every area of the county) and a status
    (None: every status)."""
    return f"flags:{area or 'all'}:{status or 'any'}"


class FlagsState:
    def __init__(self) -> None:
        self.flags: Records[FlagView] = Records()
        self.ranks = Ranking()

    def collections(self) -> dict[str, Records[Any]]:
        return {FLAGS: self.flags}

    def journals(self) -> dict[str, Journal[Any]]:
        return {}

    def ranking(self) -> Ranking:
        return self.ranks

    def restore(self, rows: dict[str, dict[str, Any]]) -> None:
        for key, flag in rows.get(FLAGS, {}).items():
            self.flags.load(key, flag)

    def evolve(self, event: Event) -> None:
        if isinstance(event, FlagRaised):
            flag = event.flag.model_copy(update={"seq": len(self.flags) + 1})
            self._rank(flag, None)
        elif isinstance(event, FlagDecided):
            before = self.flags[event.flag_id]
            flag = before.model_copy(update={
                "status": "credited" if event.decision == "credit" else "rejected",
                "resolved_at": event.occurred_at, "resolved_by": event.actor,
                "reason": event.reason})
            self._rank(flag, before)
        else:
            return
        self.flags.put(flag.flag_id, flag)

    def _places(self, flag: FlagView) -> list[str | None]:
        return [None, *(ancestors(flag.area) if flag.area else ())]

    def _rank(self, flag: FlagView, before: FlagView | None) -> None:
        if before is not None:
            for place in self._places(before):
                self.ranks.unrank(flags_in(place, before.status), before.flag_id)
        for place in self._places(flag):
            for status in (None, flag.status):
                self.ranks.rank(flags_in(place, status), flag.flag_id, flag.at.timestamp())


def decide_flags(state: FlagsState, command: Command, now: datetime) -> Decision:
    stamp = Stamp(command, now)
    if isinstance(command, OpenFlags):
        events: list[Event] = [stamp.event(FlagRaised, county=command.county, flag=FlagView(
            flag_id=f.flag_id, kind=f.kind, volunteer_id=command.volunteer_id,
            entry_id=command.entry_id, request_id=command.request_id,
            activity_id=command.activity_id, wish_id=command.wish_id, area=command.area,
            hours=command.hours, detail=f.detail, at=now))
            for f in command.flags if f.flag_id not in state.flags]
        for event in events:
            state.evolve(event)
        return stamp.accepted(events, flags=[f.flag_id for f in command.flags])
    assert isinstance(command, ResolveFlag)
    flag = state.flags.get(command.flag_id)
    if flag is None:
        return stamp.rejected("not_found", "not_found", "no such flag")
    if flag.status != "open":
        return stamp.rejected("conflict", "already_resolved",
                              f"this flag was already {flag.status}", status=flag.status)
    decided = stamp.event(FlagDecided, county=command.county, flag_id=flag.flag_id,
                          volunteer_id=flag.volunteer_id, entry_id=flag.entry_id,
                          decision=command.decision, reason=command.reason)
    state.evolve(decided)
    release = stamp.command(cmd.ReleaseHeldCredit, volunteer_id=flag.volunteer_id,
                            entry_id=flag.entry_id, flag_id=flag.flag_id,
                            decision=command.decision, reason=command.reason)
    after = state.flags[flag.flag_id]
    return stamp.accepted([decided], [release],
                          flag=after.model_dump(mode="json", exclude={"seq"}))


class FlagsOwner(HeldStates[FlagsState]):
    name = "flags"
    family = FLAG

    def __init__(self) -> None:
        super().__init__(FlagsState)

    def decide(self, command: Command, now: datetime) -> Decision:
        assert isinstance(command, FlagCommand)
        return decide_flags(self.state_of(command.county), command, now)

    def evolve(self, event: Event) -> None:
        assert isinstance(event, FlagEvent)
        self.state_of(event.county).evolve(event)

    def timers(self, now: datetime) -> list[Command]:
        return []
