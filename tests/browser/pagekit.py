"""What the browser tests share: where Chromium is, viewports, the artifacts folder, and
`Pages`, which opens each page in a context of its own and records its errors and requests."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from harness import REPO
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    ViewportSize,
)

CHROMIUM = Path(os.environ.get("VD_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
SECRET = "browser-secret-not-for-production-0123456789"
ARTIFACTS = REPO / "test-artifacts"
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
KIOSK: ViewportSize = {"width": 1024, "height": 768}
STEP_TIMEOUT_MS = 10_000
# Short deadlines, so that requests become overdue and escalated within a test.
QUICK = {
    "VD_ACCEPT_WINDOW_S": "1", "VD_ACCEPT_WINDOW_URGENT_S": "1", "VD_WAIT_WINDOW_S": "1",
    "VD_WAIT_WINDOW_URGENT_S": "1", "VD_COMPLETE_WINDOW_S": "1",
    "VD_COMPLETE_WINDOW_URGENT_S": "1", "VD_TIMER_TICK_S": "0.1",
}


@dataclass
class Pages:
    """Opens pages in their own contexts and watches them for errors."""

    browser: Browser
    contexts: list[BrowserContext] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[Request] = field(default_factory=list)

    async def open(self, base_url: str, path: str, token: str | None = None, *,
                   viewport: ViewportSize | None = None, lang: str | None = None,
                   init: str | None = None) -> Page:
        context = await self.browser.new_context(
            viewport=viewport or PHONE, locale="zh-CN", timezone_id="Asia/Shanghai",
            device_scale_factor=1)
        context.set_default_timeout(STEP_TIMEOUT_MS)
        context.set_default_navigation_timeout(STEP_TIMEOUT_MS)
        script = ""
        if lang is not None:
            script += f"localStorage.setItem('vd-lang', '{lang}');"
        if init is not None:
            script += init
        if script:
            await context.add_init_script(script)
        self.contexts.append(context)
        page = await context.new_page()
        page.on("pageerror", lambda e: self.errors.append(f"{path}: {e}"))
        page.on("console", lambda m: self._console(path, m))
        page.on("request", lambda r: self.requests.append(r))
        url = base_url + path + (f"#token={token}" if token else "")
        await page.goto(url)
        return page

    def _console(self, path: str, message: ConsoleMessage) -> None:
        # A refused API call is logged by Chromium as a failed resource: that is expected.
        # A policy violation or an uncaught error is not.
        text = message.text
        policy = "Content Security Policy" in text or "Content-Security-Policy" in text
        failed_call = "Failed to load resource" in text
        if policy or (message.type == "error" and not failed_call):
            self.errors.append(f"{path}: {text}")

    async def close(self) -> None:
        for context in self.contexts:
            await context.close()


def artifact(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name


async def choose_area(page: Page, county: str, *codes: str) -> None:
    """Pick an area in the resident's cascading selects; the county's select is there only
    when more than one county is registered (as on a platform several tests share)."""
    if await page.locator("#area-0").count():
        await page.select_option("#area-0", county)
    for level, code in enumerate(codes, start=1):
        await page.select_option(f"#area-{level}", code)
