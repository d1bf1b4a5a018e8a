"""Platforms for the scenario suite: each mode started as real processes on loopback.

Every scenario test takes `platform` and builds its own district with unique codes, so one
platform per mode serves the whole session. `quick_platform` has short deadlines, for the
timeout paths; `reviewing_platform` holds orders for the office's review first.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from harness import Platform, ServerProcess, data_dir_bytes, sqlite_raw_log
from services import scaled_platform

SECRET = "scenario-secret-not-for-production-0123456789"
QUICK = {
    "VD_ACCEPT_WINDOW_S": "2", "VD_ACCEPT_WINDOW_URGENT_S": "1", "VD_WAIT_WINDOW_S": "2",
    "VD_WAIT_WINDOW_URGENT_S": "1", "VD_CONFIRM_WINDOW_S": "2", "VD_TIMER_TICK_S": "0.1",
    "VD_MAX_REFUSALS": "3", "VD_REDEEM_CODE_TTL_S": "1",
    "VD_HOURS_STEP": "0.0001",  # checked time counts in steps of 0.36 s
}


async def start(request: pytest.FixtureRequest, tmp: Path, http: aiohttp.ClientSession,
                env: dict[str, str], name: str) -> AsyncIterator[Platform]:
    """The platform in the mode the test is parametrized with, as real processes."""
    if request.param == "kafka":
        services = request.getfixturevalue("scaled_services")
        scaled, platform = await scaled_platform(services, tmp, http, SECRET, env, name)
        try:
            yield platform
        finally:
            scaled.stop()
        return
    server = ServerProcess(tmp / name, {"VD_SECRET": SECRET, **env}, log_name=name)
    server.start()
    try:
        await server.wait_ready()
        yield Platform(server.base_url, SECRET, "embedded", http, env,
                       sqlite_raw_log(server.data_dir), data_dir_bytes(server.data_dir),
                       lambda: server.log_path.read_text(errors="replace"))
    finally:
        server.stop()


MODES = ["embedded", pytest.param("kafka", marks=pytest.mark.kafka)]


@pytest.fixture(scope="session", params=MODES)
async def platform(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                   http: aiohttp.ClientSession) -> AsyncIterator[Platform]:
    async for p in start(request, tmp_path_factory.mktemp("platform"), http, {}, "main"):
        yield p


@pytest.fixture(scope="session", params=MODES)
async def quick_platform(request: pytest.FixtureRequest,
                         tmp_path_factory: pytest.TempPathFactory,
                         http: aiohttp.ClientSession) -> AsyncIterator[Platform]:
    async for p in start(request, tmp_path_factory.mktemp("quick"), http, QUICK, "quick"):
        yield p


@pytest.fixture(scope="session", params=MODES)
async def reviewing_platform(request: pytest.FixtureRequest,
                             tmp_path_factory: pytest.TempPathFactory,
                             http: aiohttp.ClientSession) -> AsyncIterator[Platform]:
    env = {"VD_REVIEW_REQUIRED": "true"}
    async for p in start(request, tmp_path_factory.mktemp("reviewing"), http, env,
                         "reviewing"):
        yield p


@pytest.fixture(scope="session", params=MODES)
async def windowed_platform(request: pytest.FixtureRequest,
                            tmp_path_factory: pytest.TempPathFactory,
                            http: aiohttp.ClientSession) -> AsyncIterator[Platform]:
    """A quiet platform whose service window is seconds long: its requests fall overdue
    while nothing else happens."""
    env = {"VD_COMPLETE_WINDOW_S": "3", "VD_COMPLETE_WINDOW_URGENT_S": "3"}
    async for p in start(request, tmp_path_factory.mktemp("windowed"), http, env, "windowed"):
        yield p


@pytest.fixture(scope="session", params=MODES)
async def brisk_platform(request: pytest.FixtureRequest,
                         tmp_path_factory: pytest.TempPathFactory,
                         http: aiohttp.ClientSession) -> AsyncIterator[Platform]:
    """Activities of seconds: hours counted in steps of 0.36 s, closed by themselves a
    second after their end; wishes' claims lapse after a second; cases are due in two; care
    plans' periods last four."""
    env = {"VD_HOURS_STEP": "0.0001", "VD_ACTIVITY_AUTOCLOSE_S": "1", "VD_TIMER_TICK_S": "0.1",
           "VD_WISH_CLAIM_WINDOW_S": "1", "VD_CASE_DEADLINE_S": "2",
           "VD_CARE_PERIOD_S": "4"}
    async for p in start(request, tmp_path_factory.mktemp("brisk"), http, env, "brisk"):
        yield p
