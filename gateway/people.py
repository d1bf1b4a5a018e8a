"""Sign-in, sessions, staff accounts and kiosks (DESIGN §9): the routes.

The ids, hashes, tokens and commands they share with every route that creates or joins an
account are in `gateway.accounts`. Access tokens of a session carry its family and are
refused as soon as the session ends (checked at most `revocation_cache_s` late).
"""

from __future__ import annotations

import secrets
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any, TypeVar

from aiohttp import web

from gateway.accounts import (
    account_id_for,
    close_account,
    code_hash,
    decide,
    envelope,
    hash_password,
    kiosk_account_id,
    new_family,
    new_refresh,
    one_time_password,
    opening,
    parse_refresh,
    password_matches,
    tokens,
)
from gateway.errors import ApiError
from gateway.http import SESSIONS, Call, answer
from gateway.masking import mask_phone
from gateway.residents import new_resident_id, register
from gateway.routes import ANYONE_SIGNED_IN, COMMAND_ERRORS, STAFF, route
from gateway.sessions import account_of_family
from schemas import accounts as ac
from schemas import api_accounts as api
from schemas.accounts import Grant, PersonAccount
from schemas.base import Actor
from schemas.common import Role

T = TypeVar("T")
SIGNIN_FAILURE_WINDOW_S = 15 * 60
ADDRESS_WINDOW_S = 60
CODE_INTERVAL_S = 30
AUTH_ERRORS = (400, 401, 413, 422, 429, 503)


async def _limit_address(call: Call) -> None:
    address = call.request.remote or "?"
    await call.limit("sign-in-address", address, call.config.signin_per_address_max,
                     ADDRESS_WINDOW_S)


async def _failed(call: Call, account_id: str) -> ApiError:
    """Count a failed sign-in of the phone; past the limit, the next ones are 429."""
    await call.limit("sign-in-failures", account_id, call.config.signin_failures_max,
                     SIGNIN_FAILURE_WINDOW_S)
    return ApiError(401, "bad_credentials", "the phone number, password or code is not right")


async def _check_failures(call: Call, account_id: str) -> None:
    limit = call.config.signin_failures_max
    if limit > 0:
        retry = await call.limits.exceeded("sign-in-failures", account_id, limit,
                                           SIGNIN_FAILURE_WINDOW_S)
        if retry is not None:
            raise ApiError(429, "too_many_requests", "too many failed sign-ins; try later",
                           {"rule": "sign-in-failures", "retry_after_s": int(retry)},
                           headers={"Retry-After": str(int(retry))})


# -- routes ------------------------------------------------------------------------------


@route("POST", "/api/v1/auth/codes", "Send a six-digit one-time code to a phone (through "
       "the outbox: printed as `[outbox] sms to …` by the console sender). Answered alike "
       "whether the phone has an account or not; at most VD_CODES_PER_HOUR_MAX an hour and "
       "one per 30 s per phone (429 with Retry-After)",
       roles=None, body=api.CodeIn, answer=api.CodeOut, status=202, errors=AUTH_ERRORS,
       tag="sign-in")
async def send_code(call: Call) -> web.StreamResponse:
    body: api.CodeIn = call.body
    account_id = account_id_for(call.config.secret, body.phone)
    await _limit_address(call)
    await call.limit("code-interval", account_id, 1 if call.config.codes_per_hour_max else 0,
                     CODE_INTERVAL_S)
    await call.limit("codes", account_id, call.config.codes_per_hour_max, 3600)
    code = f"{secrets.randbelow(10**6):06d}"
    sealed = await call.sealer.seal(account_id, {"phone": body.phone, "code": code})
    ttl_s = call.config.signin_code_ttl_s
    await decide(call, ac.IssueCode(
        **envelope(call), account_id=account_id, code_hash=code_hash(account_id, code),
        code=sealed["code"] or "", phone=sealed["phone"] or "",
        expires_at=call.config.clock() + timedelta(seconds=ttl_s)))
    return answer(api.CodeOut(expires_in_s=ttl_s, sent_to=mask_phone(body.phone) or ""), 202)


