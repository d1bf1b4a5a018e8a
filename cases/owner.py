"""The cases owner: each county's cases and offices, their rules and their topics bound
together; its timer passes the deadlines of the open cases, also after a restart."""

from __future__ import annotations

from datetime import datetime

from cases.handlers import decide_case, timer_commands
from cases.rules import CasePolicy
from cases.state import CasesState
from schemas import cases as c
from schemas.base import Command, Event
from schemas.decision import Decision
from schemas.records import HeldStates
from schemas.topics import CASE


class CasesOwner(HeldStates[CasesState]):
    name = "cases"
    family = CASE

    def __init__(self, policy: CasePolicy | None = None) -> None:
        super().__init__(CasesState)
        self.policy = policy or CasePolicy()

    def decide(self, command: Command, now: datetime) -> Decision:
        assert isinstance(command, c.CaseCommand)
        return decide_case(self.state_of(command.county), command, now, self.policy)

    def evolve(self, event: Event) -> None:
        assert isinstance(event, c.CaseEvent)
        self.state_of(event.county).evolve(event)

    def timers(self, now: datetime) -> list[Command]:
        return [command for state in self.states.values()
                for command in timer_commands(state, now)]
