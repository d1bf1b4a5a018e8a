"""The authorization matrix: every route of the contract × every role, plus ownership and
staff's scope.

Each route declares the roles it admits; a caller of any other role gets 403, a caller with no
token or a bad one 401; an admitted role may still meet a 403 of its own (a kiosk without a
redeem code, an operator's token on a route for a signed-in session), never `forbidden`.
Admitted roles still meet ownership: someone else's request, task or points are 403.

Every route staff may call is probed with four scopes around the object's area (the area,
its town, the area beside it, another county): the first two read, act and create; the others
get 404 not_found for what they read or act on, 403 out_of_scope for what they create, and
lists and the live board without the object. A route that names no area is open to every
scope; a route for a signed-in session refuses an operator's token alike in every scope. A
route staff may call without a probe fails the suite.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import jwt
import pytest
from harness import (
    Client,
    District,
    Platform,
    Reply,
    eventually,
    make_district,
    unique_county,
)
from journeys import served

from gateway.app import ROUTES
from gateway.http import Route
from schemas.common import Role

PEOPLE = [r for r in Role if r is not Role.SYSTEM]
CHINA = ZoneInfo("Asia/Shanghai")


def subject_for(role: Role, district: District) -> str:
    return {
        Role.RESIDENT: "R-authz",
        Role.LEADER: district.teams["hamlet"].leader_id,
        Role.VOLUNTEER: district.teams["hamlet"].volunteers[0],
        Role.STAFF: "S-authz",
        Role.KIOSK: "K-authz",
    }[role]


def concrete(path: str, request_id: str, volunteer_id: str, team_id: str = "T-none") -> str:
    return (path.replace("{request_id}", request_id)
            .replace("{volunteer_id}", volunteer_id)
            .replace("{team_id}", team_id)
            .replace("{command_id}", "00000000-0000-0000-0000-000000000000")
            .replace("{kiosk_id}", "K-none")
            .replace("{resident_id}", "R-nobody-here")
            .replace("{flag_id}", "FL-999999-0123456789abcdef0123")
            .replace("{serial}", "999999-2026-22222222")
            .replace("{activity_id}", "A-none")
            .replace("{wish_id}", "W-none")
            .replace("{household_id}", "H-none")
            .replace("{case_id}", "C-none")
            .replace("{plan_id}", "P-none"))


async def call(client: Client, route: Route, path: str) -> Reply:
    if route.content_type == "text/event-stream":
        return await client.open_stream(path)
    if route.method == "GET":
        return await client.get(path)
    if route.method in ("DELETE", "PATCH"):
        return await client.request(route.method, path, {})
    return await client.post(path, {})


@pytest.fixture
async def scene(platform: Platform) -> tuple[District, str]:
    district = await make_district(platform)
    r = await platform.as_(Role.RESIDENT, "R-authz").post("/api/v1/requests", {
        "service_type": "groceries", "area": district.hamlet, "address": "1栋"})
    return district, r.body["request_id"]


async def test_every_route_admits_only_its_roles(platform: Platform,
                                                 scene: tuple[District, str]) -> None:
    district, request_id = scene
    volunteer_id = district.teams["hamlet"].volunteers[0]
    wrong: list[str] = []
    for route in ROUTES:
        path = concrete(route.path, request_id, volunteer_id, district.teams["hamlet"].team_id)
        for role in PEOPLE:
            client = platform.as_(role, subject_for(role, district))
            reply = await call(client, route, path)
            status = reply.status
            admitted = route.roles is None or role.value in route.roles
            refused = status == 401 or (status == 403 and reply.error_code == "forbidden")
            if (admitted and refused) or (not admitted and status != 403):
                wrong.append(f"{route.method} {route.path} as {role.value}: {status}")
    assert wrong == []


async def test_protected_routes_want_a_valid_token(platform: Platform,
                                                   scene: tuple[District, str]) -> None:
    district, request_id = scene
    volunteer_id = district.teams["hamlet"].volunteers[0]
    now = datetime.now(UTC)
    expired = jwt.encode({"iss": "vdispatch", "sub": "S1", "role": "staff",
                          "iat": int((now - timedelta(hours=2)).timestamp()),
                          "exp": int((now - timedelta(hours=1)).timestamp())},
                         platform.secret, algorithm="HS256")
    forged = jwt.encode({"iss": "vdispatch", "sub": "S1", "role": "staff",
                         "iat": int(now.timestamp()),
                         "exp": int((now + timedelta(hours=1)).timestamp())},
                        "not-the-secret-but-long-enough-for-hs256", algorithm="HS256")
    system = jwt.encode({"iss": "vdispatch", "sub": "platform", "role": "system",
                         "iat": int(now.timestamp()),
                         "exp": int((now + timedelta(hours=1)).timestamp())},
                        platform.secret, algorithm="HS256")
    clients = [platform.anonymous(), platform.with_token("garbage"),
               platform.with_token(expired), platform.with_token(forged),
               platform.with_token(system)]
    wrong = []
    for route in ROUTES:
        if route.roles is None:
            continue
        path = concrete(route.path, request_id, volunteer_id)
        for n, client in enumerate(clients):
            reply = (await client.post(path, {}) if route.method == "POST"
                     else await client.request(route.method, path))
            if reply.status != 401 or reply.error_code != "unauthorized":
                wrong.append(f"{route.method} {route.path} with client {n}: {reply.status}")
    assert wrong == []


async def test_admitted_roles_still_meet_ownership(platform: Platform,
                                                   scene: tuple[District, str]) -> None:
    district, request_id = scene
    path = f"/api/v1/requests/{request_id}"
    stranger = platform.as_(Role.RESIDENT, "R-stranger")
    assert (await stranger.get(path)).status == 403
    assert (await stranger.post(path + "/cancel", {})).status == 403
    assert (await stranger.post(path + "/review", {"rating": 3})).status == 403

    other_leader = platform.as_(Role.LEADER, district.teams["county"].leader_id)
    assert (await other_leader.get(path)).status == 403
    for action, body in (("accept", {}), ("decline", {"reason": "x"}),
                         ("complete", {"volunteers": [
                             {"volunteer_id": district.teams["county"].volunteers[0],
                              "hours": 1}]})):
        reply = await other_leader.post(f"{path}/{action}", body)
        assert (reply.status, action) == (403, action)

    mine, theirs = district.teams["hamlet"].volunteers[:2]
    me = platform.as_(Role.VOLUNTEER, mine)
    assert (await me.get(f"/api/v1/volunteers/{theirs}/points")).status == 403
    assert (await me.post(f"/api/v1/volunteers/{theirs}/redeem-code")).status == 403
    assert (await me.get(f"/api/v1/volunteers/{mine}/points")).status == 200

    unassigned = platform.as_(Role.LEADER, "L-nobody")
    assert (await unassigned.get("/api/v1/tasks")).status == 404


# -- scope: staff see and act on what lies in their area -----------------------------------

SCOPES = ("in", "enclosing", "sibling", "elsewhere")
"""A staff member's scope relative to the object's area: the area itself, its town, the
area beside it, the same place in another county."""
PASSES = {"in", "enclosing"}


def scope_for(kind: str, area: str, elsewhere: str) -> str:
    last = area[-3:]
    return {"in": area, "enclosing": area[:9],
            "sibling": area[:-3] + ("002" if last != "002" else "001"),
            "elsewhere": elsewhere + area[6:]}[kind]


@dataclass
class Scene:
    platform: Platform
    district: District
    request_id: str
    elsewhere: str
    made: itertools.count[int] = field(default_factory=lambda: itertools.count(3))
    kept: dict[str, str] = field(default_factory=dict)
    """What probes made once and share (a served request, a flag)."""

    @property
    def area(self) -> str:
        return self.district.hamlet

    def staff(self, scope: str) -> Client:
        return self.platform.as_(Role.STAFF, "S-scoped", scope=scope)

    async def fresh_request(self) -> str:
        """A request of its own for an action that changes it (a resident each: the
        hourly limit of orders)."""
        n = next(self.made)
        r = await self.platform.as_(Role.RESIDENT, f"R-scope-{n}").post("/api/v1/requests", {
            "service_type": "groceries", "area": self.area, "address": "2栋"})
        assert r.status == 201, r.body
        return str(r.body["request_id"])


Probe = Callable[[Scene, str], Awaitable[Reply]]
"""Calls a route as staff of a scope about the scene's object; its kind says what answer a
scope in or out should get."""


async def _new_area(s: Scene, kind: str) -> tuple[Reply, str]:
    code = s.district.village + f"{next(s.made):03d}"
    reply = await s.staff(scope_for(kind, code, s.elsewhere)).post(
        "/api/v1/areas", {"code": code, "name": "新小区"})
    return reply, code


async def probe_new_area(s: Scene, kind: str) -> Reply:
    return (await _new_area(s, kind))[0]


async def probe_new_team(s: Scene, kind: str) -> Reply:
    n = next(s.made)
    return await s.staff(scope_for(kind, s.area, s.elsewhere)).post("/api/v1/teams", {
        "team_id": f"T{s.district.county}-scope{n}", "name": "新队",
        "leader_id": f"L{s.district.county}-scope{n}", "service_types": ["groceries"],
        "areas": [s.area], "capacity": 1})


async def probe_new_volunteer(s: Scene, kind: str) -> Reply:
    return await s.staff(scope_for(kind, s.area, s.elsewhere)).post("/api/v1/volunteers", {
        "volunteer_id": f"V{s.district.county}-scope{next(s.made)}", "name": "新志愿者",
        "team_id": s.district.teams["hamlet"].team_id})


def reader(path: Callable[[Scene], str]) -> Probe:
    async def probe(s: Scene, kind: str) -> Reply:
        return await s.staff(scope_for(kind, s.area, s.elsewhere)).get(path(s))
    return probe


def actor(action: str, body: Callable[[Scene], dict[str, Any]]) -> Probe:
    async def probe(s: Scene, kind: str) -> Reply:
        request_id = await s.fresh_request()
        return await s.staff(scope_for(kind, s.area, s.elsewhere)).post(
            f"/api/v1/requests/{request_id}/{action}", body(s))
    return probe


def lister(path: str, listed: Callable[[Scene, Any], bool]) -> Probe:
    """A list: the object is in it exactly when it lies in the scope."""
    async def probe(s: Scene, kind: str) -> Reply:
        reply = await s.staff(scope_for(kind, s.area, s.elsewhere)).get(path)
        assert reply.status == 200, reply.body
        return Reply(200 if listed(s, reply.body) else 404, reply.body, reply.headers)
    return probe


def board_counts(s: Scene, kind: str, snapshot: dict[str, Any]) -> bool:
    """The board counts the scene's area, and only areas of the scope."""
    scope = scope_for(kind, s.area, s.elsewhere)
    assert all(code.startswith(scope) for code in snapshot["by_area"]), snapshot["by_area"]
    return s.area in snapshot["by_area"]


