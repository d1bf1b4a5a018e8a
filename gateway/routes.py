"""The HTTP contract's routes (DESIGN §5). Each validates, authorizes, and hands a command to
the owner of the state it changes, or reads a derived view."""

from __future__ import annotations

import base64
import hmac
import json
import math
import re
import secrets
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from importlib import resources
from typing import Any
from uuid import UUID

from aiohttp import web
from pydantic import BaseModel

from consumers.ledger.rules import quarter_of, star_level
from gateway.accounts import grant_to_phone
from gateway.auth import SCOPE, SUBJECT
from gateway.errors import ApiError
from gateway.http import (
    HEALTH,
    OPENAPI,
    Call,
    Handler,
    Route,
    answer,
    execute,
    optional_principal,
)
from gateway.masking import mask_address, mask_name, mask_phone
from gateway.metrics import METRICS
from gateway.personal import ERASED, Opened
from gateway.ports import FAILED_SENDS, Unavailable
from gateway.stream import live_stream
from residents.rules import profile_tier
from schemas import api
from schemas import commands as cmd
from schemas.accounts import Grant
from schemas.base import Command, CommandOutcome
from schemas.common import Channel, RequestStatus, Role, area_level, county_of, within
from schemas.views import AccountView, HistoryItem, RequestView, TeamView, VolunteerView

HEALTH_RETRY_AFTER_S = 5
ASCII_NUMBER = re.compile(r"[0-9]{1,9}")
ROUTES: list[Route] = []
"""The contract's route table; it builds the router and the OpenAPI document."""


def route(method: str, path: str, summary: str, *, roles: Sequence[str] | None,
          body: type[BaseModel] | None = None, answer: type[BaseModel] | None = None,
          status: int = 200, errors: Sequence[int] = (), tag: str = "platform",
          query: Sequence[tuple[str, str]] = (),
          content_type: str = "application/json") -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        ROUTES.append(Route(method, path, handler, summary,
                            None if roles is None else frozenset(roles), body, answer, status,
                            tuple(errors), tag, tuple(query), content_type))
        return handler
    return register


STAFF = (Role.STAFF,)
RESIDENT = (Role.RESIDENT,)
LEADER = (Role.LEADER,)
KIOSK = (Role.KIOSK,)
ANYONE_SIGNED_IN = tuple(r.value for r in (Role.RESIDENT, Role.LEADER, Role.VOLUNTEER,
                                            Role.STAFF, Role.KIOSK))
COMMAND_ERRORS = (400, 401, 403, 404, 409, 413, 422, 503)
IN_SCOPE = ("; staff of a scope see only what lies in it: anything else is 404 not_found, "
            "as if it did not exist")
CREATES_IN_SCOPE = ("; staff of a scope name only areas within it (403 out_of_scope, before "
                    "the area is looked up)")


def _service_types() -> list[dict[str, str]]:
    data = resources.files("schemas").joinpath("data/service_types.json").read_text("utf-8")
    loaded: list[dict[str, str]] = json.loads(data)
    return loaded


SERVICE_TYPES = _service_types()


def _result(outcome: CommandOutcome | web.Response) -> dict[str, Any] | web.Response:
    if isinstance(outcome, web.Response):
        return outcome
    return dict(outcome.result or {})


