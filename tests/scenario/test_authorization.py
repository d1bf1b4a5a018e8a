"""The authorization matrix: every route of the contract × every role, plus ownership.

Each route declares the roles it admits; a caller of any other role gets 403, a caller with no
token or a bad one 401. Admitted roles still meet ownership: someone else's request, task or
points are 403.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from harness import Client, District, Platform, make_district

from gateway.app import ROUTES
from gateway.http import Route
from schemas.common import Role

PEOPLE = [r for r in Role if r is not Role.SYSTEM]


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
            .replace("{resident_id}", "R-nobody-here"))


async def call(client: Client, route: Route, path: str) -> int:
    if route.content_type == "text/event-stream":
        return (await client.open_stream(path)).status
    if route.method == "GET":
        return (await client.get(path)).status
    if route.method in ("DELETE", "PATCH"):
        return (await client.request(route.method, path, {})).status
    return (await client.post(path, {})).status


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
            status = await call(client, route, path)
            admitted = route.roles is None or role.value in route.roles
            if (admitted and status in (401, 403)) or (not admitted and status != 403):
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
