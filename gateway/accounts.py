"""The gateway's side of people's accounts: the ids of accounts, the hashes of their secrets,
the tokens of a session, and the commands to the accounts owner that every route creating or
joining an account sends (DESIGN §9). The routes themselves are in `gateway.people`.

The gateway checks passwords (argon2id, slow on purpose: off the event loop, and against a
dummy hash for an unknown phone so both take the same time) and mints tokens; the accounts
owner decides everything that must happen once — a code used, a refresh token rotated, a
session revoked — so two gateways racing with one refresh token cannot both win.

A refresh token reads `rt1.<family>.<secret>`: the family names the account, so the gateway
finds its owner without an index; only the SHA-256 of the secret is ever stored.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
from uuid import uuid4

from aiohttp import web
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from gateway.auth import issue_token
from gateway.errors import ApiError
from gateway.http import SESSIONS, Call, answer, rejection_error
from gateway.personal import Sealer
from schemas import accounts as ac
from schemas import api_accounts as api
from schemas.accounts import Grant, PersonAccount
from schemas.base import SYSTEM, Actor, Command, CommandOutcome
from schemas.common import Role

REFRESH_PREFIX = "rt1"
HASHER = PasswordHasher()
"""argon2id with the library's defaults (RFC 9106's second recommended profile)."""
MOBILE = re.compile(r"1[3-9][0-9]{9}")


def account_id_for(secret: str, phone: str) -> str:
    """The account of a phone: keyed by the platform's secret, so the id tells nothing
    about the number (eleven digits are few enough to try them all against a bare hash)."""
    digest = hmac.new(secret.encode(), f"account|{phone}".encode(), hashlib.sha256)
    return "p" + digest.hexdigest()[:24]


def kiosk_account_id(secret: str, kiosk_id: str) -> str:
    digest = hmac.new(secret.encode(), f"kiosk|{kiosk_id}".encode(), hashlib.sha256)
    return "k" + digest.hexdigest()[:24]


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def code_hash(account_id: str, code: str) -> str:
    return digest(f"code|{account_id}|{code}")


async def hash_password(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(None, HASHER.hash, password)


_DUMMY: list[str] = []


async def password_matches(stored: str | None, password: str) -> bool:
    """argon2 verification off the loop; an account without a password costs the same."""
    if not _DUMMY:
        _DUMMY.append(await hash_password(secrets.token_urlsafe(16)))

    def verify() -> bool:
        try:
            return HASHER.verify(stored or _DUMMY[0], password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.get_running_loop().run_in_executor(None, verify)


def one_time_password() -> str:
    """Twelve characters of an alphabet without look-alikes, to read out or print."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "".join(secrets.choice(alphabet) for _ in range(12))


def new_family(account_id: str) -> str:
    return f"{account_id}.{secrets.token_urlsafe(12)}"


def new_refresh(family: str) -> tuple[str, str]:
    """A refresh token of the family and the hash the owner keeps of it."""
    secret = secrets.token_urlsafe(32)
    return f"{REFRESH_PREFIX}.{family}.{secret}", digest(secret)


def parse_refresh(token: str) -> tuple[str, str, str]:
    """(account id, family, hash of the secret), or 401 for anything else."""
    prefix, _, rest = token.partition(".")
    family, _, secret = rest.rpartition(".")
    account_id = family.partition(".")[0]
    if prefix != REFRESH_PREFIX or not account_id.startswith("p") or not secret:
        raise ApiError(401, "bad_refresh_token", "the refresh token is not valid")
    return account_id, family, digest(secret)


def envelope(call: Call, actor: Actor | None = None) -> dict[str, object]:
    """A command of its own for each call: sign-in is never replayed from an
    Idempotency-Key, and no hash of a body holding a password enters the log."""
    command_id = uuid4()
    return {"command_id": command_id, "occurred_at": call.config.clock(),
            "correlation_id": command_id, "actor": actor or SYSTEM}


UNAUTHORIZED = {"bad_credentials", "bad_refresh_token", "refresh_reused"}


async def decide(call: Call, command: Command) -> CommandOutcome:
    """Send to the accounts owner and wait for its answer; a session cannot be polled
    for, so a slow owner is 503 (try again), never 202."""
    await call.bus.send(command)
    outcome = await call.bus.outcome(command.command_id, call.config.outcome_wait_s)
    if outcome is None:
        raise ApiError(503, "unavailable", "the platform is slow to answer; try again",
                       headers={"Retry-After": "2"})
    if not outcome.ok:
        error = rejection_error(outcome)
        if error.code in UNAUTHORIZED:
            error.status = 401
        raise error
    return outcome


def tokens(call: Call, result: dict[str, object], refresh_token: str) -> web.Response:
    config = call.config
    role = Role(str(result["role"]))
    scope = result.get("scope")
    change = result.get("password_change_required") is True
    access = issue_token(config.keys, role, str(result["subject"]), config.clock(),
                         config.access_ttl_s, scope=scope if isinstance(scope, str) else None,
                         family=str(result["family"]), must_change_password=change)
    grants = result.get("roles")
    return answer(api.TokensOut(
        access_token=access, refresh_token=refresh_token, expires_in_s=config.access_ttl_s,
        role=role, subject=str(result["subject"]),
        scope=scope if isinstance(scope, str) else None,
        roles=[api.GrantOut.model_validate(g) for g in grants]
        if isinstance(grants, list) else [], password_change_required=change))


async def opening(sealer: Sealer, secret: str, envelope: dict[str, object], phone: str,
                  name: str, grant: Grant, password: str | None, one_time: bool = False
                  ) -> ac.OpenAccount:
    """The command that creates (or joins) a phone's account with a grant: the phone and
    name sealed under the account's key, the password hashed."""
    account_id = account_id_for(secret, phone)
    sealed = await sealer.seal(account_id, {"phone": phone, "name": name})
    return ac.OpenAccount(
        **envelope, account_id=account_id, phone=sealed["phone"] or "",
        name=sealed["name"] or "", grant=grant,
        password_hash=await hash_password(password) if password else None,
        password_one_time=one_time)


async def grant_to_phone(call: Call, phone: str | None, name: str, grant: Grant) -> bool:
    """Every registration that carries a mobile number creates or joins the account of that
    phone with its role (DESIGN §9): the person signs in with a code, and may set a
    password then. Whether there was such a number."""
    if phone is None or not MOBILE.fullmatch(phone):
        return False
    account_id = account_id_for(call.config.secret, phone)
    sealed = await call.sealer.seal(account_id, {"phone": phone, "name": name})
    await decide(call, ac.OpenAccount(
        **envelope(call, call.actor), account_id=account_id, phone=sealed["phone"],
        name=sealed["name"] or "", grant=grant))
    return True


async def close_account(call: Call, account: PersonAccount, reason: str) -> None:
    """Close an account: every session ends, here at once (other gateways within their
    revocation cache), and no sign-in opens again."""
    if not account.closed:
        await decide(call, ac.CloseAccount(**envelope(call, call.actor),
                                           account_id=account.account_id, reason=reason))
    for session in account.sessions:
        call.request.app[SESSIONS].forget(session.family)
