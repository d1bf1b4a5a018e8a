"""Long lists are read a page at a time, the same way in both modes: the office's list of
requests (newest first, by status too) and a volunteer's ledger (newest first) follow a
cursor to the end without a gap or a repeat, and a request's history comes with its length.
"""

from __future__ import annotations

from typing import Any

from harness import Platform, make_district
from journeys import balance_reaches, served

from schemas.common import Role


async def pages(client: Any, path: str, key: str) -> list[list[Any]]:
    found: list[list[Any]] = []
    cursor = None
    for _ in range(50):
        sep = "&" if "?" in path else "?"
        reply = await client.get(path + (f"{sep}cursor={cursor}" if cursor else ""))
        assert reply.status == 200, reply.body
        found.append(reply.body[key])
        cursor = reply.body["next_cursor"]
        if cursor is None:
            return found
    raise AssertionError("the cursor never ended")


async def test_the_office_pages_through_requests_newest_first(platform: Platform) -> None:
    district = await make_district(platform)
    resident = platform.as_(Role.RESIDENT, "R-pages")
    made = []
    for n in range(5):
        r = await resident.post("/api/v1/requests", {
            "service_type": "legal_aid", "area": district.far_village, "address": f"{n}号"})
        assert r.status == 201
        made.append(r.body["request_id"])
    staff = district.staff
    first = await staff.get("/api/v1/requests?limit=5")
    assert [r["request_id"] for r in first.body["requests"]] == list(reversed(made))
    two_by_two = await pages(staff, "/api/v1/requests?limit=2&status=dispatched", "requests")
    flat = [r["request_id"] for page in two_by_two for r in page]
    assert len(flat) == len(set(flat)), "no request twice"
    assert all(r["status"] == "dispatched" for page in two_by_two for r in page)
    times = [r["submitted_at"] for page in two_by_two for r in page]
    assert times == sorted(times, reverse=True)
    assert set(made) <= set(flat)
    bad = await staff.get("/api/v1/requests?cursor=not-a-cursor")
    assert (bad.status, bad.error_code) == (400, "bad_cursor")


async def test_a_volunteers_ledger_pages_newest_first(platform: Platform) -> None:
    district = await make_district(platform)
    volunteer = district.teams["hamlet"].volunteers[0]
    for hours in (1, 2, 3):
        await served(platform, district, f"R-ledger-{hours}", [(volunteer, hours)])
    await balance_reaches(platform, volunteer, 6)
    me = platform.as_(Role.VOLUNTEER, volunteer)
    found = await pages(me, f"/api/v1/volunteers/{volunteer}/points?limit=1", "entries")
    assert [[e["hours"] for e in page] for page in found] == [[3.0], [2.0], [1.0]]
    whole = (await me.get(f"/api/v1/volunteers/{volunteer}/points")).body
    assert whole["entries_total"] == 3 and whole["next_cursor"] is None
    assert [e["seq"] for e in whole["entries"]] == [3, 2, 1]


async def test_a_request_carries_its_history_and_its_length(platform: Platform) -> None:
    district = await make_district(platform)
    request_id = await served(platform, district, "R-history", [
        (district.teams["hamlet"].volunteers[0], 1)])
    body = (await district.staff.get(f"/api/v1/requests/{request_id}")).body
    events = [h["event"] for h in body["history"]]
    assert events[0] == "RequestSubmitted" and "RequestReviewed" in events
    assert body["history_total"] == len(body["history"])