async def probe_live(s: Scene, kind: str) -> Reply:
    reply = await s.staff(scope_for(kind, s.area, s.elsewhere)).get("/api/v1/live")
    assert reply.status == 200, reply.body
    return Reply(200 if board_counts(s, kind, reply.body) else 404, reply.body, reply.headers)


async def probe_stream(s: Scene, kind: str) -> Reply:
    reply = await s.staff(scope_for(kind, s.area, s.elsewhere)).open_stream(
        "/api/v1/live/stream")
    assert reply.status == 200, reply.body
    snapshot = json.loads(reply.body.removeprefix("data: "))
    return Reply(200 if board_counts(s, kind, snapshot) else 404, snapshot, reply.headers)


def team_listed(s: Scene, body: Any) -> bool:
    return s.district.teams["hamlet"].team_id in {t["team_id"] for t in body["teams"]}


def request_listed(s: Scene, body: Any) -> bool:
    return s.request_id in {r["request_id"] for r in body["requests"]}


def unscoped(path: str, body: dict[str, Any] | None = None) -> Probe:
    """A route that names no area: every scope may call it."""
    async def probe(s: Scene, kind: str) -> Reply:
        staff = s.staff(scope_for(kind, s.area, s.elsewhere))
        if body is None:
            return await staff.get(path)
        return await staff.post(path, body | {"item_id": f"G-scope{next(s.made)}"})
    return probe


