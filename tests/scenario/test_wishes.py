"""Micro-wishes through HTTP (DESIGN §11): post, claim, the claim limit, release, claim
again, fulfil, confirm, and the hours credited to the ledger; a claim that lapses by itself.

How: a district per test on a platform started as real processes. A resident posts a wish
and staff post three more for them; a volunteer of the county sees them with the resident's
name masked, claims three, is refused a fourth (409 claim_limit) and another volunteer's
claim of a claimed one (409 already_claimed); a released wish is claimed again by someone
else; the claimer marks one done with hours, nothing is credited until the resident
confirms, then the volunteer's points and hours rise and the record shows a verified `wish`
entry. A volunteer of another county does not see the wishes. The wish's title, details and
the claimer's note are nowhere in the platform's bytes in the clear, and read `[已删除]` to
every reader once the resident is erased. On a brisk platform (claims last a second) a claim
nobody marks done returns the wish to the pool by itself.
"""

from __future__ import annotations

from typing import Any

from harness import Client, District, Platform, eventually, make_district

from schemas.common import Role


async def resident_of(district: District, n: int = 1) -> str:
    resident_id = f"R{district.county}-w{n}"
    made = await district.staff.post("/api/v1/residents", {
        "resident_id": resident_id, "name": "王桂英", "area": district.hamlet,
        "address": "3栋2单元"})
    assert made.status == 201, made.body
    return resident_id


async def posted(client: Client, district: District, title: str, **extra: Any
                 ) -> dict[str, Any]:
    reply = await client.post("/api/v1/wishes", {"title": title, "details": "腿脚不便",
                                                 "area": district.hamlet, **extra})
    assert reply.status == 201, reply.body
    body: dict[str, Any] = reply.body
    return body


