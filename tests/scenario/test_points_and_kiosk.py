"""Points (积分) and the exchange kiosk, through the HTTP API.

A reviewed service credits each named volunteer 1 point per hour. A volunteer asks for a
short-lived single-use code; a kiosk redeems a gift with it: points down, stock down, lifetime
hours kept. Every refusal (second redemption in a quarter, too few points, no stock, a wrong,
used or expired code) is explained and changes nothing.
"""

from __future__ import annotations

import asyncio
import uuid

from harness import District, Platform, make_district
from journeys import balance_reaches, served

from schemas.common import Role


async def gift(district: District, points: int, stock: int) -> str:
    item_id = f"gift-{uuid.uuid4().hex[:8]}"
    r = await district.staff.post("/api/v1/catalog",
                                  {"item_id": item_id, "name": "保温杯", "points": points,
                                   "stock": stock})
    assert r.status == 201, r.body
    assert r.body == {"item_id": item_id, "name": "保温杯", "points": points, "stock": stock,
                      "kind": "service", "kiosk_id": None, "area": None}
    return item_id


async def code_for(platform: Platform, volunteer_id: str) -> str:
    r = await platform.as_(Role.VOLUNTEER, volunteer_id).post(
        f"/api/v1/volunteers/{volunteer_id}/redeem-code")
    assert r.status == 200, r.body
    code: str = r.body["code"]
    assert len(code) == 8 and code.isdigit()
    return code


async def state(platform: Platform, volunteer_id: str, item_id: str) -> tuple[object, ...]:
    kiosk, staff = platform.as_(Role.KIOSK, "K-test"), platform.as_(Role.STAFF, "S-points")
    points = (await staff.get(f"/api/v1/volunteers/{volunteer_id}/points")).body
    items = {i["item_id"]: i for i in (await kiosk.get("/api/v1/catalog")).body["items"]}
    return (points["balance"], points["lifetime_hours"], len(points["entries"]),
            points["redeemed_this_quarter"], items[item_id]["stock"])


async def test_a_kiosk_redeems_points_for_a_gift_once_per_quarter(platform: Platform) -> None:
    district = await make_district(platform)
    volunteer = district.teams["hamlet"].volunteers[0]
    for n in range(3):
        await served(platform, district, f"R-k{n}", [(volunteer, 4)])
    await balance_reaches(platform, volunteer, 12)
    flask = await gift(district, points=10, stock=3)
    kiosk = platform.as_(Role.KIOSK, "K-test")

    code = await code_for(platform, volunteer)
    redeemed = await kiosk.post("/api/v1/redemptions",
                                {"volunteer_id": volunteer, "item_id": flask, "code": code})
    assert redeemed.status == 201, redeemed.body
    assert redeemed.body["status"] == "completed"
    assert redeemed.body["balance"] == 2
    assert redeemed.body["lifetime_hours"] == 12.0, "hours are the permanent record"
    balance, hours, entries, used, stock = await state(platform, volunteer, flask)
    assert (balance, hours, entries, used, stock) == (2, 12.0, 4, True, 2)
    points = (await platform.as_(Role.STAFF, "S-points").get(
        f"/api/v1/volunteers/{volunteer}/points")).body
    assert points["entries"][0]["kind"] == "redemption" and points["entries"][0]["points"] == -10

    before = await state(platform, volunteer, flask)
    again = await kiosk.post("/api/v1/redemptions", {
        "volunteer_id": volunteer, "item_id": flask, "code": await code_for(platform, volunteer)})
    assert (again.status, again.error_code) == (409, "quarter_used")
    assert await state(platform, volunteer, flask) == before


