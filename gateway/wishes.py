"""Micro-wishes (微心愿, DESIGN §11): a resident (or staff on their behalf) posts a small
wish, a volunteer of the county claims it, marks it done, and the resident or staff confirm
it; hours, if any, are then credited as service hours.

The wish's title and details, and the claimer's note, are sealed under the resident's key
before they enter the log and opened here for each reader; the resident's name is read from
their profile, whole for staff and the resident, masked (first character kept) for
volunteers. Volunteers see the
wishes of their own team's county, residents their own, staff those of their scope.
"""

from __future__ import annotations

import re
from datetime import timedelta
from uuid import uuid4

from aiohttp import web

from gateway.activities import county_of_volunteer
from gateway.errors import ApiError
from gateway.http import AREA_CODE, Call, answer, execute
from gateway.masking import mask_name
from gateway.personal import ERASED, Opened
from gateway.routes import COMMAND_ERRORS, _limit, _result, ranked_cursor, route
from schemas import api_wishes as api
from schemas import wishes as w
from schemas.base import Command
from schemas.common import Role, county_of, within
from schemas.residents import ResidentProfile
from schemas.views import AreaView
from schemas.wishes import WISH_STATUSES, WishView

READERS = (Role.RESIDENT, Role.VOLUNTEER, Role.STAFF)
POSTERS = (Role.RESIDENT, Role.STAFF)
VOLUNTEER = (Role.VOLUNTEER,)
WISH_SCAN_MAX = 2000
"""Wishes one filtered list reads at most: a page may come back short, with a cursor."""
CURSOR = re.compile(r"([0-9]{1,12}(?:\.[0-9]{1,6})?)~([A-Za-z0-9][A-Za-z0-9_.:-]{0,63})")
TAG = "wishes"


async def _wish(call: Call) -> WishView:
    """The wish of the path, if this caller may see it: staff within their scope, volunteers
    in their own county, a resident their own; to anyone else it does not exist."""
    wish = await call.views.wish(call.match("wish_id"))
    if wish is None:
        raise ApiError(404, "not_found", "no such wish")
    who = call.who
    if who.role is Role.STAFF:
        call.visible(wish.area, "wish")
    elif who.role is Role.VOLUNTEER:
        if wish.county != await county_of_volunteer(call):
            raise ApiError(404, "not_found", "no such wish")
    elif wish.resident_id != who.subject:
        raise ApiError(404, "not_found", "no such wish")
    return wish


async def _outs(call: Call, wishes: list[WishView]) -> list[api.WishOut]:
    """Wishes as this caller may see them: the residents' keys and profiles read once for
    the page, one look-up per area named."""
    residents = sorted({x.resident_id for x in wishes})
    opened = await call.sealer.opened(residents)
    profiles = {r: await call.views.resident(r) for r in residents}
    areas = {a: await call.views.area(a) for a in sorted({x.area for x in wishes})}
    window = timedelta(seconds=call.config.wish_claim_window_s)
    return [_out(call, x, opened, profiles[x.resident_id], areas[x.area], window)
            for x in wishes]


def _out(call: Call, wish: WishView, opened: Opened, profile: ResidentProfile | None,
         area: AreaView | None, window: timedelta) -> api.WishOut:
    who = call.who
    full = who.role is Role.STAFF or (who.role is Role.RESIDENT
                                      and who.subject == wish.resident_id)
    person = wish.resident_id
    name = ("" if profile is None else ERASED if profile.erased
            else opened.open(person, "name", profile.name))
    if not full and name and name != ERASED:
        name = mask_name(name)
    return api.WishOut(
        wish_id=wish.wish_id, status=wish.status, area=wish.area,
        area_name=None if area is None else area.name,
        title=opened.open(person, "title", wish.title) or "",
        details=opened.open(person, "details", wish.details) or "",
        resident_id=person if full else None, resident_name=name or "",
        claimer=wish.claimer if full else None,
        mine=who.role is Role.VOLUNTEER and wish.claimer == who.subject,
        claimed_at=wish.claimed_at,
        lapses_at=(wish.claimed_at + window if wish.status == "claimed" and wish.claimed_at
                   else None),
        note=opened.open(person, "note", wish.note) or "", hours=wish.hours, done_at=wish.done_at,
        fulfilled_at=wish.fulfilled_at, withdrawn_at=wish.withdrawn_at,
        created_at=wish.created_at)


async def _answer_wish(call: Call, wish_id: str, status: int = 200) -> web.StreamResponse:
    wish = await call.views.wish(wish_id)
    assert wish is not None
    [out] = await _outs(call, [wish])
    return answer(out, status)


