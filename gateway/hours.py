"""Hours you can trust (DESIGN §10): the staff's flags, corrections, and a volunteer's
service record."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from uuid import uuid5

from aiohttp import web

from certificates.record import service_record
from consumers.ledger.rules import star_level
from gateway.errors import ApiError
from gateway.http import Call, answer, execute
from gateway.routes import COMMAND_ERRORS, IN_SCOPE, STAFF, _known_volunteer, _limit, route
from schemas import api_hours as api
from schemas import commands as cmd
from schemas.common import Role, county_of
from schemas.flags import ResolveFlag, county_of_flag
from schemas.views import AccountView, LedgerEntry

CURSOR = re.compile(r"([0-9]{1,12}(?:\.[0-9]{1,9})?)~(FL-[0-9]{6}-[0-9a-f]{20})")
STATUSES = ("open", "credited", "rejected")
RECORD_ENTRIES_MAX = 5000
"""A record reads at most this many ledger entries (a volunteer's whole ledger, in practice:
five thousand services or activities); a longer one is cut to its newest."""


@route("GET", "/api/v1/flags", "Flags on hours in the caller's scope, newest first (DESIGN "
       "§10): each holds a credit until staff credit or reject it. `status` is open, "
       "credited or rejected (default: every status); `area` narrows to an area within the "
       "scope (403 `out_of_scope` outside it); pages with `next_cursor`. Flags on hours that "
       "name no area are seen only by staff of every area",
       roles=STAFF, answer=api.FlagListOut, errors=(400, 401, 403), tag="hours",
       query=(("status", "open | credited | rejected"), ("area", "an area code"),
              ("limit", "1-200"), ("cursor", "from the previous page's next_cursor")))
async def list_flags(call: Call) -> web.StreamResponse:
    status = call.request.query.get("status")
    if status is not None and status not in STATUSES:
        raise ApiError(400, "bad_status", "status must be open, credited or rejected")
    limit = _limit(call)
    area = call.listed_area()
    raw = call.request.query.get("cursor")
    after = None
    if raw is not None:
        found = CURSOR.fullmatch(raw)
        if found is None:
            raise ApiError(400, "bad_cursor", "the cursor is not one this platform gave")
        after = (float(found.group(1)), found.group(2))
    flags = await call.views.flags(area, status, limit, after)
    last = flags[-1] if len(flags) == limit else None
    return answer(api.FlagListOut(
        flags=flags, next_cursor=None if last is None else f"{last.at.timestamp()}~{last.flag_id}"))


@route("POST", "/api/v1/flags/{flag_id}/resolve", "Resolve a flag: `credit` posts the held "
       "credit once every flag on it is credited, `reject` drops it for good; the reason is "
       "required (422 naming it) and audited; 409 `already_resolved`" + IN_SCOPE,
       roles=STAFF, body=api.FlagResolveIn, answer=api.FlagResolveOut,
       errors=COMMAND_ERRORS, tag="hours")
async def resolve_flag(call: Call) -> web.StreamResponse:
    flag_id = call.match("flag_id")
    county = county_of_flag(flag_id)
    flag = None if county is None else await call.views.flag(flag_id)
    if flag is None or county is None:
        raise ApiError(404, "not_found", "no such flag")
    if flag.area is None:
        if call.who.scope is not None:
            raise ApiError(404, "not_found", "no such flag")
    else:
        call.visible(flag.area, "flag")
    body: api.FlagResolveIn = call.body
    command = ResolveFlag(**call.envelope(), county=county, flag_id=flag_id,
                          decision=body.decision, reason=body.reason)
    out = await execute(call, command)
    if isinstance(out, web.Response):
        return out
    result: dict[str, Any] = dict(out.result or {})
    return answer(api.FlagResolveOut.model_validate({"flag": result["flag"]}))


@route("POST", "/api/v1/volunteers/{volunteer_id}/corrections", "Correct a credited entry "
       "with a reversing entry (DESIGN §10): without `points`/`hours` the whole of what is "
       "left of it; the reason is required (422 naming it) and audited. It takes at most "
       "the balance in points and records the rest as `unrecovered_points`; 404 "
       "`unknown_entry`, 409 `already_corrected`, 422 `correction_exceeds_entry`" + IN_SCOPE,
       roles=STAFF, body=api.CorrectionIn, answer=api.CorrectionOut, status=201,
       errors=COMMAND_ERRORS, tag="hours")
async def correct_entry(call: Call) -> web.StreamResponse:
    volunteer_id = call.match("volunteer_id")
    body: api.CorrectionIn = call.body

    async def build() -> cmd.CorrectEntry:
        await _known_volunteer(call, volunteer_id)
        return cmd.CorrectEntry(**call.envelope(), volunteer_id=volunteer_id,
                                entry_id=uuid5(call.command_id, "correction"),
                                corrects=body.entry_id, reason=body.reason,
                                points=body.points, hours=body.hours)

    out = await execute(call, build)
    if isinstance(out, web.Response):
        return out
    result: dict[str, Any] = dict(out.result or {})
    if result.get("duplicate"):
        raise ApiError(409, "correction_exists", "this correction was already made")
    return answer(api.CorrectionOut.model_validate(
        {k: result[k] for k in ("entry_id", "corrects", "points", "hours",
                                "unrecovered_points", "balance")}), 201)


def query_day(call: Call, name: str) -> date | None:
    """A day of the query (`from`, `to`): YYYY-MM-DD, or 400 naming it."""
    raw = call.request.query.get(name)
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as e:
        raise ApiError(400, f"bad_{name}", f"{name} must be a date (YYYY-MM-DD)") from e


async def _places(call: Call, entries: list[LedgerEntry]) -> dict[str, str]:
    counties = {county_of(e.area) for e in entries if e.area}
    names: dict[str, str] = {}
    for county in sorted(counties):
        names |= {a.code: a.name for a in await call.views.areas(county)}
    return names


async def volunteer_record(call: Call, volunteer_id: str, start: date | None,
                           end: date | None) -> tuple[api.RecordOut, AccountView]:
    """The record as the route answers it (and a certificate attests it)."""
    volunteer = await _known_volunteer(call, volunteer_id)
    account = await call.views.account(volunteer_id) or AccountView(volunteer_id=volunteer_id)
    entries = await call.views.entries(volunteer_id, RECORD_ENTRIES_MAX)
    held = await call.views.held_credits(volunteer_id)
    places = await _places(call, [*entries, *(h.entry for h in held)])
    record = service_record(entries, held, start, end, places)
    return api.RecordOut(
        volunteer_id=volunteer_id, name=volunteer.name, period={"from": start, "to": end},
        entries=record.lines, totals=record.totals,
        star_level=star_level(account.verified_hours),
        lifetime_hours=account.lifetime_hours, verified_hours=account.verified_hours,
    ), account


@route("GET", "/api/v1/volunteers/{volunteer_id}/record", "A volunteer's service record "
       "(志愿服务记录, DESIGN §10): each service and activity with its day (China time), "
       "place, service type, hours, organiser and whether it was verified; corrections as "
       "negative lines on the day they correct; credits a flag holds with `status: held` "
       "(not in the totals' hours). `from`/`to` are days, both included. The volunteer "
       "themself, or staff in scope (others: 404)",
       roles=(Role.VOLUNTEER, Role.STAFF), answer=api.RecordOut,
       errors=(400, 401, 403, 404), tag="hours",
       query=(("from", "first day, YYYY-MM-DD"), ("to", "last day, YYYY-MM-DD")))
async def get_record(call: Call) -> web.StreamResponse:
    volunteer_id = call.match("volunteer_id")
    if call.who.role is Role.VOLUNTEER and call.who.subject != volunteer_id:
        raise ApiError(403, "forbidden", "volunteers may see only their own record")
    start, end = query_day(call, "from"), query_day(call, "to")
    if start is not None and end is not None and start > end:
        raise ApiError(400, "bad_period", "from must not be after to")
    record, _ = await volunteer_record(call, volunteer_id, start, end)
    return answer(record)