async def probe_new_staff(s: Scene, kind: str) -> Reply:
    n = next(s.made)
    return await s.staff(scope_for(kind, s.area, s.elsewhere)).post("/api/v1/staff", {
        "staff_id": f"S{s.district.county}-scope{n}", "name": "站点",
        "phone": f"136{int(s.district.county) % 10**4:04d}{n:04d}", "scope": s.area})


async def probe_new_kiosk(s: Scene, kind: str) -> Reply:
    return await s.staff(scope_for(kind, s.area, s.elsewhere)).post("/api/v1/kiosks", {
        "kiosk_id": f"K{s.district.county}-scope{next(s.made)}", "name": "兑换机",
        "area": s.area})


async def probe_revoke_kiosk(s: Scene, kind: str) -> Reply:
    kiosk_id = f"K{s.district.county}-revoke{next(s.made)}"
    made = await s.district.staff.post("/api/v1/kiosks", {
        "kiosk_id": kiosk_id, "name": "兑换机", "area": s.area})
    assert made.status == 201, made.body
    return await s.staff(scope_for(kind, s.area, s.elsewhere)).post(
        f"/api/v1/kiosks/{kiosk_id}/revoke", {})


def patcher(path: Callable[[Scene], str], body: dict[str, Any]) -> Probe:
    async def probe(s: Scene, kind: str) -> Reply:
        return await s.staff(scope_for(kind, s.area, s.elsewhere)).request(
            "PATCH", path(s), body)
    return probe


def volunteer_listed(s: Scene, body: Any) -> bool:
    return s.district.teams["hamlet"].volunteers[0] in {
        v["volunteer_id"] for v in body["volunteers"]}


def audit_listed(s: Scene, body: Any) -> bool:
    """The record of the scene's area being registered."""
    return any(r["area"] == s.area for r in body["records"])


async def probe_password(s: Scene, kind: str) -> Reply:
    return await s.staff(scope_for(kind, s.area, s.elsewhere)).post(
        "/api/v1/auth/password", {"new_password": "a new password"})


async def _resident_in_area(s: Scene) -> str:
    resident_id = f"R{s.district.county}-scope{next(s.made)}"
    made = await s.district.staff.post("/api/v1/residents", {
        "resident_id": resident_id, "name": "居民", "area": s.area, "address": "3栋"})
    assert made.status == 201, made.body
    return resident_id


async def probe_new_resident(s: Scene, kind: str) -> Reply:
    return await s.staff(scope_for(kind, s.area, s.elsewhere)).post("/api/v1/residents", {
        "name": "新居民", "area": s.area, "address": "4栋"})


async def probe_order_for(s: Scene, kind: str) -> Reply:
    resident_id = await _resident_in_area(s)
    return await s.staff(scope_for(kind, s.area, s.elsewhere)).post("/api/v1/requests", {
        "service_type": "groceries", "area": s.area, "address": "3栋",
        "resident_id": resident_id, "channel": "counter"})


def on_resident(method: str, body: dict[str, Any] | None = None) -> Probe:
    async def probe(s: Scene, kind: str) -> Reply:
        resident_id = await _resident_in_area(s)
        return await s.staff(scope_for(kind, s.area, s.elsewhere)).request(
            method, f"/api/v1/residents/{resident_id}", body)
    return probe


def resident_listed(s: Scene, body: Any) -> bool:
    return any(r["area"] == s.area for r in body["residents"])


async def _served(s: Scene, dispute: bool) -> str:
    """A service in the scene's area by its hamlet team's first volunteer, reviewed (with a
    dispute, which puts a flag on the staff's list): its request id."""
    key = f"served:{dispute}"
    if key not in s.kept:
        resident = f"R-scope-{next(s.made)}"
        request_id = await served(s.platform, s.district, resident,
                                  [(s.district.teams["hamlet"].volunteers[0], 1)],
                                  review=False)
        body: dict[str, Any] = {"rating": 2}
        if dispute:
            body |= {"dispute": True, "dispute_reason": "没有来"}
        r = await s.platform.as_(Role.RESIDENT, resident).post(
            f"/api/v1/requests/{request_id}/review", body)
        assert r.status == 200, r.body
        s.kept[key] = request_id
    return s.kept[key]


async def _open_flag(s: Scene) -> str:
    request_id = await _served(s, dispute=True)
    everyone = s.platform.as_(Role.STAFF, "S-all")

    async def listed() -> str | None:
        flags = (await everyone.get(f"/api/v1/flags?area={s.area}")).body["flags"]
        return next((f["flag_id"] for f in flags if f["request_id"] == request_id), None)

    flag_id: str = await eventually(listed)
    return flag_id


