"""Pure rules of accounts: codes, grants and refresh-token rotation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from schemas.accounts import Grant, PersonAccount, Session
from schemas.common import Role


@dataclass(frozen=True)
class AccountPolicy:
    code_failures_max: int = 5
    """Wrong guesses of one code before it is void (a six-digit code has 10^6 values)."""
    sessions_max: int = 10
    """Open sessions per account; a new one beyond this revokes the oldest."""
    replaced_kept: int = 20
    """Replaced refresh tokens remembered per session, to spot a reuse."""


CodeCheck = Literal["ok", "missing", "expired", "wrong", "exhausted"]


def check_code(account: PersonAccount, code_hash: str, now: datetime,
               policy: AccountPolicy) -> CodeCheck:
    code = account.code
    if code is None:
        return "missing"
    if code.failures >= policy.code_failures_max:
        return "exhausted"
    if code.expires_at <= now:
        return "expired"
    return "ok" if code.code_hash == code_hash else "wrong"


def grant_for(account: PersonAccount, role: Role | None) -> Grant | None:
    """The grant a sign-in acts as: the one of the role asked for, else the first held
    (staff before leader before volunteer before resident, the order they were given)."""
    if role is None:
        return account.grants[0] if account.grants else None
    return next((g for g in account.grants if g.role is role), None)


def with_grant(grants: tuple[Grant, ...], grant: Grant) -> tuple[Grant, ...] | None:
    """The grants with one more, or None if it is already held (the same role and
    subject: a new scope replaces the old one)."""
    for n, held in enumerate(grants):
        if held.role is grant.role and held.subject == grant.subject:
            if held == grant:
                return None
            return (*grants[:n], grant, *grants[n + 1:])
    return (*grants, grant)


Rotation = Literal["current", "reused", "unknown", "revoked", "expired"]


def presented(session: Session | None, token_hash: str, now: datetime) -> Rotation:
    """What a presented refresh token is to its family."""
    if session is None:
        return "unknown"
    if session.revoked:
        return "revoked"
    if token_hash == session.current_hash:
        return "expired" if session.expires_at <= now else "current"
    if token_hash in session.replaced:
        return "reused"
    return "unknown"


def open_sessions(account: PersonAccount) -> list[Session]:
    return [s for s in account.sessions if not s.revoked]


def sessions_to_drop(account: PersonAccount, now: datetime, policy: AccountPolicy
                     ) -> list[Session]:
    """Expired or revoked sessions are forgotten; the oldest open ones beyond the bound
    (leaving room for one more) are revoked."""
    live = [s for s in account.sessions if not s.revoked and s.expires_at > now]
    return live[:max(0, len(live) - policy.sessions_max + 1)]