@route("POST", "/api/v1/auth/sign-up", "A resident signs up with a code sent to the phone, "
       "which makes their profile; a phone whose account already holds a resident (one staff "
       "registered, say) joins that resident and profile. Answers the tokens of a new "
       "session",
       roles=None, body=api.SignUpIn, answer=api.TokensOut, status=201,
       errors=(*AUTH_ERRORS, 403), tag="sign-in")
async def sign_up(call: Call) -> web.StreamResponse:
    body: api.SignUpIn = call.body
    account_id = account_id_for(call.config.secret, body.phone)
    await _limit_address(call)
    await _check_failures(call, account_id)
    if await call.views.area(body.area) is None:
        raise ApiError(422, "unknown_area", f"no area {body.area}", {"field": "area"})
    password = await hash_password(body.password) if body.password else None
    sealed = await call.sealer.seal(account_id, {"phone": body.phone, "name": body.name})
    resident_id = new_resident_id()
    opened = await _counted(call, account_id, decide(call, ac.OpenAccount(
        **envelope(call), account_id=account_id, phone=sealed["phone"] or "",
        name=sealed["name"] or "", grant=Grant(role=Role.RESIDENT, subject=resident_id),
        code_hash=code_hash(account_id, body.code), password_hash=password)))
    subject = str((opened.result or {}).get("subject", resident_id))
    await register(call, Actor(role=Role.RESIDENT, subject=subject), subject, body.area,
                   body.name, body.phone, body.address, join=True)
    return await _start(call, account_id, Role.RESIDENT, "signup", subject, status=201)


async def _start(call: Call, account_id: str, role: Role | None, method: ac.SignInMethod,
                 subject: str | None = None, *, code: str | None = None,
                 checked: str | None = None, status: int = 200) -> web.Response:
    family = new_family(account_id)
    refresh, refresh_hash = new_refresh(family)
    command = ac.StartSession(
        **envelope(call), account_id=account_id, family=family, refresh_hash=refresh_hash,
        role=role, method=method,
        code_hash=code_hash(account_id, code) if code else None,
        checked_password_hash=checked,
        expires_at=call.config.clock() + timedelta(seconds=call.config.refresh_ttl_s))
    outcome = await decide(call, command)
    response = tokens(call, dict(outcome.result or {}), refresh)
    response.set_status(status)
    return response


@route("POST", "/api/v1/auth/sign-in", "Sign in with phone and password, or phone and a "
       "one-time code; 401 `bad_credentials` alike for an unknown phone, a wrong password "
       "and a wrong code; after VD_SIGNIN_FAILURES_MAX failures in 15 minutes 429. `role` "
       "picks one of the account's roles (403 `role_not_held` if it has not that one)",
       roles=None, body=api.SignInIn, answer=api.TokensOut, errors=(*AUTH_ERRORS, 403),
       tag="sign-in")
async def sign_in(call: Call) -> web.StreamResponse:
    body: api.SignInIn = call.body
    account_id = account_id_for(call.config.secret, body.phone)
    await _limit_address(call)
    await _check_failures(call, account_id)
    if body.code is not None:
        return await _counted(call, account_id, _start(call, account_id, body.role, "code",
                                                       code=body.code))
    assert body.password is not None
    return await _counted(call, account_id, _start_with_secret(
        call, account_id, body.role, "password", body.password))


async def _start_with_secret(call: Call, account_id: str, role: Role | None,
                             method: ac.SignInMethod, secret: str) -> web.Response:
    """A session for whoever knows the account's password (a kiosk's: its device key)."""
    account = await call.views.person_account(account_id)
    stored = account.password_hash if account is not None and account.opened else None
    if not await password_matches(stored, secret):
        raise ApiError(401, "bad_credentials", "wrong")
    return await _start(call, account_id, role, method, checked=stored)


async def _counted(call: Call, account_id: str, attempt: Coroutine[Any, Any, T]) -> T:
    """A sign-in attempt whose wrong credentials count against the phone's limit."""
    try:
        return await attempt
    except ApiError as e:
        if e.code == "bad_credentials":
            raise await _failed(call, account_id) from e
        raise