async def probe_flags(s: Scene, kind: str) -> Reply:
    flag_id = await _open_flag(s)
    reply = await s.staff(scope_for(kind, s.area, s.elsewhere)).get("/api/v1/flags")
    assert reply.status == 200, reply.body
    found = flag_id in {f["flag_id"] for f in reply.body["flags"]}
    return Reply(200 if found else 404, reply.body, reply.headers)


async def probe_resolve(s: Scene, kind: str) -> Reply:
    flag_id = await _open_flag(s)
    return await s.staff(scope_for(kind, s.area, s.elsewhere)).post(
        f"/api/v1/flags/{flag_id}/resolve", {"decision": "credit", "reason": "核实无误"})


async def probe_correction(s: Scene, kind: str) -> Reply:
    volunteer_id = s.district.teams["hamlet"].volunteers[0]
    request_id = await _served(s, dispute=False)
    points = s.platform.as_(Role.STAFF, "S-all")

    async def credited() -> str | None:
        body = (await points.get(f"/api/v1/volunteers/{volunteer_id}/points")).body
        return next((e["entry_id"] for e in body["entries"]
                     if e["request_id"] == request_id and e["kind"] == "credit"), None)

    entry_id = await eventually(credited)
    reply = await s.staff(scope_for(kind, s.area, s.elsewhere)).post(
        f"/api/v1/volunteers/{volunteer_id}/corrections",
        {"entry_id": entry_id, "reason": "重复登记"})
    return Reply(200 if reply.status == 201 else reply.status, reply.body, reply.headers)


async def _certificate(s: Scene) -> str:
    if "certificate" not in s.kept:
        volunteer_id = s.district.teams["hamlet"].volunteers[0]
        made = await s.district.staff.post(f"/api/v1/volunteers/{volunteer_id}/certificates",
                                           {})
        assert made.status == 201, made.body
        s.kept["certificate"] = made.body["serial"]
    return s.kept["certificate"]


async def probe_report(s: Scene, kind: str) -> Reply:
    reply = await s.staff(scope_for(kind, s.area, s.elsewhere)).get("/api/v1/reports/hours")
    assert reply.status == 200, reply.body
    return Reply(200 if reply.body["totals"]["hours"] > 0 else 404, reply.body, reply.headers)


async def probe_issue(s: Scene, kind: str) -> Reply:
    volunteer_id = s.district.teams["hamlet"].volunteers[0]
    reply = await s.staff(scope_for(kind, s.area, s.elsewhere)).post(
        f"/api/v1/volunteers/{volunteer_id}/certificates", {})
    return Reply(200 if reply.status == 201 else reply.status, reply.body, reply.headers)


async def probe_pdf(s: Scene, kind: str) -> Reply:
    serial = await _certificate(s)
    return await s.staff(scope_for(kind, s.area, s.elsewhere)).get(
        f"/api/v1/certificates/{serial}.pdf")


async def probe_revoke(s: Scene, kind: str) -> Reply:
    serial = await _certificate(s)
    return await s.staff(scope_for(kind, s.area, s.elsewhere)).post(
        f"/api/v1/certificates/{serial}/revoke", {"reason": "错发"})


def _activity_body(s: Scene, activity_id: str) -> dict[str, Any]:
    """An activity in the scene's area, under way since a minute (so it may be closed)."""
    now = datetime.now(UTC)
    return {"activity_id": activity_id, "title": "文明劝导", "service_type": "civility",
            "area": s.area, "starts_at": (now - timedelta(minutes=1)).isoformat(),
            "ends_at": (now + timedelta(hours=1)).isoformat(), "slots": 2}


async def _new_activity(s: Scene) -> str:
    activity_id = f"A{s.district.county}-scope{next(s.made)}"
    made = await s.district.staff.post("/api/v1/activities", _activity_body(s, activity_id))
    assert made.status == 201, made.body
    return activity_id


async def probe_new_activity(s: Scene, kind: str) -> Reply:
    return await s.staff(scope_for(kind, s.area, s.elsewhere)).post(
        "/api/v1/activities", _activity_body(s, f"A{s.district.county}-scope{next(s.made)}"))


def on_activity(method: str, suffix: str = "") -> Probe:
    async def probe(s: Scene, kind: str) -> Reply:
        path = f"/api/v1/activities/{await _new_activity(s)}{suffix}"
        return await s.staff(scope_for(kind, s.area, s.elsewhere)).request(
            method, path, {} if method == "POST" else None)
    return probe


async def probe_activities(s: Scene, kind: str) -> Reply:
    activity_id = await _new_activity(s)
    reply = await s.staff(scope_for(kind, s.area, s.elsewhere)).get(
        "/api/v1/activities?limit=200")
    assert reply.status == 200, reply.body
    listed = activity_id in {a["activity_id"] for a in reply.body["activities"]}
    return Reply(200 if listed else 404, reply.body, reply.headers)


async def _new_wish(s: Scene) -> str:
    made = await s.district.staff.post("/api/v1/wishes", {
        "title": "理疗仪", "area": s.area, "resident_id": await _resident_in_area(s)})
    assert made.status == 201, made.body
    return str(made.body["wish_id"])


async def probe_new_wish(s: Scene, kind: str) -> Reply:
    resident_id = await _resident_in_area(s)
    return await s.staff(scope_for(kind, s.area, s.elsewhere)).post("/api/v1/wishes", {
        "title": "理疗仪", "area": s.area, "resident_id": resident_id})


