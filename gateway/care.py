"""Care plans (夕阳计划, 政策找人, DESIGN §11): staff give a resident recurring visits; the
platform creates each visit as a request when it falls due; staff list who qualifies for a
plan they lack, and read the visits report.

Staff see the plans of residents in their scope. The plan's notes are sealed under the
resident's key; the address visits are made at is the profile's, already sealed so.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import asdict
from datetime import date
from zoneinfo import ZoneInfo

from aiohttp import web

from care.rules import suggestion_for
from gateway.errors import ApiError
from gateway.http import Call, answer, execute
from gateway.personal import ERASED, Opened
from gateway.reports import FORMATS, attachment, one_level_down, report_format
from gateway.routes import COMMAND_ERRORS, STAFF, _limit, _result, ranked_cursor, route
from reports.tables import area_rows, csv_table, xlsx_table
from reports.visits import tabulate_visits
from residents.rules import profile_tier
from schemas import api_care as api
from schemas import care as cp
from schemas.care import CarePlanView, VisitView
from schemas.common import county_of, within
from schemas.residents import ResidentProfile

LOCAL = ZoneInfo("Asia/Shanghai")
TAG = "care plans"
PLAN_SCAN_MAX = 2000
"""Plans one filtered list reads at most: a page may come back short, with a cursor."""
SUGGESTIONS_SCAN_MAX = 5000
"""Residents one list of suggestions reads at most (`truncated: true` beyond)."""
REPORT_VISITS_MAX = 50_000
"""Visits one report reads at most, the latest first (`truncated: true` beyond)."""
VISITS_SHOWN = 12
CURSOR = re.compile(r"([0-9]{1,12}(?:\.[0-9]{1,6})?)~([A-Za-z0-9][A-Za-z0-9_.:#-]{0,80})")
MONTH = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
CSV_HEADER = ("area", "label", "planned", "done", "missed", "open", "rate")
XLSX_HEADER = ("区域代码", "区域", "计划探访", "已探访", "漏访", "进行中", "探访率")


def _name(opened: Opened, profile: ResidentProfile | None) -> str:
    if profile is None:
        return ""
    if profile.erased:
        return ERASED
    return opened.open(profile.resident_id, "name", profile.name) or ""


async def _outs(call: Call, plans: list[CarePlanView], with_visits: bool = False
                ) -> list[api.CarePlanOut]:
    residents = sorted({p.resident_id for p in plans})
    opened = await call.sealer.opened(residents)
    profiles = {r: await call.views.resident(r) for r in residents}
    names = {code: area.name for code in sorted({p.area for p in plans})
             if (area := await call.views.area(code))}
    outs = []
    for plan in plans:
        visits: list[VisitView] = []
        if with_visits:
            for period in range(plan.period, max(-1, plan.period - VISITS_SHOWN), -1):
                visit = await call.views.visit(plan.county, plan.plan_id, period)
                if visit is not None:
                    visits.append(visit)
        outs.append(api.CarePlanOut(
            plan_id=plan.plan_id, status=plan.status, resident_id=plan.resident_id,
            resident_name=_name(opened, profiles[plan.resident_id]), area=plan.area,
            area_name=names.get(plan.area), service_type=plan.service_type,
            cadence=plan.cadence, team_id=plan.team_id,
            notes=opened.open(plan.resident_id, "notes", plan.notes) or "",
            started_at=plan.started_at, ended_at=plan.ended_at, end_reason=plan.end_reason,
            period=plan.period, period_ends_at=plan.period_ends_at, planned=plan.planned,
            done=plan.done, missed=plan.missed,
            visits=[api.VisitOut(period=v.period, request_id=v.request_id,
                                 starts_at=v.starts_at, ends_at=v.ends_at, status=v.status,
                                 done_at=v.done_at) for v in visits]))
    return outs


async def _plan(call: Call) -> CarePlanView:
    plan = await call.views.care_plan(call.match("plan_id"))
    if plan is None:
        raise ApiError(404, "not_found", "no such care plan")
    call.visible(plan.area, "care plan")
    return plan


@route("GET", "/api/v1/care-plans/suggestions", "\"Policy finds the person\" (政策找人): "
       "the residents of the scope (`area` narrows it) whose circumstances call for a care "
       "plan they do not have, with the cadence and the reason: living alone at 80 or more, "
       "or depending on care, weekly; with a disability fortnightly; in extreme hardship, "
       "or living alone at 70-79, monthly (age by the year in China time). Residents with an "
       "active plan are left out; the service type is health_check. Reads at most 5000 "
       "residents (`truncated: true` beyond)",
       roles=STAFF, answer=api.SuggestionsOut, errors=(400, 401, 403), tag=TAG,
       query=(("area", "an area code within the scope"),))
async def suggestions(call: Call) -> web.StreamResponse:
    area = call.listed_area()
    year = call.config.clock().astimezone(LOCAL).year
    out: list[api.SuggestionOut] = []
    after = None
    seen = 0
    page = call.config.page_size_max
    truncated = False
    while True:
        chunk = await call.views.residents(area, page, after)
        qualifying = []
        for profile in chunk:
            after = (profile.registered_at.timestamp(), profile.resident_id)
            if profile.erased:
                continue
            found = suggestion_for(profile.birth_year, frozenset(profile.tags), year)
            if found is not None:
                qualifying.append((profile, found))
        if qualifying:
            opened = await call.sealer.opened(p.resident_id for p, _ in qualifying)
            for profile, found in qualifying:
                plans = await call.views.care_plans_of(profile.resident_id, profile.county)
                if any(p.status == "active" for p in plans):
                    continue
                out.append(api.SuggestionOut(
                    resident_id=profile.resident_id, resident_name=_name(opened, profile),
                    area=profile.area, reason=found.reason, cadence=found.cadence,
                    service_type=found.service_type))
        seen += len(chunk)
        if len(chunk) < page:
            break
        if seen >= SUGGESTIONS_SCAN_MAX:
            truncated = True
            break
    return answer(api.SuggestionsOut(suggestions=out, truncated=truncated))


@route("POST", "/api/v1/care-plans", "Give a resident of the scope a care plan (422 "
       "unknown_resident for one out of sight): visits of a service type at a cadence "
       "(week, fortnight, month, quarter), optionally by a contracted team of the county "
       "(422 unknown_team), which each visit prefers whenever it can take it. The first "
       "visit is due at once: the platform creates it as a request of the resident's "
       "(channel visit, `plan_id`, `proactive: true`), dispatched as any request, and the "
       "next when each period ends; periods follow the cadence from the plan's start in "
       "China time (VD_CARE_PERIOD_S replaces them for drills). A visit not completed in "
       "its period is missed, and opens a case (kind missed_visit). One active plan per "
       "resident and service type (409 already_planned); a plan id is used once (409 "
       "plan_exists)",
       roles=STAFF, body=api.CarePlanIn, answer=api.CarePlanOut, status=201,
       errors=COMMAND_ERRORS, tag=TAG)
async def create_plan(call: Call) -> web.StreamResponse:
    body: api.CarePlanIn = call.body
    profile = await call.views.resident(body.resident_id)
    if profile is None or profile.erased or not call.sees(profile.area):
        raise ApiError(422, "unknown_resident", f"no resident {body.resident_id}",
                       {"field": "resident_id"})
    call.creates_in(profile.area)
    if body.team_id is not None:
        team = await call.views.team(body.team_id)
        if team is None or not team.active or county_of(team.areas[0]) != profile.county:
            raise ApiError(422, "unknown_team", f"no team {body.team_id} in the county",
                           {"field": "team_id"})
    sealed = await call.sealer.seal(profile.resident_id, {"notes": body.notes})
    out = _result(await execute(call, cp.CreatePlan(
        **call.envelope(), county=profile.county, plan_id=body.plan_id,
        resident_id=profile.resident_id, area=profile.area, address=profile.address or "-",
        service_type=body.service_type, cadence=body.cadence, team_id=body.team_id,
        notes=sealed["notes"] or "", priority=profile_tier(profile, call.config.clock()))))
    if isinstance(out, web.Response):
        return out
    plan = await call.views.care_plan(body.plan_id)
    assert plan is not None
    [made] = await _outs(call, [plan], with_visits=True)
    response = answer(made, 201)
    response.headers["Location"] = f"/api/v1/care-plans/{body.plan_id}"
    return response


@route("GET", "/api/v1/care-plans", "Care plans of the residents of the scope, the newest "
       "first (`area` narrows it, 403 out_of_scope outside); `status` keeps active or "
       "ended (400 bad_status), `resident_id` one resident's. A filtered page reads at "
       "most 2000 plans and may come back short with a `next_cursor`",
       roles=STAFF, answer=api.CarePlanListOut, errors=(400, 401, 403), tag=TAG,
       query=(("area", "an area code"), ("status", "active | ended"),
              ("resident_id", "one resident's"), ("limit", "1-200"),
              ("cursor", "from the previous page's next_cursor")))
async def list_plans(call: Call) -> web.StreamResponse:
    query = call.request.query
    limit = _limit(call)
    status, resident = query.get("status"), query.get("resident_id")
    if status not in (None, "active", "ended"):
        raise ApiError(400, "bad_status", "status must be active or ended")
    area = call.listed_area()
    after = ranked_cursor(query.get("cursor"), CURSOR)
    found: list[CarePlanView] = []
    scanned, more = 0, True
    while more and len(found) < limit and scanned < PLAN_SCAN_MAX:
        page = await call.views.care_plans(area, limit, after)
        more = len(page) == limit
        scanned += len(page)
        for plan in page:
            after = (plan.started_at.timestamp(), plan.plan_id)
            if (status in (None, plan.status) and resident in (None, plan.resident_id)
                    and (area is None or within(plan.area, area))):
                found.append(plan)
                if len(found) == limit:
                    break
    return answer(api.CarePlanListOut(
        plans=await _outs(call, found),
        next_cursor=f"{after[0]:.6f}~{after[1]}" if more and after else None))


@route("GET", "/api/v1/care-plans/{plan_id}", "One care plan with its latest visits (up "
       "to 12): staff whose scope holds the resident's area; anything else is 404",
       roles=STAFF, answer=api.CarePlanOut, errors=(401, 403, 404), tag=TAG)
async def get_plan(call: Call) -> web.StreamResponse:
    [out] = await _outs(call, [await _plan(call)], with_visits=True)
    return answer(out)


@route("POST", "/api/v1/care-plans/{plan_id}/end", "End a care plan with a reason (409 "
       "plan_ended once ended): no further visit falls due; a visit already created stays "
       "a request as it is",
       roles=STAFF, body=api.EndPlanIn, answer=api.CarePlanOut, errors=COMMAND_ERRORS,
       tag=TAG)
async def end_plan(call: Call) -> web.StreamResponse:
    body: api.EndPlanIn = call.body
    plan = await _plan(call)
    out = _result(await execute(call, cp.EndPlan(
        **call.envelope(), county=plan.county, plan_id=plan.plan_id, reason=body.reason)))
    if isinstance(out, web.Response):
        return out
    ended = await call.views.care_plan(plan.plan_id)
    assert ended is not None
    [made] = await _outs(call, [ended], with_visits=True)
    return answer(made)


def _month(call: Call) -> tuple[str | None, date | None]:
    raw = call.request.query.get("month")
    if raw is None:
        return None, None
    if not MONTH.fullmatch(raw):
        raise ApiError(400, "bad_month", "month must be YYYY-MM")
    return raw, date.fromisoformat(raw + "-01")


def _in_month(visit: VisitView, first: date | None) -> bool:
    if first is None:
        return True
    local = visit.starts_at.astimezone(LOCAL)
    return (local.year, local.month) == (first.year, first.month)


async def _visits(call: Call, root: str | None, first: date | None
                  ) -> tuple[list[VisitView], bool]:
    """The visits of the area, the latest period first, down to the month asked."""
    found: list[VisitView] = []
    after = None
    page = call.config.page_size_max
    while True:
        chunk = await call.views.visits(root, page, after)
        for visit in chunk:
            after = (visit.starts_at.timestamp(), visit.key)
            if first is not None and visit.starts_at.astimezone(LOCAL).date() < first:
                return found, False
            if len(found) == REPORT_VISITS_MAX:
                return found, True
            found.append(visit)
        if len(chunk) < page:
            return found, False


@route("GET", "/api/v1/reports/visits", "Care visits in the caller's scope by area (the "
       "areas one level below `area`, or below the scope; the area's own row is 本级): the "
       "visits whose period began in `month` (YYYY-MM, China time; every month without it) "
       "planned, done, missed and still open, and the visit rate (done / planned, three "
       "decimals). `format` json (default), csv or xlsx. Reads at most 50,000 visits "
       "(`truncated: true` beyond)",
       roles=STAFF, answer=api.VisitReportOut, errors=(400, 401, 403), tag="reports",
       query=(("area", "an area code within the scope"), ("month", "YYYY-MM"),
              ("format", "json | csv | xlsx")))
async def visits_report(call: Call) -> web.StreamResponse:
    fmt = report_format(call)
    month, first = _month(call)
    root = call.listed_area()
    visits, truncated = await _visits(call, root, first)
    parent, children, label = await one_level_down(call, root)
    rows, totals = tabulate_visits(((v.area, v.status) for v in visits if _in_month(v, first)),
                                   area_rows(parent, children, root_label=label))
    lines = [(r.area, r.label, r.planned, r.done, r.missed, r.open,
              "" if r.rate is None else r.rate) for r in [*rows, totals]]
    if fmt == "csv":
        return web.Response(text=csv_table(CSV_HEADER, lines), content_type="text/csv",
                            charset="utf-8", headers=attachment("visits-by-area", "csv"))
    if fmt == "xlsx":
        title = f"关爱探访 {root or '全部'} {month or ''}".strip()
        data = await asyncio.to_thread(xlsx_table, XLSX_HEADER, lines, title)
        return web.Response(body=data, content_type=FORMATS["xlsx"],
                            headers=attachment("visits-by-area", "xlsx"))
    return answer(api.VisitReportOut(
        area=root, month=month,
        rows=[api.VisitRowOut(**asdict(r)) for r in rows],
        totals=api.VisitRowOut(**asdict(totals)),
        truncated=truncated))

