"""Care visits on the staff page in real Chromium: the panel (it reads nothing before it is
opened) lists a resident living alone at 86 as qualifying for a weekly plan; one click fills
the plan's form, a second makes it; the plan shows its first visit due and the suggestion is
gone; the resident's own page lists the visit as a request the platform made; the visits
report counts it for the town; ending the plan asks for a reason.
"""

from __future__ import annotations

import pytest
from browser.pagekit import DESKTOP, Pages, artifact
from harness import Platform, make_district
from playwright.async_api import expect

from schemas.common import Role

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


async def test_policy_finds_the_person_and_staff_make_the_plan(
    platform: Platform, pages: Pages,
) -> None:
    district = await make_district(platform)
    resident_id = f"R{district.county}-elder"
    made = await district.staff.post("/api/v1/residents", {
        "resident_id": resident_id, "name": "周玉珍", "area": district.hamlet,
        "address": "2栋3单元", "birth_year": 1940, "tags": ["living_alone"]})
    assert made.status == 201, made.body

    token = platform.token(Role.STAFF, "S-care", scope=district.county)
    staff = await pages.open(platform.base_url, "/staff", token, viewport=DESKTOP)
    await expect(staff.locator("#app")).to_be_visible()
    assert not [r for r in pages.requests if "/api/v1/care-plans" in r.url], (
        "the board alone reads no plan")
    await staff.click("#care-panel > summary")
    suggestion = staff.locator(f"#care-suggestions li[data-resident='{resident_id}']")
    await expect(suggestion).to_contain_text("周玉珍")
    await expect(suggestion).to_contain_text("80岁以上独居")
    await suggestion.get_by_role("button", name="制定计划").click()
    await expect(staff.locator("#care-new-cadence")).to_have_value("week")
    await staff.click("#care-new button[type=submit]")
    await expect(staff.locator("#care-new")).to_contain_text("第一次探访已生成")
    visit = staff.locator("#care-visits li.visit[data-period='0']")
    await expect(visit).to_contain_text("待探访")
    await expect(suggestion).to_have_count(0)

    await staff.click("#care-report-panel > summary")
    await staff.select_option("#care-report-area", district.county)
    await staff.click("#care-report-panel button[type=submit]")
    town = staff.locator(f"#care-report tr[data-key='{district.town}']")
    await expect(town.locator("td")).to_have_text(["测试街道", "1", "0", "0", "1", "0%"])
    await staff.screenshot(path=artifact("staff-care.png"), full_page=True)

    resident = await pages.open(platform.base_url, "/resident",
                                platform.token(Role.RESIDENT, resident_id))
    await expect(resident.locator("#mine li.request")).to_have_count(1)
    await expect(resident.locator("#mine li.request .badge.proactive")).to_have_text("定期探访")

    await staff.click("#care-plan summary:has-text('结束计划')")
    await staff.click("#care-plan details button[type=submit]")
    await expect(staff.locator("#care-plan")).to_contain_text("原因")
    await staff.fill("#care-end-reason", "搬去女儿家住")
    await staff.click("#care-plan details button[type=submit]")
    await expect(staff.locator("#care-plan h4 .badge")).to_have_text("已结束")
    assert pages.errors == []
