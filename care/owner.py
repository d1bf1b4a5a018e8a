"""The care-plans owner: each county's plans and visits, their rules and their topics bound
together; its timer turns the periods of the active plans, also after a restart."""

from __future__ import annotations

from datetime import datetime

from care.handlers import decide_care, timer_commands
from care.rules import CarePolicy
from care.state import CareState
from schemas import care as cp
from schemas.base import Command, Event
from schemas.decision import Decision
from schemas.records import HeldStates
from schemas.topics import CARE


class CarePlansOwner(HeldStates[CareState]):
    name = "care-plans"
    family = CARE

    def __init__(self, policy: CarePolicy | None = None) -> None:
        super().__init__(CareState)
        self.policy = policy or CarePolicy()

    def decide(self, command: Command, now: datetime) -> Decision:
        assert isinstance(command, cp.CareCommand)
        return decide_care(self.state_of(command.county), command, now, self.policy)

    def evolve(self, event: Event) -> None:
        assert isinstance(event, cp.CareEvent)
        self.state_of(event.county).evolve(event)

    def timers(self, now: datetime) -> list[Command]:
        return [command for state in self.states.values()
                for command in timer_commands(state, now)]