def _json(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(body, status=status,
                             dumps=lambda o: json.dumps(o, ensure_ascii=False, default=str))


def _limit(call: Call, default: int = 50) -> int:
    raw = call.request.query.get("limit", str(default))
    if not ASCII_NUMBER.fullmatch(raw) or not 1 <= int(raw) <= call.config.page_size_max:
        raise ApiError(400, "bad_limit", f"limit must be 1-{call.config.page_size_max}")
    return int(raw)


def ranked_cursor(raw: str | None, pattern: re.Pattern[str]) -> tuple[float, str] | None:
    """A list's `?cursor=` (score~member, as the list wrote it), checked against the
    list's own pattern."""
    if raw is None:
        return None
    found = pattern.fullmatch(raw)
    if found is None:
        raise ApiError(400, "bad_cursor", "the cursor is not one this platform gave")
    return float(found.group(1)), found.group(2)


def moment(raw: str | None, name: str) -> datetime | None:
    """A time in a query (`?since=`, `?from=`): ISO 8601 with its time zone."""
    if raw is None:
        return None
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError as e:
        raise ApiError(400, f"bad_{name}", f"{name} must be an ISO 8601 time") from e
    if parsed.tzinfo is None:
        raise ApiError(400, f"bad_{name}", f"{name} must carry its time zone")
    return parsed


# -- the directory -------------------------------------------------------------------------


@route("POST", "/api/v1/areas", "Register an area (parent: the longest registered prefix)"
       + CREATES_IN_SCOPE, roles=STAFF, body=api.AreaIn, answer=api.AreaOut, status=201,
       errors=COMMAND_ERRORS, tag="directory")
async def register_area(call: Call) -> web.StreamResponse:
    body: api.AreaIn = call.body
    call.creates_in(body.code)
    command = cmd.RegisterArea(**call.envelope(), **body.model_dump())
    out = _result(await execute(call, command))
    if isinstance(out, web.Response):
        return out
    return answer(api.AreaOut(code=body.code, name=body.name, parent=out.get("parent"),
                              level=area_level(body.code), lat=body.lat, lon=body.lon), 201)


@route("GET", "/api/v1/areas", "The area tree (every registered area, parents first): public, "
       "as the official division tree is, so a resident can pick theirs when signing up; "
       "staff of a scope who send their token get the areas within it (the scope's own "
       "area and below); a bad token is 401",
       roles=None, answer=api.AreaListOut, errors=(401,), tag="directory")
async def list_areas(call: Call) -> web.StreamResponse:
    who = optional_principal(call.request)
    areas = await call.views.areas(who.scope if who is not None else None)
    return answer(api.AreaListOut(areas=[
        api.AreaOut(code=a.code, name=a.name, parent=a.parent, level=area_level(a.code),
                    lat=a.lat, lon=a.lon)
        for a in areas
    ]))


@route("GET", "/api/v1/service-types", "Service types with names in zh-CN and English",
       roles=None, answer=api.ServiceTypeListOut, tag="directory")
async def list_service_types(call: Call) -> web.StreamResponse:
    return answer(api.ServiceTypeListOut.model_validate({"service_types": SERVICE_TYPES}))


def _team_out(team: TeamView) -> api.TeamOut:
    return api.TeamOut(
        team_id=team.team_id, name=team.name, leader_id=team.leader_id,
        service_types=list(team.service_types), areas=list(team.areas),
        capacity=team.capacity, load=team.load,
        rating=None if team.rating is None else round(team.rating, 2), completed=team.completed,
        deputies=list(team.deputies), active=team.active,
    )


@route("POST", "/api/v1/teams", "Register a volunteer team (all its areas in one county; the "
       "first is its base)" + CREATES_IN_SCOPE + ": every one of its areas",
       roles=STAFF, body=api.TeamIn, answer=api.TeamOut, status=201, errors=COMMAND_ERRORS,
       tag="directory")
async def register_team(call: Call) -> web.StreamResponse:
    body: api.TeamIn = call.body
    for area in body.areas:
        call.creates_in(area)

    async def build() -> Command:
        if await call.views.team(body.team_id) is not None:
            raise ApiError(409, "team_exists", f"team {body.team_id} is already registered")
        for person in (body.leader_id, *body.deputies):
            if await call.views.team_of_leader(person) is not None:
                raise ApiError(409, "leader_has_team", f"{person} already leads a team")
        return cmd.RegisterTeam(**call.envelope(),
                                **body.model_dump(exclude={"leader_phone", "leader_name"}))

    out = _result(await execute(call, build))
    if isinstance(out, web.Response):
        return out
    await grant_to_phone(call, body.leader_phone, body.leader_name or body.leader_id,
                         Grant(role=Role.LEADER, subject=body.leader_id))
    team = await call.views.team(body.team_id)
    assert team is not None
    return answer(_team_out(team), 201)


@route("GET", "/api/v1/teams", "Every team with its load and rating; staff of a scope get "
       "the teams based in it (a team's base is the first of its areas)", roles=STAFF,
       answer=api.TeamListOut, errors=(401, 403), tag="directory")
async def list_teams(call: Call) -> web.StreamResponse:
    teams = await call.views.teams(call.who.scope)
    return answer(api.TeamListOut(teams=[_team_out(t) for t in teams]))


def _unknown_team(team_id: str) -> ApiError:
    """The dispatcher's own answer for a team it does not know."""
    return ApiError(422, "unknown_team", f"no team {team_id}", {"field": "team_id"})


@route("POST", "/api/v1/volunteers", "Register a volunteer in a team; staff of a scope only "
       "in a team based in it (403 out_of_scope otherwise)", roles=STAFF,
       body=api.VolunteerIn, answer=api.VolunteerOut, status=201, errors=COMMAND_ERRORS,
       tag="directory")
async def register_volunteer(call: Call) -> web.StreamResponse:
    body: api.VolunteerIn = call.body

    async def build() -> Command:
        team = await call.views.team(body.team_id)
        if team is None:
            raise _unknown_team(body.team_id)
        call.creates_in(team.areas[0])
        if await call.views.volunteer(body.volunteer_id) is not None:
            raise ApiError(409, "volunteer_exists", f"volunteer {body.volunteer_id} exists")
        sealed = await call.sealer.seal(body.volunteer_id, {"phone": body.phone})
        return cmd.RegisterVolunteer(**call.envelope(), **(body.model_dump() | sealed),
                                     team_county=team.county)

    out = _result(await execute(call, build))
    if isinstance(out, web.Response):
        return out
    await grant_to_phone(call, body.phone, body.name,
                         Grant(role=Role.VOLUNTEER, subject=body.volunteer_id))
    return answer(api.VolunteerOut(**body.model_dump()), 201)


# -- requests ------------------------------------------------------------------------------


def _may_see_personal(call: Call, request: RequestView, team: TeamView | None) -> bool:
    who = call.who
    if who.role is Role.RESIDENT:
        return who.subject == request.resident_id
    return who.role is Role.LEADER and team is not None and team.acts_for(who.subject)


async def _requests_out(call: Call, requests: list[RequestView]) -> list[api.RequestOut]:
    """Requests as this caller may see them, each with its history and its personal fields
    opened (the histories and the residents' keys read in one go)."""
    histories = await call.views.histories(requests, call.config.page_size_max)
    opened = await call.sealer.opened(r.resident_id for r in requests)
    return [await _request_out(call, request, history, opened)
            for request, history in zip(requests, histories, strict=True)]


def _masked(value: str | None, mask: Callable[[str], str | None], full: bool) -> str | None:
    """A personal field as this caller may see it: whole, masked, or erased for everyone."""
    if full or not value or value == ERASED:
        return value
    return mask(value)


async def _request_out(call: Call, request: RequestView,
                       history: tuple[list[HistoryItem], int], opened: Opened
                       ) -> api.RequestOut:
    team = await call.views.team(request.team_id) if request.team_id else None
    full = _may_see_personal(call, request, team)
    area = await call.views.area(request.area)
    person = request.resident_id

    def field(name: str) -> str | None:
        return opened.open(person, name, getattr(request, name))

    return api.RequestOut(
        request_id=request.request_id, status=request.status, team_id=request.team_id,
        service_type=request.service_type, area=request.area,
        area_name=area.name if area else None, urgency=request.urgency,
        priority=request.priority, address=_masked(field("address"), mask_address, full) or "",
        details=field("details") or "",
        contact_name=_masked(field("contact_name"), mask_name, full) or "",
        contact_phone=_masked(field("contact_phone"), mask_phone, full),
        resident_id=request.resident_id if full or call.who.role is Role.STAFF else "",
        attempt=request.attempt, refusals=request.refusals, submitted_at=request.submitted_at,
        accept_by=request.accept_by, complete_by=request.complete_by,
        review_by=request.review_by,
        volunteers=list(request.volunteers), rating=request.rating, comment=request.comment,
        escalation_reason=request.escalation_reason, history=history[0],
        history_total=history[1], checks=list(request.checks),
        service_code=request.service_code if _may_see_service_code(call, request) else None,
        dispute_reason=request.dispute_reason if call.who.role is not Role.LEADER else None,
        plan_id=request.plan_id, proactive=request.plan_id is not None,
    )


def _may_see_service_code(call: Call, request: RequestView) -> bool:
    """The code proves the volunteers were at the resident's: its resident and staff in
    scope see it, the leader who checks in with it never does (DESIGN §10)."""
    who = call.who
    if who.role is Role.STAFF:
        return call.sees(request.area)
    return who.role is Role.RESIDENT and who.subject == request.resident_id


async def _visible_request(call: Call) -> RequestView:
    """The request named in the path, if this caller may see it (404 / 403 otherwise).

    To staff of a scope a request that does not exist and one outside the scope answer
    alike (404 not_found): the code must not tell them apart."""
    request_id = call.match("request_id")
    request = await call.views.request(request_id)
    who = call.who
    if request is None:
        if who.scope is not None:
            raise ApiError(404, "not_found", "no such request")
        raise ApiError(404, "request_not_found", f"no request {request_id}")
    if who.role is Role.STAFF:
        call.visible(request.area, "request")
        return request
    if who.role is Role.RESIDENT and who.subject == request.resident_id:
        return request
    if who.role is Role.LEADER and request.team_id is not None:
        team = await call.views.team(request.team_id)
        if team is not None and team.acts_for(who.subject):
            return request
    raise ApiError(403, "forbidden", "this request is not yours to see or change")


def _status(out: dict[str, Any]) -> web.Response:
    return answer(api.StatusOut(request_id=out["request_id"], status=out["status"],
                                team_id=out.get("team_id")))


@route("POST", "/api/v1/requests", "Order a service (点单); a resident may order at most "
       "VD_ORDERS_PER_HOUR_MAX (10) times an hour, then 429 with Retry-After. Staff order on "
       "a resident's behalf (代点单) with `resident_id` (a registered resident in their scope: "
       "422 `unknown_resident` otherwise) and `channel` (`phone`, `counter` or `visit`); the "
       "request is the resident's, its history names the staff member and the channel. "
       "The request's `priority` (1-3) is the resident's tier, derived from their profile's "
       "birth year and tags (DESIGN §11; no profile: 3), never sent by the client (422); "
       "a higher tier gets shorter windows, and when every team is busy a freed team takes "
       "waiting orders by tier, then by submission time (urgent first within a tier only)",
       roles=(Role.RESIDENT, Role.STAFF), body=api.RequestIn, answer=api.StatusOut,
       status=201, errors=(*COMMAND_ERRORS, 429), tag="requests")
async def submit_request(call: Call) -> web.StreamResponse:
    body: api.RequestIn = call.body
    envelope = call.envelope()
    request_id = f"{county_of(body.area)}-{envelope['command_id'].hex[:16]}"
    resident_id = call.who.subject
    if call.who.role is Role.STAFF:
        call.creates_in(body.area)
        if body.resident_id is None:
            raise ApiError(422, "invalid", "staff order for a resident: name them",
                           [{"field": "resident_id", "message": "required for staff"}])
        profile = await call.views.resident(body.resident_id)
        if profile is None or profile.erased or not call.sees(profile.area):
            raise ApiError(422, "unknown_resident", f"no resident {body.resident_id}",
                           {"field": "resident_id"})
        resident_id = body.resident_id
    elif body.resident_id not in (None, resident_id) or body.channel is not Channel.APP:
        raise ApiError(403, "forbidden", "only staff order on a resident's behalf")
    else:
        profile = await call.views.resident(resident_id)
    priority = profile_tier(profile, call.config.clock())

    async def build() -> Command:
        """A new order counts against the resident's hourly limit; a retry of an order
        already taken (the same Idempotency-Key) is answered before this and counts not.
        The resident's personal fields enter the command sealed under their key."""
        await call.limit("orders", resident_id, call.config.orders_per_hour_max, 3600)
        sealed = await call.sealer.seal(resident_id, {
            "address": body.address, "details": body.details,
            "contact_name": body.contact_name, "contact_phone": body.contact_phone})
        fields = body.model_dump() | sealed | {"resident_id": resident_id,
                                               "priority": priority}
        if call.who.role is Role.STAFF and body.channel is Channel.APP:
            fields["channel"] = Channel.PHONE
        return cmd.SubmitRequest(**envelope, request_id=request_id, **fields)

    out = _result(await execute(call, build))
    if isinstance(out, web.Response):
        return out
    response = _status(out)
    response.set_status(201)
    response.headers["Location"] = f"/api/v1/requests/{request_id}"
    return response


@route("GET", "/api/v1/requests", "Requests newest first, a page at a time (pass "
       "`next_cursor` back as `cursor`): a resident's own, or (staff) those of the caller's "
       "scope. `area` keeps the area and below; with a scope, the narrower of the two counts, "
       "and an area beside the scope answers an empty page (a filter is not an object: no "
       "404). A resident may name only themself as `resident_id` (403 otherwise)",
       roles=(Role.RESIDENT, Role.STAFF), answer=api.RequestListOut, errors=(400, 401, 403),
       tag="requests", query=(("status", "only this status"),
                              ("area", "only this area and below (6, 9, 12 or 15 digits)"),
                              ("resident_id", "only this resident's"), ("limit", "1-200"),
                              ("cursor", "from the previous page's next_cursor")))
async def list_requests(call: Call) -> web.StreamResponse:
    limit = _limit(call)
    query, who = call.request.query, call.who
    status, area = query.get("status"), query.get("area")
    resident_id = query.get("resident_id")
    if status is not None and status not in {s.value for s in RequestStatus}:
        raise ApiError(400, "bad_status", "unknown status")
    if area is not None and not SCOPE.fullmatch(area):
        raise ApiError(400, "bad_area", "area is a code of 6, 9, 12 or 15 digits")
    if resident_id is not None and not SUBJECT.fullmatch(resident_id):
        raise ApiError(400, "bad_resident_id", "resident_id is not a resident's id")
    after = _request_cursor(call)
    if who.role is Role.RESIDENT:
        if resident_id not in (None, who.subject):
            raise ApiError(403, "forbidden", "residents see only their own requests")
        resident_id = who.subject
    overlaps, place = _narrower(area, who.scope)
    found: list[RequestView] = []
    if overlaps and resident_id is not None:
        found = await call.views.requests_of_resident(resident_id, limit, after, status, place)
    elif overlaps:
        found = await call.views.requests(status, limit, after, place)
    next_cursor = None
    if len(found) == limit:
        last = found[-1]
        next_cursor = _encode_cursor(last.submitted_at.timestamp(), last.request_id)
    return answer(api.RequestListOut(requests=await _requests_out(call, found),
                                     next_cursor=next_cursor))


def _narrower(area: str | None, scope: str | None) -> tuple[bool, str | None]:
    """Where a list is cut: the narrower of a filter and the caller's scope when one lies in
    the other; (False, None) when they are beside each other and nothing can match."""
    if area is None or (scope is not None and within(scope, area)):
        return True, scope
    if within(area, scope):
        return True, area
    return False, None


def _encode_cursor(score: float, key: str) -> str:
    return base64.urlsafe_b64encode(f"{score!r}|{key}".encode()).decode().rstrip("=")


def _request_cursor(call: Call) -> tuple[float, str] | None:
    raw = call.request.query.get("cursor")
    if raw is None:
        return None
    try:
        score, _, key = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode(
            ).partition("|")
        found = (float(score), key)
    except (ValueError, UnicodeDecodeError) as e:
        raise ApiError(400, "bad_cursor", "the cursor is not one this platform gave") from e
    if not math.isfinite(found[0]) or not key:
        raise ApiError(400, "bad_cursor", "the cursor is not one this platform gave")
    return found


@route("GET", "/api/v1/requests/{request_id}", "A request with its status and history (oldest "
       "first, at most 200 items; history_total says how many there are)" + IN_SCOPE,
       roles=(Role.RESIDENT, Role.LEADER, Role.STAFF), answer=api.RequestOut,
       errors=(401, 403, 404), tag="requests")
async def get_request(call: Call) -> web.StreamResponse:
    [out] = await _requests_out(call, [await _visible_request(call)])
    return answer(out)


async def _lifecycle(call: Call, command_type: type[cmd.RequestCommand],
                     check: Callable[[], Awaitable[None]] | None = None,
                     **fields: Any) -> web.StreamResponse:
    """Send a command about the request in the path, once the caller may see it (and the
    route's own `check` passed)."""
    async def build() -> Command:
        request = await _visible_request(call)
        if check is not None:
            await check()
        return command_type(**call.envelope(), request_id=request.request_id, **fields)

    out = _result(await execute(call, build))
    return out if isinstance(out, web.Response) else _status(out)


@route("POST", "/api/v1/requests/{request_id}/cancel", "Cancel before completion" + IN_SCOPE,
       roles=(Role.RESIDENT, Role.STAFF), body=api.CancelIn, answer=api.StatusOut,
       errors=COMMAND_ERRORS, tag="requests")
async def cancel_request(call: Call) -> web.StreamResponse:
    return await _lifecycle(call, cmd.CancelRequest, reason=call.body.reason)


@route("GET", "/api/v1/tasks", "The leader's (or a deputy's) inbox: requests dispatched to or "
       "accepted by the team, with the team's active volunteers", roles=LEADER, answer=api.TasksOut,
       errors=(401, 403, 404), tag="tasks")
async def list_tasks(call: Call) -> web.StreamResponse:
    team = await call.views.team_of_leader(call.who.subject)
    if team is None:
        raise ApiError(404, "no_team", "this leader leads no registered team")
    tasks = await call.views.tasks(team.team_id)
    volunteers = await call.views.team_volunteers(team.team_id)
    return answer(api.TasksOut(
        team=_team_out(team), tasks=await _requests_out(call, tasks),
        volunteers=[api.VolunteerOut(volunteer_id=v.volunteer_id, name=v.name,
                                     team_id=v.team_id, skills=list(v.skills))
                    for v in volunteers if v.active],
    ))


@route("POST", "/api/v1/requests/{request_id}/accept", "Accept a dispatched task (接单)",
       roles=LEADER, answer=api.StatusOut, errors=COMMAND_ERRORS, tag="tasks")
async def accept_request(call: Call) -> web.StreamResponse:
    code = f"{secrets.randbelow(10 ** 6):06d}"
    return await _lifecycle(call, cmd.AcceptRequest, service_code=code)


CREW_CHECK = ("with the resident's six-digit service code (422 `bad_code`); the team's "
              "active volunteers only; at most VD_SERVICE_CODE_TRIES_PER_HOUR tries per "
              "request an hour (429). Completion hours of a checked-in volunteer may not "
              "exceed the checked time rounded down to VD_HOURS_STEP (422 "
              "`hours_exceed_elapsed`); a volunteer named at completion without a check-in "
              "is credited unverified, and only after the resident's review or staff's "
              "confirmation")


async def _crew_check(call: Call, command_type: type[cmd.CrewCheck]) -> web.StreamResponse:
    body: api.CrewCheckIn = call.body
    await call.limit("service-code", call.match("request_id"),
                     call.config.service_code_tries_per_hour, 3600)
    return await _lifecycle(call, command_type, code=body.code,
                            volunteer_ids=tuple(body.volunteer_ids))


@route("POST", "/api/v1/requests/{request_id}/check-in", "Check volunteers in on arrival "
       "(DESIGN §10), " + CREW_CHECK + "; 409 `already_checked_in`", roles=LEADER,
       body=api.CrewCheckIn, answer=api.StatusOut, errors=(*COMMAND_ERRORS, 429), tag="tasks")
async def check_in_crew(call: Call) -> web.StreamResponse:
    return await _crew_check(call, cmd.CheckInVolunteers)


@route("POST", "/api/v1/requests/{request_id}/check-out", "Check volunteers out when done, "
       + CREW_CHECK + "; 409 `not_checked_in`, `already_checked_out`; a volunteer still "
       "checked in at completion is checked out then", roles=LEADER,
       body=api.CrewCheckIn, answer=api.StatusOut, errors=(*COMMAND_ERRORS, 429), tag="tasks")
async def check_out_crew(call: Call) -> web.StreamResponse:
    return await _crew_check(call, cmd.CheckOutVolunteers)


@route("POST", "/api/v1/requests/{request_id}/decline", "Decline a dispatched task",
       roles=LEADER, body=api.DeclineIn, answer=api.StatusOut, errors=COMMAND_ERRORS,
       tag="tasks")
async def decline_request(call: Call) -> web.StreamResponse:
    return await _lifecycle(call, cmd.DeclineRequest, reason=call.body.reason)


@route("POST", "/api/v1/requests/{request_id}/complete",
       "Complete an accepted task, naming each volunteer and their hours", roles=LEADER,
       body=api.CompleteIn, answer=api.StatusOut, errors=COMMAND_ERRORS, tag="tasks")
async def complete_request(call: Call) -> web.StreamResponse:
    return await _lifecycle(call, cmd.CompleteRequest, volunteers=call.body.volunteers)


@route("POST", "/api/v1/requests/{request_id}/review", "Review a completed service (评单)",
       roles=RESIDENT, body=api.ReviewIn, answer=api.StatusOut, errors=COMMAND_ERRORS,
       tag="requests")
async def review_request(call: Call) -> web.StreamResponse:
    body: api.ReviewIn = call.body
    return await _lifecycle(call, cmd.ReviewRequest, rating=body.rating, comment=body.comment,
                            dispute=body.dispute, dispute_reason=body.dispute_reason)


@route("POST", "/api/v1/requests/{request_id}/dispatch",
       "Dispatch by hand to a team: a request not yet accepted, or an accepted one whose "
       "service window has passed (409 not_overdue before that)" + IN_SCOPE + "; a team "
       "based outside the scope is answered as a team that does not exist (422 unknown_team)",
       roles=STAFF, body=api.DispatchIn, answer=api.StatusOut, errors=COMMAND_ERRORS,
       tag="office")
async def dispatch_request(call: Call) -> web.StreamResponse:
    team_id = call.body.team_id

    async def team_in_scope() -> None:
        if call.who.scope is not None:
            team = await call.views.team(team_id)
            if team is None or not call.sees(team.areas[0]):
                raise _unknown_team(team_id)

    return await _lifecycle(call, cmd.DispatchRequest, team_in_scope, team_id=team_id)


@route("GET", "/api/v1/requests/{request_id}/candidates",
       "Teams that could take the request by hand: they offer its type and cover its area; "
       "most local first, then the least loaded" + IN_SCOPE + "; only teams based in the "
       "scope are offered", roles=STAFF, answer=api.CandidateListOut,
       errors=(401, 403, 404), tag="office")
async def list_candidates(call: Call) -> web.StreamResponse:
    request = await _visible_request(call)
    found = []
    for team in await call.views.teams(call.who.scope or county_of(request.area)):
        covering = [a for a in team.areas if request.area.startswith(a)]
        if request.service_type in team.service_types and covering:
            found.append(api.CandidateOut(
                **_team_out(team).model_dump(), level=area_level(max(covering, key=len)),
                full=team.load >= team.capacity,
                refused=team.team_id in request.excluded_teams,
            ))
    found.sort(key=lambda c: (-c.level, c.load / c.capacity, c.team_id))
    return answer(api.CandidateListOut(request_id=request.request_id, candidates=found))


@route("POST", "/api/v1/requests/{request_id}/approve",
       "Approve a request held for the office's review (审核, by `VD_REVIEW_REQUIRED` or a "
       "review rule): it is dispatched as any other" + IN_SCOPE, roles=STAFF,
       answer=api.StatusOut, errors=COMMAND_ERRORS, tag="office")
async def approve_request(call: Call) -> web.StreamResponse:
    return await _lifecycle(call, cmd.ApproveRequest)


@route("POST", "/api/v1/requests/{request_id}/confirm",
       "Confirm a completed service without the resident's review, so points are credited"
       + IN_SCOPE, roles=STAFF, answer=api.StatusOut, errors=COMMAND_ERRORS, tag="office")
async def confirm_request(call: Call) -> web.StreamResponse:
    return await _lifecycle(call, cmd.ConfirmService)


# -- points and redemption ------------------------------------------------------------------


async def _known_volunteer(call: Call, volunteer_id: str) -> VolunteerView:
    """The volunteer, if there is one this caller may see: staff of a scope see the
    volunteers of the teams based in it, a kiosk those of its own county; to them a
    volunteer that does not exist and one outside answer alike (404 not_found)."""
    volunteer = await call.views.volunteer(volunteer_id)
    scope = call.who.scope
    if scope is not None and call.who.role is Role.KIOSK:
        scope = county_of(scope)
    if scope is not None:
        team = None if volunteer is None else await call.views.team(volunteer.team_id)
        if volunteer is None or team is None or not within(team.areas[0], scope):
            raise ApiError(404, "not_found", "no such volunteer")
    if volunteer is None:
        raise ApiError(404, "volunteer_not_found", f"no volunteer {volunteer_id}")
    return volunteer


@route("GET", "/api/v1/volunteers/{volunteer_id}/points",
       "Balance, lifetime hours and ledger entries (newest first, a page at a time: pass "
       "`next_cursor` back as `cursor`); staff of a scope see the volunteers of teams based "
       "in it only: anyone else is 404 not_found, as if they did not exist. A kiosk reads "
       "them only with the volunteer's valid redeem code (`?code=`; 403 `code_required` "
       "without one), for volunteers of its own county",
       roles=(Role.VOLUNTEER, Role.KIOSK, Role.STAFF), answer=api.PointsOut,
       errors=(400, 401, 403, 404), tag="points",
       query=(("limit", "entries, 1-200"), ("cursor", "from the previous page's next_cursor"),
              ("code", "kiosks: the volunteer's current redeem code")))
async def get_points(call: Call) -> web.StreamResponse:
    volunteer_id = call.match("volunteer_id")
    if call.who.role is Role.VOLUNTEER and call.who.subject != volunteer_id:
        raise ApiError(403, "forbidden", "volunteers may see only their own points")
    limit = _limit(call)
    raw_cursor = call.request.query.get("cursor")
    if raw_cursor is not None and not ASCII_NUMBER.fullmatch(raw_cursor):
        raise ApiError(400, "bad_cursor", "the cursor is not one this platform gave")
    name = (await _known_volunteer(call, volunteer_id)).name
    quarter = quarter_of(call.config.clock())
    account = await call.views.account(volunteer_id) or AccountView(volunteer_id=volunteer_id)
    if call.who.role is Role.KIOSK:
        code = call.request.query.get("code", "")
        held = account.code
        if (held is None or held.used or held.expires_at <= call.config.clock()
                or not hmac.compare_digest(held.code_hash, call.code_hash(volunteer_id, code))):
            raise ApiError(403, "code_required", "a kiosk reads points only with the "
                           "volunteer's valid redeem code")
    entries = await call.views.entries(volunteer_id, limit,
                                       None if raw_cursor is None else int(raw_cursor))
    used = quarter in account.redeemed_quarters or any(h.quarter == quarter
                                                       for h in account.holds)
    return answer(api.PointsOut(
        volunteer_id=volunteer_id,
        name=name if call.who.role is not Role.KIOSK else mask_name(name or ""),
        balance=account.balance, available=account.available,
        lifetime_hours=account.lifetime_hours, verified_hours=account.verified_hours,
        star_level=star_level(account.verified_hours), quarter=quarter,
        redeemed_this_quarter=used,
        entries=entries, entries_total=account.entries_count,
        next_cursor=str(entries[-1].seq) if len(entries) == limit and entries[-1].seq > 1
        else None,
    ))


@route("POST", "/api/v1/volunteers/{volunteer_id}/redeem-code",
       "A short-lived, single-use code to show at a kiosk", roles=(Role.VOLUNTEER,),
       answer=api.RedeemCodeOut, errors=COMMAND_ERRORS, tag="points")
async def issue_redeem_code(call: Call) -> web.StreamResponse:
    volunteer_id = call.match("volunteer_id")
    if call.who.subject != volunteer_id:
        raise ApiError(403, "forbidden", "volunteers may ask only for their own code")
    await _known_volunteer(call, volunteer_id)
    envelope = call.envelope()
    code = call.redeem_code(envelope["command_id"])
    expires_at = envelope["occurred_at"] + timedelta(seconds=call.config.redeem_code_ttl_s)
    command = cmd.IssueRedeemCode(**envelope, volunteer_id=volunteer_id,
                                  code_hash=call.code_hash(volunteer_id, code),
                                  expires_at=expires_at)
    out = _result(await execute(call, command))
    if isinstance(out, web.Response):
        return out
    return answer(api.RedeemCodeOut(code=code, expires_at=out["expires_at"]))


@route("POST", "/api/v1/redemptions", "Redeem points for a gift (兑换)", roles=KIOSK,
       body=api.RedemptionIn, answer=api.RedemptionOut, status=201, errors=COMMAND_ERRORS,
       tag="points")
async def redeem(call: Call) -> web.StreamResponse:
    body: api.RedemptionIn = call.body

    async def build() -> Command:
        await _known_volunteer(call, body.volunteer_id)
        item = await call.views.catalog_item(body.item_id)
        if item is None:
            raise ApiError(404, "unknown_item", f"no gift {body.item_id} in the catalog")
        if item.stock < 1:
            raise ApiError(409, "out_of_stock", "this gift is out of stock")
        return cmd.RedeemPoints(
            **call.envelope(), volunteer_id=body.volunteer_id, item_id=body.item_id,
            points=item.points, code_hash=call.code_hash(body.volunteer_id, body.code),
            kiosk_id=call.who.subject, redemption_id=f"RD-{call.command_id.hex[:20]}",
        )

    out = _result(await execute(call, build))
    if isinstance(out, web.Response):
        return out
    return answer(api.RedemptionOut(
        redemption_id=out["redemption_id"], status=out["status"], balance=out["balance"],
        item_id=out["item_id"], points=out["points"], lifetime_hours=out["lifetime_hours"],
        quarter=out["quarter"]), 201)


# -- the office and everyone ----------------------------------------------------------------


LIVE_IN_SCOPE = ("; staff of a scope get the board of their area and below, in the same "
                 "shape: its funnel, counts by area and type, durations, overdue, escalated "
                 "and recent requests, and the teams based in it; `events` counts its own, "
                 "`dead_letters` is the whole platform's and 0 on a scope's board")


@route("GET", "/api/v1/live", "Snapshot of the live flow (no personal data)" + LIVE_IN_SCOPE,
       roles=STAFF,
       answer=api.LiveOut, errors=(401, 403), tag="office")
async def live_snapshot(call: Call) -> web.StreamResponse:
    snapshot = await call.views.live(call.config.clock(), call.who.scope)
    return web.Response(body=snapshot.model_dump_json().encode(),
                        content_type="application/json")


@route("GET", "/api/v1/live/stream", "Server-sent events: a whole snapshot whenever the flow "
       "moves, coalesced; every message is complete, so a reconnect needs nothing else"
       + LIVE_IN_SCOPE + "; a message comes when the scope's board moves",
       roles=STAFF, answer=api.LiveOut, errors=(401, 403), tag="office",
       content_type="text/event-stream")
async def live_updates(call: Call) -> web.StreamResponse:
    return await live_stream(call)


@route("GET", "/api/v1/notifications", "The caller's notifications, newest first",
       roles=ANYONE_SIGNED_IN, answer=api.NotificationListOut, errors=(401,), tag="platform")
async def list_notifications(call: Call) -> web.StreamResponse:
    found = await call.views.notifications(call.who.subject)
    return answer(api.NotificationListOut(notifications=found))


@route("GET", "/api/v1/outbox/failures", "Texts the outbox set aside after its retries "
       "(newest first, the phone masked, the sender's reason): for staff of every scope, as "
       "they name no area; the last VD_NOTIFICATIONS_MAX are kept",
       roles=STAFF, answer=api.NotificationListOut, errors=(401, 403), tag="operations")
async def list_failed_sends(call: Call) -> web.StreamResponse:
    return answer(api.NotificationListOut(
        notifications=await call.views.notifications(FAILED_SENDS)))


@route("GET", "/api/v1/commands/{command_id}", "The outcome of a command answered with 202; "
       "only its sender reads it (anyone else: 404; a command not answered yet: pending)",
       roles=ANYONE_SIGNED_IN, answer=api.CommandStatusOut, errors=(401, 404),
       tag="platform")
async def command_status(call: Call) -> web.StreamResponse:
    try:
        command_id = UUID(call.match("command_id"))
    except ValueError as e:
        raise ApiError(404, "not_found", "no such command") from e
    outcome = await call.bus.outcome(command_id, 0)
    if outcome is None:
        return answer(api.CommandStatusOut(command_id=command_id, status="pending"))
    if outcome.actor != call.actor:
        raise ApiError(404, "not_found", "no such command")
    if outcome.rejection is not None:
        r = outcome.rejection
        return answer(api.CommandStatusOut(
            command_id=command_id, status="rejected",
            error=api.ErrorBody(code=r.code, message=r.message, details=r.details or None)))
    return answer(api.CommandStatusOut(command_id=command_id, status="done",
                                       result=outcome.result))


@route("GET", "/healthz", "Whether the platform can do its work now: 200 when the log takes "
       "writes and every owner and projection runs, else 503 with Retry-After and the "
       "problems found", roles=None, errors=(503,), tag="operations")
async def healthz(call: Call) -> web.StreamResponse:
    try:
        ok, details = await call.request.app[HEALTH].report()
    except Unavailable as e:
        ok, details = False, {"problems": {"health": str(e)}}
    if ok:
        return _json({"status": "ok", **details})
    response = _json({"status": "unavailable", **details}, 503)
    response.headers["Retry-After"] = str(HEALTH_RETRY_AFTER_S)
    return response


@route("GET", "/metrics", "Prometheus metrics", roles=None, tag="operations",
       content_type="text/plain")
async def metrics(call: Call) -> web.StreamResponse:
    return call.request.app[METRICS].render()


@route("GET", "/openapi.json", "This document", roles=None, tag="operations")
async def openapi(call: Call) -> web.StreamResponse:
    return web.json_response(call.request.app[OPENAPI])