def on_wish(method: str, suffix: str = "") -> Probe:
    async def probe(s: Scene, kind: str) -> Reply:
        path = f"/api/v1/wishes/{await _new_wish(s)}{suffix}"
        return await s.staff(scope_for(kind, s.area, s.elsewhere)).request(
            method, path, {} if method == "POST" else None)
    return probe


async def probe_wishes(s: Scene, kind: str) -> Reply:
    wish_id = await _new_wish(s)
    reply = await s.staff(scope_for(kind, s.area, s.elsewhere)).get("/api/v1/wishes?limit=200")
    assert reply.status == 200, reply.body
    listed = wish_id in {x["wish_id"] for x in reply.body["wishes"]}
    return Reply(200 if listed else 404, reply.body, reply.headers)


async def _new_case(s: Scene) -> str:
    """A case of the hamlet, owned by the hamlet's office (an account with its scope)."""
    if "hamlet_office" not in s.kept:
        made = await s.district.staff.post("/api/v1/staff", {
            "staff_id": f"S{s.district.county}-hamlet", "name": "网格员",
            "phone": f"137{s.district.county}09", "scope": s.area})
        assert made.status == 201, made.body
        s.kept["hamlet_office"] = s.area

    async def owned() -> str | None:
        made = await s.district.staff.post("/api/v1/cases", {
            "subject": "路灯坏了没人修", "area": s.area})
        assert made.status == 201, made.body
        return str(made.body["case_id"]) if made.body["owner_scope"] == s.area else None

    found: str = await eventually(owned)
    return found


async def probe_new_case(s: Scene, kind: str) -> Reply:
    return await s.staff(scope_for(kind, s.area, s.elsewhere)).post("/api/v1/cases", {
        "subject": "路灯坏了没人修", "area": s.area})


def on_case(method: str, suffix: str = "", body: dict[str, Any] | None = None) -> Probe:
    async def probe(s: Scene, kind: str) -> Reply:
        path = f"/api/v1/cases/{await _new_case(s)}{suffix}"
        return await s.staff(scope_for(kind, s.area, s.elsewhere)).request(
            method, path, body if method == "POST" else None)
    return probe


async def probe_cases(s: Scene, kind: str) -> Reply:
    case_id = await _new_case(s)
    reply = await s.staff(scope_for(kind, s.area, s.elsewhere)).get("/api/v1/cases?limit=200")
    assert reply.status == 200, reply.body
    listed = case_id in {x["case_id"] for x in reply.body["cases"]}
    return Reply(200 if listed else 404, reply.body, reply.headers)


async def _elder_in_area(s: Scene) -> str:
    resident_id = f"R{s.district.county}-elder{next(s.made)}"
    made = await s.district.staff.post("/api/v1/residents", {
        "resident_id": resident_id, "name": "独居老人", "area": s.area, "address": "5栋",
        "birth_year": 1938, "tags": ["living_alone"]})
    assert made.status == 201, made.body
    return resident_id


async def _new_plan(s: Scene) -> str:
    plan_id = f"P{s.district.county}-scope{next(s.made)}"
    made = await s.district.staff.post("/api/v1/care-plans", {
        "plan_id": plan_id, "resident_id": await _elder_in_area(s),
        "service_type": "health_check", "cadence": "month"})
    assert made.status == 201, made.body
    return plan_id


async def probe_new_plan(s: Scene, kind: str) -> Reply:
    """A resident out of sight is unknown to the caller (422), as an object out of scope
    does not exist (404)."""
    reply = await s.staff(scope_for(kind, s.area, s.elsewhere)).post("/api/v1/care-plans", {
        "plan_id": f"P{s.district.county}-new{next(s.made)}",
        "resident_id": await _elder_in_area(s), "service_type": "health_check",
        "cadence": "month"})
    if reply.error_code == "unknown_resident":
        return Reply(404, {"error": {"code": "not_found"}}, reply.headers)
    return reply


def on_plan(method: str, suffix: str = "", body: dict[str, Any] | None = None) -> Probe:
    async def probe(s: Scene, kind: str) -> Reply:
        path = f"/api/v1/care-plans/{await _new_plan(s)}{suffix}"
        return await s.staff(scope_for(kind, s.area, s.elsewhere)).request(
            method, path, body if method == "POST" else None)
    return probe


async def probe_plans(s: Scene, kind: str) -> Reply:
    plan_id = await _new_plan(s)
    reply = await s.staff(scope_for(kind, s.area, s.elsewhere)).get(
        "/api/v1/care-plans?limit=200")
    assert reply.status == 200, reply.body
    listed = plan_id in {x["plan_id"] for x in reply.body["plans"]}
    return Reply(200 if listed else 404, reply.body, reply.headers)


async def probe_suggestions(s: Scene, kind: str) -> Reply:
    resident_id = await _elder_in_area(s)
    reply = await s.staff(scope_for(kind, s.area, s.elsewhere)).get(
        "/api/v1/care-plans/suggestions")
    assert reply.status == 200, reply.body
    listed = resident_id in {x["resident_id"] for x in reply.body["suggestions"]}
    return Reply(200 if listed else 404, reply.body, reply.headers)


async def probe_visit_report(s: Scene, kind: str) -> Reply:
    await _new_plan(s)
    reply = await s.staff(scope_for(kind, s.area, s.elsewhere)).get("/api/v1/reports/visits")
    assert reply.status == 200, reply.body
    return Reply(200 if reply.body["totals"]["planned"] > 0 else 404, reply.body,
                 reply.headers)


async def probe_wish_report(s: Scene, kind: str) -> Reply:
    await _new_wish(s)
    reply = await s.staff(scope_for(kind, s.area, s.elsewhere)).get("/api/v1/reports/wishes")
    assert reply.status == 200, reply.body
    return Reply(200 if reply.body["totals"]["collected"] > 0 else 404, reply.body,
                 reply.headers)


