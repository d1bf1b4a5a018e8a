"""The dispatcher as an owner: one state per county, its rules and its topics bound together.

A county is the aggregate: its areas, teams, volunteers and requests live and change together
and nothing is shared across counties, so any county can move to another worker alone.
"""

from __future__ import annotations

from datetime import datetime

from dispatcher.handlers import decide, timer_commands
from dispatcher.policy import DispatchPolicy
from dispatcher.state import DispatchState
from schemas.base import Command, Event
from schemas.commands import CountyCommand
from schemas.decision import Decision
from schemas.events import CountyEvent
from schemas.records import HeldStates
from schemas.topics import COUNTY


class DispatchOwner(HeldStates[DispatchState]):
    name = "dispatcher"
    family = COUNTY

    def __init__(self, policy: DispatchPolicy | None = None) -> None:
        super().__init__(DispatchState)
        self.policy = policy or DispatchPolicy()
        self.counties = self.states

    def decide(self, command: Command, now: datetime) -> Decision:
        assert isinstance(command, CountyCommand)
        return decide(self.state_of(command.county), command, now, self.policy)

    def evolve(self, event: Event) -> None:
        assert isinstance(event, CountyEvent)
        self.state_of(event.county).evolve(event)

    def timers(self, now: datetime) -> list[Command]:
        return [c for state in self.counties.values() for c in timer_commands(state, now)]
