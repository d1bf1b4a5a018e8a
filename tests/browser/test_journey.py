"""One order's whole journey through the four pages in real Chromium.

A resident orders in the browser (service type tiles, the area from cascading selects); the
staff page's funnel and ticker show it within seconds without a reload, and so do its area
tree (opened down to the hamlet), its service-type table and its team leaderboard; the team
leader accepts and completes it in the browser naming two volunteers and their hours; the
resident sees the status change by itself and reviews it with four stars; the volunteer's
code is fetched through the API (it lives on the volunteer's phone) and the kiosk first explains a
wrong code in plain words, then redeems the gift and shows a receipt, then goes back to its
start screen by itself after a pause. Screenshots of each step go to test-artifacts/.
"""

from __future__ import annotations

import re

import pytest
from browser.pagekit import DESKTOP, KIOSK, Pages, artifact, choose_area
from harness import Platform, make_district
from journeys import balance_reaches
from playwright.async_api import Page, expect

from schemas.common import Role

pytestmark = [pytest.mark.browser, pytest.mark.timeout(90)]

ADDRESS = "一号小区3栋2单元101室"
PHONE_NUMBER = "13807390001"


async def funnel_total(page: Page, status: str) -> int:
    value = await page.locator(f"#funnel li[data-status={status}]").get_attribute("data-total")
    assert value is not None
    return int(value)


