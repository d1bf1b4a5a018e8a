"""GET /api/v1/audit: the audit records of the caller's scope (DESIGN §9)."""

from __future__ import annotations

import re

from aiohttp import web
from pydantic import BaseModel

from audit.owner import ALL, actor_index, area_index
from gateway.errors import ApiError
from gateway.http import Call, answer
from gateway.routes import STAFF, _limit, moment, ranked_cursor, route
from schemas.audit import AuditRecord

CURSOR = re.compile(r"([0-9]{1,12}(?:\.[0-9]{1,9})?)~([0-9a-f-]{36})")
ACTOR = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")
SCAN_PAGES_MAX = 5
"""With `actor=` inside a scope, records of the actor outside the scope are skipped: at most
this many pages are read for one answer (the cursor goes on from where it stopped)."""


class AuditListOut(BaseModel):
    records: list[AuditRecord]
    next_cursor: str | None = None


@route("GET", "/api/v1/audit", "Audit records in the caller's scope, newest first: every "
       "staff write and every staff read of contact details. `area` narrows to an area "
       "within the scope (403 `out_of_scope` outside it), `actor` to one staff member, "
       "`since` (ISO time) to records from then on; pages with `next_cursor`. A record with "
       "no area is seen only by staff of every area",
       roles=STAFF, answer=AuditListOut, errors=(400, 401, 403), tag="audit",
       query=(("area", "an area code within the scope"), ("actor", "a staff id"),
              ("since", "ISO 8601 time"), ("limit", "1-200"),
              ("cursor", "from the previous page's next_cursor")))
async def list_audit(call: Call) -> web.StreamResponse:
    query = call.request.query
    limit = _limit(call)
    area = call.listed_area()
    actor = query.get("actor")
    if actor is not None and not ACTOR.fullmatch(actor):
        raise ApiError(400, "bad_actor", "actor must be an id")
    since = moment(query.get("since"), "since")
    after = ranked_cursor(query.get("cursor"), CURSOR)
    index = actor_index(actor) if actor else area_index(area) if area else ALL
    records: list[AuditRecord] = []
    exhausted = False
    for _ in range(SCAN_PAGES_MAX):
        page = await call.views.audit(index, limit, after)
        exhausted = len(page) < limit
        for record in page:
            after = (record.at.timestamp(), str(record.audit_id))
            if since is not None and record.at < since:
                exhausted = True
                break
            if actor and area and not (record.area or "").startswith(area):
                continue
            records.append(record)
            if len(records) == limit:
                break
        if exhausted or len(records) == limit:
            break
    more = not exhausted and after is not None
    return answer(AuditListOut(records=records,
                               next_cursor=f"{after[0]}~{after[1]}" if more and after else None))
