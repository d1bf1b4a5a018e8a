"""Signing in on the pages, in real Chromium.

- Staff created with a one-time password sign in on the staff page with their phone, are
  asked for a new password before anything else, then see the board; the page refreshes its
  token silently; signing out ends the session on the server too.
- On /login a volunteer signs in with a code the outbox sent (a wrong one is refused) and
  sees their points and a redeem code; a staff member with a one-time password
  changes it and lands on the staff page.
"""

from __future__ import annotations

import secrets

import pytest
from browser.pagekit import Pages
from harness import Platform, make_district
from playwright.async_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.timeout(90)]


def new_phone() -> str:
    return f"135{secrets.randbelow(10**8):08d}"


async def test_staff_sign_in_change_the_one_time_password_and_sign_out(
    pages: Pages, platform: Platform
) -> None:
    district = await make_district(platform)
    phone = new_phone()
    made = await district.staff.post("/api/v1/staff", {
        "staff_id": f"S{district.county}-web", "name": "街道站", "phone": phone,
        "scope": district.town})
    assert made.status == 201, made.body
    page = await pages.open(platform.base_url, "/staff")
    await page.fill("#signin-phone", phone)
    await page.fill("#signin-password", "wrong password")
    await page.click("#signin-form button[type=submit]")
    await expect(page.locator("#signin-error")).to_contain_text("不正确")
    await page.fill("#signin-password", made.body["one_time_password"])
    await page.click("#signin-form button[type=submit]")
    await expect(page.locator("#change-form")).to_be_visible()
    await expect(page.locator("#app")).to_be_hidden()
    await page.fill("#signin-new-password", "the station's own")
    await page.click("#change-form button[type=submit]")
    await expect(page.locator("#app")).to_be_visible()
    await expect(page.locator("#who")).to_contain_text(f"S{district.county}-web")
    token = await page.evaluate("sessionStorage.getItem('vd-token:staff')")
    assert (await platform.with_token(token).get("/api/v1/me")).body["scope"] == district.town
    await page.click("#logout")
    await expect(page.locator("#signin-form")).to_be_visible()
    assert (await platform.with_token(token).get("/api/v1/me")).status == 401


async def test_login_takes_a_volunteer_to_their_points_and_staff_to_their_board(
    pages: Pages, platform: Platform
) -> None:
    district = await make_district(platform)
    phone = new_phone()
    made = await district.staff.post("/api/v1/volunteers", {
        "volunteer_id": f"V{district.county}-web", "name": "小李",
        "team_id": district.teams["hamlet"].team_id, "phone": phone})
    assert made.status == 201, made.body
    page = await pages.open(platform.base_url, "/login")
    await page.select_option("#signin-role", "volunteer")
    await page.fill("#signin-phone", phone)
    await page.click("#signin-send-code")
    await expect(page.locator("#signin-sent")).to_contain_text("验证码已发送")
    await page.fill("#signin-code", "000000")
    await page.click("#signin-form button[type=submit]")
    await expect(page.locator("#signin-error")).to_contain_text("不正确")
    await page.fill("#signin-code", await platform.code_sent_to(phone))
    await page.click("#signin-form button[type=submit]")
    await expect(page.locator("#app")).to_be_visible()
    await expect(page.locator("#vol-balance")).to_have_text("0")
    await page.click("#vol-code")
    await expect(page.locator("#vol-code-out")).to_contain_text("兑换码")

    staff_phone = new_phone()
    staff = await district.staff.post("/api/v1/staff", {
        "staff_id": f"S{district.county}-v", "name": "x", "phone": staff_phone,
        "scope": district.county})
    assert staff.status == 201
    staff_page = await pages.open(platform.base_url, "/login")
    await staff_page.fill("#signin-phone", staff_phone)
    await staff_page.fill("#signin-password", staff.body["one_time_password"])
    await staff_page.click("#signin-form button[type=submit]")
    await expect(staff_page.locator("#change-form")).to_be_visible()
    await staff_page.fill("#signin-new-password", "another good one")
    await staff_page.click("#change-form button[type=submit]")
    await staff_page.wait_for_url("**/staff")
    await expect(staff_page.locator("#app")).to_be_visible()


async def test_a_kiosk_is_started_with_its_device_key(pages: Pages, platform: Platform) -> None:
    district = await make_district(platform)
    kiosk_id = f"K{district.county}"
    made = await district.staff.post("/api/v1/kiosks", {
        "kiosk_id": kiosk_id, "name": "社区兑换机", "area": district.village})
    assert made.status == 201, made.body
    page = await pages.open(platform.base_url, "/kiosk")
    await page.fill("#device-id", kiosk_id)
    await page.fill("#device-key", made.body["device_key"])
    await page.click("#device-form button[type=submit]")
    await expect(page.locator("#app")).to_be_visible()
    await expect(page.locator("#who")).to_contain_text(kiosk_id)


async def test_a_resident_signs_up_on_their_page(pages: Pages, platform: Platform) -> None:
    district = await make_district(platform)
    phone = new_phone()
    page = await pages.open(platform.base_url, "/resident")
    await page.click("#signup-toggle")
    await page.fill("#signup-phone", phone)
    await page.click("#signup-form button:has-text('发送验证码')")
    await page.fill("#signup-code", await platform.code_sent_to(phone))
    await page.fill("#signup-name", "陈阿姨")
    await page.select_option("#signup-area", district.hamlet)
    await page.fill("#signup-address", "2栋501")
    await page.click("#signup-form button[type=submit]")
    await expect(page.locator("#app")).to_be_visible()
    token = await page.evaluate("sessionStorage.getItem('vd-token:resident')")
    me = await platform.with_token(token).get("/api/v1/me")
    assert me.body["name"] == "陈阿姨" and me.body["role"] == "resident"