async def _poster_profile(call: Call, body: api.WishIn) -> ResidentProfile:
    """The resident a wish is for, checked as the DESIGN's order of checks has it: staff's
    area first (403 out_of_scope, 422 unknown_area), then the resident."""
    who = call.who
    if who.role is Role.STAFF:
        await call.registers_in(body.area)
        if body.resident_id is None:
            raise ApiError(422, "invalid", "staff post a wish for a resident: name them",
                           [{"field": "resident_id", "message": "required for staff"}])
        profile = await call.views.resident(body.resident_id)
        if profile is None or profile.erased or not call.sees(profile.area):
            raise ApiError(422, "unknown_resident", f"no resident {body.resident_id}",
                           {"field": "resident_id"})
        if profile.county != county_of(body.area):
            raise ApiError(422, "area_outside_county", "a wish is posted in the resident's "
                           "county", {"field": "area"})
        return profile
    if body.resident_id not in (None, who.subject):
        raise ApiError(403, "not_yourself", "a resident posts wishes for themself")
    profile = await call.views.resident(who.subject)
    if profile is None or profile.erased:
        raise ApiError(404, "resident_not_found", "no resident profile for this token")
    if county_of(body.area) != profile.county:
        raise ApiError(403, "out_of_scope", "a resident posts wishes in their own county",
                       {"area": body.area, "county": profile.county})
    if await call.views.area(body.area) is None:
        raise ApiError(422, "unknown_area", f"no area {body.area}", {"field": "area"})
    return profile


@route("POST", "/api/v1/wishes", "Post a micro-wish (微心愿): a resident for themself in an "
       "area of their own county (403 out_of_scope elsewhere; 404 resident_not_found "
       "without a profile), staff for a resident of their scope (`resident_id`, 422 "
       "unknown_resident) in an area of their scope (403 out_of_scope) and of the "
       "resident's county (422 area_outside_county). The area must be registered (422 "
       "unknown_area). The platform names the wish (`W<county>-<16 hex>`); its title and "
       "details are sealed under the resident's key, so erasing the resident erases them. "
       "Answers 201 with the wish, status open",
       roles=POSTERS, body=api.WishIn, answer=api.WishOut, status=201,
       errors=COMMAND_ERRORS, tag=TAG)
async def post_wish(call: Call) -> web.StreamResponse:
    body: api.WishIn = call.body
    profile = await _poster_profile(call, body)
    county = county_of(body.area)

    async def build() -> Command:
        sealed = await call.sealer.seal(profile.resident_id, {"title": body.title,
                                                              "details": body.details})
        return w.PostWish(**call.envelope(), county=county,
                          wish_id=f"W{county}-{uuid4().hex[:16]}", area=body.area,
                          resident_id=profile.resident_id, title=sealed["title"] or "",
                          details=sealed["details"] or "")

    out = _result(await execute(call, build))
    if isinstance(out, web.Response):
        return out
    response = await _answer_wish(call, str(out["wish_id"]), 201)
    response.headers["Location"] = f"/api/v1/wishes/{out['wish_id']}"
    return response


async def _listed(call: Call) -> tuple[str | None, str | None]:
    """The area a list reads (None: everywhere) and, for a resident, their county (their
    own wishes are read from it)."""
    who = call.who
    if who.role is Role.STAFF:
        return call.listed_area(), None
    raw = call.request.query.get("area")
    if raw is not None and not AREA_CODE.fullmatch(raw):
        raise ApiError(400, "bad_area", "area must be an area code")
    if who.role is Role.RESIDENT:
        profile = await call.views.resident(who.subject)
        return raw, None if profile is None else profile.county
    own = await county_of_volunteer(call)
    if raw is not None and county_of(raw) != own:
        raise ApiError(403, "out_of_scope", "volunteers see their own county's wishes",
                       {"area": raw, "county": own})
    return raw or own, None


@route("GET", "/api/v1/wishes", "Micro-wishes, the newest first: staff's in their scope "
       "(`area` narrows it, 403 out_of_scope outside), a volunteer's in their team's county "
       "(another county's area is 403 out_of_scope) with the residents' names masked, a "
       "resident's own (none without a profile). `status` keeps one status (open, claimed, "
       "done, fulfilled, withdrawn; 400 bad_status otherwise); `mine=true` (volunteers) "
       "those they hold or fulfilled. A filtered page reads at most 2000 wishes and may come "
       "back short with a `next_cursor`",
       roles=READERS, answer=api.WishListOut, errors=(400, 401, 403, 404), tag=TAG,
       query=(("area", "an area code"), ("status", "one of the wish statuses"),
              ("mine", "true: the calling volunteer's claims"), ("limit", "1-200"),
              ("cursor", "from the previous page's next_cursor")))
