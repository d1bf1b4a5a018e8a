"""Signed bearer tokens (HS256 JWT) naming a role and a subject."""

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


@dataclass(frozen=True)
class Principal:
    role: Role
    subject: str


class BadToken(Exception):
    pass


def issue_token(secret: str, role: Role, subject: str, now: datetime, ttl_s: int) -> str:
    if role not in PEOPLE:
        raise ValueError(f"tokens are for people: one of {', '.join(PEOPLE)}")
    if not SUBJECT.fullmatch(subject):
        raise ValueError("a subject is letters, digits and _ . : - (at most 64)")
    claims = {
        "iss": ISSUER, "sub": subject, "role": role.value,
        "iat": int(now.timestamp()), "exp": int((now + timedelta(seconds=ttl_s)).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def verify_token(secret: str, token: str) -> Principal:
    """The token's principal, if it is signed with the secret and has not expired.

    A client sends the same token with every call, so the signature check and claim parsing
    are remembered per token (a bounded cache); only the expiry is checked again each time.
    """
    principal, expires_at = _verified(secret, token)
    if time.time() >= expires_at:
        raise BadToken("the token has expired")
    return principal


@functools.lru_cache(maxsize=TOKENS_REMEMBERED)
def _verified(secret: str, token: str) -> tuple[Principal, float]:
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], issuer=ISSUER,
                            options={"require": ["exp", "iat", "sub", "iss"]})
        role = Role(str(claims.get("role")))
    except (jwt.PyJWTError, ValueError) as e:
        raise BadToken(str(e)) from e
    subject = claims["sub"]
    if role not in PEOPLE or not isinstance(subject, str) or not SUBJECT.fullmatch(subject):
        raise BadToken("bad subject or role")
    return Principal(role, subject), float(claims["exp"])
