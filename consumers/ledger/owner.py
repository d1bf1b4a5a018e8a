"""The ledger and the stock as owners: state, rules and topics bound together."""

from __future__ import annotations

from datetime import datetime

from consumers.ledger.handlers import decide_ledger, decide_stock
from consumers.ledger.rules import PointsPolicy
from consumers.ledger.state import LedgerState, StockState
from schemas.base import Command, Event
from schemas.decision import Decision
from schemas.topics import LEDGER_COMMANDS, LEDGER_EVENTS, STOCK_COMMANDS, STOCK_EVENTS


class LedgerOwner:
    name = "ledger"
    command_topic = LEDGER_COMMANDS
    event_topic = LEDGER_EVENTS

    def __init__(self, policy: PointsPolicy | None = None) -> None:
        self.policy = policy or PointsPolicy()
        self.state = LedgerState()

    def state_of(self, volunteer_id: str) -> LedgerState:
        return self.state

    def decide(self, command: Command, now: datetime) -> Decision:
        return decide_ledger(self.state, command, now, self.policy)

    def evolve(self, event: Event) -> None:
        self.state.evolve(event)

    def timers(self, now: datetime) -> list[Command]:
        return []


class StockOwner:
    name = "stock"
    command_topic = STOCK_COMMANDS
    event_topic = STOCK_EVENTS

    def __init__(self) -> None:
        self.state = StockState()

    def state_of(self, item_id: str) -> StockState:
        return self.state

    def decide(self, command: Command, now: datetime) -> Decision:
        return decide_stock(self.state, command, now)

    def evolve(self, event: Event) -> None:
        self.state.evolve(event)

    def timers(self, now: datetime) -> list[Command]:
        return []
