"""The micro-wish wall of the resident's phone page and of the staff page, in real Chromium.

A resident posts a wish from their page (an empty one is refused in a sentence), follows it
while a volunteer claims it and marks it done, confirms it with one button, and withdraws a
second one after a question. Staff open the wishes panel (it reads nothing before), find a
wish awaiting confirmation and confirm it, post a wish for a resident, read the wishes report
of their scope, and see the board's programme figures move.
"""

from __future__ import annotations

from typing import Any

import pytest
from browser.pagekit import DESKTOP, Pages, artifact
from harness import District, Platform, make_district
from playwright.async_api import expect

from schemas.common import Role

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


async def resident_in(district: District, name: str) -> str:
    resident_id = f"R{district.county}-{abs(hash(name)) % 10_000}"
    made = await district.staff.post("/api/v1/residents", {
        "resident_id": resident_id, "name": name, "area": district.village, "address": "3组"})
    assert made.status == 201, made.body
    return resident_id


async def claimed_and_done(platform: Platform, district: District, wish_id: str) -> str:
    volunteer = district.teams["village"].volunteers[0]
    client = platform.as_(Role.VOLUNTEER, volunteer)
    assert (await client.post(f"/api/v1/wishes/{wish_id}/claim")).status == 200
    done = await client.post(f"/api/v1/wishes/{wish_id}/fulfil",
                             {"note": "修好了，能收到戏曲台", "hours": 1})
    assert done.status == 200, done.body
    return volunteer


async def test_a_resident_posts_follows_confirms_and_withdraws_wishes(
    platform: Platform, pages: Pages,
) -> None:
    district = await make_district(platform)
    resident_id = await resident_in(district, "李秀兰")
    page = await pages.open(platform.base_url, "/resident",
                            platform.token(Role.RESIDENT, resident_id))
    await expect(page.locator("#wish-where")).to_contain_text("登记在")
    await page.click("#wish-form button[type=submit]")
    await expect(page.locator("#wish-error")).to_have_text("请写下您的心愿。")
    await page.fill("#wish-title", "修收音机")
    await page.fill("#wish-details", "老式收音机没声音了")
    await page.click("#wish-form button[type=submit]")
    await expect(page.locator("#wish-done")).to_contain_text("等待志愿者认领")
    card = page.locator("#wishes li.wish").filter(has_text="修收音机")
    await expect(card.locator(".badge")).to_have_text("等待认领")
    listed: Any = (await platform.as_(Role.RESIDENT, resident_id).get("/api/v1/wishes")).body
    [wish] = listed["wishes"]
    assert (wish["area"], wish["details"]) == (district.village, "老式收音机没声音了")

    await claimed_and_done(platform, district, wish["wish_id"])
    await expect(card.locator(".badge")).to_have_text("志愿者说已完成，请确认", timeout=15_000)
    await expect(card).to_contain_text("修好了，能收到戏曲台")
    await expect(page.locator("#wishes-waiting")).to_have_text("1")
    await page.screenshot(path=artifact("resident-wish-done.png"), full_page=True)
    await card.locator("[data-action=confirm]").click()
    await expect(card.locator(".badge")).to_have_text("心愿已实现")
    await expect(card.locator("[data-action=confirm]")).to_have_count(0)

    await page.fill("#wish-title", "买老花镜")
    await page.click("#wish-form button[type=submit]")
    second = page.locator("#wishes li.wish").filter(has_text="买老花镜")
    await second.locator("[data-action=withdraw]").click()
    await second.locator("[data-action=withdraw-yes]").click()
    await expect(second.locator(".badge")).to_have_text("已撤回")
    assert pages.errors == []


async def test_staff_steer_the_pool_and_read_its_report(
    platform: Platform, pages: Pages,
) -> None:
    district = await make_district(platform)
    resident_id = await resident_in(district, "王桂英")
    staff_api = platform.as_(Role.STAFF, "S-wishes", scope=district.county)
    posted = await staff_api.post("/api/v1/wishes", {
        "title": "想要一台收音机", "area": district.village, "resident_id": resident_id})
    assert posted.status == 201, posted.body
    wish_id = posted.body["wish_id"]
    await claimed_and_done(platform, district, wish_id)

    staff = await pages.open(platform.base_url, "/staff",
                             platform.token(Role.STAFF, "S-wishes", scope=district.county),
                             viewport=DESKTOP)
    await expect(staff.locator("#app")).to_be_visible()
    assert not [r for r in pages.requests if "/api/v1/wishes" in r.url], (
        "the board alone reads no wish")
    figures = staff.locator("#programmes")
    await expect(figures.locator("[data-figure='wishes.collected'] dd")).to_have_text("1")
    await expect(figures.locator("[data-figure='wishes.claimed'] dd")).to_have_text("1")

    await staff.click("#wishes-panel > summary")
    item = staff.locator(f"#wishes-list li[data-wish='{wish_id}']")
    await expect(item).to_contain_text("王桂英")
    await expect(item.locator(".badge")).to_have_text("待确认")
    await item.get_by_role("button", name="确认已实现").click()
    await expect(item.locator(".badge")).to_have_text("已实现")
    await expect(figures.locator("[data-figure='wishes.fulfilled'] dd")).to_have_text("1")
    await expect(figures.locator("[data-figure='wishes.rate'] dd")).to_have_text("100%")

    await staff.click("#wishes summary:has-text('代居民登记心愿')")
    await staff.fill("#wishes-post-resident", resident_id)
    await staff.select_option("#wishes-post-area", district.village)
    await staff.fill("#wishes-post-title", "读报")
    await staff.click("#wishes details:has-text('代居民登记心愿') button[type=submit]")
    await expect(staff.locator("#wishes")).to_contain_text("已登记，心愿进入待认领列表")
    await expect(staff.locator("#wishes-list li").filter(has_text="读报")).to_have_count(1)

    await staff.click("#wishes-report-panel > summary")
    await staff.select_option("#wishes-report-area", district.county)
    await staff.click("#wishes-report-panel button[type=submit]")
    town = staff.locator(f"#wishes-report tr[data-key='{district.town}']")
    await expect(town.locator("td")).to_have_text(["测试街道", "2", "1", "1", "1", "0", "50%"])
    await expect(staff.locator("#wishes-report tr.total td")).to_have_text(
        ["2", "1", "1", "1", "0", "50%"])
    await expect(staff.locator("#wishes-report-table")).not_to_contain_text("null")
    await staff.screenshot(path=artifact("staff-wishes.png"), full_page=True)
    assert pages.errors == []
