"""The office's live board in real Chromium.

- It reconnects by itself: the gateway is killed with SIGKILL and started again on the same
  data dir and port; the page shows that it lost the stream, comes back without a reload
  (sending Last-Event-ID) and shows orders made after the restart.
- It shows no personal data: orders with a contact name, a phone and an exact address become
  escalated and overdue (a platform with one-second deadlines), and neither the page's DOM
  nor any call it made holds or asks for them.
- Staff dispatch an escalated order by hand from the page, through the candidate teams.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest
from browser.pagekit import DESKTOP, PHONE, SECRET, Pages, artifact
from harness import Platform, ServerProcess, eventually, make_district
from playwright.async_api import expect

from schemas.common import Role

pytestmark = [pytest.mark.browser, pytest.mark.timeout(90)]


async def order(platform: Platform, resident: str, body: dict[str, str]) -> str:
    reply = await platform.as_(Role.RESIDENT, resident).post("/api/v1/requests", body)
    assert reply.status == 201, reply.body
    request_id: str = reply.body["request_id"]
    return request_id


async def test_the_board_reconnects_by_itself_after_the_gateway_is_killed(
    pages: Pages, tmp_path: Path, http: aiohttp.ClientSession,
) -> None:
    server = ServerProcess(tmp_path / "restart", {"VD_SECRET": SECRET}, log_name="restart")
    server.start()
    try:
        await server.wait_ready()
        platform = Platform(server.base_url, SECRET, "embedded", http)
        district = await make_district(platform)
        body = {"service_type": "groceries", "area": district.hamlet, "address": "1栋"}
        await order(platform, "R-restart", body)

        staff = await pages.open(platform.base_url, "/staff",
                                 platform.token(Role.STAFF, "S-restart"), viewport=PHONE)
        conn = staff.locator("#conn")
        submitted = staff.locator("#funnel li[data-status=submitted]")
        await expect(conn).to_have_attribute("data-state", "live")
        await expect(submitted).to_have_attribute("data-total", "1")

        server.kill()
        await expect(conn).to_have_attribute("data-state", "retry")
        await expect(conn).to_contain_text("重连")
        await staff.screenshot(path=artifact("staff-reconnecting.png"))

        server.start()  # the same data dir and the same port
        await server.wait_ready()
        await order(platform, "R-restart", body)
        await order(platform, "R-restart", body)
        await expect(submitted).to_have_attribute("data-total", "3", timeout=20_000)
        await expect(conn).to_have_attribute("data-state", "live")

        streams = [r for r in pages.requests if r.url.endswith("/api/v1/live/stream")]
        assert len(streams) >= 2, "the page opened the stream again"
        resumed = [await r.all_headers() for r in streams[1:]]
        assert any("last-event-id" in headers for headers in resumed), resumed
        assert all(h.get("authorization", "").startswith("Bearer ") for h in resumed)
    finally:
        server.stop()


async def test_the_board_shows_no_personal_data_and_dispatches_by_hand(
    quick_platform: Platform, pages: Pages,
) -> None:
    platform = quick_platform
    district = await make_district(platform)
    county_team = district.teams["county"]
    private = {
        "cleaning": ("远山村18号王家老屋", "13907391234", "李阿婆"),
        "groceries": ("一号小区9栋3单元204室", "13807395678", "曾爷爷"),
    }
    # Only the county team cleans in the far village: when it lets the one-second deadline
    # pass, no team is left and the order is escalated to the office.
    escalated = await order(platform, "R-mask", {
        "service_type": "cleaning", "area": district.far_village,
        "address": private["cleaning"][0], "contact_phone": private["cleaning"][1],
        "contact_name": private["cleaning"][2], "details": "打扫卫生"})
    # Accepted and then left past its one-second service window: overdue.
    overdue = await order(platform, "R-mask", {
        "service_type": "groceries", "area": district.hamlet,
        "address": private["groceries"][0], "contact_phone": private["groceries"][1],
        "contact_name": private["groceries"][2]})
    hamlet_leader = platform.as_(Role.LEADER, district.teams["hamlet"].leader_id)
    accepted = await hamlet_leader.post(f"/api/v1/requests/{overdue}/accept")
    assert accepted.status == 200, accepted.body

    staff = await pages.open(platform.base_url, "/staff",
                             platform.token(Role.STAFF, "S-mask"), viewport=DESKTOP)
    escalated_item = staff.locator(f"#escalated li[data-request='{escalated}']")
    overdue_item = staff.locator(f"#overdue li[data-request='{overdue}']")
    await expect(escalated_item).to_be_visible()
    await expect(overdue_item).to_be_visible()
    await expect(overdue_item.get_by_role("button", name="改派其他服务队")).to_be_visible()

    # Staff open the candidates and send the escalated order to the county team by hand.
    await escalated_item.get_by_role("button", name="人工派单").click()
    pick = escalated_item.locator(f"button[data-team='{county_team.team_id}']")
    await expect(pick).to_be_visible()
    await expect(escalated_item.locator(".candidate")).to_contain_text("曾拒单")
    await staff.screenshot(path=artifact("staff-manual-dispatch.png"), full_page=True)
    html = await staff.content()
    await pick.click()
    await expect(escalated_item.locator(".notice.ok")).to_contain_text("已派给")

    async def dispatched_by_hand() -> bool:
        seen = await district.staff.get(f"/api/v1/requests/{escalated}")
        events = [h["event"] for h in seen.body["history"]]
        return "RequestEscalated" in events and events[events.index("RequestEscalated"):].count(
            "RequestDispatched") >= 1

    await eventually(dispatched_by_hand, timeout_s=10)

    # The hamlet team accepted the other order and let its service window pass: staff give it
    # to the village team instead.
    village = district.teams["village"]
    await overdue_item.get_by_role("button", name="改派其他服务队").click()
    await overdue_item.locator(f"button[data-team='{village.team_id}']").click()

    async def reassigned() -> bool:
        history = (await district.staff.get(f"/api/v1/requests/{overdue}")).body["history"]
        after = [(h["event"], h["team_id"]) for h in history][
            [h["event"] for h in history].index("RequestAccepted") + 1:]
        return after[:1] == [("RequestDispatched", village.team_id)]

    await eventually(reassigned, timeout_s=10)

    await asyncio.sleep(1.5)  # a few more snapshots, with the lists changing
    for content in (html, await staff.content()):
        for address, phone, name in private.values():
            assert phone not in content
            assert address not in content
            assert name not in content
    asked = {r.url.split("?")[0].removeprefix(platform.base_url) for r in pages.requests}
    allowed = {"/staff", "/api/v1/areas", "/api/v1/service-types", "/api/v1/live/stream",
               f"/api/v1/requests/{escalated}/candidates",
               f"/api/v1/requests/{escalated}/dispatch",
               f"/api/v1/requests/{overdue}/candidates",
               f"/api/v1/requests/{overdue}/dispatch"}
    assert {a for a in asked if not a.startswith("/static/")} <= allowed, asked
