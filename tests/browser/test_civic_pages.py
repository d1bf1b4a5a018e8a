"""The village points supermarket in real Chromium: village staff open the civic panel (it
loads nothing before), register a household, type a month's scores into the sheet from the
keyboard (a value, Tab, the next, Enter saves the row), correct a scoring, and print the
head's redeem code; the village kiosk in its supermarket mode takes the household's number
and that code, shows the household's civic points and its own shelf, and exchanges a good
once, with a receipt; a second exchange in the quarter is refused in a plain sentence.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from browser.pagekit import DESKTOP, Pages, artifact
from harness import Platform, eventually, make_district
from playwright.async_api import expect

from schemas.common import Role

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


async def test_a_village_scores_a_month_and_its_kiosk_exchanges_a_good(
    pages: Pages, platform: Platform
) -> None:
    district = await make_district(platform)
    staff_api = platform.as_(Role.STAFF, "S-civic", scope=district.village)
    for rule_id, name, points_max in (("hygiene", "庭院整洁", 10), ("helping", "邻里互助", 8)):
        made = await staff_api.post("/api/v1/civic-rules", {
            "rule_id": f"{district.county}-{rule_id}", "area": district.village, "name": name,
            "points_max": points_max})
        assert made.status == 201, made.body
    kiosk_id = f"K{district.county}-shop"
    assert (await staff_api.post("/api/v1/kiosks", {
        "kiosk_id": kiosk_id, "name": "中寨村积分超市", "area": district.village})).status == 201

    staff = await pages.open(platform.base_url, "/staff",
                             platform.token(Role.STAFF, "S-civic", scope=district.village),
                             viewport=DESKTOP)
    await expect(staff.locator("#app")).to_be_visible()
    assert not [r for r in pages.requests if "/api/v1/households" in r.url
                or "/api/v1/civic" in r.url], "the board alone reads no household"
    await staff.click("#civic-panel > summary")
    await expect(staff.locator("#civic-sheet")).to_contain_text("还没有登记的家庭")
    await staff.click("#civic summary:has-text('登记家庭')")
    household_id = f"H{district.county}-01"
    await staff.fill("#civic-new-id", household_id)
    await staff.select_option("#civic-new-area", district.village)
    await staff.fill("#civic-new-head", "杨德明")
    await staff.fill("#civic-new-members", "吴秀英，杨小军")
    await staff.click("#civic details:has-text('登记家庭') button[type=submit]")
    await expect(staff.locator("#civic")).to_contain_text(f"已登记 {household_id}")

    row = staff.locator(f"#civic-table tr[data-household='{household_id}']")
    await expect(row).to_contain_text("杨德明")
    first = row.locator("input[type=number]").first
    await first.focus()
    await staff.keyboard.type("7")
    await staff.keyboard.press("Tab")
    await staff.keyboard.type("9")
    await staff.keyboard.press("Tab")
    await staff.keyboard.type("门前三包做得好")
    await staff.keyboard.press("Enter")
    await expect(row).to_contain_text("已保存，积分 16")
    await expect(row.locator("input[type=number]")).to_have_count(0)

    await row.get_by_role("button", name=household_id).click()
    detail = staff.locator("#civic-household")
    await expect(detail).to_contain_text("16 积分")
    await expect(detail).to_contain_text("吴秀英、杨小军")
    await detail.locator("summary:has-text('更正一项打分')").click()
    month = datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m")
    await staff.select_option("#civic-correct-which", f"{month}|{district.county}-helping")
    await staff.fill("#civic-correct-reason", "互助记到了别家")
    await detail.get_by_role("button", name="更正", exact=True).click()
    await expect(detail).to_contain_text("已更正，积分 9")
    await expect(detail).to_contain_text("9 积分")
    await detail.get_by_role("button", name="打印兑换码").click()
    slip = staff.locator("#civic-slip")
    await expect(slip).to_contain_text("兑换码")
    code = re.search(r"兑换码 ([0-9]{8})", await slip.inner_text())
    assert code is not None
    await staff.screenshot(path=artifact("staff-civic-sheet.png"), full_page=True)

    await staff.click("#civic summary:has-text('超市商品')")
    for field, value in (("kiosk", kiosk_id), ("id", f"{district.county}-oil"), ("name", "菜籽油"),
                         ("points", "5"), ("stock", "2")):
        await staff.fill(f"#civic-goods-{field}", value)
    await staff.click("#civic details:has-text('超市商品') button[type=submit]")
    await expect(staff.locator("#civic-goods")).to_contain_text("菜籽油 · 5 分 · 库存 2")

    kiosk = await pages.open(platform.base_url, "/kiosk?mode=civic",
                             platform.token(Role.KIOSK, kiosk_id, scope=district.village))
    await expect(kiosk.locator("#start-title")).to_have_text("积分超市 · 家庭积分兑换")
    await expect(kiosk.locator("#mode-civic")).to_have_attribute("aria-pressed", "true")
    await kiosk.get_by_label("户号").fill(household_id)
    await kiosk.get_by_label("兑换码（8 位数字）").fill(code.group(1))
    await kiosk.click("#start-form button[type=submit]")
    await expect(kiosk.locator("#account-title")).to_have_text(f"杨**家（{household_id}）您好")
    await expect(kiosk.locator("#balance")).to_have_text("9")
    await expect(kiosk.locator("#hours-figure")).to_be_hidden()
    await kiosk.locator(f"button.gift[data-item='{district.county}-oil']").click()
    await expect(kiosk.locator("#confirm-after")).to_have_text("兑换后您家剩余 4 积分。")
    await kiosk.click("#confirm-yes")
    await expect(kiosk.locator("#receipt-title")).to_be_visible()
    await expect(kiosk.locator("#receipt-hint")).to_have_text("请凭此页面到柜台领取商品。")
    await expect(kiosk.locator("#receipt dd[data-field=balance]")).to_have_text("4")
    await kiosk.screenshot(path=artifact("kiosk-civic-receipt.png"), full_page=True)

    async def exchanged() -> bool:
        points = await staff_api.get(f"/api/v1/households/{household_id}/points")
        return bool(points.body["exchanged_this_quarter"])

    await eventually(exchanged)
    again = (await staff_api.post(f"/api/v1/households/{household_id}/redeem-code")).body["code"]
    await kiosk.click("#screen-receipt [data-action=home]")
    await kiosk.get_by_label("户号").fill(household_id)
    await kiosk.get_by_label("兑换码（8 位数字）").fill(again)
    await kiosk.click("#start-form button[type=submit]")
    await expect(kiosk.locator("#quarter")).to_contain_text("您家已经兑换过了")
    await expect(kiosk.locator(f"button.gift[data-item='{district.county}-oil']")).to_be_disabled()
    assert pages.errors == []
