"""Activities (DESIGN §10): staff and leaders publish them, volunteers sign up, check in and
out at the venue with the organiser's rotating code, and closing credits the hours.

The code is checked here, where the platform's secret is: each activity's secret is derived
from it (an HMAC of the activity's id), so no secret enters the log or the store, and the
owner receives only check-ins whose code was good. Organisers are the activity's creator,
staff whose scope holds its area, and the leader (or a deputy) of its team.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from urllib.parse import quote

import segno
from aiohttp import web

from activities.rules import CODE_PERIOD_S, code_accepted, code_at, minute_of
from gateway.errors import ApiError
from gateway.http import AREA_CODE, Call, answer, execute
from gateway.routes import (
    ANYONE_SIGNED_IN,
    COMMAND_ERRORS,
    _limit,
    _result,
    moment,
    ranked_cursor,
    route,
)
from schemas import activities as act
from schemas import api_activities as api
from schemas.activities import ActivityView
from schemas.base import Command
from schemas.common import Role, county_of, within

ORGANISERS = (Role.LEADER, Role.STAFF)
VOLUNTEER = (Role.VOLUNTEER,)
ACTIVITY_SCAN_MAX = 2000
"""Activities one filtered list reads at most: a page may come back short, with a cursor."""
CURSOR = re.compile(r"([0-9]{1,12}(?:\.[0-9]{1,6})?)~([A-Za-z0-9][A-Za-z0-9_.:-]{0,63})")
STATUSES = ("open", "closed")


def code_secret(secret: str, activity_id: str) -> bytes:
    """The activity's own secret: derived, never stored."""
    return hmac.new(secret.encode(), f"activity-code|{activity_id}".encode(),
                    hashlib.sha256).digest()


async def county_of_volunteer(call: Call) -> str:
    """The county of the calling volunteer's team: where their activities are."""
    volunteer = await call.views.volunteer(call.who.subject)
    team = None if volunteer is None else await call.views.team(volunteer.team_id)
    if team is None:
        raise ApiError(404, "volunteer_not_found", "no volunteer registered for this token")
    return team.county


async def _activity(call: Call) -> ActivityView:
    """The activity of the path, if this caller may see it: staff within their scope,
    volunteers in their own county; to anyone else it does not exist."""
    activity = await call.views.activity(call.match("activity_id"))
    if activity is None:
        raise ApiError(404, "not_found", "no such activity")
    if call.who.role is Role.STAFF:
        call.visible(activity.area, "activity")
    elif call.who.role is Role.VOLUNTEER and activity.county != await county_of_volunteer(call):
        raise ApiError(404, "not_found", "no such activity")
    return activity


async def organises(call: Call, activity: ActivityView) -> bool:
    return await (await _organiser_test(call))(activity)


async def _organiser_test(call: Call) -> Callable[[ActivityView], Awaitable[bool]]:
    """Whether the caller organises an activity: staff whose scope holds its area, its
    creator, the leader (or a deputy) of its team. A leader's team is looked up once for a
    whole list."""
    who = call.who
    team = await call.views.team_of_leader(who.subject) if who.role is Role.LEADER else None

    async def test(activity: ActivityView) -> bool:
        if who.role is Role.STAFF:
            return call.sees(activity.area)
        if who.role is not Role.LEADER:
            return False
        creator = activity.created_by
        return (creator.role, creator.subject) == (who.role, who.subject) or (
            team is not None and activity.team_id == team.team_id)

    return test


async def _organised(call: Call) -> ActivityView:
    activity = await _activity(call)
    if not await organises(call, activity):
        raise ApiError(403, "not_organiser", "only the activity's organisers may do this")
    return activity


