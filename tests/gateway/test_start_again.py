"""An embedded platform started again on its data dir answers every read as before: the
derived state is folded from the log at start, histories, ledgers and the office's pages of
requests included.

How: the app from the factory serves a journey (orders, one taken to its review, a
redemption), every read is recorded, the app is closed (the platform stops), a new app is
built on the same data dir, and the same reads must answer the same.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inprocess import AiohttpClient, Gateway, settings_for

from runtime.bootstrap import embedded_app
from schemas.common import Role

ORDER = {"service_type": "groceries", "area": "430511001001001", "address": "1栋"}


async def reads(gateway: Gateway, request_ids: list[str]) -> list[Any]:
    found = []
    for path, role, subject in [
        *[(f"/api/v1/requests/{r}", Role.STAFF, "S1") for r in request_ids],
        ("/api/v1/requests?limit=2", Role.STAFF, "S1"),
        ("/api/v1/requests?status=dispatched", Role.STAFF, "S1"),
        ("/api/v1/requests", Role.RESIDENT, "R1"),
        ("/api/v1/volunteers/V1/points", Role.STAFF, "S1"),
        ("/api/v1/volunteers/V1/points?limit=1", Role.STAFF, "S1"),
        ("/api/v1/tasks", Role.LEADER, "L1"),
        ("/api/v1/catalog", Role.STAFF, "S1"),
        ("/api/v1/notifications", Role.RESIDENT, "R1"),
    ]:
        status, body = await gateway.call("GET", path, role, subject)
        assert status == 200, (path, body)
        found.append(body)
    return found


async def test_every_read_answers_the_same_after_a_start_again(
    aiohttp_client: AiohttpClient, tmp_path: Path
) -> None:
    app = embedded_app(settings_for(tmp_path), settle=False)
    gateway = Gateway(await aiohttp_client(app), app)
    await gateway.seed()
    made = [(await gateway.call("POST", "/api/v1/requests", Role.RESIDENT, "R1", ORDER))[1]
            ["request_id"] for _ in range(3)]
    path = f"/api/v1/requests/{made[0]}"
    for route, role, subject, body in [
        ("/accept", Role.LEADER, "L1", {}),
        ("/complete", Role.LEADER, "L1", {"volunteers": [{"volunteer_id": "V1", "hours": 3}]}),
        ("/review", Role.RESIDENT, "R1", {"rating": 5}),
    ]:
        status, answer = await gateway.call("POST", path + route, role, subject, body)
        assert status == 200, answer
    await gateway.call("POST", "/api/v1/catalog", Role.STAFF, "S1",
                       {"item_id": "towel", "name": "毛巾", "points": 1, "stock": 5})
    status, code = await gateway.call("POST", "/api/v1/volunteers/V1/redeem-code",
                                      Role.VOLUNTEER, "V1")
    assert status == 200
    status, redeemed = await gateway.call("POST", "/api/v1/redemptions", Role.KIOSK, "K1", {
        "volunteer_id": "V1", "item_id": "towel", "code": code["code"]})
    assert status == 201, redeemed
    before = await reads(gateway, made)
    assert before[0]["history_total"] >= 5 and len(before[4 + 2]["entries"]) == 2
    await gateway.client.close()

    again = embedded_app(settings_for(tmp_path), settle=False)
    restarted = Gateway(await aiohttp_client(again), again)
    assert await reads(restarted, made) == before
