"""Cases of the "can't get it done" window (办不成事, DESIGN §11): a resident or staff open a
case, the owning office records its steps (collect → prescribe → act → verify) and closes it;
a passed deadline moves it up to the enclosing office.

Staff see the cases whose area lies in their scope (an escalated case stays in sight of the
office it left); residents their own. The subject, details, notes and resolution are sealed
under the resident's key (the case's own when no resident is named) before they enter the
log, and opened here for each reader.
"""

from __future__ import annotations

import re
from datetime import datetime
from uuid import uuid4

from aiohttp import web

from gateway.errors import ApiError
from gateway.http import AREA_CODE, Call, answer, execute
from gateway.personal import ERASED, Opened
from gateway.routes import COMMAND_ERRORS, _limit, _result, ranked_cursor, route
from schemas import api_cases as api
from schemas import cases as c
from schemas.base import Command
from schemas.cases import CASE_KINDS, CASE_STATUSES, CaseView
from schemas.common import Role, county_of, within
from schemas.residents import ResidentProfile

READERS = (Role.RESIDENT, Role.STAFF)
STAFF = (Role.STAFF,)
RESIDENT_KINDS = ("complaint", "other")
CASE_SCAN_MAX = 2000
"""Cases one filtered list reads at most: a page may come back short, with a cursor."""
CURSOR = re.compile(r"([0-9]{1,12}(?:\.[0-9]{1,6})?)~([A-Za-z0-9][A-Za-z0-9_.:-]{0,63})")
TAG = "cases"


async def _case(call: Call) -> CaseView:
    """The case of the path, if this caller may see it: staff with its area in their
    scope, a resident their own; to anyone else it does not exist."""
    case = await call.views.case(call.match("case_id"))
    if case is None:
        raise ApiError(404, "not_found", "no such case")
    if call.who.role is Role.STAFF:
        call.visible(case.area, "case")
    elif case.resident_id != call.who.subject:
        raise ApiError(404, "not_found", "no such case")
    return case


async def _outs(call: Call, cases: list[CaseView]) -> list[api.CaseOut]:
    """Cases as this caller may see them: keys, profiles and area names read once a page."""
    opened = await call.sealer.opened({x.sealed_for for x in cases})
    residents = sorted({x.resident_id for x in cases if x.resident_id})
    profiles = {r: await call.views.resident(r) for r in residents}
    codes = sorted({x.area for x in cases} | {x.owner_scope for x in cases})
    names = {code: area.name for code in codes if (area := await call.views.area(code))}
    now = call.config.clock()
    return [_out(call, x, opened, profiles.get(x.resident_id or ""), names, now)
            for x in cases]


def _out(call: Call, case: CaseView, opened: Opened, profile: ResidentProfile | None,
         names: dict[str, str], now: datetime) -> api.CaseOut:
    who = call.who
    staff = who.role is Role.STAFF
    person = case.sealed_for

    def text(field: str, value: str) -> str:
        return opened.open(person, field, value) or ""

    name = ""
    if profile is not None:
        name = ERASED if profile.erased else opened.open(
            profile.resident_id, "name", profile.name) or ""
    return api.CaseOut(
        case_id=case.case_id, status=case.status, kind=case.kind, area=case.area,
        area_name=names.get(case.area), subject=text("subject", case.subject),
        details=text("details", case.details), resident_id=case.resident_id,
        resident_name=name, request_id=case.request_id, plan_id=case.plan_id,
        owner_scope=case.owner_scope, owner_name=names.get(case.owner_scope),
        due_at=case.due_at, overdue=case.overdue or (case.status == "open"
                                                     and case.due_at <= now),
        escalations=case.escalations,
        steps=[api.StepOut(kind=s.kind, note=text("note", s.note), at=s.at,
                           by_role=s.by.role, by=s.by.subject if staff else None)
               for s in case.steps],
        resolution=text("resolution", case.resolution),
        resident_satisfied=case.resident_satisfied, opened_at=case.opened_at,
        opened_by_role=case.opened_by.role, closed_at=case.closed_at,
        can_act=(staff and case.status == "open" and within(case.owner_scope, who.scope)))


async def _answer_case(call: Call, case_id: str, status: int = 200) -> web.StreamResponse:
    case = await call.views.case(case_id)
    assert case is not None
    [out] = await _outs(call, [case])
    response = answer(out, status)
    if status == 201:
        response.headers["Location"] = f"/api/v1/cases/{case_id}"
    return response