def _out(activity: ActivityView, area_name: str | None, *, volunteer_id: str | None = None,
         organising: bool = False, listed: bool = False) -> api.ActivityOut:
    """An activity as this caller sees it; the sign-ups are for organisers reading one."""
    def signup(volunteer: str) -> api.SignUpOut | None:
        status = activity.status_of(volunteer)
        if status is None:
            return None
        attended = activity.attended(volunteer)
        return api.SignUpOut(
            volunteer_id=volunteer, status=status,
            checked_in_at=None if attended is None else attended.checked_in_at,
            checked_out_at=None if attended is None else attended.checked_out_at)

    everyone = (*activity.confirmed, *activity.waiting, *activity.pending)
    return api.ActivityOut(
        activity_id=activity.activity_id, title=activity.title,
        service_type=activity.service_type, area=activity.area, area_name=area_name,
        starts_at=activity.starts_at, ends_at=activity.ends_at, slots=activity.slots,
        team_id=activity.team_id, approval=activity.approval, organiser=activity.organiser,
        status=activity.status, confirmed=len(activity.confirmed),
        waiting=len(activity.waiting), pending=len(activity.pending),
        checked_in=len(activity.attendance),
        mine=None if volunteer_id is None else signup(volunteer_id), organising=organising,
        signups=[s for s in map(signup, everyone) if s is not None]
        if organising and not listed else None,
        closed_at=activity.closed_at, closed_automatically=activity.closed_automatically)


async def _area_names(call: Call, activities: list[ActivityView]) -> dict[str, str]:
    """The names of a page's areas: one look-up each (a county has thousands of areas)."""
    found = [await call.views.area(code) for code in sorted({a.area for a in activities})]
    return {area.code: area.name for area in found if area is not None}


def _envelope(call: Call, activity: ActivityView) -> dict[str, object]:
    return {**call.envelope(), "county": activity.county, "activity_id": activity.activity_id}


@route("POST", "/api/v1/activities", "Publish an activity (志愿服务活动): staff in an area of "
       "their scope (403 out_of_scope), naming a team based in it and in the activity's "
       "county if any (422 unknown_team); a leader for their own team (403 not_your_team for "
       "another), in an area the team covers (403 out_of_scope). The area must be registered "
       "(422 unknown_area); the activity ends after its start, at most 24 hours later, and "
       "is published before its end (422 ends_in_past); an id already used is 409 "
       "activity_exists. The record names the team as organiser, or the office (its scope's "
       "area name)",
       roles=ORGANISERS, body=api.ActivityIn, answer=api.ActivityOut, status=201,
       errors=COMMAND_ERRORS, tag="activities")
async def publish_activity(call: Call) -> web.StreamResponse:
    body: api.ActivityIn = call.body
    who = call.who
    team = None
    if who.role is Role.STAFF:
        await call.registers_in(body.area)
        if body.team_id is not None:
            team = await call.views.team(body.team_id)
            if (team is None or not call.sees(team.areas[0])
                    or team.county != county_of(body.area)):
                raise ApiError(422, "unknown_team", f"no team {body.team_id}",
                               {"field": "team_id"})
    else:
        team = await call.views.team_of_leader(who.subject)
        if team is None or body.team_id not in (None, team.team_id):
            raise ApiError(403, "not_your_team", "a leader publishes for their own team")
        if not any(within(body.area, a) for a in team.areas):
            raise ApiError(403, "out_of_scope", "the area is outside the team's areas",
                           {"area": body.area, "areas": list(team.areas)})
        if await call.views.area(body.area) is None:
            raise ApiError(422, "unknown_area", f"no area {body.area}", {"field": "area"})
    if team is not None:
        organiser = team.name
    else:
        office = await call.views.area(who.scope or county_of(body.area))
        organiser = office.name if office is not None else county_of(body.area)

    async def build() -> Command:
        if await call.views.activity(body.activity_id) is not None:
            raise ApiError(409, "activity_exists", f"activity {body.activity_id} exists")
        return act.PublishActivity(
            **call.envelope(), county=county_of(body.area),
            **body.model_dump(exclude={"team_id"}),
            team_id=None if team is None else team.team_id, organiser=organiser)

    out = _result(await execute(call, build))
    if isinstance(out, web.Response):
        return out
    activity = await call.views.activity(body.activity_id)
    assert activity is not None
    area = await call.views.area(activity.area)
    return answer(_out(activity, area.name if area else None, organising=True), 201)


