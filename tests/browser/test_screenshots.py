"""Screenshots of every page with data on it, at a phone's width (390 px) and a desktop's
(1280 px), in Chinese and in English, saved to test-artifacts/ for people to look at.
The test also proves that each page lays out without sideways scrolling at phone width.
"""

from __future__ import annotations

import pytest
from browser.pagekit import DESKTOP, PHONE, Pages, artifact
from harness import Platform, make_district
from journeys import balance_reaches, served
from playwright.async_api import Page, ViewportSize, expect

from schemas.common import Role

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

WIDTHS: dict[str, ViewportSize] = {"phone": PHONE, "desktop": DESKTOP}


async def no_sideways_scroll(page: Page) -> None:
    overflow = await page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"{page.url} scrolls sideways by {overflow}px"


async def test_every_page_in_both_languages_at_phone_and_desktop_width(
    platform: Platform, pages: Pages,
) -> None:
    district = await make_district(platform)
    team = district.teams["hamlet"]
    resident = f"R-shots-{district.county}"
    await served(platform, district, resident, [(team.volunteers[0], 3), (team.volunteers[1], 2)])
    await balance_reaches(platform, team.volunteers[0], 3)
    me = platform.as_(Role.RESIDENT, resident)
    for details in ("请帮忙买米和青菜", "家里老人需要代买药品"):
        r = await me.post("/api/v1/requests", {
            "service_type": "groceries", "area": district.hamlet, "address": "一号小区2栋301室",
            "details": details, "urgency": "urgent", "contact_name": "张奶奶",
            "contact_phone": "13807390002"})
        assert r.status == 201, r.body
    leader = platform.as_(Role.LEADER, team.leader_id)
    assert (await leader.post(f"/api/v1/requests/{r.body['request_id']}/accept")).status == 200

    for item, name, points, stock in (("towel", "毛巾", 2, 40), ("toothpaste", "牙膏", 3, 25),
                                      ("kettle", "电热水壶", 60, 6), ("flask", "保温杯", 3, 0)):
        r = await district.staff.post("/api/v1/catalog", {
            "item_id": f"{item}-{district.county}", "name": name, "points": points, "stock": stock})
        assert r.status == 201, r.body

    volunteer = team.volunteers[0]
    issued = await platform.as_(Role.VOLUNTEER, volunteer).post(
        f"/api/v1/volunteers/{volunteer}/redeem-code")
    assert issued.status == 200, issued.body
    tokens = {
        "staff": platform.token(Role.STAFF, "S-shots"),
        "leader": platform.token(Role.LEADER, team.leader_id),
        "resident": platform.token(Role.RESIDENT, resident),
        "kiosk": platform.token(Role.KIOSK, "K-shots"),
        "volunteer": platform.token(Role.VOLUNTEER, volunteer),
    }
    for name, token in tokens.items():
        for width_name, viewport in WIDTHS.items():
            for lang in ("zh", "en"):
                page = await pages.open(platform.base_url, f"/{name}", token,
                                        viewport=viewport, lang=lang)
                if name == "staff":
                    await expect(page.locator("#conn")).to_have_attribute("data-state", "live")
                    await expect(page.locator("#chart canvas")).to_be_attached()
                elif name == "leader":
                    await expect(page.locator("#serving li.task")).to_have_count(1)
                    await expect(page.locator("#waiting li.task")).to_have_count(1)
                elif name == "resident":
                    await expect(page.locator("#mine li.request")).to_have_count(3)
                elif name == "volunteer":
                    await expect(page.locator("#points-hours")).to_have_text("3.0")
                    await page.click("#record-panel > summary")
                    await expect(page.locator("#record li.record-line")).to_have_count(1)
                else:
                    await page.fill("#volunteer-id", volunteer)
                    await page.fill("#code", issued.body["code"])
                    await page.click("#start-form button[type=submit]")
                    await expect(page.locator("#balance")).to_have_text("3")
                await no_sideways_scroll(page)
                await page.screenshot(path=artifact(f"{name}-{width_name}-{lang}.png"),
                                      full_page=True)
                await page.context.close()
    index = await pages.open(platform.base_url, "/", viewport=PHONE)
    await expect(index.locator(".page-link")).to_have_count(5)
    await index.screenshot(path=artifact("index-phone-zh.png"), full_page=True)