async def _resident_of(call: Call, body: api.CaseIn) -> str | None:
    """Whom the case is for, checked as the DESIGN's order of checks has it: staff's area
    first (403 out_of_scope, 422 unknown_area), then the resident and the request."""
    who = call.who
    if who.role is Role.STAFF:
        await call.registers_in(body.area)
        if body.resident_id is not None:
            profile = await call.views.resident(body.resident_id)
            if profile is None or profile.erased or not call.sees(profile.area):
                raise ApiError(422, "unknown_resident", f"no resident {body.resident_id}",
                               {"field": "resident_id"})
        if body.request_id is not None:
            request = await call.views.request(body.request_id)
            if request is None or not call.sees(request.area):
                raise ApiError(422, "unknown_request", f"no request {body.request_id}",
                               {"field": "request_id"})
        return body.resident_id
    if body.resident_id not in (None, who.subject):
        raise ApiError(403, "not_yourself", "a resident opens cases for themself")
    if body.kind not in (None, *RESIDENT_KINDS):
        raise ApiError(422, "invalid", "a resident opens a complaint or another matter",
                       [{"field": "kind", "message": "complaint or other"}])
    profile = await call.views.resident(who.subject)
    if profile is None or profile.erased:
        raise ApiError(404, "resident_not_found", "no resident profile for this token")
    if county_of(body.area) != profile.county:
        raise ApiError(403, "out_of_scope", "a resident opens cases in their own county",
                       {"area": body.area, "county": profile.county})
    if await call.views.area(body.area) is None:
        raise ApiError(422, "unknown_area", f"no area {body.area}", {"field": "area"})
    if body.request_id is not None:
        request = await call.views.request(body.request_id)
        if request is None or request.resident_id != who.subject:
            raise ApiError(422, "unknown_request", f"no request {body.request_id} of yours",
                           {"field": "request_id"})
    return who.subject


@route("POST", "/api/v1/cases", "Open a case of the \"can't get it done\" window (办不成事): "
       "a resident for themself in an area of their own county (kind complaint, the "
       "default, or other; 403 out_of_scope elsewhere; 404 resident_not_found without a "
       "profile), staff in an area of their scope (403 out_of_scope), of any kind, for a "
       "resident of their scope if named (422 unknown_resident). A request named must be "
       "the resident's own, or in the staff's scope (422 unknown_request). The area must be "
       "registered (422 unknown_area). The platform names the case (`C<county>-<16 hex>`); "
       "its owner is the most local office (a scope with staff) containing the area, the "
       "county at last, and its deadline is set in working days by kind (stalled 3, "
       "missed_visit 3, dispute 5, complaint 5, other 10: VD_CASE_DAYS_<KIND>; Monday to "
       "Friday in China time less VD_HOLIDAYS; the same time of day on the last of them; "
       "VD_CASE_DEADLINE_S replaces every deadline when set). The platform opens cases by "
       "itself too: a request escalated to the office (stalled) and a disputed service "
       "(dispute), carrying the request_id. Answers 201 with the case",
       roles=READERS, body=api.CaseIn, answer=api.CaseOut, status=201,
       errors=COMMAND_ERRORS, tag=TAG)
async def open_case(call: Call) -> web.StreamResponse:
    body: api.CaseIn = call.body
    resident_id = await _resident_of(call, body)
    county = county_of(body.area)
    case_id = f"C{county}-{uuid4().hex[:16]}"

    async def build() -> Command:
        sealed = await call.sealer.seal(resident_id or case_id,
                                        {"subject": body.subject, "details": body.details})
        return c.OpenCase(**call.envelope(), county=county, case_id=case_id, area=body.area,
                          kind=body.kind or "complaint", subject=sealed["subject"] or "",
                          details=sealed["details"] or "", resident_id=resident_id,
                          request_id=body.request_id)

    out = _result(await execute(call, build))
    if isinstance(out, web.Response):
        return out
    return await _answer_case(call, str(out["case_id"]), 201)


async def _listed(call: Call) -> tuple[str | None, str | None]:
    """The area a list reads (None: everywhere) and, for a resident, their county."""
    if call.who.role is Role.STAFF:
        return call.listed_area(), None
    raw = call.request.query.get("area")
    if raw is not None and not AREA_CODE.fullmatch(raw):
        raise ApiError(400, "bad_area", "area must be an area code")
    profile = await call.views.resident(call.who.subject)
    return raw, None if profile is None else profile.county


def _keeps(case: CaseView, query: dict[str, str], area: str | None, now: datetime) -> bool:
    late = case.overdue or (case.status == "open" and case.due_at <= now)
    return ((area is None or within(case.area, area))
            and query.get("status") in (None, case.status)
            and query.get("kind") in (None, case.kind)
            and (query.get("overdue") != "true" or late))