async def _listed_county(call: Call) -> tuple[str | None, str | None]:
    """The area a list reads and the caller's own county (volunteers: their team's)."""
    who = call.who
    if who.role is Role.STAFF:
        return call.listed_area(), None
    raw = call.request.query.get("area")
    if raw is not None and not AREA_CODE.fullmatch(raw):
        raise ApiError(400, "bad_area", "area must be an area code")
    own: str | None = None
    if who.role is Role.VOLUNTEER:
        own = await county_of_volunteer(call)
    elif who.role is Role.LEADER:
        team = await call.views.team_of_leader(who.subject)
        own = None if team is None else team.county
    elif who.role is Role.RESIDENT:
        profile = await call.views.resident(who.subject)
        own = None if profile is None or profile.erased else profile.county
    elif who.scope is not None:
        own = county_of(who.scope)
    if who.role is Role.VOLUNTEER and raw is not None and county_of(raw) != own:
        raise ApiError(403, "out_of_scope", "volunteers see their own county's activities",
                       {"area": raw, "county": own})
    area = raw or own
    if area is None:
        raise ApiError(400, "area_required", "name the area to list the activities of")
    return area, own


@route("GET", "/api/v1/activities", "Activities, the latest start first: staff's in their "
       "scope (`area` narrows it, 403 out_of_scope outside), a volunteer's in their team's "
       "county (another county's area is 403 out_of_scope), a leader's in their team's "
       "county, a resident's in their own, others' of the `area` they name (400 "
       "area_required without one). `from`/`to` keep those overlapping the interval, "
       "`status` open or closed, `mine=true` (volunteers) those they signed up for. A "
       "filtered page reads at most 2000 activities and may come back short with a "
       "`next_cursor`",
       roles=ANYONE_SIGNED_IN, answer=api.ActivityListOut, errors=(400, 401, 403, 404),
       tag="activities",
       query=(("area", "an area code"), ("from", "ISO date and time with offset"),
              ("to", "ISO date and time with offset"), ("status", "open or closed"),
              ("mine", "true: the calling volunteer's sign-ups"), ("limit", "1-200"),
              ("cursor", "from the previous page's next_cursor")))
async def list_activities(call: Call) -> web.StreamResponse:
    query = call.request.query
    limit = _limit(call)
    status = query.get("status")
    if status is not None and status not in STATUSES:
        raise ApiError(400, "bad_status", "status must be open or closed")
    since, until = moment(query.get("from"), "from"), moment(query.get("to"), "to")
    mine = query.get("mine") == "true" and call.who.role is Role.VOLUNTEER
    area, own = await _listed_county(call)
    after = ranked_cursor(query.get("cursor"), CURSOR)
    found: list[ActivityView] = []
    scanned, more = 0, True
    while more and len(found) < limit and scanned < ACTIVITY_SCAN_MAX:
        if mine:
            assert own is not None
            page = await call.views.activities_of(call.who.subject, own, limit, after)
        else:
            page = await call.views.activities(area, limit, after)
        more = len(page) == limit
        scanned += len(page)
        for activity in page:
            after = (activity.starts_at.timestamp(), activity.activity_id)
            if (status in (None, activity.status)
                    and (since is None or activity.ends_at >= since)
                    and (until is None or activity.starts_at <= until)
                    and (not mine or within(activity.area, area))):
                found.append(activity)
                if len(found) == limit:
                    break
    names = await _area_names(call, found)
    volunteer_id = call.who.subject if call.who.role is Role.VOLUNTEER else None
    organising = await _organiser_test(call)
    return answer(api.ActivityListOut(
        activities=[_out(a, names.get(a.area), volunteer_id=volunteer_id,
                         organising=await organising(a), listed=True) for a in found],
        next_cursor=f"{after[0]:.6f}~{after[1]}" if more and after else None))


