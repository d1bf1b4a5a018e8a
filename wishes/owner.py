"""The wishes owner: each county's wishes, their rules and their topics bound together; its
timer releases a claim left past its window."""

from __future__ import annotations

from datetime import datetime

from schemas import wishes as w
from schemas.base import Command, Event
from schemas.decision import Decision
from schemas.records import HeldStates
from schemas.topics import WISH
from wishes.handlers import decide_wish, timer_commands
from wishes.rules import WishPolicy
from wishes.state import WishesState


class WishesOwner(HeldStates[WishesState]):
    name = "wishes"
    family = WISH

    def __init__(self, policy: WishPolicy | None = None) -> None:
        super().__init__(WishesState)
        self.policy = policy or WishPolicy()

    def decide(self, command: Command, now: datetime) -> Decision:
        assert isinstance(command, w.WishCommand)
        return decide_wish(self.state_of(command.county), command, now, self.policy)

    def evolve(self, event: Event) -> None:
        assert isinstance(event, w.WishEvent)
        self.state_of(event.county).evolve(event)

    def timers(self, now: datetime) -> list[Command]:
        return [c for state in self.states.values()
                for c in timer_commands(state, now, self.policy)]
