"""An account's row: a fold of its events. Sessions that end are dropped from it, so an
access token whose family is not in the row is one that was revoked (or never was)."""

from __future__ import annotations

from typing import Any

from accounts.rules import with_grant
from schemas import accounts as ac
from schemas.accounts import PendingCode, PersonAccount, Session
from schemas.base import Event
from schemas.records import Journal, Ranking, Records

ACCOUNTS = "person_accounts"
CONTACTS = "contacts"


class AccountState:
    def __init__(self, replaced_kept: int = 20) -> None:
        self.accounts: Records[PersonAccount] = Records()
        self.contacts: Records[str] = Records()
        """`role:subject` → the account holding that grant ("" once none does)."""
        self.ranks = Ranking()
        self.replaced_kept = replaced_kept

    def collections(self) -> dict[str, Records[Any]]:
        return {ACCOUNTS: self.accounts, CONTACTS: self.contacts}

    def journals(self) -> dict[str, Journal[Any]]:
        return {}

    def ranking(self) -> Ranking:
        return self.ranks

    def restore(self, rows: dict[str, dict[str, Any]]) -> None:
        for key, account in rows.get(ACCOUNTS, {}).items():
            self.accounts.load(key, account)
        for key, holder in rows.get(CONTACTS, {}).items():
            self.contacts.load(key, holder)

    def account(self, account_id: str) -> PersonAccount:
        return self.accounts.get(account_id) or PersonAccount(account_id=account_id)

    def evolve(self, event: Event) -> None:
        if not isinstance(event, ac.AccountEvent):
            return
        if isinstance(event, ac.ContactLinked):
            self.contacts.put(event.account_id, event.holder or "")
            return
        account = self.account(event.account_id)
        self.accounts.put(account.account_id, self._next(account, event))

    def _next(self, account: PersonAccount, event: ac.AccountEvent) -> PersonAccount:
        if isinstance(event, ac.CodeIssued):
            return account.model_copy(update={"code": PendingCode(
                code_hash=event.code_hash, expires_at=event.expires_at)})
        if isinstance(event, ac.CodeFailed) and account.code is not None:
            return account.model_copy(update={"code": account.code.model_copy(
                update={"failures": account.code.failures + 1})})
        if isinstance(event, ac.CodeUsed):
            return account.model_copy(update={"code": None})
        if isinstance(event, ac.AccountOpened):
            return account.model_copy(update={"phone": event.phone, "name": event.name,
                                              "opened_at": event.occurred_at})
        if isinstance(event, ac.RoleGranted):
            grants = with_grant(account.grants, event.grant)
            return account if grants is None else account.model_copy(
                update={"grants": grants})
        if isinstance(event, ac.PasswordSet):
            return account.model_copy(update={"password_hash": event.password_hash,
                                              "password_one_time": event.one_time})
        if isinstance(event, ac.SessionStarted):
            session = Session(family=event.family, role=event.grant.role,
                              subject=event.grant.subject, scope=event.grant.scope,
                              current_hash=event.refresh_hash, started_at=event.occurred_at,
                              expires_at=event.expires_at)
            return account.model_copy(update={"sessions": (*account.sessions, session)})
        if isinstance(event, ac.RefreshRotated):
            return account.model_copy(update={"sessions": tuple(
                s.model_copy(update={
                    "current_hash": event.refresh_hash,
                    "replaced": (*s.replaced, s.current_hash)[-self.replaced_kept:]})
                if s.family == event.family else s for s in account.sessions)})
        if isinstance(event, ac.AccountClosed):
            return account.model_copy(update={"closed": True, "sessions": ()})
        if isinstance(event, ac.SessionRevoked):
            return account.model_copy(update={"sessions": tuple(
                s for s in account.sessions if s.family != event.family)})
        return account
