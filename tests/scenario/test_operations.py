"""What operators and client developers rely on: health, Prometheus metrics, an OpenAPI 3
document that validates and lists every route, the live snapshot, and notifications."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from harness import Platform, eventually, make_district
from journeys import accepted, served
from openapi_spec_validator import validate

from gateway.app import ROUTES
from schemas.common import Role


async def test_health_metrics_and_openapi(platform: Platform) -> None:
    anyone = platform.anonymous()
    health = await anyone.get("/healthz")
    assert health.status == 200 and health.body["status"] == "ok"

    await anyone.get("/api/v1/service-types")
    metrics = await anyone.get("/metrics")
    assert metrics.status == 200
    assert metrics.headers["Content-Type"].startswith("text/plain")
    assert 'vd_http_requests_total{method="GET",route="/api/v1/service-types",status="200"}' \
        in metrics.body
    if platform.mode == "embedded":
        assert 'vd_task_up{task="dispatcher"} 1.0' in metrics.body
        assert set(health.body["tasks"]) >= {"dispatcher", "ledger", "stock", "credits",
                                             "projections", "live-board"}
    else:
        assert {w.split("/")[0] for w in health.body["workers"]} == {
            "dispatcher", "activities", "ledger", "live"}

        async def beating() -> bool:
            body = (await anyone.get("/metrics")).body
            return 'vd_worker_task_up{role="dispatcher"' in body

        await eventually(beating, timeout_s=10)

    doc = (await anyone.get("/openapi.json")).body
    validate(doc)
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    assert documented == {(r.method, r.path) for r in ROUTES}
    submit = doc["paths"]["/api/v1/requests"]["post"]
    body_ref = submit["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body_ref.endswith("/RequestIn")
    assert set(submit["responses"]) >= {"201", "202", "400", "401", "403", "409", "422"}


async def test_service_types_carry_names_in_both_languages(platform: Platform) -> None:
    r = await platform.anonymous().get("/api/v1/service-types")
    by_code = {t["code"]: t for t in r.body["service_types"]}
    assert len(by_code) == 14
    assert (by_code["bathing"]["name_zh"], by_code["bathing"]["name_en"]) == ("助浴",
                                                                             "Bathing help")


async def test_the_live_snapshot_counts_the_flow_without_personal_data(
    platform: Platform,
) -> None:
    district = await make_district(platform)
    staff = district.staff
    before = (await staff.get("/api/v1/live")).body
    volunteer = district.teams["hamlet"].volunteers[0]
    await served(platform, district, "R-live", [(volunteer, 1)])

    async def folded() -> dict[str, Any] | None:
        body: dict[str, Any] = (await staff.get("/api/v1/live")).body
        return body if body["by_area"].get(district.hamlet) == {"reviewed": 1} else None

    after = await eventually(folded)
    stages = {s["status"]: s for s in after["funnel"]}
    old = {s["status"]: s for s in before["funnel"]}
    for status in ("submitted", "dispatched", "accepted", "completed", "reviewed"):
        assert stages[status]["total"] == old[status]["total"] + 1, status
    assert after["by_area"][district.hamlet] == {"reviewed": 1}
    assert after["by_area"][district.county] == {"reviewed": 1}
    assert after["time_to_dispatch"]["count"] >= 1 and after["time_to_accept"]["p50_s"] >= 0
    assert any(e["type"] == "RequestReviewed" for e in after["recent"])
    assert any(t["team_id"] == district.teams["hamlet"].team_id and t["completed"] == 1
               for t in after["teams"])
    text = str(after)
    assert "13807390001" not in text and "1栋" not in text


async def test_people_are_notified_of_what_concerns_them(platform: Platform) -> None:
    district = await make_district(platform)
    volunteer = district.teams["hamlet"].volunteers[0]
    request_id = await served(platform, district, "R-note", [(volunteer, 2)])
    leader = platform.as_(Role.LEADER, district.teams["hamlet"].leader_id)
    resident = platform.as_(Role.RESIDENT, "R-note")

    async def told() -> bool:
        tasks = [(n["kind"], n["request_id"]) for n in
                 (await leader.get("/api/v1/notifications")).body["notifications"]]
        news = [n["text_en"] for n in
                (await resident.get("/api/v1/notifications")).body["notifications"]]
        return ("new_task", request_id) in tasks and any(
            n.startswith("A team accepted your request. Service code ") for n in news)

    assert await eventually(told)
    me = platform.as_(Role.VOLUNTEER, volunteer)

    async def credited() -> list[str]:
        return [n["kind"] for n in (await me.get("/api/v1/notifications")).body["notifications"]]

    assert await eventually(credited) == ["points_credited"]


async def test_the_live_stream_sends_coalesced_whole_snapshots(platform: Platform) -> None:
    district = await make_district(platform)
    staff = district.staff
    headers = {"Authorization": f"Bearer {platform.token(Role.STAFF, 'S-stream')}"}
    url = platform.base_url + "/api/v1/live/stream"
    async with platform.session.get(url, headers=headers) as stream:
        assert stream.status == 200
        assert stream.headers["Content-Type"].startswith("text/event-stream")

        async def next_snapshot() -> tuple[int, dict[str, Any]]:
            ident = -1
            while True:
                line = await asyncio.wait_for(stream.content.readline(), 20)
                if line.startswith(b"id: "):
                    ident = int(line[4:])
                if line.startswith(b"data: "):
                    return ident, json.loads(line[6:])

        first_id, first = await next_snapshot()
        assert first["position"] == first_id
        resident = platform.as_(Role.RESIDENT, "R-stream")
        for _ in range(5):
            await resident.post("/api/v1/requests", {
                "service_type": "groceries", "area": district.hamlet, "address": "1栋"})
        seen = 0
        while seen < first["events"] + 10:
            ident, snap = await next_snapshot()
            assert ident > first_id
            seen = snap["events"]
    await staff.get("/api/v1/live")


async def test_the_live_stream_shows_a_request_falling_overdue_without_any_event(
    windowed_platform: Platform,
) -> None:
    platform = windowed_platform
    request_id = await accepted(platform, await make_district(platform), "R-overdue")
    headers = {"Authorization": f"Bearer {platform.token(Role.STAFF, 'S-overdue')}"}
    async with platform.session.get(platform.base_url + "/api/v1/live/stream",
                                    headers=headers) as stream:

        async def next_snapshot() -> dict[str, Any]:
            while True:
                line = await asyncio.wait_for(stream.content.readline(), 20)
                if line.startswith(b"data: "):
                    snapshot: dict[str, Any] = json.loads(line[6:])
                    return snapshot

        def accepted_seen(snapshot: dict[str, Any]) -> bool:
            return any(e["request_id"] == request_id and e["type"] == "RequestAccepted"
                       for e in snapshot["recent"])

        snapshot = await next_snapshot()
        while not accepted_seen(snapshot):
            snapshot = await next_snapshot()
        settled = snapshot
        assert request_id not in [r["request_id"] for r in settled["overdue"]]
        while request_id not in [r["request_id"] for r in snapshot["overdue"]]:
            snapshot = await next_snapshot()
        assert snapshot["position"] == settled["position"], "no event moved it: the clock did"
        overdue = next(r for r in snapshot["overdue"] if r["request_id"] == request_id)
        assert overdue["status"] == "accepted"


async def test_a_message_that_does_not_validate_is_dead_lettered_and_counted(
    platform: Platform,
) -> None:
    anyone = platform.anonymous()
    before = (await anyone.get("/healthz")).body["dead_letters"]
    assert platform.raw_log is not None
    await platform.raw_log("dispatch-commands", "430511", b'{"type": "NoSuchCommand"}')

    async def counted() -> Any:
        health = await anyone.get("/healthz")
        return health.body if health.body["dead_letters"] == before + 1 else None

    health = await eventually(counted, timeout_s=20)
    assert health["status"] == "ok", "a dead letter is for the office to look at, not an outage"
    staff = platform.as_(Role.STAFF, "S-dead")
    live = (await staff.get("/api/v1/live")).body
    assert live["dead_letters"] == before + 1


async def test_the_live_position_counts_what_the_board_folded_in_both_modes(
    platform: Platform,
) -> None:
    staff = platform.as_(Role.STAFF, "S-position")
    district = await make_district(platform)

    async def settled() -> Any:
        first = (await staff.get("/api/v1/live")).body
        await asyncio.sleep(1.2)
        again = (await staff.get("/api/v1/live")).body
        return again if again["position"] == first["position"] else None

    before = await eventually(settled, timeout_s=30)
    assert before["position"] == before["events"] + before["dead_letters"]
    r = await district.staff.post("/api/v1/areas", {"code": district.county + "009",
                                                    "name": "新镇"})
    assert r.status == 201

    async def moved() -> Any:
        now = (await staff.get("/api/v1/live")).body
        return now if now["events"] == before["events"] + 1 else None

    after = await eventually(moved, timeout_s=20)
    assert after["position"] == before["position"] + 1