@route("POST", "/api/v1/auth/refresh", "A new token pair for a refresh token (each is "
       "good once); a token used twice signs its whole session out (401 `refresh_reused`)",
       roles=None, body=api.RefreshIn, answer=api.TokensOut, errors=AUTH_ERRORS,
       tag="sign-in")
async def refresh(call: Call) -> web.StreamResponse:
    body: api.RefreshIn = call.body
    account_id, family, presented = parse_refresh(body.refresh_token)
    await _limit_address(call)
    token, new_hash = new_refresh(family)
    outcome = await decide(call, ac.RotateRefresh(
        **envelope(call), account_id=account_id, family=family, presented_hash=presented,
        refresh_hash=new_hash))
    return tokens(call, dict(outcome.result or {}), token)


@route("POST", "/api/v1/auth/sign-out", "End the session of a refresh token: it and every "
       "access token of the session stop working at once; 204 also for a token already "
       "signed out", roles=None, body=api.RefreshIn, status=204, errors=AUTH_ERRORS,
       tag="sign-in")
async def sign_out(call: Call) -> web.StreamResponse:
    body: api.RefreshIn = call.body
    account_id, family, presented = parse_refresh(body.refresh_token)
    await decide(call, ac.EndSession(**envelope(call), account_id=account_id, family=family,
                                     presented_hash=presented))
    call.request.app[SESSIONS].forget(family)
    return web.Response(status=204)


def _account_of(call: Call) -> str:
    family = call.who.family
    if family is None:
        raise ApiError(403, "no_account", "this token belongs to no signed-in account "
                       "(an operator's token): sign in to use this")
    return account_of_family(family)


@route("POST", "/api/v1/auth/password", "Set a new password (the old one is needed unless "
       "the session was opened with a one-time password or a code, or there is none); "
       "every other session of the account is signed out; refresh afterwards for a token "
       "without `password_change_required`",
       roles=ANYONE_SIGNED_IN, body=api.PasswordIn, status=204,
       errors=(400, 401, 403, 422, 429, 503), tag="sign-in")
async def change_password(call: Call) -> web.StreamResponse:
    body: api.PasswordIn = call.body
    account_id = _account_of(call)
    account = await call.views.person_account(account_id)
    if account is None or not account.opened:
        raise ApiError(404, "not_found", "no such account")
    await _check_failures(call, account_id)
    needs_old = account.password_hash is not None and not call.who.must_change_password
    if needs_old:
        if body.old_password is None:
            raise ApiError(422, "invalid", "the old password is required",
                           [{"field": "old_password", "message": "required"}])
        if not await password_matches(account.password_hash, body.old_password):
            raise await _failed(call, account_id)
    await decide(call, ac.SetPassword(
        **envelope(call, call.actor), account_id=account_id,
        password_hash=await hash_password(body.new_password),
        checked_password_hash=account.password_hash, keep_family=call.who.family))
    return web.Response(status=204)


async def _name_of(call: Call, account: PersonAccount | None) -> str | None:
    if account is None or account.name is None:
        return None
    opened = await call.sealer.opened([account.account_id])
    return opened.open(account.account_id, "name", account.name)


@route("GET", "/api/v1/me", "Who the token is: role, subject, name, scope and every role "
       "the account holds (an operator's token holds just its own)",
       roles=ANYONE_SIGNED_IN, answer=api.MeOut, errors=(401,), tag="sign-in")
async def me(call: Call) -> web.StreamResponse:
    who = call.who
    account = None
    if who.family is not None:
        account = await call.views.person_account(account_of_family(who.family))
    grants = [api.GrantOut(role=g.role, subject=g.subject, scope=g.scope)
              for g in (account.grants if account is not None else ())]
    return answer(api.MeOut(
        role=who.role, subject=who.subject, name=await _name_of(call, account),
        scope=who.scope,
        roles=grants or [api.GrantOut(role=who.role, subject=who.subject, scope=who.scope)],
        password_change_required=who.must_change_password))


