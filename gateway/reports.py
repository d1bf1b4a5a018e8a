"""GET /api/v1/reports/hours (DESIGN §10): hours, services, activities and active volunteers
by area (one step down the tree), service type, team or month, in the staff's scope, as
JSON, CSV or XLSX."""

from __future__ import annotations

import asyncio

from aiohttp import web

from certificates.record import day_of, in_period
from gateway.errors import ApiError
from gateway.hours import query_day
from gateway.http import Call, answer
from gateway.routes import SERVICE_TYPES, STAFF, route
from reports.tables import KeyOf, by_area, by_month, by_service_type, by_team, tabulate, to_csv
from reports.tables import to_xlsx as xlsx_of
from schemas.api_reports import ReportOut, ReportRowOut
from schemas.common import county_of
from schemas.views import LedgerEntry

GROUPS = ("area", "service_type", "team", "month")
FORMATS = {"json": "application/json", "csv": "text/csv",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
REPORT_VOLUNTEERS_MAX = 20_000
"""Volunteers one report reads the ledgers of at most; beyond it the answer says
`truncated: true` (narrow the area)."""
ENTRIES_PER_VOLUNTEER_MAX = 5000


async def _entries(call: Call, root: str | None) -> tuple[list[LedgerEntry], bool]:
    """The hour entries of every volunteer who could have served in the area: the
    volunteers of its county (a county team serves its villages too), or of every county."""
    scope = county_of(root) if root else None
    found: list[LedgerEntry] = []
    cursor = None
    seen = 0
    page = call.config.page_size_max
    while True:
        chunk = await call.views.volunteers(page, cursor, scope=scope)
        for volunteer in chunk:
            cursor = (volunteer.rank, volunteer.volunteer_id)
            entries = await call.views.entries(volunteer.volunteer_id,
                                               ENTRIES_PER_VOLUNTEER_MAX)
            found += [e for e in entries if e.kind in ("credit", "correction")
                      and (root is None or (e.area or "").startswith(root))]
            seen += 1
            if seen >= REPORT_VOLUNTEERS_MAX:
                return found, True
        if len(chunk) < page:
            return found, False


async def _grouping(call: Call, group_by: str, root: str | None) -> KeyOf:
    if group_by == "month":
        return by_month()
    if group_by == "service_type":
        return by_service_type({t["code"]: t["name_zh"] for t in SERVICE_TYPES})
    areas = await call.views.areas(county_of(root) if root else None)
    if group_by == "team":
        teams = await call.views.teams(county_of(root) if root else None)
        return by_team({t.team_id: t.name for t in teams})
    names = {a.code: a.name for a in areas}
    if root is None:
        counties = {code: name for code, name in names.items() if len(code) == 6}
        return by_area("", counties)
    children = {code: name for code, name in names.items()
                if code.startswith(root) and len(code) == len(root) + (6 if not root else 3)}
    return by_area(root, children, root_label=names.get(root, root))


@route("GET", "/api/v1/reports/hours", "Hours, services, activities and active volunteers "
       "(those with verified hours in the period) in the caller's scope, by `group_by`: "
       "`area` (the areas one level below `area`, or below the scope; the area's own row is "
       "本级), `service_type`, `team` or `month` (China time); posted entries net of "
       "corrections, on the day served; `from`/`to` are days, both included; `format` json "
       "(default), csv (a header of the row's keys, then a total line) or xlsx. A report "
       "reads the ledgers of at most 20,000 volunteers (`truncated: true` beyond)",
       roles=STAFF, answer=ReportOut, errors=(400, 401, 403), tag="reports",
       query=(("area", "an area code within the scope"), ("from", "YYYY-MM-DD"),
              ("to", "YYYY-MM-DD"), ("group_by", "area | service_type | team | month"),
              ("format", "json | csv | xlsx")))
async def hours_report(call: Call) -> web.StreamResponse:
    query = call.request.query
    group_by = query.get("group_by", "area")
    if group_by not in GROUPS:
        raise ApiError(400, "bad_group_by", "group_by must be area, service_type, team or month")
    fmt = query.get("format", "json")
    if fmt not in FORMATS:
        raise ApiError(400, "bad_format", "format must be json, csv or xlsx")
    start, end = query_day(call, "from"), query_day(call, "to")
    if start is not None and end is not None and start > end:
        raise ApiError(400, "bad_period", "from must not be after to")
    root = call.listed_area()
    entries, truncated = await _entries(call, root)
    kept = [e for e in entries if in_period(day_of(e), start, end)]
    rows, totals = tabulate(kept, await _grouping(call, group_by, root))
    if fmt == "csv":
        return web.Response(text=to_csv(rows, totals), content_type="text/csv",
                            charset="utf-8", headers=_attachment(group_by, "csv"))
    if fmt == "xlsx":
        title = f"志愿服务时长 {root or '全部'}"
        data = await asyncio.to_thread(xlsx_of, rows, totals, title)
        return web.Response(body=data, content_type=FORMATS["xlsx"],
                            headers=_attachment(group_by, "xlsx"))
    return answer(ReportOut(
        area=root, group_by=group_by, period={"from": start, "to": end},
        rows=[ReportRowOut(**r.as_dict()) for r in rows],
        totals=ReportRowOut(**totals.as_dict()), truncated=truncated))


def _attachment(group_by: str, suffix: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="hours-by-{group_by}.{suffix}"'}
