"""Session-wide test setup: which services are required, and a shared HTTP session."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import aiohttp
import pytest

REQUIRE_SERVICES = os.environ.get("VD_REQUIRE_SERVICES") == "1"


def missing_service(what: str, why: str) -> None:
    """Skip loudly on a laptop; fail in CI, where every service must be there."""
    message = f"{what} is not available: {why}"
    if REQUIRE_SERVICES:
        pytest.fail(message + " (VD_REQUIRE_SERVICES=1)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        yield session
