"""The households owner: each county's households, civic rules and supermarket goods, their
rules and their topics bound together."""

from __future__ import annotations

from datetime import datetime

from households.handlers import decide_household
from households.state import HouseholdsState
from schemas import households as h
from schemas.base import Command, Event
from schemas.decision import Decision
from schemas.records import HeldStates
from schemas.topics import HOUSEHOLD


class HouseholdsOwner(HeldStates[HouseholdsState]):
    name = "households"
    family = HOUSEHOLD

    def __init__(self) -> None:
        super().__init__(HouseholdsState)

    def decide(self, command: Command, now: datetime) -> Decision:
        assert isinstance(command, h.HouseholdCommand)
        return decide_household(self.state_of(command.county), command, now)

    def evolve(self, event: Event) -> None:
        assert isinstance(event, h.HouseholdEvent)
        self.state_of(event.county).evolve(event)

    def timers(self, now: datetime) -> list[Command]:
        return []
