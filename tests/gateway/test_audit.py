"""The audit trail (DESIGN §9), in process: every staff write becomes a record naming who
(id, role, scope), what, which object and where; staff read the records of their scope only
(an area outside it is 403), one actor's, or from a time on, a page at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from harness import eventually
from inprocess import SECRET, Gateway

from gateway.auth import issue_token
from schemas.common import Role


async def audit(gateway: Gateway, query: str = "", scope: str | None = None
                ) -> tuple[int, Any]:
    token = issue_token(SECRET, Role.STAFF, "S-reader", datetime.now(UTC), 600, scope=scope)
    response = await gateway.client.get(f"/api/v1/audit{query}",
                                        headers={"Authorization": f"Bearer {token}"})
    return response.status, await response.json()


async def test_staff_writes_are_recorded_and_read_within_the_scope(gateway: Gateway) -> None:
    await gateway.seed()
    for kiosk, area in (("K1", "430511001"), ("K2", "430511001001")):
        status, body = await gateway.call("POST", "/api/v1/kiosks", Role.STAFF, "S-kiosks",
                                          {"kiosk_id": kiosk, "name": "兑换机", "area": area})
        assert status == 201, body

    async def recorded() -> Any:
        status, body = await audit(gateway, "?actor=S-kiosks")
        return body if status == 200 and len(body["records"]) == 2 else None

    body = await eventually(recorded)
    newest = body["records"][0]
    assert (newest["actor_id"], newest["actor_role"], newest["object_kind"],
            newest["object_id"], newest["area"]) == ("S-kiosks", "staff", "kiosk", "K2",
                                                     "430511001001")
    assert newest["action"] == "POST /api/v1/kiosks"
    status, village = await audit(gateway, scope="430511001001")
    assert status == 200
    assert {r["area"][:12] for r in village["records"]} == {"430511001001"}
    assert "K2" in [r["object_id"] for r in village["records"]]
    assert "K1" not in [r["object_id"] for r in village["records"]]
    status, outside = await audit(gateway, "?area=430511002", scope="430511001")
    assert status == 403 and outside["error"]["code"] == "out_of_scope"
    status, everything = await audit(gateway, "?limit=2")
    assert status == 200 and len(everything["records"]) == 2 and everything["next_cursor"]
    status, rest = await audit(gateway, f"?limit=200&cursor={everything['next_cursor']}")
    seen = [r["audit_id"] for r in everything["records"] + rest["records"]]
    assert len(seen) == len(set(seen)) > 4, "areas, a team, a volunteer and the kiosks"
    since = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    status, none = await audit(gateway, f"?since={since.replace('+', '%2B')}")
    assert status == 200 and none["records"] == []
    for bad in ("?area=4305", "?cursor=nope", "?since=yesterday", "?actor=a%0Ab"):
        status, error = await audit(gateway, bad)
        assert status == 400, (bad, error)
