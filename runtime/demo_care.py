"""The demo's care visits (夕阳计划, 政策找人) and its "can't get it done" window (办不成事):
plans for the residents whose circumstances call for one (the rest stay on the suggestions
list), their first visits created by the platform, two of them served and completed, two
called off by the resident (missed, each opening a case), and a few cases residents and
staff opened, one worked to its close. Seeded through the HTTP API as the rest of the demo
is, each write under its own idempotency key."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from care.rules import Suggestion, suggestion_for
from schemas.common import Role

Post = Callable[[Role, str, str, dict[str, Any] | None, str], Awaitable[dict[str, Any]]]
Get = Callable[[Role, str, str], Awaitable[dict[str, Any]]]

PLANS_MAX = 6
"""Plans the demo makes; the other residents who qualify stay suggested."""
VISIT_WAIT_S = 30.0
SERVICE = {"week": "companionship", "fortnight": "health_check", "month": "health_check"}
CALLED_OFF = "这几天住院了，先不用来"
COMPLAINTS = (("医保报销跑了三趟还没办成", "每次去都说少一份证明，希望一次告诉清楚"),
              ("小区路灯坏了半个月没人修", "晚上出门买菜看不清台阶，老人容易摔"))
STAFF_CASE = ("老旧小区加装电梯意见不一", "三楼以上住户想装，一楼住户担心采光，需要协调")
STEPS = (("prescribe", "约住建、街道和业委会一起现场看"), ("act", "组织三次协商会，形成分摊方案"),
         ("verify", "回访一楼住户，同意方案"))


async def _visit_of(get: Get, resident_id: str, plan_id: str) -> dict[str, Any] | None:
    """The plan's first visit as the resident's request, once the platform has made it."""
    deadline = asyncio.get_running_loop().time() + VISIT_WAIT_S
    while asyncio.get_running_loop().time() < deadline:
        found = await get(Role.RESIDENT, resident_id, "/api/v1/requests?limit=50")
        visit: dict[str, Any] | None = next(
            (r for r in found["requests"] if r.get("plan_id") == plan_id), None)
        if visit is not None and visit["status"] != "submitted":
            return visit
        await asyncio.sleep(0.2)
    return None


def _suggested(profile: dict[str, object], year: int) -> Suggestion | None:
    birth_year, tags = profile.get("birth_year"), profile.get("tags")
    return suggestion_for(birth_year if isinstance(birth_year, int) else None,
                          frozenset(str(t) for t in tags) if isinstance(tags, list)
                          else frozenset(), year)


async def seed_care(post: Post, get: Get, staff_id: str, profiles: Sequence[dict[str, object]],
                    leaders: dict[str, str], members: dict[str, list[str]]) -> None:
    year = datetime.now(UTC).year
    qualifying = [(p, s) for p in profiles if (s := _suggested(p, year)) is not None]
    plans = []
    for n, (profile, found) in enumerate(qualifying[:PLANS_MAX]):
        resident_id = str(profile["resident_id"])
        plan_id = f"P-{resident_id}"
        await post(Role.STAFF, staff_id, "/api/v1/care-plans", {
            "plan_id": plan_id, "resident_id": resident_id,
            "service_type": SERVICE.get(found.cadence, "health_check"),
            "cadence": found.cadence, "notes": f"{found.reason}，每期上门看看身体和家里情况"},
            f"care-plan:{plan_id}")
        plans.append((n, resident_id, plan_id))
    for n, resident_id, plan_id in plans:
        if n >= 4:
            continue
        visit = await _visit_of(get, resident_id, plan_id)
        if visit is None:
            continue
        path = f"/api/v1/requests/{visit['request_id']}"
        if n % 2:
            await post(Role.RESIDENT, resident_id, path + "/cancel", {"reason": CALLED_OFF},
                       f"care-visit:{plan_id}:cancel")
            continue
        team_id = visit.get("team_id")
        if team_id is None or team_id not in leaders or visit["status"] != "dispatched":
            continue
        await post(Role.LEADER, leaders[team_id], path + "/accept", None,
                   f"care-visit:{plan_id}:accept")
        await post(Role.LEADER, leaders[team_id], path + "/complete", {"volunteers": [
            {"volunteer_id": members[team_id][0], "hours": 1.0}]},
            f"care-visit:{plan_id}:complete")
    await _cases(post, staff_id, profiles)


async def _cases(post: Post, staff_id: str, profiles: Sequence[dict[str, object]]) -> None:
    """Two residents' complaints left open, and one matter staff found and closed."""
    for n, (subject, details) in enumerate(COMPLAINTS):
        resident = profiles[n + 1]
        await post(Role.RESIDENT, str(resident["resident_id"]), "/api/v1/cases", {
            "subject": subject, "details": details, "area": resident["area"]},
            f"case:complaint:{n}")
    resident = profiles[3]
    made = await post(Role.STAFF, staff_id, "/api/v1/cases", {
        "subject": STAFF_CASE[0], "details": STAFF_CASE[1], "area": resident["area"],
        "kind": "other"}, "case:staff:0")
    path = f"/api/v1/cases/{made['case_id']}"
    for n, (kind, note) in enumerate(STEPS):
        await post(Role.STAFF, staff_id, path + "/steps", {"kind": kind, "note": note},
                   f"case:staff:0:step:{n}")
    await post(Role.STAFF, staff_id, path + "/close", {
        "resolution": "方案公示无异议，电梯已开工", "resident_satisfied": True},
        "case:staff:0:close")
