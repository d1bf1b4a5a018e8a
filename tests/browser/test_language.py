"""zh-CN first, English on a button: every page opens in Chinese, switches to English with the
button (the document's lang follows, for screen readers and fonts), remembers the choice
across a reload in localStorage, and switches back. Strings from the data (service types)
follow too, and no Chinese interface text is left behind on the English page.
"""

from __future__ import annotations

import re

import pytest
from browser.pagekit import PHONE, Pages
from harness import Platform, make_district
from playwright.async_api import Page, expect

from schemas.common import Role

pytestmark = [pytest.mark.browser, pytest.mark.timeout(90)]

HEADINGS = {
    "/staff": ("实时调度看板", "Live dispatch board"),
    "/leader": ("任务收件箱", "Task inbox"),
    "/resident": ("志愿服务点单", "Volunteer services"),
    "/kiosk": ("积分兑换", "Points exchange"),
    "/volunteer": ("志愿活动", "Volunteer activities"),
    "/pages": ("志愿服务派单平台", "Volunteer dispatch platform"),
}
HAN = re.compile(r"[\u4e00-\u9fff]")


async def interface_text(page: Page) -> str:
    """The page's visible text, without what comes from the data (names of areas, teams,
    gifts and people, which are Chinese in either language)."""
    text: str = await page.evaluate("""() => {
        const clone = document.body.cloneNode(true);
        for (const el of clone.querySelectorAll(
            '[data-request], [data-area], [data-team], [data-item], #team-name, #who, ' +
            '#account-title, option, .tile, #lang, [hidden], script, noscript')) el.remove();
        return clone.innerText;
    }""")
    return text


async def test_every_page_switches_to_english_and_remembers_it(
    platform: Platform, pages: Pages,
) -> None:
    district = await make_district(platform)
    tokens = {
        "/staff": platform.token(Role.STAFF, "S-lang"),
        "/leader": platform.token(Role.LEADER, district.teams["hamlet"].leader_id),
        "/resident": platform.token(Role.RESIDENT, "R-lang"),
        "/kiosk": platform.token(Role.KIOSK, "K-lang"),
        "/volunteer": platform.token(Role.VOLUNTEER, district.teams["hamlet"].volunteers[0]),
        "/pages": None,
    }
    for path, (zh, en) in HEADINGS.items():
        page = await pages.open(platform.base_url, path, tokens[path], viewport=PHONE)
        heading = page.locator("header h1")
        button = page.locator("#lang")
        await expect(heading).to_have_text(zh)
        await expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        await expect(button).to_have_text("English")
        await expect(button).to_have_attribute("lang", "en")

        await button.click()
        await expect(heading).to_have_text(en)
        await expect(page.locator("html")).to_have_attribute("lang", "en")
        await expect(button).to_have_text("中文")
        assert re.search(r"· Volunteer dispatch|Volunteer dispatch platform", await page.title())

        await page.reload()  # the token stays in this tab's sessionStorage
        await expect(heading).to_have_text(en)
        if path == "/resident":
            await expect(page.locator("input[value=groceries] + span")).to_have_text("Groceries")
        if path == "/staff":
            await expect(page.locator("#conn")).to_have_text(re.compile("Live"))
            await expect(page.locator("#funnel li[data-status=submitted]")).to_contain_text(
                "Submitted")
        leftover = HAN.findall(await interface_text(page))
        assert not leftover, f"{path} in English still shows {''.join(leftover)!r}"

        await button.click()
        await expect(heading).to_have_text(zh)
        await expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
