"""GET /api/v1/reports/hours (DESIGN §10): hours, services, activities and active volunteers
by area (one step down the tree), service type, team or month, in the staff's scope; and
GET /api/v1/reports/wishes (§11): the micro-wishes collected, claimed and fulfilled by area;
both as JSON, CSV or XLSX."""

from __future__ import annotations

import asyncio
from datetime import date
from zoneinfo import ZoneInfo

from aiohttp import web

from certificates.record import day_of, in_period
from gateway.errors import ApiError
from gateway.hours import query_day
from gateway.http import Call, answer
from gateway.routes import SERVICE_TYPES, STAFF, route
from reports import wishes as wish_tables
from reports.tables import (
    KeyOf,
    area_rows,
    by_area,
    by_month,
    by_service_type,
    by_team,
    csv_table,
    tabulate,
    to_csv,
    xlsx_table,
)
from reports.tables import to_xlsx as xlsx_of
from reports.wishes import WishFacts, tabulate_wishes
from schemas.api_reports import ReportOut, ReportRowOut, WishReportOut, WishRowOut
from schemas.common import county_of
from schemas.views import LedgerEntry
from schemas.wishes import WishView

LOCAL = ZoneInfo("Asia/Shanghai")
GROUPS = ("area", "service_type", "team", "month")
FORMATS = {"json": "application/json", "csv": "text/csv",
           "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
REPORT_VOLUNTEERS_MAX = 20_000
"""Volunteers one report reads the ledgers of at most; beyond it the answer says
`truncated: true` (narrow the area)."""
ENTRIES_PER_VOLUNTEER_MAX = 5000
REPORT_WISHES_MAX = 50_000
"""Wishes one report reads at most, the newest first; beyond it `truncated: true`."""


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
    if group_by == "team":
        teams = await call.views.teams(county_of(root) if root else None)
        return by_team({t.team_id: t.name for t in teams})
    parent, children, label = await one_level_down(call, root)
    return by_area(parent, children, root_label=label)


async def one_level_down(call: Call, root: str | None) -> tuple[str, dict[str, str], str]:
    """The rows of a report by area: the areas one level below `root` (every county
    without one), and the root's own label."""
    areas = await call.views.areas(county_of(root) if root else None)
    names = {a.code: a.name for a in areas}
    if root is None:
        return "", {code: name for code, name in names.items() if len(code) == 6}, ""
    children = {code: name for code, name in names.items()
                if code.startswith(root) and len(code) == len(root) + 3}
    return root, children, names.get(root, root)


def report_format(call: Call) -> str:
    fmt = call.request.query.get("format", "json")
    if fmt not in FORMATS:
        raise ApiError(400, "bad_format", "format must be json, csv or xlsx")
    return fmt


def _period(call: Call) -> tuple[date | None, date | None]:
    start, end = query_day(call, "from"), query_day(call, "to")
    if start is not None and end is not None and start > end:
        raise ApiError(400, "bad_period", "from must not be after to")
    return start, end


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
    fmt = report_format(call)
    start, end = _period(call)
    root = call.listed_area()
    entries, truncated = await _entries(call, root)
    kept = [e for e in entries if in_period(day_of(e), start, end)]
    rows, totals = tabulate(kept, await _grouping(call, group_by, root))
    if fmt == "csv":
        return web.Response(text=to_csv(rows, totals), content_type="text/csv",
                            charset="utf-8", headers=attachment(f"hours-by-{group_by}", "csv"))
    if fmt == "xlsx":
        title = f"志愿服务时长 {root or '全部'}"
        data = await asyncio.to_thread(xlsx_of, rows, totals, title)
        return web.Response(body=data, content_type=FORMATS["xlsx"],
                            headers=attachment(f"hours-by-{group_by}", "xlsx"))
    return answer(ReportOut(
        area=root, group_by=group_by, period={"from": start, "to": end},
        rows=[ReportRowOut(**r.as_dict()) for r in rows],
        totals=ReportRowOut(**totals.as_dict()), truncated=truncated))


async def _wishes(call: Call, root: str | None, start: date | None
                  ) -> tuple[list[WishView], bool]:
    """The wishes posted in the area since `start`, the newest first, at most
    REPORT_WISHES_MAX of them (and whether there were more)."""
    found: list[WishView] = []
    after = None
    page = call.config.page_size_max
    while True:
        chunk = await call.views.wishes(root, page, after)
        for wish in chunk:
            after = (wish.created_at.timestamp(), wish.wish_id)
            if start is not None and posted_on(wish) < start:
                return found, False
            if len(found) == REPORT_WISHES_MAX:
                return found, True
            found.append(wish)
        if len(chunk) < page:
            return found, False


def posted_on(wish: WishView) -> date:
    posted: date = wish.created_at.astimezone(LOCAL).date()
    return posted


@route("GET", "/api/v1/reports/wishes", "Micro-wishes (微心愿) collected in the caller's "
       "scope by area (the areas one level below `area`, or below the scope; the area's own "
       "row is 本级): how many were posted in the period (`from`/`to`, days of posting in "
       "China time, both included) and, of them, how many wait for a claimer now, were ever "
       "claimed, were fulfilled and were withdrawn, and the fulfilment rate (fulfilled / "
       "collected). `format` json (default), csv (a header of the row's keys, then a total "
       "line) or xlsx. A report reads at most 50,000 wishes, the newest first "
       "(`truncated: true` beyond)",
       roles=STAFF, answer=WishReportOut, errors=(400, 401, 403), tag="reports",
       query=(("area", "an area code within the scope"), ("from", "YYYY-MM-DD"),
              ("to", "YYYY-MM-DD"), ("format", "json | csv | xlsx")))
async def wishes_report(call: Call) -> web.StreamResponse:
    fmt = report_format(call)
    start, end = _period(call)
    root = call.listed_area()
    wishes, truncated = await _wishes(call, root, start)
    kept = [WishFacts(area=x.area, status=x.status, claims=x.claims) for x in wishes
            if in_period(posted_on(x), start, end)]
    parent, children, label = await one_level_down(call, root)
    rows, totals = tabulate_wishes(kept, area_rows(parent, children, root_label=label))
    lines = [row.cells() for row in [*rows, totals]]
    if fmt == "csv":
        return web.Response(text=csv_table(wish_tables.CSV_HEADER, lines),
                            content_type="text/csv", charset="utf-8",
                            headers=attachment("wishes-by-area", "csv"))
    if fmt == "xlsx":
        title = f"微心愿 {root or '全部'}"
        data = await asyncio.to_thread(xlsx_table, wish_tables.XLSX_HEADER, lines, title)
        return web.Response(body=data, content_type=FORMATS["xlsx"],
                            headers=attachment("wishes-by-area", "xlsx"))
    return answer(WishReportOut(
        area=root, period={"from": start, "to": end},
        rows=[WishRowOut(**r.as_dict()) for r in rows],
        totals=WishRowOut(**totals.as_dict()), truncated=truncated))


def attachment(name: str, suffix: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}.{suffix}"'}