def _household_body(s: Scene) -> dict[str, Any]:
    return {"household_id": f"H{s.district.county}-scope{next(s.made)}", "area": s.area,
            "head_name": "张建国"}


async def _new_household(s: Scene) -> str:
    body = _household_body(s)
    made = await s.district.staff.post("/api/v1/households", body)
    assert made.status == 201, made.body
    return str(body["household_id"])


async def _civic_rule(s: Scene) -> str:
    if "rule" not in s.kept:
        s.kept["rule"] = f"{s.district.county}-hygiene"
        made = await s.district.staff.post("/api/v1/civic-rules", {
            "rule_id": s.kept["rule"], "area": s.area, "name": "庭院整洁", "points_max": 10})
        assert made.status == 201, made.body
    return s.kept["rule"]


async def probe_new_household(s: Scene, kind: str) -> Reply:
    return await s.staff(scope_for(kind, s.area, s.elsewhere)).post(
        "/api/v1/households", _household_body(s))


async def probe_new_rule(s: Scene, kind: str) -> Reply:
    return await s.staff(scope_for(kind, s.area, s.elsewhere)).post("/api/v1/civic-rules", {
        "rule_id": f"{s.district.county}-r{next(s.made)}", "area": s.area, "name": "文明乡风",
        "points_max": 5})


def on_household(method: str, suffix: str, body: Callable[[Scene], Awaitable[Any]] | None
                 = None) -> Probe:
    async def probe(s: Scene, kind: str) -> Reply:
        path = f"/api/v1/households/{await _new_household(s)}{suffix}"
        return await s.staff(scope_for(kind, s.area, s.elsewhere)).request(
            method, path, (await body(s) if body else {}) if method == "POST" else None)
    return probe


async def _scores(s: Scene) -> dict[str, Any]:
    month = datetime.now(UTC).astimezone(CHINA).strftime("%Y-%m")
    return {"month": month, "items": [{"rule_id": await _civic_rule(s), "points": 3}]}


async def _correction(s: Scene) -> dict[str, Any]:
    month = datetime.now(UTC).astimezone(CHINA).strftime("%Y-%m")
    return {"month": month, "rule_id": await _civic_rule(s), "reason": "记错了"}


async def probe_households(s: Scene, kind: str) -> Reply:
    household_id = await _new_household(s)
    reply = await s.staff(scope_for(kind, s.area, s.elsewhere)).get(
        "/api/v1/households?limit=200")
    assert reply.status == 200, reply.body
    listed = household_id in {x["household_id"] for x in reply.body["households"]}
    return Reply(200 if listed else 404, reply.body, reply.headers)


async def probe_sheet(s: Scene, kind: str) -> Reply:
    household_id = await _new_household(s)
    reply = await s.staff(scope_for(kind, s.area, s.elsewhere)).get("/api/v1/civic-sheet")
    assert reply.status == 200, reply.body
    listed = household_id in {x["household_id"] for x in reply.body["households"]}
    return Reply(200 if listed else 404, reply.body, reply.headers)


async def probe_rules(s: Scene, kind: str) -> Reply:
    rule_id = await _civic_rule(s)
    reply = await s.staff(scope_for(kind, s.area, s.elsewhere)).get("/api/v1/civic-rules")
    assert reply.status == 200, reply.body
    listed = rule_id in {r["rule_id"] for r in reply.body["rules"]}
    return Reply(200 if listed else 404, reply.body, reply.headers)


def _review_rule_body(s: Scene) -> dict[str, Any]:
    """A rule that changes nothing the other probes do: repairs are not reviewed."""
    return {"area": s.area, "service_type": "repair", "required": False}


async def probe_new_review_rule(s: Scene, kind: str) -> Reply:
    return await s.staff(scope_for(kind, s.area, s.elsewhere)).post(
        "/api/v1/review-rules", _review_rule_body(s))


async def probe_review_rules(s: Scene, kind: str) -> Reply:
    if "review_rule" not in s.kept:
        made = await s.district.staff.post("/api/v1/review-rules", _review_rule_body(s))
        assert made.status == 201, made.body
        s.kept["review_rule"] = s.area
    reply = await s.staff(scope_for(kind, s.area, s.elsewhere)).get("/api/v1/review-rules")
    assert reply.status == 200, reply.body
    listed = s.area in {r["area"] for r in reply.body["rules"]}
    return Reply(200 if listed else 404, reply.body, reply.headers)