@route("GET", "/api/v1/activities/{activity_id}", "One activity: to its organisers with "
       "every sign-up, check-in and check-out (`signups`); to a volunteer with their own "
       "(`mine`) and the counts. Staff see those in their scope, volunteers those of their "
       "county: anything else is 404 not_found",
       roles=ANYONE_SIGNED_IN, answer=api.ActivityOut, errors=(401, 403, 404),
       tag="activities")
async def get_activity(call: Call) -> web.StreamResponse:
    activity = await _activity(call)
    area = await call.views.area(activity.area)
    volunteer_id = call.who.subject if call.who.role is Role.VOLUNTEER else None
    return answer(_out(activity, area.name if area else None, volunteer_id=volunteer_id,
                       organising=await organises(call, activity)))


def _sign_up_answer(out: dict[str, object]) -> api.SignUpAnswer:
    return api.SignUpAnswer.model_validate(out)


@route("POST", "/api/v1/activities/{activity_id}/signups", "Sign up (the caller, a "
       "volunteer of the activity's county): `confirmed` while slots are free, then "
       "`waiting`; `pending` for an activity with approval. The waiting list (with the "
       "approval queue) holds at most as many as the slots: beyond, 409 full. Sign-up is "
       "open until the end (409 signup_closed); a second sign-up is 409 already_signed_up",
       roles=VOLUNTEER, answer=api.SignUpAnswer, status=201, errors=COMMAND_ERRORS,
       tag="activities")
async def sign_up_for_activity(call: Call) -> web.StreamResponse:
    activity = await _activity(call)
    out = _result(await execute(call, act.SignUp(**_envelope(call, activity),
                                                 volunteer_id=call.who.subject)))
    if isinstance(out, web.Response):
        return out
    return answer(_sign_up_answer(out), 201)


@route("DELETE", "/api/v1/activities/{activity_id}/signups", "Cancel the caller's sign-up; "
       "a confirmed place freed goes to the first waiting (`promoted`). 404 not_signed_up "
       "without one; 409 checked_in once checked in (check out instead)",
       roles=VOLUNTEER, answer=api.SignUpAnswer, errors=COMMAND_ERRORS, tag="activities")
async def cancel_activity_sign_up(call: Call) -> web.StreamResponse:
    activity = await _activity(call)
    out = _result(await execute(call, act.CancelSignUp(**_envelope(call, activity),
                                                       volunteer_id=call.who.subject)))
    if isinstance(out, web.Response):
        return out
    return answer(_sign_up_answer(out))


@route("POST", "/api/v1/activities/{activity_id}/signups/{volunteer_id}/approve",
       "Approve a pending sign-up (organisers): confirmed while slots are free, else "
       "waiting; 409 not_pending for a volunteer with no sign-up awaiting approval",
       roles=ORGANISERS, answer=api.SignUpAnswer, errors=COMMAND_ERRORS, tag="activities")
async def approve_activity_sign_up(call: Call) -> web.StreamResponse:
    activity = await _organised(call)
    out = _result(await execute(call, act.ApproveSignUp(
        **_envelope(call, activity), volunteer_id=call.match("volunteer_id"))))
    if isinstance(out, web.Response):
        return out
    return answer(_sign_up_answer(out))


def _code_out(call: Call, activity: ActivityView) -> api.CodeOut:
    now = call.config.clock()
    minute = minute_of(now)
    code = code_at(code_secret(call.config.secret, activity.activity_id), minute)
    rotates_at = datetime.fromtimestamp((minute + 1) * CODE_PERIOD_S, now.tzinfo)
    url = f"{call.public_base}/volunteer#activity={quote(activity.activity_id)}&code={code}"
    return api.CodeOut(code=code, rotates_at=rotates_at, check_in_url=url,
                       valid_until=rotates_at + timedelta(seconds=CODE_PERIOD_S))


@route("GET", "/api/v1/activities/{activity_id}/code", "The check-in code to show at the "
       "venue (organisers): six digits, an HMAC of the activity's own secret and the minute; "
       "it changes every minute and the current and the previous minute's are accepted",
       roles=ORGANISERS, answer=api.CodeOut, errors=(401, 403, 404), tag="activities")
