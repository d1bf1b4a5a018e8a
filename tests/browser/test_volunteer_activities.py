"""A volunteer's phone page in real Chromium: an open activity of their county is listed; they
sign up and it moves to their own list, confirmed; they check in by typing the organiser's
current code and the page says they are checked in, as the activity's organisers see too.
A second volunteer arrives through the organiser's QR code (the link it holds, with the
activity and the code in the fragment): the check-in form is open with the code filled in,
one tap checks them in.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from browser.pagekit import Pages, artifact
from harness import Platform, eventually, make_district
from playwright.async_api import expect

from schemas.common import Role

pytestmark = [pytest.mark.browser, pytest.mark.timeout(90)]


async def test_a_volunteer_signs_up_and_checks_in_with_the_code_or_its_qr_link(
    platform: Platform, pages: Pages,
) -> None:
    district = await make_district(platform)
    staff = district.staff
    first, second, _ = district.teams["village"].volunteers
    now = datetime.now(UTC)
    activity_id = f"A{district.county}-web"
    made = await staff.post("/api/v1/activities", {
        "activity_id": activity_id, "title": "社区清扫", "service_type": "cleaning",
        "area": district.village, "starts_at": (now - timedelta(minutes=5)).isoformat(),
        "ends_at": (now + timedelta(hours=1)).isoformat(), "slots": 2})
    assert made.status == 201, made.body
    path = f"/api/v1/activities/{activity_id}"

    page = await pages.open(platform.base_url, "/volunteer",
                            platform.token(Role.VOLUNTEER, first))
    listed = page.locator(f"#near li[data-activity='{activity_id}']")
    await expect(listed).to_be_visible()
    await listed.locator("[data-action=sign_up]").click()
    await expect(page.locator("#done-notice")).to_have_text("报名成功，已确认。")
    mine = page.locator(f"#mine li[data-activity='{activity_id}']")
    await expect(mine.locator(".badge")).to_have_text("已确认")

    await mine.locator("[data-action=check_in]").click()
    code = (await staff.get(path + "/code")).body["code"]
    await mine.locator("input").fill(code)
    await mine.get_by_role("button", name="确认签到").click()
    await expect(mine.locator(".badge")).to_have_text("已签到")
    await page.screenshot(path=artifact("volunteer-checked-in.png"), full_page=True)

    async def checked_in() -> bool:
        seen = (await staff.get(path)).body
        return any(s["volunteer_id"] == first and s["checked_in_at"] for s in seen["signups"])

    await eventually(checked_in)

    assert (await platform.as_(Role.VOLUNTEER, second).post(path + "/signups")).status == 201
    link = (await staff.get(path + "/code")).body["check_in_url"]
    fragment = link.split("#", 1)[1]
    token = platform.token(Role.VOLUNTEER, second)
    arrived = await pages.open(platform.base_url, f"/volunteer#token={token}&{fragment}")
    card = arrived.locator(f"#mine li[data-activity='{activity_id}']")
    await expect(card.locator("input")).to_have_value(fragment.rsplit("=", 1)[1])
    await card.get_by_role("button", name="确认签到").click()
    await expect(card.locator(".badge")).to_have_text("已签到")
    assert pages.errors == []


async def test_a_leader_shows_the_code_as_a_qr_and_closes_the_activity(
    platform: Platform, pages: Pages,
) -> None:
    district = await make_district(platform)
    team = district.teams["village"]
    leader = platform.as_(Role.LEADER, team.leader_id)
    volunteer = platform.as_(Role.VOLUNTEER, team.volunteers[0])
    now = datetime.now(UTC)
    activity_id = f"A{district.county}-lead"
    path = f"/api/v1/activities/{activity_id}"
    made = await leader.post("/api/v1/activities", {
        "activity_id": activity_id, "title": "理论宣讲", "service_type": "outreach",
        "area": district.village, "starts_at": (now - timedelta(minutes=5)).isoformat(),
        "ends_at": (now + timedelta(hours=1)).isoformat(), "slots": 5})
    assert made.status == 201, made.body
    assert (await volunteer.post(path + "/signups")).status == 201
    code = (await leader.get(path + "/code")).body["code"]
    assert (await volunteer.post(path + "/check-in", {"code": code})).status == 200

    page = await pages.open(platform.base_url, "/leader", platform.token(Role.LEADER,
                                                                         team.leader_id))
    card = page.locator(f"#activities li[data-activity='{activity_id}']")
    await expect(card.locator(f"li[data-volunteer='{team.volunteers[0]}']")).to_contain_text(
        "签到")
    await card.locator("[data-action=code]").click()
    await expect(card.locator(".org-digits")).to_have_text(re.compile(r"^\d{6}$"))
    await expect(card.locator("img.org-qr")).to_be_visible()
    await page.screenshot(path=artifact("leader-activity-code.png"), full_page=True)
    await card.locator("[data-action=close]").click()
    await expect(page.locator("#activities .notice")).to_contain_text("待核查 1 人")
    await expect(card.locator(".org-result .flagged")).to_contain_text("未签退")
    closed = await leader.get(path)
    assert closed.body["status"] == "closed"
    assert pages.errors == []