@route("POST", "/api/v1/staff", "Create a staff account within the creator's scope (403 "
       "`out_of_scope` otherwise); the phone's existing account, if any, gains the role. "
       "The one-time password is shown once; the first sign-in must change it",
       roles=STAFF, body=api.StaffIn, answer=api.StaffOut, status=201,
       errors=COMMAND_ERRORS, tag="sign-in")
async def create_staff(call: Call) -> web.StreamResponse:
    body: api.StaffIn = call.body
    call.creates_in(body.scope)
    password = one_time_password()
    await decide(call, await opening(
        call.sealer, call.config.secret, envelope(call, call.actor), body.phone, body.name,
        Grant(role=Role.STAFF, subject=body.staff_id, scope=body.scope), password,
        one_time=True))
    return answer(api.StaffOut(staff_id=body.staff_id, one_time_password=password), 201)




# -- kiosks ------------------------------------------------------------------------------


async def kiosk_in_scope(call: Call, kiosk_id: str) -> tuple[str, PersonAccount, str]:
    """A kiosk of the caller's scope: its account's id, its account and its area (404
    not_found for a kiosk out of sight or never registered)."""
    account_id = kiosk_account_id(call.config.secret, kiosk_id)
    account = await call.views.person_account(account_id)
    grant = next((g for g in account.grants if g.role is Role.KIOSK), None) if account else None
    if account is None or grant is None or grant.scope is None:
        raise ApiError(404, "not_found", "no such kiosk")
    call.visible(grant.scope, "kiosk")
    return account_id, account, grant.scope


@route("POST", "/api/v1/kiosks", "Register a kiosk in an area within the caller's scope; "
       "its device key is shown once (the kiosk signs in with it). A kiosk serves the "
       "volunteers of its own county. Registering a kiosk id again gives it a new key (the "
       "old one stops signing in; sessions already open run until revoked); a revoked "
       "kiosk's id is 409 `account_closed`",
       roles=STAFF, body=api.KioskIn, answer=api.KioskOut, status=201,
       errors=COMMAND_ERRORS, tag="kiosks")
async def register_kiosk(call: Call) -> web.StreamResponse:
    body: api.KioskIn = call.body
    await call.registers_in(body.area)
    account_id = kiosk_account_id(call.config.secret, body.kiosk_id)
    device_key = secrets.token_urlsafe(24)
    sealed = await call.sealer.seal(account_id, {"name": body.name})
    await decide(call, ac.OpenAccount(
        **envelope(call, call.actor), account_id=account_id, name=sealed["name"] or "",
        grant=Grant(role=Role.KIOSK, subject=body.kiosk_id, scope=body.area),
        password_hash=await hash_password(device_key)))
    return answer(api.KioskOut(kiosk_id=body.kiosk_id, name=body.name, area=body.area,
                               device_key=device_key), 201)


@route("POST", "/api/v1/kiosks/{kiosk_id}/revoke", "Revoke a kiosk: its sessions end at "
       "once and its device key no longer signs in",
       roles=STAFF, status=204, errors=COMMAND_ERRORS, tag="kiosks")
async def revoke_kiosk(call: Call) -> web.StreamResponse:
    _, account, _ = await kiosk_in_scope(call, call.match("kiosk_id"))
    await close_account(call, account, "revoked")
    return web.Response(status=204)


@route("POST", "/api/v1/auth/device", "A kiosk signs in with its id and device key; the "
       "tokens are a session like a person's (refresh rotates), ended by a revocation",
       roles=None, body=api.DeviceIn, answer=api.TokensOut, errors=AUTH_ERRORS,
       tag="sign-in")
async def sign_in_device(call: Call) -> web.StreamResponse:
    body: api.DeviceIn = call.body
    account_id = kiosk_account_id(call.config.secret, body.kiosk_id)
    await _limit_address(call)
    await _check_failures(call, account_id)
    return await _counted(call, account_id, _start_with_secret(
        call, account_id, Role.KIOSK, "device", body.device_key))
