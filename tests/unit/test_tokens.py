"""Tokens name the key that signed them, so keys rotate without signing anybody out: the
first key of the ring signs, every key verifies, a dropped key's tokens stop working, a token
naming an unknown key or forged with another secret is refused, and a token made before keys
had ids is checked against the first key. A staff token carries its scope (an area code,
nothing for an operator's all-areas token); no other role carries one."""

from __future__ import annotations

from datetime import UTC, datetime

import jwt
import pytest

from gateway.auth import BadToken, KeyRing, issue_token, verify_token
from schemas.common import Role

OLD = "old-secret-0123456789-0123456789-0123456789"
NEW = "new-secret-0123456789-0123456789-0123456789"


def now() -> datetime:
    """The time of the call: a module-level one would be minutes old in a long run."""
    return datetime.now(UTC)


def test_a_rotation_keeps_old_tokens_until_their_key_is_dropped() -> None:
    before = KeyRing.parse(f"k1:{OLD}")
    during = KeyRing.parse(f"k2:{NEW},k1:{OLD}")
    after = KeyRing.parse(f"k2:{NEW}")
    old_token = issue_token(before, Role.STAFF, "S1", now(), 600)
    new_token = issue_token(during, Role.STAFF, "S1", now(), 600)
    assert jwt.get_unverified_header(old_token)["kid"] == "k1"
    assert jwt.get_unverified_header(new_token)["kid"] == "k2"
    for ring, token in ((during, old_token), (during, new_token), (after, new_token)):
        assert verify_token(ring, token).subject == "S1"
    with pytest.raises(BadToken, match="does not hold"):
        verify_token(after, old_token)


def test_a_forged_or_unnamed_key_is_refused_and_a_token_without_a_kid_uses_the_first() -> None:
    ring = KeyRing.parse(f"k2:{NEW},k1:{OLD}")
    forged = jwt.encode({"iss": "vdispatch", "sub": "S1", "role": "staff", "iat": 0,
                         "exp": 4_000_000_000}, "another-secret-0123456789-0123456789",
                        algorithm="HS256", headers={"kid": "k2"})
    with pytest.raises(BadToken):
        verify_token(ring, forged)
    legacy = jwt.encode({"iss": "vdispatch", "sub": "S1", "role": "staff", "iat": 0,
                         "exp": 4_000_000_000}, NEW, algorithm="HS256")
    assert verify_token(ring, legacy).subject == "S1"


@pytest.mark.parametrize("text", ["", "k1", "k1:short", "bad id!:" + NEW,
                                  f"k1:{NEW},k1:{OLD}"])
def test_a_bad_key_ring_setting_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        KeyRing.parse(text)


def test_a_staff_token_carries_its_scope_family_and_password_flag() -> None:
    ring = KeyRing.parse(f"k1:{OLD}")
    token = issue_token(ring, Role.STAFF, "S2", now(), 600, scope="430511001", family="f1",
                        must_change_password=True)
    principal = verify_token(ring, token)
    assert (principal.scope, principal.family, principal.must_change_password) == (
        "430511001", "f1", True)
    assert verify_token(ring, issue_token(ring, Role.STAFF, "S1", now(), 600)).scope is None
    for role, scope in ((Role.RESIDENT, "430511"), (Role.STAFF, "43051"),
                        (Role.STAFF, "430511\n")):
        with pytest.raises(ValueError, match="scope"):
            issue_token(ring, role, "X1", now(), 600, scope=scope)
    forged = jwt.encode({"iss": "vdispatch", "sub": "R1", "role": "resident", "iat": 0,
                         "scope": "430511", "exp": 4_000_000_000}, OLD, algorithm="HS256",
                        headers={"kid": "k1"})
    with pytest.raises(BadToken, match="scope"):
        verify_token(ring, forged)
