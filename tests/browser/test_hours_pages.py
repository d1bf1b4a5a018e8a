"""Hours you can trust on the pages, in real Chromium (DESIGN §10): the resident's page shows
the service code once a request is accepted, and the leader checks the crew in with it; at
review the resident sees each volunteer's hours and disputes them; on the staff page the
flag waits in the hours panel and is credited with a reason; staff open a volunteer's
record, correct an entry, issue a certificate and download its PDF, and run the report; the
volunteer reads the record and the certificate on their phone page."""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path

import pytest
from browser.pagekit import DESKTOP, PHONE, Pages, artifact
from harness import Platform, eventually, make_district
from journeys import accepted, balance_reaches, served
from playwright.async_api import expect
from pypdf import PdfReader

from schemas.common import Role

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]


async def test_the_leader_checks_the_crew_in_with_the_residents_code(
    platform: Platform, pages: Pages
) -> None:
    district = await make_district(platform)
    hamlet = district.teams["hamlet"]
    request_id = await accepted(platform, district, "R-page-code")
    resident = await pages.open(platform.base_url, "/resident",
                                platform.token(Role.RESIDENT, "R-page-code"), viewport=PHONE)
    card = resident.locator(f"li[data-request='{request_id}']")
    code_text = card.locator(".service-code .code")
    await expect(code_text).to_have_text(re.compile(r"^\d{6}$"))
    code = (await code_text.inner_text()).strip()
    assert len(code) == 6 and code.isdigit()

    leader = await pages.open(platform.base_url, "/leader",
                              platform.token(Role.LEADER, hamlet.leader_id), viewport=PHONE)
    task = leader.locator(f"#serving li[data-request='{request_id}']")
    await expect(task).to_be_visible(timeout=15_000)
    assert code not in await task.inner_text(), "the leader never sees the code"
    await task.locator(f"input[data-volunteer='{hamlet.volunteers[0]}']").check()
    await task.locator(".code-input").fill("000000" if code != "000000" else "111111")
    await task.get_by_role("button", name="签到").click()
    await expect(task.locator(".check-block [role=alert]")).to_contain_text("服务码不对")
    await task.locator(".code-input").fill(code)
    await task.get_by_role("button", name="签到").click()
    await expect(task.locator(".checks")).to_contain_text("签到")
    await leader.screenshot(path=artifact("leader-check-in.png"), full_page=True)
    seen = await district.staff.get(f"/api/v1/requests/{request_id}")
    assert [c["volunteer_id"] for c in seen.body["checks"]] == [hamlet.volunteers[0]]


async def test_a_resident_disputes_the_hours_and_staff_credit_them(
    platform: Platform, pages: Pages
) -> None:
    district = await make_district(platform)
    volunteer = district.teams["hamlet"].volunteers[1]
    request_id = await served(platform, district, "R-page-dispute", [(volunteer, 2)],
                              review=False)
    resident = await pages.open(platform.base_url, "/resident",
                                platform.token(Role.RESIDENT, "R-page-dispute"), viewport=PHONE)
    card = resident.locator(f"li[data-request='{request_id}']")
    await expect(card.locator(".hours-shown")).to_contain_text(f"{volunteer}：2 小时")
    await card.locator(".dispute-box").check()
    await card.locator("label.star").nth(1).click()
    await card.get_by_role("button", name="提交评价").click()
    await expect(card.locator("[role=alert]")).to_contain_text("请说明")
    await card.locator("textarea[id^=dispute-reason]").fill("只来了半小时")
    await card.get_by_role("button", name="提交评价").click()
    await expect(resident.locator(f"li[data-request='{request_id}'] .given").first).to_contain_text(
        "只来了半小时")

    staff = await pages.open(platform.base_url, "/staff",
                             platform.token(Role.STAFF, "S-page-hours", scope=district.county),
                             viewport=DESKTOP)
    await expect(staff.locator("#app")).to_be_visible()
    await staff.click("#hours-panel > summary")
    flag = staff.locator("#flags-list li.flag", has_text=volunteer)
    await expect(flag).to_contain_text("居民有异议", timeout=15_000)
    await flag.get_by_role("button", name="核准计入").click()
    await expect(flag).to_contain_text("理由")
    await flag.locator("input").fill("电话回访属实")
    await flag.get_by_role("button", name="核准计入").click()
    await expect(flag).to_contain_text("已计入")
    await balance_reaches(platform, volunteer, 2)


async def test_staff_correct_an_entry_issue_a_certificate_and_run_the_report(
    platform: Platform, pages: Pages
) -> None:
    district = await make_district(platform)
    volunteer = district.teams["hamlet"].volunteers[2]
    await served(platform, district, "R-page-cert1", [(volunteer, 3)])
    await served(platform, district, "R-page-cert2", [(volunteer, 1)])
    await balance_reaches(platform, volunteer, 4)
    staff = await pages.open(platform.base_url, "/staff",
                             platform.token(Role.STAFF, "S-page-cert", scope=district.county),
                             viewport=DESKTOP)
    await expect(staff.locator("#app")).to_be_visible()
    await staff.click("#hours-panel > summary")
    await staff.fill("#record-volunteer", volunteer)
    await staff.get_by_role("button", name="查看记录").click()
    entries = staff.locator("#record-entries li.entry")
    await expect(entries).to_have_count(2)
    first = entries.filter(has_text="+3 h")
    await first.locator("summary", has_text="更正").click()
    await first.locator("input[type=number]").fill("1")
    await first.locator("input:not([type])").fill("多报一小时")
    await first.locator("button[type=submit]").click()
    await expect(first.locator("[role=status]")).to_contain_text("已更正")
    await expect(staff.locator("#record-entries li.entry.correction")).to_have_count(1,
                                                                                    timeout=10_000)

    await staff.get_by_role("button", name="出具证明").click()
    certificate = staff.locator("#certificates-list li.certificate")
    await expect(certificate).to_have_count(1, timeout=10_000)
    async with staff.expect_download() as downloading:
        await certificate.get_by_role("button", name="下载 PDF").click()
    download = await downloading.value
    data = await asyncio.to_thread(Path(await download.path()).read_bytes)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "志愿服务证明" in text and district.county in text

    phone = await pages.open(platform.base_url, "/volunteer",
                             platform.token(Role.VOLUNTEER, volunteer), viewport=PHONE)
    await expect(phone.locator("#points-stars")).to_contain_text("暂无")
    await phone.click("#record-panel > summary")
    await expect(phone.locator("#record li.record-line")).to_have_count(3)
    await expect(phone.locator("#record")).to_contain_text("未签到核验")
    await expect(phone.locator("#certs li")).to_have_count(1)
    async with phone.expect_download() as mine:
        await phone.get_by_role("button", name="下载 PDF").click()
    assert (await mine.value).suggested_filename.endswith(".pdf")

    await staff.get_by_role("button", name="统计").click()
    table = staff.locator("#report-table")
    await expect(table).to_contain_text("测试街道")
    await expect(staff.locator("#report-out .bar")).to_have_count(1)
    await staff.screenshot(path=artifact("staff-hours.png"), full_page=True)

    async def three_hours() -> bool:
        listed = await platform.as_(Role.VOLUNTEER, volunteer).get(
            f"/api/v1/volunteers/{volunteer}/record")
        return bool(listed.body["totals"]["hours"] == 3.0)

    await eventually(three_hours)
