"""The staff page's residents panel in real Chromium: it loads nothing until staff open it;
then staff register a resident without a phone, find them by name, read their profile, and
order a service on their behalf by phone; the order is the resident's and its history names
the staff member and the channel."""

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
