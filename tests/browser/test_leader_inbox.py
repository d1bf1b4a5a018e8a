"""The team leader's inbox in real Chromium: a task dispatched while the page is open appears
without a reload, with its deadline counting down; the leader declines it with a reason from
the list and a note, the task leaves the inbox, and the request goes on to the next team with
the reason in its history.
"""

from __future__ import annotations

import re

import pytest
from browser.pagekit import Pages, artifact
from harness import Platform, eventually, make_district
from playwright.async_api import expect

from schemas.common import Role

pytestmark = [pytest.mark.browser, pytest.mark.timeout(90)]


async def test_a_new_task_appears_by_itself_and_is_declined_with_a_reason(
    platform: Platform, pages: Pages,
) -> None:
    district = await make_district(platform)
    hamlet, village = district.teams["hamlet"], district.teams["village"]
    leader = await pages.open(platform.base_url, "/leader",
                              platform.token(Role.LEADER, hamlet.leader_id))
    await expect(leader.locator("#waiting")).to_be_attached()

    made = await platform.as_(Role.RESIDENT, "R-inbox").post("/api/v1/requests", {
        "service_type": "groceries", "area": district.hamlet, "address": "5栋"})
    assert made.status == 201 and made.body["team_id"] == hamlet.team_id, made.body
    request_id = made.body["request_id"]
    task = leader.locator(f"#waiting li[data-request='{request_id}']")
    await expect(task).to_be_visible(timeout=15_000)
    await expect(task.locator(".clock")).to_have_text(re.compile(r"^\d+:\d\d(:\d\d)?$"))

    await task.locator("[data-action=decline]").click()
    await task.locator("select").select_option("busy")
    await task.locator("textarea").fill("今天队员都在外地")
    await leader.screenshot(path=artifact("leader-decline.png"), full_page=True)
    await task.get_by_role("button", name="确认拒单").click()
    await expect(task).to_have_count(0)

    async def moved_on() -> list[dict[str, str]]:
        seen = await district.staff.get(f"/api/v1/requests/{request_id}")
        return [h for h in seen.body["history"] if h["event"] == "RequestDeclined"] \
            if seen.body["team_id"] == village.team_id else []

    declined = await eventually(moved_on, timeout_s=10)
    assert declined[0]["note"] == "人手不足：今天队员都在外地"


async def test_the_inbox_and_the_board_show_a_vulnerable_residents_tier(
    platform: Platform, pages: Pages,
) -> None:
    """An order staff enter for a resident living alone is tier 1: the leader's card and the
    staff board's escalated list carry the badge 优先一级; a tier-3 order carries none."""
    district = await make_district(platform)
    hamlet = district.teams["hamlet"]
    resident_id = f"R{district.county}-alone"
    made = await district.staff.post("/api/v1/residents", {
        "resident_id": resident_id, "name": "独居老人", "area": district.hamlet,
        "address": "2栋", "tags": ["living_alone"]})
    assert made.status == 201, made.body
    leader = await pages.open(platform.base_url, "/leader",
                              platform.token(Role.LEADER, hamlet.leader_id))
    await expect(leader.locator("#waiting")).to_be_attached()
    first = await district.staff.post("/api/v1/requests", {
        "service_type": "groceries", "area": district.hamlet, "address": "2栋",
        "resident_id": resident_id})
    plain = await platform.as_(Role.RESIDENT, "R-plain").post("/api/v1/requests", {
        "service_type": "groceries", "area": district.hamlet, "address": "6栋"})
    assert first.body["team_id"] == plain.body["team_id"] == hamlet.team_id
    card = leader.locator(f"#waiting li[data-request='{first.body['request_id']}']")
    await expect(card.locator(".badge.tier1")).to_have_text("优先一级", timeout=15_000)
    other = leader.locator(f"#waiting li[data-request='{plain.body['request_id']}']")
    await expect(other).to_be_visible()
    await expect(other.locator("[data-priority]")).to_have_count(0)
    await leader.screenshot(path=artifact("leader-priority.png"), full_page=True)

    lost = await district.staff.post("/api/v1/requests", {
        "service_type": "other", "area": district.hamlet, "address": "2栋",
        "resident_id": resident_id})
    assert lost.body["status"] == "escalated", lost.body
    staff = await pages.open(platform.base_url, "/staff",
                             platform.token(Role.STAFF, "S-tier", scope=district.county))
    item = staff.locator(f"#escalated li[data-request='{lost.body['request_id']}']")
    await expect(item.locator(".badge.tier1")).to_have_text("优先一级", timeout=15_000)
