"""Deciding account commands. Every refusal a caller might probe (an unknown phone, a
wrong code, a stale refresh token) is answered alike, so an answer never tells whether a
phone has an account."""

from __future__ import annotations

from datetime import datetime

from pydantic import JsonValue

from accounts.rules import (
    AccountPolicy,
    check_code,
    grant_for,
    presented,
    sessions_to_drop,
    with_grant,
)
from accounts.state import AccountState
from schemas import accounts as ac
from schemas.accounts import Grant, contact_key
from schemas.base import Command, Event
from schemas.cases import RegisterOffice
from schemas.common import Role, county_of
from schemas.decision import Decision, Stamp

BAD_CREDENTIALS = "the phone number, password or code is not right"


def decide_account(state: AccountState, command: Command, now: datetime,
                   policy: AccountPolicy) -> Decision:
    stamp = Stamp(command, now)
    if isinstance(command, ac.IssueCode):
        return _apply(state, stamp, [stamp.event(
            ac.CodeIssued, account_id=command.account_id, code_hash=command.code_hash,
            code=command.code, phone=command.phone, expires_at=command.expires_at)],
            expires_at=command.expires_at.isoformat())
    if isinstance(command, ac.OpenAccount):
        return _open(state, command, stamp, policy)
    if isinstance(command, ac.StartSession):
        return _start(state, command, stamp, policy)
    if isinstance(command, ac.RotateRefresh):
        return _rotate(state, command, stamp)
    if isinstance(command, ac.EndSession):
        return _end(state, command, stamp)
    if isinstance(command, ac.SetPassword):
        return _set_password(state, command, stamp)
    if isinstance(command, ac.CloseAccount):
        return _close(state, command, stamp)
    if isinstance(command, ac.LinkContact):
        event = stamp.event(ac.ContactLinked, account_id=command.account_id,
                            holder=command.holder)
        state.evolve(event)
        return stamp.accepted([event])
    raise TypeError(f"accounts do not handle {type(command).__name__}")


def _apply(state: AccountState, stamp: Stamp, events: list[Event],
           **body: JsonValue) -> Decision:
    for event in events:
        state.evolve(event)
    return Decision(tuple(events), (), stamp.outcome(None, result=body))


def _code_refusal(state: AccountState, stamp: Stamp, account_id: str, code_hash: str,
                  policy: AccountPolicy) -> Decision | None:
    """None when the code is right; else the refusal, counting a wrong guess."""
    check = check_code(state.account(account_id), code_hash, stamp.now, policy)
    if check == "ok":
        return None
    events: list[Event] = []
    if check == "wrong":
        events.append(stamp.event(ac.CodeFailed, account_id=account_id, code_hash=code_hash))
        for event in events:
            state.evolve(event)
    return stamp.rejected("forbidden", "bad_credentials", BAD_CREDENTIALS, events=events)


def _open(state: AccountState, c: ac.OpenAccount, stamp: Stamp,
          policy: AccountPolicy) -> Decision:
    account = state.account(c.account_id)
    events: list[Event] = []
    if c.code_hash is not None:
        refusal = _code_refusal(state, stamp, c.account_id, c.code_hash, policy)
        if refusal is not None:
            return refusal
        events.append(stamp.event(ac.CodeUsed, account_id=c.account_id, code_hash=c.code_hash))
    if account.closed:
        return stamp.rejected("conflict", "account_closed", "this account was closed")
    if not account.opened:
        events.append(stamp.event(ac.AccountOpened, account_id=c.account_id, phone=c.phone,
                                  name=c.name))
    held = next((g for g in account.grants if g.role is c.grant.role), None)
    grant = c.grant
    if held is not None and c.code_hash is not None:
        grant = held
    if with_grant(account.grants, grant) is not None:
        events.append(stamp.event(ac.RoleGranted, account_id=c.account_id, grant=grant))
    if c.password_hash is not None:
        events.append(stamp.event(ac.PasswordSet, account_id=c.account_id,
                                  password_hash=c.password_hash, one_time=c.password_one_time))
    granted = _granted(events)
    links = [_link(stamp, g, c.account_id) for g in granted]
    links += [_office(stamp, g.scope) for g in granted
              if g.role is Role.STAFF and g.scope is not None]
    decision = _apply(state, stamp, events, account_id=c.account_id, role=grant.role.value,
                      subject=grant.subject, joined=account.opened)
    return Decision(decision.events, tuple(links), decision.outcome)


def _granted(events: list[Event]) -> list[Grant]:
    return [e.grant for e in events if isinstance(e, ac.RoleGranted)]


def _link(stamp: Stamp, grant: Grant, holder: str | None) -> Command:
    """Notices for the grant's subject go to this account's phone (or to none)."""
    return stamp.command(ac.LinkContact, account_id=contact_key(grant.role, grant.subject),
                         holder=holder)