@route("GET", "/api/v1/cases", "Cases, the newest first: staff's with their area in the "
       "scope (`area` narrows it, 403 out_of_scope outside), a resident's own. `status` "
       "keeps open or closed (400 bad_status otherwise), `kind` one kind (400 bad_kind), "
       "`overdue=true` those past a deadline. A filtered page reads at most 2000 cases and "
       "may come back short with a `next_cursor`",
       roles=READERS, answer=api.CaseListOut, errors=(400, 401, 403), tag=TAG,
       query=(("area", "an area code"), ("status", "open | closed"),
              ("kind", "one of the case kinds"), ("overdue", "true: past a deadline"),
              ("limit", "1-200"), ("cursor", "from the previous page's next_cursor")))
async def list_cases(call: Call) -> web.StreamResponse:
    query = dict(call.request.query)
    limit = _limit(call)
    if query.get("status") not in (None, *CASE_STATUSES):
        raise ApiError(400, "bad_status", "status must be open or closed")
    if query.get("kind") not in (None, *CASE_KINDS):
        raise ApiError(400, "bad_kind", f"kind must be one of {', '.join(CASE_KINDS)}")
    area, resident_county = await _listed(call)
    if call.who.role is Role.RESIDENT and resident_county is None:
        return answer(api.CaseListOut(cases=[]))
    after = ranked_cursor(query.get("cursor"), CURSOR)
    now = call.config.clock()
    found: list[CaseView] = []
    scanned, more = 0, True
    while more and len(found) < limit and scanned < CASE_SCAN_MAX:
        if resident_county is not None:
            page = await call.views.cases_of(call.who.subject, resident_county, limit, after)
        else:
            page = await call.views.cases(area, limit, after)
        more = len(page) == limit
        scanned += len(page)
        for case in page:
            after = (case.opened_at.timestamp(), case.case_id)
            if _keeps(case, query, area, now):
                found.append(case)
                if len(found) == limit:
                    break
    return answer(api.CaseListOut(
        cases=await _outs(call, found),
        next_cursor=f"{after[0]:.6f}~{after[1]}" if more and after else None))


@route("GET", "/api/v1/cases/{case_id}", "One case with its steps: staff's with its area "
       "in their scope, a resident's own; anything else is 404 not_found. `can_act` says "
       "whether the caller may record steps and close it (the owning office's staff and "
       "those of an enclosing scope)",
       roles=READERS, answer=api.CaseOut, errors=(401, 403, 404), tag=TAG)
async def get_case(call: Call) -> web.StreamResponse:
    case = await _case(call)
    [out] = await _outs(call, [case])
    return answer(out)


@route("POST", "/api/v1/cases/{case_id}/steps", "Record a step of the loop (note, "
       "prescribe, act, verify, in any order): the owning office's staff or an enclosing "
       "scope's (403 not_owner for the others), while it is open (409 case_closed); at most "
       "200 steps (409 too_many_steps). The note is sealed as the case's words are",
       roles=STAFF, body=api.StepIn, answer=api.CaseOut, errors=COMMAND_ERRORS, tag=TAG)
async def record_step(call: Call) -> web.StreamResponse:
    body: api.StepIn = call.body
    case = await _case(call)
    sealed = await call.sealer.seal(case.sealed_for, {"note": body.note})
    out = _result(await execute(call, c.RecordStep(
        **call.envelope(), county=case.county, case_id=case.case_id, kind=body.kind,
        note=sealed["note"] or "")))
    if isinstance(out, web.Response):
        return out
    return await _answer_case(call, case.case_id)


@route("POST", "/api/v1/cases/{case_id}/close", "Close a case with its resolution (the "
       "owning office's staff or an enclosing scope's, 403 not_owner otherwise; 409 "
       "case_closed once closed); it counts as closed on time when no deadline had passed",
       roles=STAFF, body=api.CloseIn, answer=api.CaseOut, errors=COMMAND_ERRORS, tag=TAG)
async def close_case(call: Call) -> web.StreamResponse:
    body: api.CloseIn = call.body
    case = await _case(call)
    sealed = await call.sealer.seal(case.sealed_for, {"resolution": body.resolution})
    out = _result(await execute(call, c.CloseCase(
        **call.envelope(), county=case.county, case_id=case.case_id,
        resolution=sealed["resolution"] or "", resident_satisfied=body.resident_satisfied)))
    if isinstance(out, web.Response):
        return out
    return await _answer_case(call, case.case_id)