async def test_an_order_goes_round_the_loop_through_every_page(
    platform: Platform, pages: Pages,
) -> None:
    district = await make_district(platform)
    team = district.teams["hamlet"]
    resident_id = f"R-web-{district.county}"

    staff = await pages.open(platform.base_url, "/staff", platform.token(Role.STAFF, "S-web"),
                             viewport=DESKTOP)
    await expect(staff.locator("#conn")).to_have_attribute("data-state", "live")
    submitted_before = await funnel_total(staff, "submitted")
    assert "token" not in staff.url, "the token leaves the address bar"

    # -- the resident orders ------------------------------------------------------------
    resident = await pages.open(platform.base_url, "/resident",
                                platform.token(Role.RESIDENT, resident_id))
    await resident.locator("input[name=service_type][value=groceries]").check()
    await choose_area(resident, district.county, district.town, district.village, district.hamlet)
    await resident.fill("#address", ADDRESS)
    await resident.fill("#details", "请帮忙买米和青菜")
    await resident.fill("#contact-name", "王奶奶")
    await resident.fill("#contact-phone", PHONE_NUMBER)
    await resident.screenshot(path=artifact("journey-1-resident-order.png"), full_page=True)
    await resident.click("#order-submit")
    await expect(resident.locator("#order-done")).to_be_visible()
    card = resident.locator("#mine li.request").first
    await expect(card).to_have_attribute("data-status", "dispatched")
    request_id = await card.get_attribute("data-request")
    assert request_id is not None
    mine = resident.locator(f"#mine li[data-request='{request_id}']")

    made = await district.staff.get(f"/api/v1/requests/{request_id}")
    assert made.body["area"] == district.hamlet
    assert made.body["team_id"] == team.team_id

    # -- the office sees it within seconds, without a reload ------------------------------
    await expect(staff.locator("#funnel li[data-status=submitted]")).to_have_attribute(
        "data-total", str(submitted_before + 1))
    await expect(staff.locator(f"#ticker li[data-request='{request_id}']").first).to_be_visible()
    # down the area tree to the hamlet, by its toggles; the type and the team have their rows
    await expect(staff.locator(f"#area-table tr[data-area='{district.county}']")).to_be_visible()
    for area in (district.town, district.village):
        row = staff.locator(f"#area-table tr[data-area='{area}']")
        await expect(row).to_be_visible()
        await row.locator(".tree-toggle").click()
        await expect(row.locator(".tree-toggle")).to_have_attribute("aria-expanded", "true")
    await expect(staff.locator(f"#area-table tr[data-area='{district.hamlet}']")).to_be_visible()
    await expect(staff.locator("#type-table tr[data-type=groceries]")).to_be_visible()
    more = staff.locator("#teams-more")
    if await more.is_visible():
        await more.click()
    standing = staff.locator(f"#teams-body tr[data-team='{team.team_id}']")
    await expect(standing).to_contain_text("1/2")  # the hamlet team: one task, room for two
    await staff.screenshot(path=artifact("journey-2-staff.png"), full_page=True)

    # -- the leader accepts and completes ---------------------------------------------------
    leader = await pages.open(platform.base_url, "/leader",
                              platform.token(Role.LEADER, team.leader_id))
    task = leader.locator(f"#waiting li[data-request='{request_id}']")
    await expect(task).to_be_visible()
    await expect(task.locator(".clock")).to_have_text(re.compile(r"^\d+:\d\d(:\d\d)?$"))
    await expect(task).to_contain_text(PHONE_NUMBER)  # the assigned leader sees the contact
    await leader.screenshot(path=artifact("journey-3-leader-task.png"), full_page=True)
    await task.locator("[data-action=accept]").click()
    serving = leader.locator(f"#serving li[data-request='{request_id}']")
    await expect(serving).to_be_visible()
    first, second = team.volunteers[0], team.volunteers[1]
    await serving.locator(f"input[data-volunteer='{first}']").check()
    await serving.locator(f"input[data-hours='{first}']").fill("2")
    await serving.locator(f"input[data-volunteer='{second}']").check()
    await serving.locator(f"input[data-hours='{second}']").fill("1.5")
    await serving.locator("button[type=submit]").click()
    await expect(leader.locator("#done-notice")).to_be_visible()
    await expect(serving).to_have_count(0)

    # -- the resident sees it done, and reviews it ------------------------------------------
    await expect(mine).to_have_attribute("data-status", "completed")
    await mine.locator("label.star").nth(3).click()
    await mine.locator("textarea[id^=comment]").fill("志愿者很热心")
    await mine.locator("form.review-form button[type=submit]").click()
    await expect(mine).to_have_attribute("data-status", "reviewed")
    await expect(mine.locator(".stars-given")).to_have_text("★★★★☆")
    await resident.screenshot(path=artifact("journey-4-resident-reviewed.png"), full_page=True)

    await expect(staff.locator(
        f"#ticker li[data-request='{request_id}'][data-type=RequestReviewed]")).to_be_visible()
    reviewed = await district.staff.get(f"/api/v1/requests/{request_id}")
    assert reviewed.body["rating"] == 4
    assert {v["volunteer_id"]: v["hours"] for v in reviewed.body["volunteers"]} == {
        first: 2, second: 1.5}

    # -- the kiosk: a wrong code is explained, the right one redeems --------------------------
    await balance_reaches(platform, first, 2)
    item_id = f"soap-{district.county}"
    stocked = await district.staff.post("/api/v1/catalog",
                                        {"item_id": item_id, "name": "香皂", "points": 2,
                                         "stock": 3})
    assert stocked.status == 201, stocked.body
    issued = await platform.as_(Role.VOLUNTEER, first).post(
        f"/api/v1/volunteers/{first}/redeem-code")
    assert issued.status == 200, issued.body
    code: str = issued.body["code"]
    wrong = f"{(int(code) + 1) % 10**8:08d}"

    kiosk = await pages.open(platform.base_url, "/kiosk", platform.token(Role.KIOSK, "K-web"),
                             viewport=KIOSK,
                             init="localStorage.setItem('vd-kiosk-idle-s', '5');")
    await kiosk.fill("#volunteer-id", first)
    await kiosk.fill("#code", wrong)
    await kiosk.click("#start-form button[type=submit]")
    await expect(kiosk.locator("#start-problem")).to_have_text(re.compile("兑换码不正确"))
    await expect(kiosk.locator("#balance")).not_to_have_text("2")
    await expect(kiosk.locator("#volunteer-id")).to_have_value(first)
    await kiosk.fill("#code", code)
    await kiosk.click("#start-form button[type=submit]")
    await expect(kiosk.locator("#balance")).to_have_text("2")
    await expect(kiosk.locator("#quarter")).to_contain_text("还可以兑换")
    await kiosk.click(f"button.gift[data-item='{item_id}']")
    await kiosk.click("#confirm-yes")
    receipt = kiosk.locator("#screen-receipt")
    await expect(receipt).to_be_visible()
    await expect(receipt.locator("dd[data-field=balance]")).to_have_text("0")
    await expect(receipt.locator("dd[data-field=gift]")).to_have_text("香皂")
    await kiosk.screenshot(path=artifact("journey-5-kiosk-receipt.png"), full_page=True)

    points = await platform.as_(Role.VOLUNTEER, first).get(f"/api/v1/volunteers/{first}/points")
    assert points.body["balance"] == 0
    assert points.body["lifetime_hours"] == 2, "hours are kept when points are spent"

    # after the pause the kiosk forgets the volunteer and starts again
    await expect(kiosk.locator("#screen-start")).to_be_visible(timeout=12_000)
    await expect(kiosk.locator("#volunteer-id")).to_have_value("")
