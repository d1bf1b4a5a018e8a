"""Limits on abuse (DESIGN §9), the same in both modes: a resident who orders more than
`VD_ORDERS_PER_HOUR_MAX` (10) times within an hour is answered 429 with Retry-After and the
order is not taken; a retry of an order already taken, with its Idempotency-Key, is still
answered (it is not a new order); other residents order as usual."""

from __future__ import annotations

from harness import Platform, make_district

from schemas.common import Role


async def test_the_eleventh_order_within_an_hour_is_429(platform: Platform) -> None:
    district = await make_district(platform)
    resident = platform.as_(Role.RESIDENT, "R-eager")
    body = {"service_type": "legal_aid", "area": district.far_village, "address": "1号"}
    taken = [await resident.post("/api/v1/requests", body, key=f"eager-{n}") for n in range(10)]
    assert [r.status for r in taken] == [201] * 10
    refused = await resident.post("/api/v1/requests", body, key="eager-10")
    assert (refused.status, refused.error_code) == (429, "too_many_requests")
    assert 1 <= int(refused.headers["Retry-After"]) <= 3600
    assert refused.body["error"]["details"]["rule"] == "orders"
    again = await resident.post("/api/v1/requests", body, key="eager-3")
    assert (again.status, again.body["request_id"]) == (201, taken[3].body["request_id"])
    mine = await resident.get("/api/v1/requests?limit=50")
    assert len(mine.body["requests"]) == 10, "the refused order was not taken"
    other = await platform.as_(Role.RESIDENT, "R-calm").post("/api/v1/requests", body)
    assert other.status == 201
