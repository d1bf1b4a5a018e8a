"""Residents the office knows (DESIGN §9), in process: staff register a resident (with a
phone, the phone's account gains them), find them by area, tag and name within their scope,
read the profile whole (an audited read) while lists mask the phone, change it (a resident
their own, but not their tags), order on their behalf (the history names the staff member
and the channel), and erase them: the profile is gone and the order's fields read erased.
A resident who signs up makes their own profile."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from harness import eventually
from inprocess import SECRET, Gateway

from gateway.auth import issue_token
from schemas.common import Role

HAMLET = "430511001001001"
PROFILE = {"name": "刘奶奶", "phone": "13912345678", "area": HAMLET, "address": "7栋102",
           "birth_year": 1941, "tags": ["living_alone", "low_income"]}


async def as_scoped(gateway: Gateway, method: str, path: str, scope: str,
                    body: Any = None) -> tuple[int, Any]:
    token = issue_token(SECRET, Role.STAFF, "S-town", datetime.now(UTC), 600, scope=scope)
    response = await gateway.client.request(method, path, json=body,
                                            headers={"Authorization": f"Bearer {token}"})
    text = await response.text()
    return response.status, await response.json() if text else None


async def test_staff_register_find_read_change_order_for_and_erase(gateway: Gateway) -> None:
    await gateway.seed()
    staff = (Role.STAFF, "S-desk")
    status, made = await gateway.call("POST", "/api/v1/residents", *staff,
                                      {**PROFILE, "resident_id": "R-liu"})
    assert status == 201 and made == {"resident_id": "R-liu"}
    status, again = await gateway.call("POST", "/api/v1/residents", *staff,
                                       {**PROFILE, "resident_id": "R-other"})
    assert status == 409 and again["error"]["details"]["resident_id"] == "R-liu"
    status, listed = await as_scoped(gateway, "GET", "/api/v1/residents?tag=living_alone",
                                     "430511001")
    assert status == 200 and [r["resident_id"] for r in listed["residents"]] == ["R-liu"]
    assert listed["residents"][0]["phone"] != PROFILE["phone"], "masked in lists"
    status, found = await as_scoped(gateway, "GET", "/api/v1/residents?q=刘", "430511")
    assert [r["resident_id"] for r in found["residents"]] == ["R-liu"]
    status, none = await as_scoped(gateway, "GET", "/api/v1/residents?tag=disability",
                                   "430511")
    assert none["residents"] == []
    status, outside = await as_scoped(gateway, "GET", "/api/v1/residents/R-liu", "430511002")
    assert status == 404 and outside["error"]["code"] == "not_found"
    status, whole = await as_scoped(gateway, "GET", "/api/v1/residents/R-liu", "430511001")
    assert status == 200 and whole["phone"] == PROFILE["phone"]
    assert whole["address"] == "7栋102" and whole["birth_year"] == 1941

    async def read_audited() -> Any:
        _, trail = await gateway.call("GET", "/api/v1/audit?actor=S-town", *staff)
        return [r for r in trail["records"] if r["action"].startswith("read")]

    [read] = await eventually(read_audited)
    assert (read["object_kind"], read["object_id"], read["area"]) == ("resident", "R-liu",
                                                                      HAMLET)

    status, changed = await gateway.call("PATCH", "/api/v1/residents/R-liu", *staff,
                                         {"address": "7栋201", "phone": None})
    assert status == 200 and changed["address"] == "7栋201" and changed["phone"] is None
    mine = await gateway.reply("PATCH", "/api/v1/residents/R-liu", Role.RESIDENT, "R-liu",
                               {"tags": []})
    assert mine.status == 403
    mine = await gateway.reply("GET", "/api/v1/residents/R-liu", Role.RESIDENT, "R-liu")
    assert mine.status == 200 and mine.body["name"] == "刘奶奶"
    other = await gateway.reply("GET", "/api/v1/residents/R-liu", Role.RESIDENT, "R-else")
    assert other.status == 404

    status, order = await gateway.call("POST", "/api/v1/requests", *staff, {
        "service_type": "groceries", "area": HAMLET, "address": "7栋201",
        "resident_id": "R-liu", "channel": "visit"})
    assert status == 201, order
    status, request = await gateway.call("GET", f"/api/v1/requests/{order['request_id']}",
                                         *staff)
    first = request["history"][0]
    assert request["resident_id"] == "R-liu"
    assert (first["actor_role"], first["actor_id"], first["channel"]) == ("staff", "S-desk",
                                                                          "visit")
    theirs = await gateway.reply("GET", "/api/v1/requests", Role.RESIDENT, "R-liu")
    assert [r["request_id"] for r in theirs.body["requests"]] == [order["request_id"]]
    status, nobody = await gateway.call("POST", "/api/v1/requests", *staff, {
        "service_type": "groceries", "area": HAMLET, "address": "x", "resident_id": "R-ghost"})
    assert status == 422 and nobody["error"]["code"] == "unknown_resident"
    forged = await gateway.reply("POST", "/api/v1/requests", Role.RESIDENT, "R-liu", {
        "service_type": "groceries", "area": HAMLET, "address": "x", "channel": "counter"})
    assert forged.status == 403

    status, _ = await as_scoped(gateway, "DELETE", "/api/v1/residents/R-liu", "430511002")
    assert status == 404
    status, _ = await gateway.call("DELETE", "/api/v1/residents/R-liu", *staff)
    assert status == 204
    status, _ = await gateway.call("GET", "/api/v1/residents/R-liu", *staff)
    assert status == 404
    status, request = await gateway.call("GET", f"/api/v1/requests/{order['request_id']}",
                                         *staff)
    assert request["address"] == "[已删除]"
    status, _ = await gateway.call("DELETE", "/api/v1/residents/R-liu", *staff)
    assert status == 404