def _office(stamp: Stamp, scope: str) -> Command:
    """A scope with staff is an office: the cases of its areas are owned there (§11)."""
    return stamp.command(RegisterOffice, county=county_of(scope), scope=scope)


def _start(state: AccountState, c: ac.StartSession, stamp: Stamp,
           policy: AccountPolicy) -> Decision:
    account = state.account(c.account_id)
    events: list[Event] = []
    if c.method == "code":
        if c.code_hash is None:
            return stamp.rejected("forbidden", "bad_credentials", BAD_CREDENTIALS)
        refusal = _code_refusal(state, stamp, c.account_id, c.code_hash, policy)
        if refusal is not None:
            return refusal
        events.append(stamp.event(ac.CodeUsed, account_id=c.account_id, code_hash=c.code_hash))
    elif c.method in ("password", "device") and (
            account.password_hash is None or account.password_hash != c.checked_password_hash):
        return stamp.rejected("forbidden", "bad_credentials", BAD_CREDENTIALS)
    grant = grant_for(account, c.role)
    if not account.opened or grant is None:
        if c.method == "code" and account.opened:
            for event in events:
                state.evolve(event)
            return stamp.rejected("forbidden", "role_not_held", "this account does not hold "
                                  "that role", events=events,
                                  roles=[g.role.value for g in account.grants])
        return stamp.rejected("forbidden", "bad_credentials", BAD_CREDENTIALS)
    for old in sessions_to_drop(account, stamp.now, policy):
        events.append(stamp.event(ac.SessionRevoked, account_id=c.account_id,
                                  family=old.family, reason="replaced"))
    events.append(stamp.event(ac.SessionStarted, account_id=c.account_id, family=c.family,
                              refresh_hash=c.refresh_hash, grant=grant, method=c.method,
                              expires_at=c.expires_at))
    return _apply(state, stamp, events, role=grant.role.value, subject=grant.subject,
                  scope=grant.scope, family=c.family,
                  password_change_required=account.password_one_time and c.method == "password",
                  roles=[g.model_dump(mode="json") for g in account.grants])


def _rotate(state: AccountState, c: ac.RotateRefresh, stamp: Stamp) -> Decision:
    account = state.account(c.account_id)
    session = account.session(c.family)
    seen = presented(session, c.presented_hash, stamp.now)
    if seen == "reused":
        revoked = stamp.event(ac.SessionRevoked, account_id=c.account_id, family=c.family,
                              reason="reused")
        state.evolve(revoked)
        return stamp.rejected("forbidden", "refresh_reused", "this refresh token was used "
                              "already: the session is signed out", events=[revoked])
    if seen != "current" or session is None:
        return stamp.rejected("forbidden", "bad_refresh_token",
                              "the refresh token is not valid")
    grant = grant_for(account, session.role)
    if grant is None or grant.subject != session.subject:
        return stamp.rejected("forbidden", "bad_refresh_token",
                              "the refresh token is not valid")
    return _apply(state, stamp, [stamp.event(
        ac.RefreshRotated, account_id=c.account_id, family=c.family,
        refresh_hash=c.refresh_hash)], role=grant.role.value, subject=grant.subject,
        scope=grant.scope, family=c.family,
        password_change_required=account.password_one_time,
        roles=[g.model_dump(mode="json") for g in account.grants])


def _end(state: AccountState, c: ac.EndSession, stamp: Stamp) -> Decision:
    account = state.account(c.account_id)
    if presented(account.session(c.family), c.presented_hash, stamp.now) not in (
            "current", "expired", "reused"):
        return stamp.accepted(signed_out=False)
    return _apply(state, stamp, [stamp.event(ac.SessionRevoked, account_id=c.account_id,
                                             family=c.family, reason="sign_out")],
                  signed_out=True)


def _set_password(state: AccountState, c: ac.SetPassword, stamp: Stamp) -> Decision:
    account = state.account(c.account_id)
    if not account.opened:
        return stamp.rejected("not_found", "not_found", "no such account")
    if account.password_hash != c.checked_password_hash:
        return stamp.rejected("forbidden", "bad_credentials",
                              "the old password is not right")
    events: list[Event] = [stamp.event(ac.PasswordSet, account_id=c.account_id,
                                       password_hash=c.password_hash)]
    events += [stamp.event(ac.SessionRevoked, account_id=c.account_id, family=s.family,
                           reason="password_changed")
               for s in account.sessions if s.family != c.keep_family]
    return _apply(state, stamp, events, account_id=c.account_id)


def _close(state: AccountState, c: ac.CloseAccount, stamp: Stamp) -> Decision:
    account = state.account(c.account_id)
    if not account.opened:
        return stamp.rejected("not_found", "not_found", "no such account")
    decision = _apply(state, stamp, [stamp.event(ac.AccountClosed, account_id=c.account_id,
                                                 reason=c.reason)], closed=True)
    return Decision(decision.events, tuple(_link(stamp, g, None) for g in account.grants),
                    decision.outcome)
