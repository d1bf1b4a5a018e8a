"""The dispatcher as an owner: its state, its rules and its topics, bound together."""

from __future__ import annotations

from datetime import datetime

from dispatcher.handlers import decide, timer_commands
from dispatcher.policy import DispatchPolicy
from dispatcher.state import DispatchState
from schemas.base import Command, Event
from schemas.decision import Decision
from schemas.topics import DISPATCH_COMMANDS, DISPATCH_EVENTS


class DispatchOwner:
    name = "dispatcher"
    command_topic = DISPATCH_COMMANDS
    event_topic = DISPATCH_EVENTS

    def __init__(self, policy: DispatchPolicy | None = None) -> None:
        self.policy = policy or DispatchPolicy()
        self.state = DispatchState()

    def decide(self, command: Command, now: datetime) -> Decision:
        return decide(self.state, command, now, self.policy)

    def evolve(self, event: Event) -> None:
        self.state.evolve(event)

    def timers(self, now: datetime) -> list[Command]:
        return list(timer_commands(self.state, now))
