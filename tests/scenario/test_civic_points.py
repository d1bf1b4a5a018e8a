"""Civic points and the village points supermarket through HTTP (DESIGN §11): households,
the village's rules, a month's scoring, a correction, the printed redeem code and an
exchange at the village's kiosk once a quarter.

How: a district per test on a platform started as real processes. Village staff register two
households and set three rules; the sheet of the month shows the households and the rules;
one scoring is refused whole when one item is over its maximum (422 naming `points`), a
second scoring of the same month and rule is 409 already_scored, a month two back is 422
month_closed; a correction reverses a scoring and the month is scored again. The staff put a
civic good on the kiosk's shelf; the kiosk reads the household's points only with the printed
code, exchanges a good once (balance and stock down), is refused a second in the quarter
(409 quarter_used); another village's kiosk is 403 out_of_scope. The volunteers' points are
untouched, and the names and reasons are nowhere in the platform's bytes in the clear.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from harness import Client, District, Platform, make_district

from schemas.common import Role

CHINA = ZoneInfo("Asia/Shanghai")


def months() -> tuple[str, str, str]:
    """This month, the last and the one before, in China time."""
    now = datetime.now(CHINA)
    year, month = now.year, now.month
    out = []
    for _ in range(3):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out[0], out[1], out[2]


async def village(district: District) -> tuple[str, str]:
    staff = district.staff
    ids = (f"H{district.county}-1", f"H{district.county}-2")
    for n, (household_id, head) in enumerate(zip(ids, ("张建国", "李秀兰"), strict=True)):
        made = await staff.post("/api/v1/households", {
            "household_id": household_id, "area": district.hamlet if n else district.village,
            "head_name": head, "members": ["王芳", "张小明"]})
        assert made.status == 201, made.body
    for rule_id, name, points_max in (("hygiene", "庭院整洁", 10), ("civility", "文明乡风", 5),
                                      ("helping", "邻里互助", 8)):
        made = await staff.post("/api/v1/civic-rules", {
            "rule_id": f"{district.county}-{rule_id}", "area": district.village, "name": name,
            "points_max": points_max})
        assert made.status == 201, made.body
    return ids


def rule(district: District, name: str) -> str:
    return f"{district.county}-{name}"


async def scored(staff: Client, household_id: str, month: str, **points: int) -> Any:
    return await staff.post(f"/api/v1/households/{household_id}/scores", {
        "month": month, "items": [{"rule_id": r, "points": p, "reason": "门前屋后干净整齐"}
                                  for r, p in points.items()]})


async def test_a_village_scores_its_households_and_a_kiosk_exchanges_once_a_quarter(
        platform: Platform) -> None:
    district = await make_district(platform)
    staff = district.staff
    first, second = await village(district)
    this_month, last_month, closed = months()
    hygiene, civility, helping = (rule(district, r) for r in ("hygiene", "civility", "helping"))

    made = await scored(staff, first, this_month, **{hygiene: 10, civility: 3, helping: 8})
    assert (made.status, made.body["balance"]) == (201, 21), made.body
    over = await scored(staff, second, this_month, **{hygiene: 4, civility: 6})
    assert (over.status, over.error_code, over.body["error"]["details"]["field"]) == (
        422, "points_over_max", "points")
    again = await scored(staff, first, this_month, **{hygiene: 1})
    assert (again.status, again.error_code) == (409, "already_scored")
    old = await scored(staff, second, closed, **{hygiene: 1})
    assert (old.status, old.error_code) == (422, "month_closed")
    assert (await scored(staff, second, last_month, **{hygiene: 6})).body["balance"] == 6

    sheet = (await staff.get(f"/api/v1/civic-sheet?area={district.village}&month="
                             f"{this_month}")).body
    assert [r["rule_id"] for r in sheet["rules"]] == sorted([hygiene, civility, helping])
    rows = {row["household_id"]: row for row in sheet["households"]}
    assert rows[first]["scores"] == {hygiene: 10, civility: 3, helping: 8}
    assert (rows[second]["scores"], rows[first]["head_name"], sheet["open"]) == (
        {}, "张建国", True)

    fixed = await staff.post(f"/api/v1/households/{first}/corrections", {
        "month": this_month, "rule_id": helping, "reason": "记错了户"})
    assert (fixed.status, fixed.body["balance"]) == (201, 13), fixed.body
    assert (await scored(staff, first, this_month, **{helping: 4})).body["balance"] == 17

    kiosk_id = f"K{district.county}-shop"
    registered = await staff.post("/api/v1/kiosks", {"kiosk_id": kiosk_id, "name": "积分超市",
                                                     "area": district.village})
    assert registered.status == 201, registered.body
    oil = await staff.post("/api/v1/catalog", {
        "item_id": f"{district.county}-oil", "name": "菜籽油", "points": 12, "stock": 1,
        "kind": "civic", "kiosk_id": kiosk_id})
    assert (oil.status, oil.body["kind"], oil.body["area"]) == (201, "civic", district.village)
    assert (await staff.post("/api/v1/catalog", {
        "item_id": f"{district.county}-soap", "name": "肥皂", "points": 3, "stock": 5,
        "kind": "civic", "kiosk_id": kiosk_id})).status == 201

    printed = await staff.post(f"/api/v1/households/{first}/redeem-code")
    assert printed.status == 200, printed.body
    code = printed.body["code"]
    kiosk = platform.as_(Role.KIOSK, kiosk_id, scope=district.village)
    path = f"/api/v1/households/{first}/points"
    assert (await kiosk.get(path)).error_code == "code_required"
    read = await kiosk.get(f"{path}?code={code}")
    assert (read.status, read.body["balance"], read.body["head_name"]) == (200, 17, "张**")
    assert [e["kind"] for e in read.body["entries"]][:2] == ["score", "correction"]
    shelf = (await kiosk.get("/api/v1/catalog?kind=civic")).body["items"]
    assert {i["item_id"] for i in shelf} == {f"{district.county}-oil",
                                            f"{district.county}-soap"}

    far = platform.as_(Role.KIOSK, f"K{district.county}-far", scope=district.far_village)
    away = await far.post("/api/v1/civic-redemptions", {
        "household_id": first, "item_id": f"{district.county}-oil", "code": code})
    assert (away.status, away.error_code) == (403, "out_of_scope")
    done = await kiosk.post("/api/v1/civic-redemptions", {
        "household_id": first, "item_id": f"{district.county}-oil", "code": code})
    assert (done.status, done.body["status"], done.body["balance"]) == (201, "redeemed", 5)
    shelf = {i["item_id"]: i for i in (await kiosk.get("/api/v1/catalog?kind=civic")).body[
        "items"]}
    assert shelf[f"{district.county}-oil"]["stock"] == 0
    new_code = (await staff.post(f"/api/v1/households/{first}/redeem-code")).body["code"]
    twice = await kiosk.post("/api/v1/civic-redemptions", {
        "household_id": first, "item_id": f"{district.county}-soap", "code": new_code})
    assert (twice.status, twice.error_code) == (409, "quarter_used")

    points = (await staff.get(path)).body
    assert (points["balance"], points["exchanged_this_quarter"], points["members"]) == (
        5, True, ["王芳", "张小明"])
    assert points["entries"][0]["kind"] == "redemption"
    assert points["entries"][-1]["reason"] == "门前屋后干净整齐"
    volunteer = district.teams["village"].volunteers[0]
    untouched = (await staff.get(f"/api/v1/volunteers/{volunteer}/points")).body
    assert untouched["balance"] == 0, "civic points are never a volunteer's"

    outsider = platform.as_(Role.STAFF, "S-far", scope=district.far_village)
    assert (await outsider.get(path)).status == 404
    assert platform.kept is not None
    kept = await platform.kept()
    assert all(text.encode() not in kept for text in ("张建国", "王芳", "门前屋后", "记错了户"))
