"""Bad input on every route that takes a body or names an object: malformed JSON is 400,
invalid fields 422 naming the field, unknown ids 404, illegal transitions 409, bodies over the
limit 413, a bad Idempotency-Key 400 — and none of it writes anything."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from harness import District, Platform, make_district

from gateway.app import ROUTES
from schemas.common import Role

UNKNOWN_REQUEST = "999999-0123456789abcdef"
UNKNOWN_FLAG = "FL-999999-0123456789abcdef0123"


def caller(platform: Platform, role: str, district: District) -> Any:
    subjects = {"resident": "R-bad", "leader": district.teams["hamlet"].leader_id,
                "volunteer": district.teams["hamlet"].volunteers[0], "staff": "S-bad",
                "kiosk": "K-bad"}
    return platform.as_(role, subjects[role])


async def events_folded(platform: Platform) -> int:
    """How many events the platform has taken in (what a write would change), once the
    live board has settled: the same count twice, a second apart."""
    staff = platform.as_(Role.STAFF, "S-count")
    last = -1
    for _ in range(30):
        count: int = (await staff.get("/api/v1/live")).body["events"]
        if count == last:
            return count
        last = count
        await asyncio.sleep(1.0)
    raise AssertionError("the live board did not settle")


@pytest.fixture
async def scene(platform: Platform) -> tuple[District, str]:
    district = await make_district(platform)
    r = await platform.as_(Role.RESIDENT, "R-bad").post("/api/v1/requests", {
        "service_type": "groceries", "area": district.hamlet, "address": "1栋"})
    return district, r.body["request_id"]


def body_routes() -> list[Any]:
    return [r for r in ROUTES if r.body is not None]


def concrete(path: str, request_id: str, district: District) -> str:
    hamlet = district.teams["hamlet"]
    return (path.replace("{request_id}", request_id).replace("{team_id}", hamlet.team_id)
            .replace("{volunteer_id}", hamlet.volunteers[0]).replace("{kiosk_id}", "K-none")
            .replace("{resident_id}", "R-bad").replace("{flag_id}", UNKNOWN_FLAG)
            .replace("{serial}", "999999-2026-22222222")
            .replace("{activity_id}", "A-none").replace("{wish_id}", "W-none")
            .replace("{household_id}", "H-none").replace("{case_id}", "C-none")
            .replace("{plan_id}", "P-none"))


async def test_malformed_bodies_are_400_and_write_nothing(
    platform: Platform, scene: tuple[District, str]
) -> None:
    district, request_id = scene
    before = await events_folded(platform)
    wrong = []
    for route in body_routes():
        role = sorted(route.roles or ["staff"])[0]
        client = caller(platform, role, district)
        path = concrete(route.path, request_id, district)
        for raw in (b"{not json", b"[1, 2]", b"", b"\xff\xfe", b'"text"'):
            reply = await client.request(route.method, path, raw=raw)
            if reply.status != 400 or reply.error_code is None:
                wrong.append(f"{route.path} {raw!r}: {reply.status} {reply.body}")
    assert wrong == []
    assert await events_folded(platform) == before


ACTIVITY = {"activity_id": "A1", "title": "文明劝导", "service_type": "civility",
            "area": "430511001", "starts_at": "2026-12-05T09:00:00+08:00",
            "ends_at": "2026-12-05T11:00:00+08:00", "slots": 10}
INVALID: dict[str, list[tuple[dict[str, Any], str]]] = {
    "/api/v1/activities": [({**ACTIVITY, "slots": 0}, "slots"),
                           ({**ACTIVITY, "slots": 201}, "slots"),
                           ({**ACTIVITY, "title": ""}, "title"),
                           ({**ACTIVITY, "service_type": "flying"}, "service_type"),
                           ({**ACTIVITY, "starts_at": "2026-12-05T09:00:00"}, "starts_at"),
                           ({**ACTIVITY, "ends_at": "2026-12-05T08:00:00+08:00"}, "ends_at"),
                           ({**ACTIVITY, "ends_at": "2026-12-06T10:00:00+08:00"}, "ends_at"),
                           ({**ACTIVITY, "activity_id": "bad id!"}, "activity_id"),
                           ({**ACTIVITY, "organiser": "me"}, "organiser")],
    "/api/v1/activities/{activity_id}/check-in": [({"code": "12345"}, "code"), ({}, "code"),
                                                  ({"code": "12345a"}, "code")],
    "/api/v1/activities/{activity_id}/check-out": [({"code": "1234567"}, "code")],
    "/api/v1/wishes": [({"title": "", "area": "430511"}, "title"),
                       ({"title": "x" * 101, "area": "430511"}, "title"),
                       ({"title": "理疗仪"}, "area"),
                       ({"title": "理疗仪", "area": "4305"}, "area"),
                       ({"title": "理疗仪", "area": "430511", "details": "x" * 2001},
                        "details"),
                       ({"title": "理疗仪", "area": "430511", "resident_id": "bad id!"},
                        "resident_id"),
                       ({"title": "理疗仪", "area": "430511", "status": "fulfilled"},
                        "status")],
    "/api/v1/care-plans": [({"resident_id": "R1", "service_type": "health_check",
                             "cadence": "week"}, "plan_id"),
                            ({"plan_id": "P1", "resident_id": "R1", "service_type": "hugs",
                              "cadence": "week"}, "service_type"),
                            ({"plan_id": "P1", "resident_id": "R1",
                              "service_type": "health_check", "cadence": "daily"}, "cadence"),
                            ({"plan_id": "P1", "resident_id": "R1",
                              "service_type": "health_check", "cadence": "week",
                              "notes": "x" * 1001}, "notes"),
                            ({"plan_id": "P1", "resident_id": "R1",
                              "service_type": "health_check", "cadence": "week",
                              "team_id": "bad id!"}, "team_id"),
                            ({"plan_id": "P1", "resident_id": "R1",
                              "service_type": "health_check", "cadence": "week",
                              "period": 3}, "period")],
    "/api/v1/care-plans/{plan_id}/end": [({}, "reason"), ({"reason": ""}, "reason"),
                                         ({"reason": "x" * 501}, "reason")],
    "/api/v1/cases": [({"subject": "", "area": "430511"}, "subject"),
                      ({"subject": "x" * 201, "area": "430511"}, "subject"),
                      ({"subject": "路灯坏了"}, "area"),
                      ({"subject": "路灯坏了", "area": "4305"}, "area"),
                      ({"subject": "路灯坏了", "area": "430511", "details": "x" * 4001},
                       "details"),
                      ({"subject": "路灯坏了", "area": "430511", "kind": "rumour"}, "kind"),
                      ({"subject": "路灯坏了", "area": "430511", "resident_id": "bad id!"},
                       "resident_id"),
                      ({"subject": "路灯坏了", "area": "430511", "owner_scope": "430511"},
                       "owner_scope")],
    "/api/v1/cases/{case_id}/steps": [({}, "kind"), ({"kind": "shout", "note": "x"}, "kind"),
                                      ({"kind": "note", "note": ""}, "note"),
                                      ({"kind": "note", "note": "x" * 2001}, "note")],
    "/api/v1/cases/{case_id}/close": [({}, "resolution"), ({"resolution": ""}, "resolution"),
                                      ({"resolution": "x", "resident_satisfied": "maybe"},
                                       "resident_satisfied")],
    "/api/v1/wishes/{wish_id}/fulfil": [({}, "note"), ({"note": "x" * 501}, "note"),
                                        ({"note": "x", "hours": 0}, "hours"),
                                        ({"note": "x", "hours": 25}, "hours")],
    "/api/v1/areas": [({"code": "12345", "name": "x"}, "code"),
                      ({"code": "123456"}, "name"),
                      ({"code": "123456", "name": "x", "lat": 91}, "lat"),
                      ({"code": "123456", "name": "x", "extra": 1}, "extra")],
    "/api/v1/teams": [({"team_id": "T", "name": "x", "leader_id": "L", "service_types": [],
                        "areas": ["123456"], "capacity": 1}, "service_types"),
                      ({"team_id": "T", "name": "x", "leader_id": "L",
                        "service_types": ["flying"], "areas": ["123456"], "capacity": 1},
                       "service_types.0"),
                      ({"team_id": "T", "name": "x", "leader_id": "L",
                        "service_types": ["repair"], "areas": ["123456"], "capacity": 0},
                       "capacity"),
                      ({"team_id": "bad id!", "name": "x", "leader_id": "L",
                        "service_types": ["repair"], "areas": ["123456"], "capacity": 1},
                       "team_id"),
                      ({"team_id": "T", "name": "x", "leader_id": "L",
                        "service_types": ["repair"], "areas": ["123456", "654321"],
                        "capacity": 1}, "areas"),
                      ({"team_id": "T", "name": "x", "leader_id": "L",
                        "service_types": ["repair"], "areas": ["123456"], "capacity": 1,
                        "deputies": ["D1", "D1"]}, "deputies")],
    "/api/v1/volunteers": [({"volunteer_id": "V", "name": ""}, "name"),
                           ({"volunteer_id": "V", "name": "x"}, "team_id"),
                           ({"volunteer_id": "V", "name": "x", "team_id": "T",
                             "phone": "call me"}, "phone"),
                           ({"volunteer_id": "V", "name": "x", "team_id": "T",
                             "skills": ["x" * 41]}, "skills.0"),
                           ({"volunteer_id": "V", "name": "x", "team_id": "T",
                             "active": "maybe"}, "active")],
    "/api/v1/teams/{team_id}": [({"capacity": 0}, "capacity"), ({"areas": []}, "areas"),
                                ({"service_types": ["flying"]}, "service_types.0"),
                                ({"deputies": ["D1", "D1"]}, "deputies"),
                                ({"deputies": [f"D{n}" for n in range(11)]}, "deputies"),
                                ({"leader_id": "bad id!"}, "leader_id"),
                                ({"active": "maybe"}, "active"),
                                ({"areas": ["123456", "654321"]}, "areas"),
                                ({"colour": "red"}, "colour")],
    "/api/v1/volunteers/{volunteer_id}": [({"phone": "call me"}, "phone"),
                                          ({"name": ""}, "name"),
                                          ({"skills": ["电工", "电工"]}, "skills"),
                                          ({"team_id": "bad id!"}, "team_id"),
                                          ({"active": "maybe"}, "active"),
                                          ({"volunteer_id": "V2"}, "volunteer_id")],
    "/api/v1/requests": [({"service_type": "groceries", "area": "1", "address": "a"}, "area"),
                         ({"service_type": "groceries", "area": "123456"}, "address"),
                         ({"service_type": "groceries", "area": "123456", "address": "a",
                           "urgency": "now"}, "urgency"),
                         ({"service_type": "groceries", "area": "123456", "address": "a",
                           "contact_phone": "call me"}, "contact_phone"),
                         ({"service_type": "groceries", "area": "123456",
                           "address": "a" * 201}, "address"),
                         ({"service_type": "groceries", "area": "123456", "address": "a",
                           "channel": "fax"}, "channel"),
                         ({"service_type": "groceries", "area": "123456", "address": "a",
                           "priority": 1}, "priority")],
    "/api/v1/review-rules": [({"area": "4305", "required": True}, "area"),
                             ({"area": "430511"}, "required"),
                             ({"area": "430511", "required": "maybe"}, "required"),
                             ({"area": "430511", "required": True, "service_type": "massage"},
                              "service_type"),
                             ({"area": "430511", "required": True, "sla_s": 0}, "sla_s"),
                             ({"area": "430511", "required": True, "sla_s": 10 ** 9}, "sla_s"),
                             ({"area": "430511", "required": False, "sla_s": 60}, "sla_s")],
    "/api/v1/requests/{request_id}/decline": [({}, "reason"), ({"reason": ""}, "reason")],
    "/api/v1/requests/{request_id}/complete": [
        ({"volunteers": []}, "volunteers"),
        ({"volunteers": [{"volunteer_id": "V", "hours": 0}]}, "volunteers.0.hours"),
        ({"volunteers": [{"volunteer_id": "V", "hours": 25}]}, "volunteers.0.hours")],
    "/api/v1/requests/{request_id}/review": [({"rating": 6}, "rating"), ({}, "rating"),
                                             ({"rating": "five"}, "rating"),
                                             ({"rating": 3, "dispute": "perhaps"}, "dispute"),
                                             ({"rating": 3, "dispute_reason": "x" * 501},
                                              "dispute_reason")],
    "/api/v1/requests/{request_id}/dispatch": [({}, "team_id")],
    "/api/v1/requests/{request_id}/cancel": [({"reason": "x" * 501}, "reason")],
    "/api/v1/catalog": [({"item_id": "towel", "name": "毛巾", "points": 0, "stock": 1}, "points"),
                        ({"item_id": "towel", "name": "毛巾", "points": 5, "stock": -1},
                         "stock"),
                        ({"item_id": "towel", "name": "毛巾", "points": 5, "stock": 1,
                          "kind": "barter"}, "kind"),
                        ({"item_id": "towel", "name": "毛巾", "points": 5, "stock": 1,
                          "kind": "civic", "kiosk_id": "bad id!"}, "kiosk_id")],
    "/api/v1/auth/codes": [({"phone": "12345"}, "phone"), ({}, "phone")],
    "/api/v1/auth/sign-up": [
        ({"phone": "13800000000", "code": "12", "name": "x", "area": "430511",
          "address": "a"}, "code"),
        ({"phone": "13800000000", "code": "123456", "name": "x", "area": "4305",
          "address": "a"}, "area"),
        ({"phone": "13800000000", "code": "123456", "name": "x", "area": "430511",
          "address": "a", "password": "short"}, "password")],
    "/api/v1/auth/sign-in": [({"phone": "1", "password": "x"}, "phone"),
                             ({"phone": "13800000000", "code": "abc"}, "code"),
                             ({"phone": "13800000000", "password": "x", "role": "boss"},
                              "role")],
    "/api/v1/auth/refresh": [({}, "refresh_token"), ({"refresh_token": "x"}, "refresh_token")],
    "/api/v1/auth/sign-out": [({}, "refresh_token")],
    "/api/v1/auth/password": [({"new_password": "short"}, "new_password"), ({}, "new_password")],
    "/api/v1/auth/device": [({"kiosk_id": "K1", "device_key": "short"}, "device_key"),
                            ({"device_key": "x" * 30}, "kiosk_id")],
    "/api/v1/staff": [({"staff_id": "S", "name": "x", "phone": "1", "scope": "430511"},
                       "phone"),
                      ({"staff_id": "S", "name": "x", "phone": "13800000000", "scope": "43"},
                       "scope")],
    "/api/v1/residents": [({"name": "x", "area": "1", "address": "a"}, "area"),
                          ({"name": "x", "area": "430511", "address": ""}, "address"),
                          ({"name": "x", "area": "430511", "address": "a", "phone": "1"},
                           "phone"),
                          ({"name": "x", "area": "430511", "address": "a",
                            "tags": ["rich"]}, "tags.0"),
                          ({"name": "x", "area": "430511", "address": "a",
                            "birth_year": 1800}, "birth_year")],
    "/api/v1/residents/{resident_id}": [({"phone": "1"}, "phone"), ({"name": ""}, "name"),
                                        ({"tags": ["rich"]}, "tags.0"),
                                        ({"resident_id": "R2"}, "resident_id")],
    "/api/v1/kiosks": [({"kiosk_id": "K", "name": "x", "area": "1"}, "area"),
                       ({"kiosk_id": "bad id!", "name": "x", "area": "430511"}, "kiosk_id")],
    "/api/v1/flags/{flag_id}/resolve": [({"decision": "credit"}, "reason"),
                                        ({"decision": "maybe", "reason": "x"}, "decision"),
                                        ({"decision": "credit", "reason": " "}, "reason")],
    "/api/v1/volunteers/{volunteer_id}/corrections": [
        ({"entry_id": "00000000-0000-0000-0000-000000000000"}, "reason"),
        ({"entry_id": "not an id", "reason": "x"}, "entry_id"),
        ({"entry_id": "00000000-0000-0000-0000-000000000000", "reason": "x", "hours": 0},
         "hours"),
        ({"entry_id": "00000000-0000-0000-0000-000000000000", "reason": "x", "points": 0},
         "points")],
    "/api/v1/requests/{request_id}/check-in": [
        ({"code": "12345", "volunteer_ids": ["V"]}, "code"),
        ({"code": "123456", "volunteer_ids": []}, "volunteer_ids"),
        ({"volunteer_ids": ["V"]}, "code")],
    "/api/v1/requests/{request_id}/check-out": [
        ({"code": "abcdef", "volunteer_ids": ["V"]}, "code"),
        ({"code": "123456"}, "volunteer_ids")],
    "/api/v1/volunteers/{volunteer_id}/certificates": [({"from": "yesterday"}, "from"),
                                                       ({"to": "2026-13-01"}, "to"),
                                                       ({"serial": "x"}, "serial")],
    "/api/v1/certificates/{serial}/revoke": [({}, "reason"), ({"reason": " "}, "reason")],
    "/api/v1/households": [({"household_id": "H1", "area": "430511"}, "head_name"),
                           ({"household_id": "H1", "area": "4305", "head_name": "张"}, "area"),
                           ({"household_id": "bad id!", "area": "430511", "head_name": "张"},
                            "household_id"),
                           ({"household_id": "H1", "area": "430511", "head_name": "x" * 51},
                            "head_name"),
                           ({"household_id": "H1", "area": "430511", "head_name": "张",
                             "members": ["a\nb"]}, "members.0"),
                           ({"household_id": "H1", "area": "430511", "head_name": "张",
                             "members": ["李"] * 31}, "members")],
    "/api/v1/civic-rules": [({"rule_id": "r", "area": "430511", "name": "x",
                              "points_max": -1}, "points_max"),
                            ({"rule_id": "r", "area": "430511", "name": "x",
                              "points_max": 1001}, "points_max"),
                            ({"rule_id": "r", "area": "430511", "points_max": 5}, "name"),
                            ({"rule_id": "r", "area": "430511", "name": "x", "points_max": 5,
                              "active": "maybe"}, "active")],
    "/api/v1/households/{household_id}/scores": [
        ({"month": "2026-13", "items": [{"rule_id": "r", "points": 1}]}, "month"),
        ({"month": "2026-12", "items": []}, "items"),
        ({"month": "2026-12", "items": [{"rule_id": "r", "points": -1}]}, "items.0.points"),
        ({"month": "2026-12", "items": [{"rule_id": "r", "points": 1, "reason": "x" * 201}]},
         "items.0.reason"),
        ({"items": [{"rule_id": "r", "points": 1}]}, "month")],
    "/api/v1/households/{household_id}/corrections": [
        ({"month": "2026-12", "rule_id": "r"}, "reason"),
        ({"month": "2026-12", "rule_id": "r", "reason": " "}, "reason"),
        ({"month": "12/2026", "rule_id": "r", "reason": "x"}, "month")],
    "/api/v1/civic-redemptions": [({"household_id": "H1", "item_id": "oil", "code": "12"},
                                   "code"),
                                  ({"household_id": "H1", "code": "12345678"}, "item_id"),
                                  ({"item_id": "oil", "code": "12345678"}, "household_id")],
    "/api/v1/redemptions": [({"volunteer_id": "V", "item_id": "towel", "code": "12"}, "code"),
                            ({"volunteer_id": "V", "item_id": "towel"}, "code")],
}


def test_every_route_with_a_body_has_invalid_cases() -> None:
    assert {r.path for r in body_routes()} == set(INVALID)


async def test_invalid_fields_are_422_naming_the_field_and_write_nothing(
    platform: Platform, scene: tuple[District, str]
) -> None:
    district, request_id = scene
    before = await events_folded(platform)
    wrong = []
    for route in body_routes():
        client = caller(platform, sorted(route.roles or ["staff"])[0], district)
        path = concrete(route.path, request_id, district)
        for body, field in INVALID[route.path]:
            reply = await client.request(route.method, path, body)
            fields = [d.get("field") for d in (reply.body["error"]["details"] or [])] if (
                reply.error_code == "invalid") else []
            if reply.status != 422 or field not in fields:
                wrong.append(f"{route.path} {body}: {reply.status} {reply.body}")
    assert wrong == []
    assert await events_folded(platform) == before


async def test_unknown_ids_are_404_and_illegal_transitions_409(
    platform: Platform, scene: tuple[District, str]
) -> None:
    district, request_id = scene
    staff = district.staff
    resident = platform.as_(Role.RESIDENT, "R-bad")
    leader = platform.as_(Role.LEADER, district.teams["hamlet"].leader_id)
    kiosk = platform.as_(Role.KIOSK, "K-bad")
    volunteer = district.teams["hamlet"].volunteers[0]
    before = await events_folded(platform)
    for path in (f"/api/v1/requests/{UNKNOWN_REQUEST}", "/api/v1/requests/not-an-id"):
        assert (await staff.get(path)).status == 404
        assert (await staff.post(path + "/dispatch", {"team_id": "T1"})).status == 404
        assert (await resident.post(path + "/cancel", {})).status == 404
        assert (await leader.post(path + "/accept")).status == 404
    assert (await staff.get("/api/v1/volunteers/V-none/points")).status == 404
    assert (await platform.as_(Role.VOLUNTEER, "V-none").post(
        "/api/v1/volunteers/V-none/redeem-code")).status == 404
    assert (await kiosk.post("/api/v1/redemptions", {
        "volunteer_id": "V-none", "item_id": "towel", "code": "12345678"})).status == 404
    assert (await kiosk.post("/api/v1/redemptions", {
        "volunteer_id": volunteer, "item_id": "no-such-gift",
        "code": "12345678"})).status == 404
    assert (await staff.get("/api/v1/households/H-none/points")).status == 404
    assert (await staff.get("/api/v1/cases/C-none")).status == 404
    assert (await staff.get("/api/v1/care-plans/P-none")).status == 404
    assert (await staff.post("/api/v1/care-plans/P-none/end", {"reason": "x"})).status == 404
    assert (await staff.post("/api/v1/cases/C-none/steps", {
        "kind": "note", "note": "x"})).status == 404
    assert (await kiosk.post("/api/v1/civic-redemptions", {
        "household_id": "H-none", "item_id": "oil", "code": "12345678"})).error_code == (
        "household_not_found")
    assert (await staff.get("/api/v1/commands/not-a-uuid")).status == 404
    assert (await staff.get("/api/v1/no-such-thing")).status == 404
    assert (await staff.request("DELETE", "/api/v1/catalog")).status == 405

    path = f"/api/v1/requests/{request_id}"
    r = await leader.post(path + "/complete",
                          {"volunteers": [{"volunteer_id": volunteer, "hours": 1}]})
    assert (r.status, r.error_code) == (409, "illegal_transition")
    r = await resident.post(path + "/review", {"rating": 5})
    assert (r.status, r.error_code) == (409, "illegal_transition")
    r = await staff.post(path + "/dispatch", {"team_id": district.teams["hamlet"].team_id})
    assert (r.status, r.error_code) == (409, "already_dispatched")
    r = await staff.post(path + "/dispatch", {"team_id": "T-none"})
    assert (r.status, r.error_code) == (422, "unknown_team")
    r = await staff.post("/api/v1/areas", {"code": district.county, "name": "again"})
    assert (r.status, r.error_code) == (409, "area_exists")
    r = await staff.post("/api/v1/requests", {
        "service_type": "groceries", "area": district.hamlet, "address": "1栋"})
    assert (r.status, r.body["error"]["details"][0]["field"]) == (422, "resident_id")
    r = await staff.post("/api/v1/requests", {
        "service_type": "groceries", "area": district.hamlet, "address": "1栋",
        "resident_id": "R-nobody"})
    assert (r.status, r.error_code) == (422, "unknown_resident")
    r = await resident.post("/api/v1/requests", {
        "service_type": "groceries", "area": "888888001", "address": "1栋"})
    assert (r.status, r.error_code) == (422, "unknown_area")
    r = await staff.post("/api/v1/volunteers", {
        "volunteer_id": volunteer, "name": "x", "team_id": district.teams["hamlet"].team_id})
    assert (r.status, r.error_code) == (409, "volunteer_exists")
    r = await staff.post("/api/v1/volunteers", {
        "volunteer_id": "V-new", "name": "x", "team_id": "T-none"})
    assert (r.status, r.error_code) == (422, "unknown_team")
    r = await leader.post(path + "/accept")
    assert r.status == 200
    r = await leader.post(path + "/complete",
                          {"volunteers": [{"volunteer_id": "V-stranger", "hours": 1}]})
    assert (r.status, r.error_code) == (422, "volunteer_not_in_team")
    assert await events_folded(platform) == before + 1, "only the accept was written"


async def test_bodies_over_the_limit_are_413(platform: Platform) -> None:
    before = await events_folded(platform)
    huge = b'{"service_type": "groceries", "details": "' + b"x" * 200_000 + b'"}'
    r = await platform.as_(Role.RESIDENT, "R-bad").request("POST", "/api/v1/requests", raw=huge)
    assert (r.status, r.error_code) == (413, "too_large")
    assert await events_folded(platform) == before


async def test_a_bad_idempotency_key_is_400(platform: Platform,
                                            scene: tuple[District, str]) -> None:
    district, _ = scene
    r = await platform.as_(Role.RESIDENT, "R-bad").post(
        "/api/v1/requests", {"service_type": "groceries", "area": district.hamlet,
                             "address": "1栋"}, key="k" * 201)
    assert (r.status, r.error_code) == (400, "bad_idempotency_key")