PROBES: dict[str, tuple[str, Probe]] = {
    "POST /api/v1/review-rules": ("create", probe_new_review_rule),
    "GET /api/v1/review-rules": ("list", probe_review_rules),
    "POST /api/v1/households": ("create", probe_new_household),
    "GET /api/v1/households": ("list", probe_households),
    "POST /api/v1/civic-rules": ("create", probe_new_rule),
    "GET /api/v1/civic-rules": ("list", probe_rules),
    "GET /api/v1/civic-sheet": ("list", probe_sheet),
    "POST /api/v1/households/{household_id}/scores": ("act", on_household(
        "POST", "/scores", _scores)),
    "POST /api/v1/households/{household_id}/corrections": ("act", on_household(
        "POST", "/corrections", _correction)),
    "GET /api/v1/households/{household_id}/points": ("read", on_household("GET", "/points")),
    "POST /api/v1/households/{household_id}/redeem-code": ("act", on_household(
        "POST", "/redeem-code")),
    "POST /api/v1/wishes": ("create", probe_new_wish),
    "GET /api/v1/wishes": ("list", probe_wishes),
    "GET /api/v1/wishes/{wish_id}": ("read", on_wish("GET")),
    "POST /api/v1/wishes/{wish_id}/confirm": ("act", on_wish("POST", "/confirm")),
    "POST /api/v1/wishes/{wish_id}/withdraw": ("act", on_wish("POST", "/withdraw")),
    "POST /api/v1/activities": ("create", probe_new_activity),
    "GET /api/v1/activities": ("list", probe_activities),
    "GET /api/v1/activities/{activity_id}": ("read", on_activity("GET")),
    "GET /api/v1/activities/{activity_id}/code": ("read", on_activity("GET", "/code")),
    "GET /api/v1/activities/{activity_id}/code.svg": ("read", on_activity("GET", "/code.svg")),
    "POST /api/v1/activities/{activity_id}/close": ("act", on_activity("POST", "/close")),
    "POST /api/v1/activities/{activity_id}/signups/{volunteer_id}/approve": (
        "act", on_activity("POST", "/signups/V-none/approve")),
    "POST /api/v1/requests": ("create", probe_order_for),
    "POST /api/v1/residents": ("create", probe_new_resident),
    "GET /api/v1/residents": ("list", lister("/api/v1/residents?limit=200", resident_listed)),
    "GET /api/v1/residents/{resident_id}": ("read", on_resident("GET")),
    "PATCH /api/v1/residents/{resident_id}": ("act", on_resident("PATCH", {"address": "5栋"})),
    "DELETE /api/v1/residents/{resident_id}": ("act", on_resident("DELETE")),
    "PATCH /api/v1/teams/{team_id}": ("act", patcher(
        lambda s: f"/api/v1/teams/{s.district.teams['hamlet'].team_id}", {"name": "hamlet team"})),
    "GET /api/v1/teams/{team_id}": ("read", reader(
        lambda s: f"/api/v1/teams/{s.district.teams['hamlet'].team_id}")),
    "PATCH /api/v1/volunteers/{volunteer_id}": ("act", patcher(
        lambda s: f"/api/v1/volunteers/{s.district.teams['hamlet'].volunteers[0]}",
        {"skills": ["陪护"]})),
    "GET /api/v1/volunteers": ("list", lister("/api/v1/volunteers?limit=200",
                                              volunteer_listed)),
    "POST /api/v1/staff": ("create", probe_new_staff),
    "POST /api/v1/kiosks": ("create", probe_new_kiosk),
    "POST /api/v1/kiosks/{kiosk_id}/revoke": ("act", probe_revoke_kiosk),
    "GET /api/v1/audit": ("list", lister("/api/v1/audit?limit=200", audit_listed)),
    "GET /api/v1/me": ("no area", unscoped("/api/v1/me")),
    "GET /api/v1/outbox/failures": ("no area", unscoped("/api/v1/outbox/failures")),
    "POST /api/v1/auth/password": ("session", probe_password),
    "POST /api/v1/areas": ("create", probe_new_area),
    "POST /api/v1/teams": ("create", probe_new_team),
    "GET /api/v1/teams": ("list", lister("/api/v1/teams", team_listed)),
    "POST /api/v1/volunteers": ("create", probe_new_volunteer),
    "GET /api/v1/requests": ("list", lister("/api/v1/requests?limit=200", request_listed)),
    "GET /api/v1/requests/{request_id}": (
        "read", reader(lambda s: f"/api/v1/requests/{s.request_id}")),
    "POST /api/v1/requests/{request_id}/cancel": ("act", actor("cancel", lambda s: {})),
    "POST /api/v1/requests/{request_id}/dispatch": ("act", actor("dispatch", lambda s: {
        "team_id": s.district.teams["hamlet"].team_id})),
    "GET /api/v1/requests/{request_id}/candidates": (
        "read", reader(lambda s: f"/api/v1/requests/{s.request_id}/candidates")),
    "POST /api/v1/requests/{request_id}/approve": ("act", actor("approve", lambda s: {})),
    "POST /api/v1/requests/{request_id}/confirm": ("act", actor("confirm", lambda s: {})),
    "GET /api/v1/volunteers/{volunteer_id}/points": ("read", reader(
        lambda s: f"/api/v1/volunteers/{s.district.teams['hamlet'].volunteers[0]}/points")),
    "GET /api/v1/volunteers/{volunteer_id}/record": ("read", reader(
        lambda s: f"/api/v1/volunteers/{s.district.teams['hamlet'].volunteers[0]}/record")),
    "GET /api/v1/flags": ("list", probe_flags),
    "GET /api/v1/reports/hours": ("list", probe_report),
    "GET /api/v1/reports/wishes": ("list", probe_wish_report),
    "POST /api/v1/care-plans": ("act", probe_new_plan),
    "GET /api/v1/care-plans": ("list", probe_plans),
    "GET /api/v1/care-plans/suggestions": ("list", probe_suggestions),
    "GET /api/v1/care-plans/{plan_id}": ("read", on_plan("GET")),
    "POST /api/v1/care-plans/{plan_id}/end": ("act", on_plan("POST", "/end", {
        "reason": "已入住养老院"})),
    "GET /api/v1/reports/visits": ("list", probe_visit_report),
    "POST /api/v1/cases": ("create", probe_new_case),
    "GET /api/v1/cases": ("list", probe_cases),
    "GET /api/v1/cases/{case_id}": ("read", on_case("GET")),
    "POST /api/v1/cases/{case_id}/steps": ("act", on_case("POST", "/steps", {
        "kind": "prescribe", "note": "通知路灯所"})),
    "POST /api/v1/cases/{case_id}/close": ("act", on_case("POST", "/close", {
        "resolution": "已修好"})),
    "POST /api/v1/volunteers/{volunteer_id}/certificates": ("act", probe_issue),
    "GET /api/v1/volunteers/{volunteer_id}/certificates": ("read", reader(
        lambda s: f"/api/v1/volunteers/{s.district.teams['hamlet'].volunteers[0]}"
        "/certificates")),
    "GET /api/v1/certificates/{serial}.pdf": ("read", probe_pdf),
    "POST /api/v1/certificates/{serial}/revoke": ("act", probe_revoke),
    "POST /api/v1/flags/{flag_id}/resolve": ("act", probe_resolve),
    "POST /api/v1/volunteers/{volunteer_id}/corrections": ("act", probe_correction),
    "POST /api/v1/catalog": ("no area", unscoped("/api/v1/catalog", {
        "name": "毛巾", "points": 1, "stock": 1})),
    "GET /api/v1/catalog": ("no area", unscoped("/api/v1/catalog")),
    "GET /api/v1/live": ("list", probe_live),
    "GET /api/v1/live/stream": ("list", probe_stream),
    "GET /api/v1/notifications": ("no area", unscoped("/api/v1/notifications")),
    "GET /api/v1/commands/{command_id}": ("no area", unscoped(
        "/api/v1/commands/00000000-0000-0000-0000-000000000000")),
}
LATER: set[str] = set()
"""Staff routes whose scope is still to come (none now)."""


