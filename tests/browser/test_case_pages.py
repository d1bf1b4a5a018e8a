"""The "can't get it done" window in real Chromium: a resident reports a stuck matter from
their phone page (an empty one is refused in a sentence) and is told which office handles
it and by when; the county's staff open the cases panel (it reads nothing before), find the
case, record a step and close it with a resolution; the resident's page shows the step and
the outcome by itself; the board's figures count the case closed on time.
"""

from __future__ import annotations

import pytest
from browser.pagekit import DESKTOP, Pages, artifact
from harness import Platform, make_district
from playwright.async_api import expect

from schemas.common import Role

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


async def test_a_resident_reports_a_matter_and_the_office_closes_the_loop(
    platform: Platform, pages: Pages,
) -> None:
    district = await make_district(platform)
    resident_id = f"R{district.county}-case"
    made = await district.staff.post("/api/v1/residents", {
        "resident_id": resident_id, "name": "赵凤英", "area": district.village,
        "address": "7组"})
    assert made.status == 201, made.body

    page = await pages.open(platform.base_url, "/resident",
                            platform.token(Role.RESIDENT, resident_id))
    await page.click("#case-form button[type=submit]")
    await expect(page.locator("#case-error")).to_have_text("请写下是什么事。")
    await page.fill("#case-subject", "残疾证换证跑了三趟没办成")
    await page.fill("#case-details", "每次都说材料不全")
    await page.click("#case-form button[type=submit]")
    await expect(page.locator("#case-done")).to_contain_text("牵头")
    card = page.locator("#cases li.case").filter(has_text="残疾证换证")
    await expect(card.locator(".badge")).to_have_text("办理中")
    await expect(card).to_contain_text("测试区")

    token = platform.token(Role.STAFF, "S-cases", scope=district.county)
    staff = await pages.open(platform.base_url, "/staff", token, viewport=DESKTOP)
    await expect(staff.locator("#app")).to_be_visible()
    figures = staff.locator("#programmes")
    await expect(figures.locator("[data-figure='cases.open'] dd")).to_have_text("1")
    await staff.click("#cases-panel > summary")
    item = staff.locator("#cases-list li.case").filter(has_text="残疾证换证")
    await item.get_by_role("button", name="残疾证换证跑了三趟没办成").click()
    detail = staff.locator("#case-detail")
    await expect(detail).to_contain_text("赵凤英")
    await expect(detail).to_contain_text("每次都说材料不全")
    await staff.select_option("#case-step-kind", "prescribe")
    await staff.fill("#case-step-note", "交县残联一次性告知所需材料")
    await staff.click("#case-detail form button[type=submit]")
    await expect(staff.locator("#case-steps li")).to_have_count(1)
    await staff.click("#case-detail summary:has-text('办结')")
    await staff.fill("#case-resolution", "已上门代办，新证已寄出")
    await staff.check("#case-satisfied")
    await staff.click("#case-detail details button[type=submit]")
    await expect(detail.locator("h4 .badge").first).to_have_text("已办结")
    await expect(figures.locator("[data-figure='cases.on_time'] dd")).to_have_text("100%")
    await staff.screenshot(path=artifact("staff-cases.png"), full_page=True)

    await expect(card.locator(".badge")).to_have_text("已办结", timeout=20_000)
    await expect(card).to_contain_text("已交办")
    await expect(card).to_contain_text("已上门代办，新证已寄出")
    await page.screenshot(path=artifact("resident-case.png"), full_page=True)
    assert pages.errors == []
