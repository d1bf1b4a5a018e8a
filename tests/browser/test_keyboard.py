"""A resident who cannot use a mouse or a touch screen: signing in with their phone and
password, ordering and cancelling on the resident page with the keyboard alone (Tab, arrows,
Space, Enter, typing). Every step reaches its control by Tab from where the last one left
the focus, so the tab order is proven, and the focused control is visibly outlined.
"""

from __future__ import annotations

import pytest
from browser.pagekit import PHONE, Pages, artifact
from harness import Platform, make_district
from playwright.async_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.timeout(90)]

TABS_MAX = 40


async def tab_to(page: Page, selector: str, *, backwards: bool = False) -> None:
    """Press Tab until the focus is on `selector`; fail if it is never reached."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(TABS_MAX):
        await page.keyboard.press(key)
        if await page.evaluate("s => document.activeElement?.matches(s) ?? false", selector):
            # A radio drawn as a tile is transparent: its tile shows the focus instead.
            drawn = await page.evaluate("""() => {
                const el = document.activeElement;
                const hidden = getComputedStyle(el).opacity === '0' && el.nextElementSibling;
                return getComputedStyle(hidden ? el.nextElementSibling : el).outlineStyle;
            }""")
            assert drawn != "none", f"{selector} has the focus but does not show it"
            return
    focused = await page.evaluate("() => document.activeElement?.outerHTML.slice(0, 120)")
    raise AssertionError(f"Tab never reached {selector}; the focus is on {focused}")


async def arrow_to(page: Page, selector: str, value: str) -> None:
    """Press ArrowDown on a focused select until it shows `value`."""
    count = await page.locator(f"{selector} option").count()
    for _ in range(count):
        await page.keyboard.press("ArrowDown")
        if await page.locator(selector).input_value() == value:
            await expect(page.locator(selector)).to_be_focused()
            return
    raise AssertionError(f"{value} is not among the options of {selector}")


async def test_a_resident_orders_and_cancels_with_the_keyboard_alone(
    platform: Platform, pages: Pages,
) -> None:
    district = await make_district(platform)
    phone = f"133{int(district.county) % 10**8:08d}"
    anyone = platform.anonymous()
    assert (await anyone.post("/api/v1/auth/codes", {"phone": phone})).status == 202
    signed_up = await anyone.post("/api/v1/auth/sign-up", {
        "phone": phone, "code": await platform.code_sent_to(phone), "name": "键盘用户",
        "area": district.hamlet, "address": "1栋", "password": "keyboard only"})
    assert signed_up.status == 201, signed_up.body
    page = await pages.open(platform.base_url, "/resident", viewport=PHONE)

    # Sign in: the phone field has the focus when the page opens; Tab leads to the password.
    await expect(page.locator("#signin-phone")).to_be_focused()
    await page.keyboard.type(phone)
    await tab_to(page, "#signin-password")
    await page.keyboard.type("keyboard only")
    await page.keyboard.press("Enter")
    await expect(page.locator("#order-form")).to_be_visible()
    await expect(page.locator("input[name=service_type]").first).to_be_attached()

    # 1. the service: Tab into the group, arrows move the choice
    await tab_to(page, "input[name=service_type]")
    await page.keyboard.press("Space")
    await page.keyboard.press("ArrowRight")
    await page.keyboard.press("ArrowRight")
    await expect(page.locator("input[name=service_type][value=cleaning]")).to_be_checked()
    await page.keyboard.press("ArrowLeft")
    await page.keyboard.press("ArrowLeft")
    await expect(page.locator("input[name=service_type][value=groceries]")).to_be_checked()

    # 2. where: the arrows pick the county (when the platform has several), a town, a
    # village and a hamlet; each choice fills the next select and leaves the focus in place.
    if await page.locator("#area-0").count():
        await tab_to(page, "#area-0")
        await arrow_to(page, "#area-0", district.county)
    for level, code in ((1, district.town), (2, district.village), (3, district.hamlet)):
        await tab_to(page, f"#area-{level}")
        await page.keyboard.press("ArrowDown")
        await expect(page.locator(f"#area-{level}")).to_have_value(code)
        await expect(page.locator(f"#area-{level}")).to_be_focused()
    await tab_to(page, "#address")
    await page.keyboard.type("一号小区5栋101室")

    # 3. more: details, urgent, a phone number
    await tab_to(page, "#details")
    await page.keyboard.type("腿脚不便，请帮忙买菜")
    await tab_to(page, "input[name=urgency]")
    await page.keyboard.press("ArrowRight")
    await expect(page.locator("input[name=urgency][value=urgent]")).to_be_checked()
    await tab_to(page, "#contact-phone")
    await page.keyboard.type("13807391111")
    await page.screenshot(path=artifact("resident-keyboard.png"))
    await tab_to(page, "#order-submit")
    await page.keyboard.press("Enter")

    await expect(page.locator("#order-done")).to_be_visible()
    await expect(page.locator("#mine-title")).to_be_focused()
    card = page.locator("#mine li.request").first
    await expect(card).to_have_attribute("data-status", "dispatched")
    request_id = await card.get_attribute("data-request")
    made = await district.staff.get(f"/api/v1/requests/{request_id}")
    assert (made.body["area"], made.body["urgency"], made.body["service_type"]) == (
        district.hamlet, "urgent", "groceries")

    # Cancel it, still from the keyboard: the question takes the focus to its safe answer.
    await tab_to(page, f"li[data-request='{request_id}'] [data-action=cancel]")
    await page.keyboard.press("Enter")
    await expect(card.locator("[data-action=cancel-no]")).to_be_focused()
    await tab_to(page, f"li[data-request='{request_id}'] [data-action=cancel-yes]",
                 backwards=True)
    await page.keyboard.press("Enter")
    await expect(page.locator(f"#mine li[data-request='{request_id}']")).to_have_attribute(
        "data-status", "cancelled")
