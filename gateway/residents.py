"""Residents' profiles (DESIGN §9): staff register the people the office knows, residents
read and change their own, staff find them by area, tag or name, and erasure removes the
personal data for good.

A profile's name, phone and address are sealed under the resident's key before they enter
the log; they are opened here for a reader the contract allows: the resident, and staff in
scope (whose every read of a profile's contact details is audited). Lists show the phone
masked. Names are sealed, so a search by name opens the names of at most
`RESIDENT_SCAN_MAX` profiles of the area per call and matches them here.
"""

from __future__ import annotations

import re
import secrets

from aiohttp import web

from gateway.accounts import (
    account_id_for,
    close_account,
    decide,
    envelope,
    grant_to_phone,
)
from gateway.errors import ApiError
from gateway.http import Call, answer
from gateway.masking import mask_phone
from gateway.personal import ERASED, Opened
from gateway.routes import COMMAND_ERRORS, STAFF, _limit, ranked_cursor, route
from schemas import api_residents as api
from schemas import residents as rs
from schemas.accounts import Grant
from schemas.base import Actor
from schemas.common import Role, county_of
from schemas.residents import ResidentProfile, Tag

RESIDENT_SCAN_MAX = 2000
"""Profiles read for one filtered list (a tag or a search): a page may come back short,
with a cursor to go on from."""
CURSOR = re.compile(r"([0-9]{1,12})~([A-Za-z0-9][A-Za-z0-9_.:-]{0,63})")
QUERY_MAX = 50
SELF_OR_STAFF = (Role.RESIDENT, Role.STAFF)


def new_resident_id() -> str:
    return f"R{secrets.token_hex(6)}"


async def register(call: Call, actor: Actor, resident_id: str, area: str, name: str,
                   phone: str | None, address: str, birth_year: int | None = None,
                   tags: tuple[Tag, ...] = (), join: bool = False) -> None:
    """Register a resident's profile, its personal fields sealed under their own key (a
    sign-up joins a profile already there)."""
    sealed = await call.sealer.seal(resident_id, {"name": name, "phone": phone,
                                                  "address": address})
    await decide(call, rs.RegisterResident(
        **envelope(call, actor), county=county_of(area), resident_id=resident_id, area=area,
        name=sealed["name"] or "", phone=sealed["phone"], address=sealed["address"] or "",
        birth_year=birth_year, tags=tags, join=join))


def _out(profile: ResidentProfile, opened: Opened, area_name: str | None,
         whole: bool) -> api.ResidentOut:
    person = profile.resident_id

    def field(name: str) -> str:
        return opened.open(person, name, getattr(profile, name)) or ""

    phone = field("phone") or None
    by = profile.registered_by
    return api.ResidentOut(
        resident_id=person, name=field("name"), area=profile.area, area_name=area_name,
        phone=phone if whole or phone in (None, ERASED) else mask_phone(phone or ""),
        address=field("address"), birth_year=profile.birth_year, tags=profile.tags,
        registered_at=profile.registered_at.isoformat(),
        registered_by="self" if by.role is Role.RESIDENT else by.subject)


async def _profile(call: Call) -> ResidentProfile:
    """The profile named in the path, if this caller may see it: the resident themself, or
    staff whose scope holds its area; to anyone else it does not exist."""
    resident_id = call.match("resident_id")
    profile = await call.views.resident(resident_id)
    who = call.who
    if profile is None or profile.erased or (
            who.role is Role.RESIDENT and who.subject != resident_id):
        raise ApiError(404, "not_found", "no such resident")
    if who.role is Role.STAFF:
        call.visible(profile.area, "resident")
    return profile


@route("POST", "/api/v1/residents", "Register a resident the office knows, in an area of "
       "the caller's scope. With a phone, the phone's account gains the resident (they sign "
       "in with a code); a phone whose account already holds a resident is 409 "
       "`resident_exists` naming that resident",
       roles=STAFF, body=api.ResidentIn, answer=api.ResidentCreatedOut, status=201,
       errors=COMMAND_ERRORS, tag="residents")
async def register_resident(call: Call) -> web.StreamResponse:
    body: api.ResidentIn = call.body
    await call.registers_in(body.area)
    resident_id = body.resident_id or new_resident_id()
    if body.phone is not None:
        account_id = account_id_for(call.config.secret, body.phone)
        account = await call.views.person_account(account_id)
        held = next((g for g in account.grants if g.role is Role.RESIDENT), None) if (
            account is not None) else None
        if held is not None and held.subject != resident_id:
            raise ApiError(409, "resident_exists", "this phone already belongs to a resident",
                           {"resident_id": held.subject})
    await register(call, call.actor, resident_id, body.area, body.name, body.phone,
                   body.address, body.birth_year, tuple(body.tags))
    await grant_to_phone(call, body.phone, body.name,
                         Grant(role=Role.RESIDENT, subject=resident_id))
    return answer(api.ResidentCreatedOut(resident_id=resident_id), 201)


@route("GET", "/api/v1/residents", "Residents in the caller's scope, the newest registered "
       "first, phones masked. `area` narrows within the scope (403 `out_of_scope` "
       "outside), `tag` keeps those with a tag, `q` matches the name or the id; a filtered "
       "page reads at most 2000 profiles and may come back short with a `next_cursor`",
       roles=STAFF, answer=api.ResidentListOut, errors=(400, 401, 403), tag="residents",
       query=(("area", "an area code within the scope"), ("tag", "one of the tags"),
              ("q", "part of a name, or an id"), ("limit", "1-200"),
              ("cursor", "from the previous page's next_cursor")))
