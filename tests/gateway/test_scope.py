"""Staff scope at the gateway (DESIGN §9), in process: a creation naming an area outside the
scope is 403 out_of_scope before anything is looked up or written; a request, a volunteer or a
team outside it answers exactly as one that does not exist; the live board of a scope keeps
the shape of the whole one; the OpenAPI document says what the contract leaves open.
How: the embedded platform from the app factory, a seeded county, tokens with scopes."""

from __future__ import annotations

from typing import Any

from inprocess import Gateway

from schemas.common import Role
from schemas.topics import DISPATCH_COMMANDS

COUNTY = "430511"
TOWN = COUNTY + "001"
OTHER_TOWN = COUNTY + "002"
HAMLET = COUNTY + "001001001"


def commands_in_log(gateway: Gateway) -> int:
    count: int = gateway.platform.log.count(DISPATCH_COMMANDS.name)
    return count


async def scoped(gateway: Gateway, method: str, path: str, scope: str | None,
                 body: Any = None) -> tuple[int, Any]:
    return await gateway.call(method, path, Role.STAFF, "S-scope", body, scope=scope)


async def order(gateway: Gateway) -> str:
    status, body = await gateway.call("POST", "/api/v1/requests", Role.RESIDENT, "R1", {
        "service_type": "groceries", "area": HAMLET, "address": "1栋"})
    assert status == 201, body
    return str(body["request_id"])


async def test_a_creation_outside_the_scope_is_403_and_writes_nothing(
        gateway: Gateway) -> None:
    await gateway.seed()
    before = commands_in_log(gateway)
    creations = [
        ("/api/v1/areas", {"code": "430599", "name": "外县"}),
        ("/api/v1/areas", {"code": OTHER_TOWN + "001", "name": "未登记的村"}),
        ("/api/v1/teams", {"team_id": "T9", "name": "队", "leader_id": "L9",
                           "service_types": ["groceries"], "areas": [HAMLET, OTHER_TOWN],
                           "capacity": 1}),
        ("/api/v1/volunteers", {"volunteer_id": "V9", "name": "人", "team_id": "T1"}),
    ]
    for path, body in creations:
        status, answer = await scoped(gateway, "POST", path, COUNTY + "001001", body)
        assert (status, answer["error"]["code"]) == (403, "out_of_scope"), (path, answer)
        assert answer["error"]["details"]["scope"] == COUNTY + "001001"
    assert commands_in_log(gateway) == before
    status, _ = await scoped(gateway, "POST", "/api/v1/areas", TOWN,
                             {"code": TOWN + "002", "name": "新村"})
    assert status == 201


async def test_outside_the_scope_answers_as_if_nothing_were_there(gateway: Gateway) -> None:
    await gateway.seed()
    request_id = await order(gateway)
    ghost = COUNTY + "-" + "0" * 16
    for path in ("/api/v1/requests/{}", "/api/v1/requests/{}/candidates"):
        outside = await scoped(gateway, "GET", path.format(request_id), OTHER_TOWN)
        missing = await scoped(gateway, "GET", path.format(ghost), OTHER_TOWN)
        assert outside == missing == (404, {"error": {
            "code": "not_found", "message": "no such request", "details": None}})
        assert (await scoped(gateway, "GET", path.format(request_id), TOWN))[0] == 200
    outside = await scoped(gateway, "GET", "/api/v1/volunteers/V1/points", OTHER_TOWN)
    missing = await scoped(gateway, "GET", "/api/v1/volunteers/V-none/points", OTHER_TOWN)
    assert outside == missing and outside[0] == 404
    assert (await scoped(gateway, "GET", "/api/v1/volunteers/V1/points", TOWN))[0] == 200
    status, body = await scoped(gateway, "POST", f"/api/v1/requests/{request_id}/cancel",
                                OTHER_TOWN, {})
    assert (status, body["error"]["code"]) == (404, "not_found")
    status, body = await scoped(gateway, "GET", "/api/v1/teams", OTHER_TOWN)
    assert (status, body) == (200, {"teams": []})


async def test_the_board_of_a_scope_keeps_the_shape_of_the_whole(gateway: Gateway) -> None:
    await gateway.seed()
    await order(gateway)
    await gateway.platform.projector.save(force=True)
    _, whole = await scoped(gateway, "GET", "/api/v1/live", None)
    _, town = await scoped(gateway, "GET", "/api/v1/live", TOWN)
    _, beside = await scoped(gateway, "GET", "/api/v1/live", OTHER_TOWN)
    assert set(whole) == set(town) == set(beside)
    assert set(town["by_area"]) == {TOWN, COUNTY + "001001", HAMLET}
    assert COUNTY in whole["by_area"] and beside["by_area"] == {}
    assert [t["team_id"] for t in town["teams"]] == ["T1"] and beside["teams"] == []
    assert town["generated_at"] == whole["generated_at"]


async def test_the_openapi_document_says_what_scope_does(gateway: Gateway) -> None:
    _, document = await gateway.call("GET", "/openapi.json", Role.STAFF, "S1")
    paths = document["paths"]
    assert "out_of_scope" in paths["/api/v1/teams"]["post"]["summary"]
    assert "not_found" in paths["/api/v1/requests/{request_id}"]["get"]["summary"]
    assert "scope" in paths["/api/v1/live"]["get"]["summary"]
    names = {p["name"] for p in paths["/api/v1/requests"]["get"]["parameters"]}
    assert {"area", "resident_id", "status", "limit", "cursor"} <= names
