"""The micro-wish wall of a volunteer's phone page in real Chromium: a wish staff posted for
a resident of the county is listed with the resident's name masked; the volunteer claims it
and the page names the deadline; they mark it done with a note and the hours, and it waits
for confirmation; once staff confirm it, the reloaded page counts the hours.
"""

from __future__ import annotations

import pytest
from browser.pagekit import Pages, artifact
from harness import Platform, eventually, make_district
from playwright.async_api import expect

from schemas.common import Role

pytestmark = [pytest.mark.browser, pytest.mark.timeout(90)]


async def test_a_volunteer_claims_a_wish_and_marks_it_done_with_hours(
    platform: Platform, pages: Pages,
) -> None:
    district = await make_district(platform)
    staff = district.staff
    resident_id = f"R{district.county}-wall"
    made = await staff.post("/api/v1/residents", {
        "resident_id": resident_id, "name": "李秀兰", "area": district.village,
        "address": "5组"})
    assert made.status == 201, made.body
    posted = await staff.post("/api/v1/wishes", {
        "title": "想要一台收音机", "details": "听戏用", "area": district.village,
        "resident_id": resident_id})
    assert posted.status == 201, posted.body
    wish_id = posted.body["wish_id"]
    volunteer = district.teams["village"].volunteers[0]

    page = await pages.open(platform.base_url, "/volunteer",
                            platform.token(Role.VOLUNTEER, volunteer))
    card = page.locator(f"#wishes li[data-wish='{wish_id}']")
    await expect(card).to_be_visible()
    await expect(card).to_contain_text("李**")
    await expect(card).not_to_contain_text("李秀兰")
    await card.locator("[data-action=claim]").click()
    await expect(page.locator("#done-notice")).to_contain_text("认领成功")
    await expect(card.locator(".badge")).to_have_text("我已认领")

    await card.locator("[data-action=fulfil]").click()
    await card.get_by_label("做了什么").fill("买好送到家，调好了台")
    await card.get_by_label("服务时长").fill("1.5")
    await card.get_by_role("button", name="确认完成").click()
    await expect(card.locator(".badge")).to_have_text("待确认")
    await expect(card).to_contain_text("等待居民或工作人员确认")
    await page.screenshot(path=artifact("volunteer-wish-done.png"), full_page=True)

    confirmed = await staff.post(f"/api/v1/wishes/{wish_id}/confirm")
    assert (confirmed.status, confirmed.body["status"]) == (200, "fulfilled"), confirmed.body

    async def credited() -> bool:
        points = (await platform.as_(Role.VOLUNTEER, volunteer).get(
            f"/api/v1/volunteers/{volunteer}/points")).body
        return bool(points["lifetime_hours"] == 1.5)

    await eventually(credited)
    await page.reload()
    await expect(page.locator("#points-hours")).to_have_text("1.5")
    await expect(page.locator(f"#wishes li[data-wish='{wish_id}']")).to_have_count(0)
    assert pages.errors == []
