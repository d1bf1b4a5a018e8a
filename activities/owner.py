"""The activities owner: each county's activities, their rules and their topics bound
together; its timer closes an activity left open after its end."""

from __future__ import annotations

from datetime import datetime

from activities.handlers import decide_activity, timer_commands
from activities.rules import ActivityPolicy
from activities.state import ActivitiesState
from schemas import activities as act
from schemas.base import Command, Event
from schemas.decision import Decision
from schemas.records import HeldStates
from schemas.topics import ACTIVITY


class ActivitiesOwner(HeldStates[ActivitiesState]):
    name = "activities"
    family = ACTIVITY

    def __init__(self, policy: ActivityPolicy | None = None) -> None:
        super().__init__(ActivitiesState)
        self.policy = policy or ActivityPolicy()

    def decide(self, command: Command, now: datetime) -> Decision:
        assert isinstance(command, act.ActivityCommand)
        return decide_activity(self.state_of(command.county), command, now, self.policy)

    def evolve(self, event: Event) -> None:
        assert isinstance(event, act.ActivityEvent)
        self.state_of(event.county).evolve(event)

    def timers(self, now: datetime) -> list[Command]:
        return [c for state in self.states.values()
                for c in timer_commands(state, now, self.policy)]
