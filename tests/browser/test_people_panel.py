"""The staff page's residents panel in real Chromium: it loads nothing until staff open it;
then staff register a resident without a phone, find them by name, read their profile, and
order a service on their behalf by phone; the order is the resident's and its history names
the staff member and the channel. The office panel changes a team's capacity and whether it
takes new work, creates a staff account (one-time password shown once), registers a kiosk
(device key shown once, which signs the kiosk in) and revokes it, and lists the audit trail,
where each of those writes is recorded."""

from __future__ import annotations

import pytest
from browser.pagekit import DESKTOP, Pages
from harness import Platform, eventually, make_district
from playwright.async_api import expect

from schemas.common import Role

pytestmark = [pytest.mark.browser, pytest.mark.timeout(90)]


async def test_staff_register_a_resident_and_order_on_their_behalf(
    pages: Pages, platform: Platform
) -> None:
    district = await make_district(platform)
    staff = await pages.open(platform.base_url, "/staff",
                             platform.token(Role.STAFF, "S-panel", scope=district.town),
                             viewport=DESKTOP)
    await expect(staff.locator("#app")).to_be_visible()
    assert not [r for r in pages.requests if "/api/v1/residents" in r.url]
    await staff.click("#people-panel > summary")
    await staff.fill("#new-name", "周爷爷")
    await staff.select_option("#new-area", district.hamlet)
    await staff.fill("#new-address", "9栋303")
    await staff.fill("#new-birth-year", "1938")
    await staff.check("#new-resident input[value=living_alone]")
    await staff.click("#new-resident button[type=submit]")
    await expect(staff.locator("#new-out")).to_contain_text("已登记")
    await staff.fill("#people-q", "周爷爷")
    await staff.click("#people-search button[type=submit]")
    person = staff.locator("#people-list li.person")
    await expect(person).to_have_count(1)
    await expect(person).to_contain_text("独居")
    resident_id = await person.get_attribute("data-resident")
    await person.get_by_role("button", name="查看").click()
    await expect(person.locator(".person-detail")).to_contain_text("9栋303")
    await person.get_by_role("button", name="代点单").click()
    await expect(staff.locator("#order-address")).to_have_value("9栋303")
    await staff.select_option("#order-type", "groceries")
    await staff.fill("#order-details", "买米和油")
    await staff.select_option("#order-channel", "phone")
    await staff.click(".order-form button[type=submit]")
    await expect(staff.locator(".order-form [role=status]")).to_contain_text("已提交")

    async def ordered() -> list[dict[str, object]]:
        mine = await platform.as_(Role.RESIDENT, str(resident_id)).get("/api/v1/requests")
        return list(mine.body["requests"])

    [request] = await eventually(ordered)
    first = request["history"][0]
    assert (first["actor_id"], first["channel"]) == ("S-panel", "phone")


async def test_the_office_panel_changes_teams_adds_staff_and_kiosks_and_shows_the_audit(
    pages: Pages, platform: Platform
) -> None:
    district = await make_district(platform)
    staff = await pages.open(platform.base_url, "/staff",
                             platform.token(Role.STAFF, "S-office", scope=district.county),
                             viewport=DESKTOP)
    await expect(staff.locator("#app")).to_be_visible()
    await staff.click("#admin-panel > summary")
    team = district.teams["hamlet"].team_id
    row = staff.locator(f"#admin-teams tr[data-team='{team}']")
    await row.locator("input[type=number]").fill("7")
    await row.locator("input[type=checkbox]").uncheck()
    await row.get_by_role("button", name="保存").click()
    await expect(row).to_contain_text("已保存")
    changed = await district.staff.get(f"/api/v1/teams/{team}")
    assert (changed.body["capacity"], changed.body["active"]) == (7, False)

    await staff.fill("#admin-staff-id", f"S{district.county}-desk")
    await staff.fill("#admin-staff-name", "窗口")
    await staff.fill("#admin-staff-phone", f"134{int(district.county) % 10**8:08d}")
    await staff.fill("#admin-staff-scope", district.town)
    await staff.click("#admin-staff button[type=submit]")
    await expect(staff.locator("#admin-staff-out")).to_contain_text("一次性密码")

    kiosk_id = f"K{district.county}-hall"
    await staff.fill("#admin-kiosk-id", kiosk_id)
    await staff.fill("#admin-kiosk-name", "大厅兑换机")
    await staff.fill("#admin-kiosk-area", district.village)
    await staff.click("#admin-kiosk button[type=submit]")
    await expect(staff.locator("#admin-kiosk-out")).to_contain_text("设备密钥")
    key = (await staff.locator("#admin-kiosk-out").inner_text()).split("：")[1].split("（")[0]
    device = await platform.anonymous().post("/api/v1/auth/device",
                                             {"kiosk_id": kiosk_id, "device_key": key})
    assert device.status == 200, device.body
    await staff.click("#admin-kiosk-revoke")
    await expect(staff.locator("#admin-kiosk-out")).to_contain_text("已停用")

    await expect(staff.locator("#admin-audit li").first).to_contain_text("POST /api/v1/")
    await expect(staff.locator("#admin-failures li").first).to_be_visible()
    trail = await district.staff.get("/api/v1/audit?actor=S-office")
    actions = {r["action"] for r in trail.body["records"]}
    assert {"PATCH /api/v1/teams/{team_id}", "POST /api/v1/staff", "POST /api/v1/kiosks",
            "POST /api/v1/kiosks/{kiosk_id}/revoke"} <= actions


async def test_the_office_panel_edits_a_team_and_moves_and_retires_volunteers(
    pages: Pages, platform: Platform
) -> None:
    district = await make_district(platform)
    staff = await pages.open(platform.base_url, "/staff",
                             platform.token(Role.STAFF, "S-roster", scope=district.county),
                             viewport=DESKTOP)
    await staff.click("#admin-panel > summary")
    hamlet, village = district.teams["hamlet"], district.teams["village"]
    row = staff.locator(f"#admin-teams tr[data-team='{hamlet.team_id}']")
    await row.get_by_role("button", name="修改").click()
    detail = staff.locator(f"tr[data-team-detail='{hamlet.team_id}']")
    await detail.locator(f"#deputies-{hamlet.team_id}").fill(hamlet.volunteers[1])
    await detail.locator("input[value=cleaning]").check()
    await detail.locator(".team-editor button[type=submit]").click()
    await expect(detail.locator(".team-editor [role=status]")).to_contain_text("已保存")
    team = (await district.staff.get(f"/api/v1/teams/{hamlet.team_id}")).body
    assert team["deputies"] == [hamlet.volunteers[1]] and "cleaning" in team["service_types"]

    mover = detail.locator(f"li[data-volunteer='{hamlet.volunteers[2]}']")
    await mover.locator("select").select_option(village.team_id)
    await expect(mover).to_contain_text("已保存")
    leaver = detail.locator(f"li[data-volunteer='{hamlet.volunteers[0]}']")
    await leaver.get_by_role("button", name="退出").click()
    await expect(leaver).to_contain_text("已退出")
    moved = (await district.staff.get(f"/api/v1/volunteers?team_id={village.team_id}")).body
    assert hamlet.volunteers[2] in {v["volunteer_id"] for v in moved["volunteers"]}
    gone = (await district.staff.get(f"/api/v1/volunteers?team_id={hamlet.team_id}")).body
    active = {v["volunteer_id"]: v["active"] for v in gone["volunteers"]}
    assert active[hamlet.volunteers[0]] is False