def expected(what: str, kind: str, reply: Reply) -> bool:
    inside = kind in PASSES
    if what == "session":
        return (reply.status, reply.error_code) == (403, "no_account")
    if what == "create":
        return reply.status == 201 if inside else (reply.status, reply.error_code) == (
            403, "out_of_scope")
    if what == "no area":
        return reply.status == 200 or reply.status == 201
    if not inside:
        return (reply.status, reply.error_code) == (404, "not_found") or (
            what == "list" and reply.status == 404)
    if what == "act":
        return reply.status in (200, 201, 204, 409)
    return reply.status == 200


def test_every_route_staff_may_call_has_its_scope_probe() -> None:
    staff_routes = {f"{r.method} {r.path}" for r in ROUTES
                    if r.roles is not None and Role.STAFF.value in r.roles}
    assert staff_routes - LATER == set(PROBES)


async def test_staff_see_and_act_only_within_their_scope(
        platform: Platform, scene: tuple[District, str]) -> None:
    district, request_id = scene
    s = Scene(platform, district, request_id, unique_county())
    for dispute in (True, False):  # before the probes' fresh requests keep the teams busy
        await _served(s, dispute)

    async def counted() -> bool:
        """Boards are saved together, coalesced: once the whole board counts the area,
        every board does."""
        board = await platform.as_(Role.STAFF, "S-all").get("/api/v1/live")
        return s.area in board.body["by_area"]

    await eventually(counted)
    wrong: list[str] = []
    for name, (what, probe) in PROBES.items():
        for kind in SCOPES:
            reply = await probe(s, kind)
            if not expected(what, kind, reply):
                wrong.append(f"{name} ({what}) with a scope {kind}: {reply.status} "
                             f"{reply.error_code}")
    assert wrong == []


async def test_an_area_filter_narrows_the_scope_and_is_checked(
        platform: Platform, scene: tuple[District, str]) -> None:
    district, request_id = scene
    town = platform.as_(Role.STAFF, "S-town", scope=district.town)
    listed = await town.get(f"/api/v1/requests?area={district.hamlet}")
    assert request_id in {r["request_id"] for r in listed.body["requests"]}
    wider = await town.get(f"/api/v1/requests?area={district.county}")
    assert {r["area"][:9] for r in wider.body["requests"]} == {district.town}
    beside = await town.get(f"/api/v1/requests?area={district.far_village}")
    assert (beside.status, beside.body["requests"]) == (200, [])
    mine = await town.get("/api/v1/requests?resident_id=R-authz")
    assert [r["request_id"] for r in mine.body["requests"]] == [request_id]
    assert (await town.get("/api/v1/requests?area=4305")).error_code == "bad_area"
    assert (await town.get("/api/v1/requests?resident_id=a%20b")).error_code == (
        "bad_resident_id")
    resident = platform.as_(Role.RESIDENT, "R-authz")
    assert (await resident.get("/api/v1/requests?resident_id=R-other")).status == 403
    town_areas = await town.get("/api/v1/areas")
    assert {a["code"][:9] for a in town_areas.body["areas"]} == {district.town}
    public = await platform.anonymous().get("/api/v1/areas")
    assert {district.hamlet, district.far_village} <= {a["code"] for a in public.body["areas"]}


async def test_a_team_outside_the_scope_is_not_a_candidate_nor_dispatched_to(
        platform: Platform, scene: tuple[District, str]) -> None:
    district, request_id = scene
    village = platform.as_(Role.STAFF, "S-village", scope=district.village)
    found = await village.get(f"/api/v1/requests/{request_id}/candidates")
    assert {c["team_id"] for c in found.body["candidates"]} == {
        district.teams["hamlet"].team_id, district.teams["village"].team_id}
    town_team = district.teams["town"].team_id
    reply = await village.post(f"/api/v1/requests/{request_id}/dispatch",
                               {"team_id": town_team})
    assert (reply.status, reply.error_code) == (422, "unknown_team")
    ghost = await village.post(f"/api/v1/requests/{request_id}/dispatch",
                               {"team_id": "T-no-such-team"})
    assert (ghost.status, ghost.body) == (reply.status, {"error": {
        **reply.body["error"], "message": "no team T-no-such-team"}})