async def list_residents(call: Call) -> web.StreamResponse:
    query = call.request.query
    limit = _limit(call)
    area = call.listed_area()
    raw_tag = query.get("tag")
    if raw_tag is not None and raw_tag not in {t.value for t in Tag}:
        raise ApiError(400, "bad_tag", "tag must be one of the tags",
                       {"tags": [t.value for t in Tag]})
    q = query.get("q", "").strip()
    if len(q) > QUERY_MAX or not q.isprintable():
        raise ApiError(400, "bad_query", f"q is at most {QUERY_MAX} printable characters")
    after = ranked_cursor(query.get("cursor"), CURSOR)
    found: list[tuple[ResidentProfile, Opened]] = []
    scanned, more = 0, True
    while more and len(found) < limit and scanned < RESIDENT_SCAN_MAX:
        page = await call.views.residents(area, limit, after)
        more = len(page) == limit
        scanned += len(page)
        opened = await call.sealer.opened(p.resident_id for p in page)
        for profile in page:
            after = (float(profile.seq), profile.resident_id)
            name = opened.open(profile.resident_id, "name", profile.name) or ""
            if raw_tag is not None and raw_tag not in profile.tags:
                continue
            if q and q not in name and q != profile.resident_id:
                continue
            found.append((profile, opened))
            if len(found) == limit:
                break
    names = {a.code: a.name for a in await call.views.areas(area)} if found else {}
    return answer(api.ResidentListOut(
        residents=[_out(p, o, names.get(p.area), whole=False) for p, o in found],
        next_cursor=f"{int(after[0])}~{after[1]}" if more and after else None))


@route("GET", "/api/v1/residents/{resident_id}", "A resident's profile with the contact "
       "details whole: for the resident, and staff whose scope holds it (each staff read is "
       "an audit record); 404 to anyone else",
       roles=SELF_OR_STAFF, answer=api.ResidentOut, errors=(401, 403, 404), tag="residents")
async def get_resident(call: Call) -> web.StreamResponse:
    profile = await _profile(call)
    if call.who.role is Role.STAFF:
        call.read_of = ("resident", profile.resident_id)
    area = await call.views.area(profile.area)
    opened = await call.sealer.opened([profile.resident_id])
    return answer(_out(profile, opened, area.name if area else None, whole=True))


@route("PATCH", "/api/v1/residents/{resident_id}", "Change a profile: staff in scope, or the "
       "resident (not their tags); a move stays within the county and, for staff, their "
       "scope (403 `out_of_scope`)",
       roles=SELF_OR_STAFF, body=api.ResidentPatch, answer=api.ResidentOut,
       errors=COMMAND_ERRORS, tag="residents")
async def change_resident(call: Call) -> web.StreamResponse:
    body: api.ResidentPatch = call.body
    profile = await _profile(call)
    given = body.model_fields_set
    if "tags" in given and call.who.role is Role.RESIDENT:
        raise ApiError(403, "forbidden", "tags are set by the office's staff")
    if body.area is not None:
        if call.who.role is Role.STAFF:
            call.creates_in(body.area)
        if await call.views.area(body.area) is None:
            raise ApiError(422, "unknown_area", f"no area {body.area}", {"field": "area"})
    sealed = await call.sealer.seal(profile.resident_id, {
        name: getattr(body, name) for name in ("name", "phone", "address") if name in given})
    cleared = tuple(f for f in ("phone", "birth_year") if f in given and getattr(body, f) is None)
    await decide(call, rs.ChangeResident(
        **envelope(call, call.actor), county=profile.county, resident_id=profile.resident_id,
        name=sealed.get("name"), phone=sealed.get("phone"), area=body.area,
        address=sealed.get("address"), birth_year=body.birth_year,
        tags=tuple(body.tags) if body.tags is not None else None, cleared=cleared))
    changed = await call.views.resident(profile.resident_id)
    assert changed is not None
    area = await call.views.area(changed.area)
    opened = await call.sealer.opened([changed.resident_id])
    return answer(_out(changed, opened, area.name if area else None, whole=True))


@route("DELETE", "/api/v1/residents/{resident_id}",
       "Erase a resident's personal data (个人信息保护法 Art. 47): their key is destroyed, so "
       "the profile answers 404 and the name, phone, address and details of each of their "
       "requests read [已删除] to every reader from now on, in the log, the topics and every "
       "store; an account that held only this resident is closed and its key destroyed too. "
       "Counts and ledger totals stay. 404 when the platform holds no personal data of the "
       "resident (or, for staff of a scope, none in it)",
       roles=STAFF, status=204, errors=(401, 403, 404, 503), tag="residents")
async def erase_resident(call: Call) -> web.StreamResponse:
    resident_id = call.match("resident_id")
    profile = await call.views.resident(resident_id)
    if profile is not None and profile.erased:
        profile = None
    if profile is not None:
        call.visible(profile.area, "resident")
        opened = await call.sealer.opened([resident_id])
        phone = opened.open(resident_id, "phone", profile.phone)
        await decide(call, rs.EraseResident(**envelope(call, call.actor),
                                            county=profile.county, resident_id=resident_id))
        if phone and phone != ERASED:
            await _close_account_of(call, account_id_for(call.config.secret, phone),
                                    resident_id)
    elif call.who.scope is not None:
        raise ApiError(404, "not_found", "no such resident")
    if not await call.sealer.erase(resident_id) and profile is None:
        raise ApiError(404, "resident_not_found", "no personal data of this resident")
    return web.Response(status=204)


async def _close_account_of(call: Call, account_id: str, resident_id: str) -> None:
    account = await call.views.person_account(account_id)
    if account is None or not account.opened:
        return
    if all(g.role is Role.RESIDENT and g.subject == resident_id for g in account.grants):
        await close_account(call, account, "erased")
        await call.sealer.erase(account_id)