async def get_activity_code(call: Call) -> web.StreamResponse:
    return answer(_code_out(call, await _organised(call)))


@route("GET", "/api/v1/activities/{activity_id}/code.svg", "The check-in code as a QR code "
       "(image/svg+xml, organisers): it holds `check_in_url`, the volunteer page with the "
       "activity and the code filled in, so a phone's camera opens the check-in; fetch it "
       "again every minute", roles=ORGANISERS, errors=(401, 403, 404), tag="activities",
       content_type="image/svg+xml")
async def get_activity_code_svg(call: Call) -> web.StreamResponse:
    code = _code_out(call, await _organised(call))
    image = io.BytesIO()
    segno.make(code.check_in_url, error="m").save(image, kind="svg", scale=6, border=2)
    return web.Response(body=image.getvalue(), content_type="image/svg+xml",
                        headers={"Cache-Control": "no-store"})


async def _attend(call: Call, kind: type[act.CheckIn] | type[act.CheckOut]
                  ) -> web.StreamResponse:
    activity = await _activity(call)
    body: api.CodeIn = call.body
    if not code_accepted(code_secret(call.config.secret, activity.activity_id), body.code,
                         call.config.clock()):
        raise ApiError(422, "bad_code", "this is not the activity's current code",
                       {"field": "code"})
    out = _result(await execute(call, kind(**_envelope(call, activity),
                                           volunteer_id=call.who.subject)))
    if isinstance(out, web.Response):
        return out
    return answer(api.AttendanceOut.model_validate({**out, "activity_id": activity.activity_id}))


@route("POST", "/api/v1/activities/{activity_id}/check-in", "Check in with the code shown "
       "at the venue (422 bad_code), from 30 minutes before the start until the end (409 "
       "check_in_closed), for a confirmed sign-up only (422 not_signed_up); a repeat answers "
       "the first check-in and changes nothing",
       roles=VOLUNTEER, body=api.CodeIn, answer=api.AttendanceOut, errors=COMMAND_ERRORS,
       tag="activities")
async def check_in_at_activity(call: Call) -> web.StreamResponse:
    return await _attend(call, act.CheckIn)


@route("POST", "/api/v1/activities/{activity_id}/check-out", "Check out with the code (422 "
       "bad_code), after a check-in (422 not_checked_in), until the activity is closed (409 "
       "closed); a check-out more than VD_ACTIVITY_LATE_CHECKOUT_GRACE_S (1800) after the "
       "end is flagged late_checkout at the close; a repeat answers the first check-out",
       roles=VOLUNTEER, body=api.CodeIn, answer=api.AttendanceOut, errors=COMMAND_ERRORS,
       tag="activities")
async def check_out_of_activity(call: Call) -> web.StreamResponse:
    return await _attend(call, act.CheckOut)


@route("POST", "/api/v1/activities/{activity_id}/close", "Close the activity (organisers), "
       "after its start (409 not_started), once (409 already_closed); it also closes by "
       "itself VD_ACTIVITY_AUTOCLOSE_S (7200) after its end. Each checked-in volunteer gets "
       "check-out minus check-in, clipped to the activity, rounded down to VD_HOURS_STEP "
       "(0.5 h); below VD_ACTIVITY_MIN_SHARE (0.6) of the scheduled length nothing "
       "(`uncredited`). A missing check-out counts to the end; it and a late check-out are "
       "`flagged` and their hours held by the ledger for the office; the others `credited`",
       roles=ORGANISERS, answer=api.CloseOut, errors=COMMAND_ERRORS, tag="activities")
async def close_activity(call: Call) -> web.StreamResponse:
    activity = await _organised(call)
    out = _result(await execute(call, act.CloseActivity(**_envelope(call, activity))))
    if isinstance(out, web.Response):
        return out
    return answer(api.CloseOut.model_validate(out))