async def test_a_wish_is_claimed_within_the_limit_fulfilled_confirmed_and_credited(
        platform: Platform) -> None:
    district = await make_district(platform)
    staff = district.staff
    resident_id = await resident_of(district)
    resident = platform.as_(Role.RESIDENT, resident_id)
    first = await posted(resident, district, "理疗仪")
    assert (first["status"], first["resident_name"], first["title"]) == (
        "open", "王桂英", "理疗仪")
    assert first["wish_id"].startswith(f"W{district.county}-")
    no_resident = await staff.post("/api/v1/wishes", {"title": "x", "area": district.hamlet})
    assert (no_resident.status, no_resident.body["error"]["details"][0]["field"]) == (
        422, "resident_id")
    others = [await posted(staff, district, title, resident_id=resident_id)
              for title in ("买药", "修收音机", "读报")]
    ids = [first["wish_id"], *(o["wish_id"] for o in others)]

    one, two = district.teams["hamlet"].volunteers[:2]
    me, them = platform.as_(Role.VOLUNTEER, one), platform.as_(Role.VOLUNTEER, two)
    listed = await me.get("/api/v1/wishes?status=open")
    assert listed.status == 200, listed.body
    seen = {x["wish_id"]: x for x in listed.body["wishes"]}
    assert set(ids) <= set(seen)
    assert (seen[ids[0]]["resident_name"], seen[ids[0]]["resident_id"]) == ("王**", None)

    def claim(client: Client, wish_id: str, action: str = "claim") -> Any:
        return client.post(f"/api/v1/wishes/{wish_id}/{action}")

    for wish_id in ids[:3]:
        claimed = await claim(me, wish_id)
        assert (claimed.status, claimed.body["status"], claimed.body["mine"]) == (
            200, "claimed", True), claimed.body
        assert claimed.body["lapses_at"] is not None
    over = await claim(me, ids[3])
    assert (over.status, over.error_code) == (409, "claim_limit")
    taken = await claim(them, ids[0])
    assert (taken.status, taken.error_code) == (409, "already_claimed")
    not_mine = await claim(them, ids[2], "release")
    assert (not_mine.status, not_mine.error_code) == (403, "not_claimer")
    released = await claim(me, ids[2], "release")
    assert (released.status, released.body["status"]) == (200, "open")
    assert (await claim(them, ids[2])).body["status"] == "claimed", "claimed again"
    assert (await claim(me, ids[3])).status == 200, "a place freed up"
    held = (await me.get("/api/v1/wishes?mine=true")).body["wishes"]
    assert [x["wish_id"] for x in held] == [ids[3], ids[1], ids[0]], "the newest first"

    path = f"/api/v1/wishes/{ids[0]}"
    early = await resident.post(path + "/confirm")
    assert (early.status, early.error_code) == (409, "not_done")
    done = await me.post(path + "/fulfil", {"note": "已送到家并教会使用", "hours": 2})
    assert (done.status, done.body["status"], done.body["hours"]) == (200, "done", 2.0)
    points = (await me.get(f"/api/v1/volunteers/{one}/points")).body
    assert points["lifetime_hours"] == 0, "nothing is credited before the confirmation"
    mine = await resident.get("/api/v1/wishes")
    assert {x["wish_id"] for x in mine.body["wishes"]} == set(ids)
    assert next(x for x in mine.body["wishes"] if x["wish_id"] == ids[0])["claimer"] == one
    confirmed = await resident.post(path + "/confirm")
    assert (confirmed.status, confirmed.body["status"]) == (200, "fulfilled"), confirmed.body
    again = await resident.post(path + "/confirm")
    assert (again.status, again.error_code) == (409, "not_done")

    async def credited() -> dict[str, Any] | None:
        body: dict[str, Any] = (await me.get(f"/api/v1/volunteers/{one}/points")).body
        return body if body["lifetime_hours"] == 2 else None

    points = await eventually(credited)
    assert points["balance"] == 2
    record = (await me.get(f"/api/v1/volunteers/{one}/record")).body
    [entry] = record["entries"]
    assert (entry["source"], entry["wish_id"], entry["verified"], entry["hours"],
            entry["area"], entry["title"]) == (
        "wish", ids[0], True, 2.0, district.hamlet, "微心愿")

    elsewhere = await make_district(platform)
    far = platform.as_(Role.VOLUNTEER, elsewhere.teams["hamlet"].volunteers[0])
    assert ((await far.get(path)).status, (await claim(far, ids[3])).status) == (404, 404)
    assert ids[0] not in {x["wish_id"] for x in (await far.get("/api/v1/wishes")).body["wishes"]}
    outsider = platform.as_(Role.STAFF, "S-far", scope=district.far_village)
    assert (await outsider.get(path)).status == 404
    assert (await staff.get(path)).body["resident_id"] == resident_id
    withdrawn = await resident.post(f"/api/v1/wishes/{ids[1]}/withdraw")
    assert (withdrawn.status, withdrawn.body["status"], withdrawn.body["claimer"]) == (
        200, "withdrawn", None)
    assert (await claim(me, ids[1])).error_code == "not_open"


async def test_a_claim_not_marked_done_returns_the_wish_to_the_pool_by_itself(
        brisk_platform: Platform) -> None:
    platform = brisk_platform
    district = await make_district(platform)
    resident_id = await resident_of(district)
    wish = await posted(platform.as_(Role.RESIDENT, resident_id), district, "理发")
    volunteer = platform.as_(Role.VOLUNTEER, district.teams["hamlet"].volunteers[0])
    path = f"/api/v1/wishes/{wish['wish_id']}"
    assert (await volunteer.post(path + "/claim")).body["status"] == "claimed"

    async def lapsed() -> bool:
        return bool((await volunteer.get(path)).body["status"] == "open")

    await eventually(lapsed)
    assert (await volunteer.post(path + "/claim")).body["status"] == "claimed"


