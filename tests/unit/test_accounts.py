"""The accounts owner's rules (DESIGN §9), driven through `decide_account` with no I/O.

Proves: a code opens an account once and is void after a use, an expiry or too many wrong
guesses (each counted); joining an account keeps its resident; a password sign-in is taken
only against the hash the gateway checked; refresh tokens rotate once each, and a replaced
one presented again revokes its family; sign-out and a password change end sessions; the
open sessions of an account never exceed the bound. Properties (hypothesis): over any
sequence of presentations of a family's tokens, each token is honoured at most once and,
after a reuse, nothing is honoured again.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from hashlib import sha256
from typing import Any
from uuid import uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.handlers import decide_account
from accounts.rules import AccountPolicy
from accounts.state import AccountState
from schemas import accounts as ac
from schemas.accounts import Grant
from schemas.base import SYSTEM
from schemas.common import Role
from schemas.decision import Decision

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ACCOUNT = "p0123456789abcdef01234567"
POLICY = AccountPolicy(code_failures_max=3, sessions_max=2)
PASSWORD_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"
RESIDENT = Grant(role=Role.RESIDENT, subject="R1")


def h(text: str) -> str:
    return sha256(text.encode()).hexdigest()


def env(at: datetime = T0) -> dict[str, Any]:
    command_id = uuid4()
    return {"command_id": command_id, "occurred_at": at, "correlation_id": command_id,
            "actor": SYSTEM, "account_id": ACCOUNT}


def run(state: AccountState, command: ac.AccountCommand) -> Decision:
    return decide_account(state, command, command.occurred_at, POLICY)


def code(state: AccountState, plain: str, at: datetime = T0) -> None:
    run(state, ac.IssueCode(**env(at), code_hash=h(plain), code="pd1.x", phone="pd1.y",
                            expires_at=at + timedelta(minutes=5)))


def open_with_code(state: AccountState, plain: str, grant: Grant = RESIDENT,
                   at: datetime = T0) -> Decision:
    return run(state, ac.OpenAccount(**env(at), phone="pd1.p", name="pd1.n", grant=grant,
                                     code_hash=h(plain), password_hash=PASSWORD_HASH))


def start(state: AccountState, family: str, token: str, method: str = "password",
          at: datetime = T0, **fields: Any) -> Decision:
    return run(state, ac.StartSession(
        **env(at), family=family, refresh_hash=h(token), method=method,
        expires_at=at + timedelta(days=30),
        **({"checked_password_hash": PASSWORD_HASH} if method == "password" else {}),
        **fields))


def rotate(state: AccountState, family: str, old: str, new: str) -> Decision:
    return run(state, ac.RotateRefresh(**env(), family=family, presented_hash=h(old),
                                       refresh_hash=h(new)))


def refused(decision: Decision) -> str:
    assert decision.outcome is not None and decision.outcome.rejection is not None
    return decision.outcome.rejection.code


def accepted(decision: Decision) -> dict[str, Any]:
    assert decision.outcome is not None and decision.outcome.ok, decision.outcome
    return dict(decision.outcome.result or {})


def signed_up() -> AccountState:
    state = AccountState()
    code(state, "111111")
    accepted(open_with_code(state, "111111"))
    return state


def test_a_code_opens_an_account_once() -> None:
    state = signed_up()
    account = state.account(ACCOUNT)
    assert account.opened and account.grants == (RESIDENT,) and account.code is None
    assert refused(open_with_code(state, "111111")) == "bad_credentials"


def test_a_code_is_void_after_its_expiry_or_too_many_wrong_guesses() -> None:
    state = AccountState()
    code(state, "222222")
    assert refused(open_with_code(state, "222222", at=T0 + timedelta(minutes=6))) == (
        "bad_credentials")
    code(state, "333333")
    for _ in range(POLICY.code_failures_max):
        assert refused(open_with_code(state, "999999")) == "bad_credentials"
    assert state.account(ACCOUNT).code is not None
    assert refused(open_with_code(state, "333333")) == "bad_credentials"
    assert not state.account(ACCOUNT).opened


def test_joining_keeps_the_resident_and_adds_other_roles() -> None:
    state = signed_up()
    code(state, "444444")
    joined = accepted(open_with_code(state, "444444", Grant(role=Role.RESIDENT, subject="R2")))
    assert joined["subject"] == "R1" and joined["joined"] is True
    staff = Grant(role=Role.STAFF, subject="S1", scope="430511001")
    accepted(run(state, ac.OpenAccount(**env(), phone="pd1.p", name="pd1.n", grant=staff)))
    assert state.account(ACCOUNT).grants == (RESIDENT, staff)
    assert accepted(start(state, f"{ACCOUNT}.f1", "t1", role=Role.STAFF))["scope"] == (
        "430511001")
    assert refused(start(state, f"{ACCOUNT}.f2", "t2", role=Role.LEADER)) == "bad_credentials"


def test_a_password_sign_in_is_taken_only_against_the_checked_hash() -> None:
    state = signed_up()
    assert accepted(start(state, f"{ACCOUNT}.f1", "t1"))["role"] == "resident"
    stale = run(state, ac.StartSession(**env(), family=f"{ACCOUNT}.f2", refresh_hash=h("t2"),
                                       method="password", checked_password_hash="$argon2id$x",
                                       expires_at=T0 + timedelta(days=1)))
    assert refused(stale) == "bad_credentials"
    fresh = AccountState()
    assert refused(start(fresh, f"{ACCOUNT}.f3", "t3")) == "bad_credentials"


def test_refresh_rotates_once_and_a_reuse_revokes_the_family() -> None:
    state = signed_up()
    family = f"{ACCOUNT}.f1"
    accepted(start(state, family, "t1"))
    accepted(rotate(state, family, "t1", "t2"))
    assert refused(rotate(state, family, "t1", "t3")) == "refresh_reused"
    assert state.account(ACCOUNT).session(family) is None
    assert refused(rotate(state, family, "t2", "t4")) == "bad_refresh_token"


def test_sign_out_and_a_password_change_end_sessions() -> None:
    state = signed_up()
    accepted(start(state, f"{ACCOUNT}.a", "ta"))
    accepted(start(state, f"{ACCOUNT}.b", "tb"))
    out = accepted(run(state, ac.EndSession(**env(), family=f"{ACCOUNT}.a",
                                            presented_hash=h("wrong"))))
    assert out["signed_out"] is False and state.account(ACCOUNT).session(f"{ACCOUNT}.a")
    accepted(run(state, ac.EndSession(**env(), family=f"{ACCOUNT}.a", presented_hash=h("ta"))))
    assert state.account(ACCOUNT).session(f"{ACCOUNT}.a") is None
    new_hash = "$argon2id$v=19$m=65536,t=3,p=4$bmV3$bmV3"
    accepted(start(state, f"{ACCOUNT}.c", "tc"))
    accepted(run(state, ac.SetPassword(**env(), password_hash=new_hash,
                                       checked_password_hash=PASSWORD_HASH,
                                       keep_family=f"{ACCOUNT}.c")))
    assert [s.family for s in state.account(ACCOUNT).sessions] == [f"{ACCOUNT}.c"]
    assert refused(run(state, ac.SetPassword(**env(), password_hash=new_hash,
                                             checked_password_hash=PASSWORD_HASH))) == (
        "bad_credentials")


def test_the_open_sessions_never_exceed_the_bound() -> None:
    state = signed_up()
    for n in range(5):
        accepted(start(state, f"{ACCOUNT}.s{n}", f"t{n}"))
        assert len(state.account(ACCOUNT).sessions) <= POLICY.sessions_max
    assert [s.family for s in state.account(ACCOUNT).sessions] == [f"{ACCOUNT}.s3",
                                                                   f"{ACCOUNT}.s4"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=6), max_size=30))
def test_each_refresh_token_is_honoured_at_most_once(presented: list[int]) -> None:
    state = signed_up()
    family = f"{ACCOUNT}.p"
    accepted(start(state, family, "t0"))
    issued, honoured, reused = 0, set(), False
    for n in presented:
        decision = rotate(state, family, f"t{n}", f"t{issued + 1}")
        assert decision.outcome is not None
        if decision.outcome.ok:
            assert not reused, "nothing is honoured after a reuse"
            assert n not in honoured and n == issued
            honoured.add(n)
            issued += 1
        elif decision.outcome.rejection and decision.outcome.rejection.code == (
                "refresh_reused"):
            reused = True
        if reused:
            assert state.account(ACCOUNT).session(family) is None


def test_a_grant_names_its_account_as_the_subject_s_contact_until_it_closes() -> None:
    state = AccountState()
    code(state, "555555")
    opened = open_with_code(state, "555555")
    [link] = opened.commands
    assert isinstance(link, ac.LinkContact)
    assert (link.account_id, link.holder) == ("resident:R1", ACCOUNT)
    linked = decide_account(AccountState(), link, T0, POLICY)
    assert accepted(linked) == {}
    closed = run(state, ac.CloseAccount(**env(), reason="erased"))
    assert [(c.account_id, c.holder) for c in closed.commands
            if isinstance(c, ac.LinkContact)] == [("resident:R1", None)]
