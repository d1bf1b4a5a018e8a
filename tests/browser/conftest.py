"""The browser suite's fixtures: real Chromium (Debian's, never a downloaded one) driven by
Playwright, against platforms started as real `vdispatch serve` processes on loopback.

Every page opened through `pages` runs in a fresh browser context (its own sessionStorage
and localStorage, as a separate device would), and fails the test on a script error or a
Content-Security-Policy violation, so a page that breaks quietly cannot pass; no request a
page makes may carry a token in its URL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from browser.pagekit import CHROMIUM, CHROMIUM_ARGS, QUICK, SECRET, Pages
from harness import Platform, ServerProcess
from playwright.async_api import Browser, async_playwright
from services import missing_service


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        missing_service("Chromium", f"{CHROMIUM} is missing (apt-get install chromium)")
    async with async_playwright() as p:
        launched = await p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                           args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


async def _serve(tmp: Path, http: aiohttp.ClientSession, env: dict[str, str],
                 name: str) -> AsyncIterator[Platform]:
    server = ServerProcess(tmp / name, {"VD_SECRET": SECRET, **env}, log_name=name)
    server.start()
    try:
        await server.wait_ready()
        yield Platform(server.base_url, SECRET, "embedded", http, env,
                       printed=lambda: server.log_path.read_text(errors="replace"))
    finally:
        server.stop()


@pytest.fixture(scope="session")
async def platform(tmp_path_factory: pytest.TempPathFactory,
                   http: aiohttp.ClientSession) -> AsyncIterator[Platform]:
    """One platform with the normal deadlines for the whole browser session."""
    async for p in _serve(tmp_path_factory.mktemp("browser"), http, {}, "pages"):
        yield p


@pytest.fixture(scope="session")
async def quick_platform(tmp_path_factory: pytest.TempPathFactory,
                         http: aiohttp.ClientSession) -> AsyncIterator[Platform]:
    async for p in _serve(tmp_path_factory.mktemp("browser-quick"), http, QUICK, "quick"):
        yield p


@pytest.fixture
async def pages(browser: Browser) -> AsyncIterator[Pages]:
    opened = Pages(browser)
    try:
        yield opened
    finally:
        await opened.close()
    assert not opened.errors, opened.errors
    leaked = [r.url for r in opened.requests if "token" in r.url.split("#", 1)[0]]
    assert not leaked, f"a token went into a URL: {leaked}"