async def test_refusals_are_explained_and_change_nothing(platform: Platform) -> None:
    district = await make_district(platform)
    volunteer = district.teams["hamlet"].volunteers[1]
    await served(platform, district, "R-refuse", [(volunteer, 3)])
    await balance_reaches(platform, volunteer, 3)
    cheap = await gift(district, points=2, stock=2)
    dear = await gift(district, points=50, stock=5)
    empty = await gift(district, points=1, stock=0)
    kiosk = platform.as_(Role.KIOSK, "K-test")

    async def redeem(item_id: str, code: str, who: str = volunteer) -> tuple[int, str | None]:
        r = await kiosk.post("/api/v1/redemptions",
                             {"volunteer_id": who, "item_id": item_id, "code": code})
        return r.status, r.error_code

    before = await state(platform, volunteer, cheap)
    code = await code_for(platform, volunteer)
    assert await redeem(dear, code) == (409, "insufficient_points")
    assert await redeem(empty, code) == (409, "out_of_stock")
    wrong = "00000000" if code != "00000000" else "11111111"
    assert await redeem(cheap, wrong) == (403, "invalid_code")
    assert await redeem("no-such-gift", code) == (404, "unknown_item")
    other = district.teams["hamlet"].volunteers[2]
    assert await redeem(cheap, code, who=other) == (403, "invalid_code")
    assert await state(platform, volunteer, cheap) == before

    older = code
    newer = await code_for(platform, volunteer)
    if newer != older:
        assert await redeem(cheap, older) == (403, "invalid_code"), "a new code replaces the old"
    assert await redeem(cheap, newer) == (201, None)
    assert await redeem(cheap, newer) == (403, "code_used")


async def test_an_expired_code_is_refused(quick_platform: Platform) -> None:
    platform = quick_platform
    district = await make_district(platform)
    volunteer = district.teams["hamlet"].volunteers[0]
    await served(platform, district, "R-exp", [(volunteer, 2)])
    await balance_reaches(platform, volunteer, 2)
    towel = await gift(district, points=1, stock=5)
    code = await code_for(platform, volunteer)
    await asyncio.sleep(float(platform.env["VD_REDEEM_CODE_TTL_S"]) + 0.5)
    r = await platform.as_(Role.KIOSK, "K-test").post(
        "/api/v1/redemptions", {"volunteer_id": volunteer, "item_id": towel, "code": code})
    assert (r.status, r.error_code) == (403, "code_expired")


async def test_restocking_adds_to_the_same_gift(platform: Platform) -> None:
    district = await make_district(platform)
    item = await gift(district, points=5, stock=2)
    r = await district.staff.post("/api/v1/catalog",
                                  {"item_id": item, "name": "保温杯", "points": 5, "stock": 3})
    assert r.status == 201 and r.body["stock"] == 5


async def test_the_last_piece_of_stock_goes_to_exactly_one_of_two_kiosks(
    platform: Platform,
) -> None:
    district = await make_district(platform)
    first, second = district.teams["hamlet"].volunteers[:2]
    await served(platform, district, "R-race", [(first, 2), (second, 2)])
    await balance_reaches(platform, first, 2)
    await balance_reaches(platform, second, 2)
    last = await gift(district, points=1, stock=1)
    codes = [await code_for(platform, v) for v in (first, second)]
    replies = await asyncio.gather(*(
        platform.as_(Role.KIOSK, f"K-{n}").post(
            "/api/v1/redemptions", {"volunteer_id": v, "item_id": last, "code": c})
        for n, (v, c) in enumerate(zip((first, second), codes, strict=True))
    ))
    assert sorted((r.status, r.error_code) for r in replies) == [(201, None),
                                                                  (409, "out_of_stock")]
    balances = sorted([
        (await platform.as_(Role.STAFF, "S").get(f"/api/v1/volunteers/{v}/points")).body[
            "balance"] for v in (first, second)])
    assert balances == [1, 2], "exactly one paid; the other kept every point"
    stock = {i["item_id"]: i["stock"] for i in
             (await district.staff.get("/api/v1/catalog")).body["items"]}[last]
    assert stock == 0


async def test_a_kiosk_reads_points_only_with_a_valid_code_in_its_county(
    platform: Platform
) -> None:
    district = await make_district(platform)
    volunteer = district.teams["hamlet"].volunteers[0]
    kiosk = platform.as_(Role.KIOSK, "K-read")
    path = f"/api/v1/volunteers/{volunteer}/points"
    bare = await kiosk.get(path)
    assert (bare.status, bare.error_code) == (403, "code_required")
    assert (await kiosk.get(path + "?code=00000000")).error_code == "code_required"
    code = await code_for(platform, volunteer)
    read = await kiosk.get(f"{path}?code={code}")
    assert read.status == 200 and read.body["name"] != read.body["volunteer_id"]
    elsewhere = platform.as_(Role.KIOSK, "K-far", scope="430599001")
    assert (await elsewhere.get(f"{path}?code={code}")).status == 404
    own = platform.as_(Role.KIOSK, "K-near", scope=district.village)
    assert (await own.get(f"{path}?code={code}")).status == 200