async def test_a_wishs_words_are_kept_sealed_and_erased_with_the_resident(
        platform: Platform) -> None:
    district = await make_district(platform)
    resident_id = await resident_of(district)
    wish = await posted(platform.as_(Role.RESIDENT, resident_id), district, "助听器")
    volunteer = platform.as_(Role.VOLUNTEER, district.teams["hamlet"].volunteers[0])
    path = f"/api/v1/wishes/{wish['wish_id']}"
    assert (await volunteer.post(path + "/claim")).status == 200
    done = await volunteer.post(path + "/fulfil", {"note": "陪王奶奶去配了助听器"})
    assert done.body["note"] == "陪王奶奶去配了助听器", done.body
    assert platform.kept is not None
    kept = await platform.kept()
    assert all(text.encode() not in kept for text in ("助听器", "腿脚不便", "陪王奶奶")), (
        "the wish's words are kept sealed only")
    erased = await district.staff.request("DELETE", f"/api/v1/residents/{resident_id}")
    assert erased.status == 204, erased.body
    for reader in (district.staff, volunteer):
        seen = (await reader.get(path)).body
        assert (seen["title"], seen["details"], seen["note"], seen["resident_name"],
                seen["status"]) == ("[已删除]", "[已删除]", "[已删除]", "[已删除]", "done")


async def test_the_board_and_the_report_count_wishes_by_area(platform: Platform) -> None:
    district = await make_district(platform)
    staff = district.staff
    resident_id = await resident_of(district)
    ids = {}
    for title, area in (("理疗仪", district.hamlet), ("买药", district.hamlet),
                        ("读报", district.hamlet), ("修水管", district.far_village)):
        ids[title] = (await posted(staff, district, title, resident_id=resident_id,
                                   area=area))["wish_id"]
    me = platform.as_(Role.VOLUNTEER, district.teams["hamlet"].volunteers[0])
    for title in ("理疗仪", "买药"):
        assert (await me.post(f"/api/v1/wishes/{ids[title]}/claim")).status == 200
    done = await me.post(f"/api/v1/wishes/{ids['理疗仪']}/fulfil", {"note": "送到了"})
    assert done.status == 200, done.body
    assert (await staff.post(f"/api/v1/wishes/{ids['理疗仪']}/confirm")).status == 200
    assert (await staff.post(f"/api/v1/wishes/{ids['读报']}/withdraw")).status == 200

    expected = {"collected": 4, "open": 1, "claimed": 1, "fulfilled": 1, "withdrawn": 1}

    county = platform.as_(Role.STAFF, "S-county", scope=district.county)

    async def counted() -> dict[str, Any] | None:
        board: dict[str, Any] = (await county.get("/api/v1/live")).body
        return board if board["programmes"]["wishes"] == expected else None

    await eventually(counted)
    town = platform.as_(Role.STAFF, "S-town", scope=district.town)
    town_board = (await town.get("/api/v1/live")).body["programmes"]["wishes"]
    assert town_board == {**expected, "collected": 3, "open": 0}, "the far village's is not"

    report = await staff.get(f"/api/v1/reports/wishes?area={district.county}")
    assert report.status == 200, report.body
    rows = {r["key"]: r for r in report.body["rows"]}
    assert set(rows) == {district.town, district.county + "002"}
    assert {k: rows[district.town][k] for k in ("collected", "claimed", "fulfilled",
                                                "withdrawn", "open", "rate")} == {
        "collected": 3, "claimed": 2, "fulfilled": 1, "withdrawn": 1, "open": 0,
        "rate": 0.333}
    assert (report.body["totals"]["collected"], report.body["totals"]["rate"]) == (4, 0.25)
    later = await staff.get(f"/api/v1/reports/wishes?area={district.county}&from=2099-01-01")
    assert (later.body["rows"], later.body["totals"]["collected"]) == ([], 0)
    csv_text = await staff.request("GET", f"/api/v1/reports/wishes?area={district.town}"
                                   "&format=csv")
    assert csv_text.status == 200
    lines = csv_text.text.splitlines()
    for query, code in (("format=pdf", "bad_format"), ("from=2026-13-01", "bad_from"),
                        ("from=2026-03-02&to=2026-03-01", "bad_period")):
        refused = await staff.get(f"/api/v1/reports/wishes?{query}")
        assert (refused.status, refused.error_code) == (400, code), query
    assert lines[0] == "key,label,collected,open,claimed,fulfilled,withdrawn,rate"
    assert lines[-1].startswith("total,合计,3,0,2,1,1,0.333")
