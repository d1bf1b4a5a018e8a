"""The ledger and the stock as owners: state, rules and topics bound together.

A volunteer's account is one aggregate and a gift's stock another: each lives in a state of
its own, so the host can load, keep and forget one without touching the others.
"""

from __future__ import annotations

from datetime import datetime

from consumers.ledger.handlers import decide_ledger, decide_stock
from consumers.ledger.rules import PointsPolicy
from consumers.ledger.state import LedgerState, StockState
from schemas.base import Command, Event
from schemas.commands import ItemCommand, VolunteerCommand
from schemas.decision import Decision
from schemas.events import ItemEvent, VolunteerEvent
from schemas.records import HeldStates
from schemas.topics import ITEM, VOLUNTEER


class LedgerOwner(HeldStates[LedgerState]):
    name = "ledger"
    family = VOLUNTEER

    def __init__(self, policy: PointsPolicy | None = None) -> None:
        super().__init__(LedgerState)
        self.policy = policy or PointsPolicy()
        self.accounts = self.states

    def decide(self, command: Command, now: datetime) -> Decision:
        assert isinstance(command, VolunteerCommand)
        return decide_ledger(self.state_of(command.volunteer_id), command, now, self.policy)

    def evolve(self, event: Event) -> None:
        assert isinstance(event, VolunteerEvent)
        self.state_of(event.volunteer_id).evolve(event)

    def timers(self, now: datetime) -> list[Command]:
        return []


class StockOwner(HeldStates[StockState]):
    name = "stock"
    family = ITEM

    def __init__(self) -> None:
        super().__init__(StockState)
        self.items = self.states

    def decide(self, command: Command, now: datetime) -> Decision:
        assert isinstance(command, ItemCommand)
        return decide_stock(self.state_of(command.item_id), command, now)

    def evolve(self, event: Event) -> None:
        assert isinstance(event, ItemEvent)
        self.state_of(event.item_id).evolve(event)

    def timers(self, now: datetime) -> list[Command]:
        return []
