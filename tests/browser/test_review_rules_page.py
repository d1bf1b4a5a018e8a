"""Review rules (审单) on the staff page in real Chromium: staff set a rule for a village's
grocery orders with a one-minute review time in the office panel and see it listed; a
held order whose review time passed shows on the board's overdue list as 审核超时 with an
approve button, and approving it there sends it on to a team.
"""

from __future__ import annotations

import pytest
from browser.pagekit import Pages, artifact
from harness import Platform, eventually, make_district
from playwright.async_api import expect

from schemas.common import Role

pytestmark = [pytest.mark.browser, pytest.mark.timeout(90)]


async def test_staff_set_a_review_rule_and_approve_an_overdue_order_from_the_board(
    platform: Platform, pages: Pages,
) -> None:
    district = await make_district(platform)
    staff = await pages.open(platform.base_url, "/staff",
                             platform.token(Role.STAFF, f"S{district.county}-rules",
                                            scope=district.county))
    await staff.click("#admin-panel > summary")
    await expect(staff.locator("#admin-review-rules li").first).to_have_text(
        "没有规则：按平台设置。")
    await staff.fill("#admin-review-area", district.village)
    await staff.select_option("#admin-review-type", "groceries")
    await staff.fill("#admin-review-sla", "1")
    await staff.click("#admin-review button[type=submit]")
    await expect(staff.locator("#admin-review-out")).to_have_text("已保存。")
    rule = staff.locator(f"#admin-review-rules li[data-area='{district.village}']")
    await expect(rule).to_contain_text("需要审核")
    await expect(rule).to_contain_text("1 分钟内")
    await staff.screenshot(path=artifact("staff-review-rules.png"), full_page=True)

    listed = await district.staff.get(f"/api/v1/review-rules?area={district.village}")
    assert [(r["service_type"], r["sla_s"]) for r in listed.body["rules"]] == [
        ("groceries", 60)]
    # A one-second rule for the hamlet makes the board's overdue item without waiting.
    made = await district.staff.post("/api/v1/review-rules", {
        "area": district.hamlet, "service_type": "groceries", "required": True, "sla_s": 1})
    assert made.status == 201, made.body
    held = await platform.as_(Role.RESIDENT, f"R{district.county}-held").post(
        "/api/v1/requests", {"service_type": "groceries", "area": district.hamlet,
                             "address": "1栋"})
    assert held.body["status"] == "in_review", held.body
    request_id = held.body["request_id"]
    item = staff.locator(f"#overdue li[data-request='{request_id}']")
    await expect(item).to_contain_text("审核超时", timeout=15_000)
    await item.locator("[data-action=approve]").click()

    async def dispatched() -> bool:
        seen = await district.staff.get(f"/api/v1/requests/{request_id}")
        return bool(seen.body["status"] == "dispatched")

    await eventually(dispatched)
    await expect(item).to_have_count(0, timeout=15_000)
