"""Signed bearer tokens (HS256 JWT) naming a role, a subject and, for staff, a scope.

Every token's header names the key that signed it (`kid`). The gateway holds a ring of keys:
the first signs, every one verifies, so a new key is brought in first, the old one kept until
its tokens have expired, then dropped — nobody is signed out by a rotation. A token without a
`kid` (made before keys had ids) is checked against the first key of the ring.
"""

from __future__ import annotations

import functools
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from schemas.common import Role

ISSUER = "vdispatch"
SUBJECT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")
"""Matched whole (`fullmatch`): `$` would let a trailing newline through."""
PEOPLE = tuple(r for r in Role if r is not Role.SYSTEM)
TOKENS_REMEMBERED = 4096


SCOPE = re.compile(r"[0-9]{6}(?:[0-9]{3}){0,3}")
SCOPED = (Role.STAFF, Role.KIOSK)
"""Staff act within their scope; a kiosk's is the area it stands in."""


@dataclass(frozen=True)
class Principal:
    role: Role
    subject: str
    scope: str | None = None
    """A staff member's area scope (a kiosk's area); None: every area (operators' tokens)."""
    family: str | None = None
    """The refresh-token family a signed-in session's tokens belong to (revocable at once)."""
    must_change_password: bool = False
    """Signed in with a one-time password: only the password change and /me are open."""


class BadToken(Exception):
    pass


DEFAULT_KID = "k1"


@dataclass(frozen=True)
class KeyRing:
    """Signing keys by id; the first one signs."""

    keys: tuple[tuple[str, str], ...]

    def __post_init__(self) -> None:
        if not self.keys:
            raise ValueError("a key ring needs at least one key")
        kids = [kid for kid, _ in self.keys]
        if len(set(kids)) != len(kids):
            raise ValueError("two signing keys have one id")

    @classmethod
    def single(cls, secret: str, kid: str = DEFAULT_KID) -> KeyRing:
        return cls(((kid, secret),))

    @classmethod
    def parse(cls, text: str) -> KeyRing:
        """`kid:secret,kid:secret`, the signing key first (VD_SIGNING_KEYS)."""
        pairs = []
        for part in (p.strip() for p in text.split(",") if p.strip()):
            kid, sep, secret = part.partition(":")
            if not sep or not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", kid) or len(secret) < 32:
                raise ValueError("each signing key is KID:SECRET, the id letters and digits, "
                                 "the secret at least 32 characters")
            pairs.append((kid, secret))
        return cls(tuple(pairs))

    @property
    def current(self) -> tuple[str, str]:
        return self.keys[0]

    def secret_of(self, kid: str | None) -> str | None:
        if kid is None:
            return self.keys[0][1]
        return next((secret for k, secret in self.keys if k == kid), None)


def issue_token(keys: KeyRing | str, role: Role, subject: str, now: datetime,
                ttl_s: int, *, scope: str | None = None, family: str | None = None,
                must_change_password: bool = False) -> str:
    """A token signed with the ring's current key (a bare secret is a ring of one)."""
    if role not in PEOPLE:
        raise ValueError(f"tokens are for people: one of {', '.join(PEOPLE)}")
    if not SUBJECT.fullmatch(subject):
        raise ValueError("a subject is letters, digits and _ . : - (at most 64)")
    if scope is not None and (role not in SCOPED or not SCOPE.fullmatch(scope)):
        raise ValueError("a scope is an area code of 6, 9, 12 or 15 digits, for staff and "
                         "kiosks only")
    claims: dict[str, object] = {
        "iss": ISSUER, "sub": subject, "role": role.value,
        "iat": int(now.timestamp()), "exp": int((now + timedelta(seconds=ttl_s)).timestamp()),
    }
    if scope is not None:
        claims["scope"] = scope
    if family is not None:
        claims["fam"] = family
    if must_change_password:
        claims["pcr"] = True
    ring = KeyRing.single(keys) if isinstance(keys, str) else keys
    kid, secret = ring.current
    return jwt.encode(claims, secret, algorithm="HS256", headers={"kid": kid})


def verify_token(keys: KeyRing | str, token: str) -> Principal:
    """The token's principal, if it is signed with the secret and has not expired.

    A client sends the same token with every call, so the signature check and claim parsing
    are remembered per token (a bounded cache); only the expiry is checked again each time.
    """
    ring = KeyRing.single(keys) if isinstance(keys, str) else keys
    principal, expires_at = _verified(ring, token)
    if time.time() >= expires_at:
        raise BadToken("the token has expired")
    return principal


@functools.lru_cache(maxsize=TOKENS_REMEMBERED)
def _verified(ring: KeyRing, token: str) -> tuple[Principal, float]:
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        secret = ring.secret_of(kid if isinstance(kid, str) else None)
        if secret is None:
            raise BadToken("the token names a signing key this platform does not hold")
        claims = jwt.decode(token, secret, algorithms=["HS256"], issuer=ISSUER,
                            options={"require": ["exp", "iat", "sub", "iss"]})
        role = Role(str(claims.get("role")))
    except (jwt.PyJWTError, ValueError) as e:
        raise BadToken(str(e)) from e
    subject, scope, family = claims["sub"], claims.get("scope"), claims.get("fam")
    if role not in PEOPLE or not isinstance(subject, str) or not SUBJECT.fullmatch(subject):
        raise BadToken("bad subject or role")
    if scope is not None and (role not in SCOPED or not isinstance(scope, str)
                              or not SCOPE.fullmatch(scope)):
        raise BadToken("bad scope")
    if family is not None and (not isinstance(family, str) or not SUBJECT.fullmatch(family)):
        raise BadToken("bad family")
    return (Principal(role, subject, scope, family, claims.get("pcr") is True),
            float(claims["exp"]))
