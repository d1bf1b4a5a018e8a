"""The accounts owner: one aggregate per account, bound to its topics."""

from __future__ import annotations

from datetime import datetime

from accounts.handlers import decide_account
from accounts.rules import AccountPolicy
from accounts.state import AccountState
from schemas.accounts import AccountCommand, AccountEvent
from schemas.base import Command, Event
from schemas.decision import Decision
from schemas.records import HeldStates
from schemas.topics import PERSON


class AccountsOwner(HeldStates[AccountState]):
    name = "accounts"
    family = PERSON

    def __init__(self, policy: AccountPolicy | None = None) -> None:
        self.policy = policy or AccountPolicy()
        super().__init__(lambda: AccountState(self.policy.replaced_kept))

    def decide(self, command: Command, now: datetime) -> Decision:
        assert isinstance(command, AccountCommand)
        return decide_account(self.state_of(command.account_id), command, now, self.policy)

    def evolve(self, event: Event) -> None:
        assert isinstance(event, AccountEvent)
        self.state_of(event.account_id).evolve(event)

    def timers(self, now: datetime) -> list[Command]:
        return []