async def list_wishes(call: Call) -> web.StreamResponse:
    query = call.request.query
    limit = _limit(call)
    status = query.get("status")
    if status is not None and status not in WISH_STATUSES:
        raise ApiError(400, "bad_status", f"status must be one of {', '.join(WISH_STATUSES)}")
    mine = query.get("mine") == "true" and call.who.role is Role.VOLUNTEER
    area, resident_county = await _listed(call)
    if call.who.role is Role.RESIDENT and resident_county is None:
        return answer(api.WishListOut(wishes=[]))
    after = ranked_cursor(query.get("cursor"), CURSOR)
    found: list[WishView] = []
    scanned, more = 0, True
    while more and len(found) < limit and scanned < WISH_SCAN_MAX:
        if resident_county is not None:
            page = await call.views.wishes_of(call.who.subject, resident_county, limit, after)
        elif mine:
            assert area is not None
            page = await call.views.claims_of(call.who.subject, county_of(area), limit, after)
        else:
            page = await call.views.wishes(area, limit, after)
        more = len(page) == limit
        scanned += len(page)
        for wish in page:
            after = (wish.created_at.timestamp(), wish.wish_id)
            if status in (None, wish.status) and (area is None or within(wish.area, area)):
                found.append(wish)
                if len(found) == limit:
                    break
    return answer(api.WishListOut(
        wishes=await _outs(call, found),
        next_cursor=f"{after[0]:.6f}~{after[1]}" if more and after else None))


@route("GET", "/api/v1/wishes/{wish_id}", "One micro-wish: staff's in their scope, a "
       "volunteer's of their county (the resident's name masked), a resident's own; "
       "anything else is 404 not_found. `lapses_at` says when a claim is released by itself "
       "(VD_WISH_CLAIM_WINDOW_S, 1209600, after the claim) unless marked done",
       roles=READERS, answer=api.WishOut, errors=(401, 403, 404), tag=TAG)
async def get_wish(call: Call) -> web.StreamResponse:
    wish = await _wish(call)
    [out] = await _outs(call, [wish])
    return answer(out)


async def _act(call: Call, command: type[w.WishCommand], wish: WishView | None = None,
               **fields: object) -> web.StreamResponse:
    wish = wish or await _wish(call)
    out = _result(await execute(call, command(
        **call.envelope(), county=wish.county, wish_id=wish.wish_id, **fields)))
    if isinstance(out, web.Response):
        return out
    return await _answer_wish(call, wish.wish_id)


@route("POST", "/api/v1/wishes/{wish_id}/claim", "Claim an open wish (a volunteer of its "
       "county): one claimer at a time (409 already_claimed), at most VD_WISH_CLAIMS_MAX (3) "
       "open claims per volunteer (409 claim_limit; a wish marked done no longer counts); "
       "a fulfilled or withdrawn wish is 409 not_open. A claim not marked done within "
       "VD_WISH_CLAIM_WINDOW_S (14 days) is released by itself and may be claimed again",
       roles=VOLUNTEER, answer=api.WishOut, errors=COMMAND_ERRORS, tag=TAG)
async def claim_wish(call: Call) -> web.StreamResponse:
    return await _act(call, w.ClaimWish, volunteer_id=call.who.subject)


@route("POST", "/api/v1/wishes/{wish_id}/release", "Give a claim back (the claimer): the "
       "wish is open again; 409 not_claimed unless it is claimed (a wish marked done is "
       "not released), 403 not_claimer for another volunteer",
       roles=VOLUNTEER, answer=api.WishOut, errors=COMMAND_ERRORS, tag=TAG)
async def release_wish(call: Call) -> web.StreamResponse:
    return await _act(call, w.ReleaseClaim, volunteer_id=call.who.subject)


@route("POST", "/api/v1/wishes/{wish_id}/fulfil", "Mark the wish done (the claimer, 403 "
       "not_claimer otherwise; 409 not_claimed unless claimed) with a note and, if the "
       "service took time, its `hours` (at most 24): it then awaits the resident's or "
       "staff's confirmation; nothing is credited before. The note is sealed under the "
       "resident's key, as the wish's title and details are",
       roles=VOLUNTEER, body=api.FulfilIn, answer=api.WishOut, errors=COMMAND_ERRORS,
       tag=TAG)
async def fulfil_wish(call: Call) -> web.StreamResponse:
    body: api.FulfilIn = call.body
    wish = await _wish(call)
    sealed = await call.sealer.seal(wish.resident_id, {"note": body.note})
    return await _act(call, w.FulfilWish, wish, volunteer_id=call.who.subject,
                      note=sealed["note"] or "", hours=body.hours)


@route("POST", "/api/v1/wishes/{wish_id}/confirm", "Confirm a wish done (its resident, or "
       "staff in scope): it is fulfilled, and the claimer's hours, if any, are credited as "
       "verified service hours (a `wish` entry of their record, one per volunteer and wish, "
       "named 微心愿: the wish's own title is the resident's); 409 not_done unless marked "
       "done",
       roles=POSTERS, answer=api.WishOut, errors=COMMAND_ERRORS, tag=TAG)
async def confirm_wish(call: Call) -> web.StreamResponse:
    return await _act(call, w.ConfirmWish)


@route("POST", "/api/v1/wishes/{wish_id}/withdraw", "Withdraw a wish (its resident, or "
       "staff in scope) while it is open or claimed (a claim ends with it); once marked "
       "done it is 409 not_open: the service was given, and only a confirmation ends it",
       roles=POSTERS, answer=api.WishOut, errors=COMMAND_ERRORS, tag=TAG)
async def withdraw_wish(call: Call) -> web.StreamResponse:
    return await _act(call, w.WithdrawWish)
