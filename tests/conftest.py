"""Session-wide test setup: which services are required, and a shared HTTP session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
from services import (
    Services,
    missing_service,
    start_services,
    why_not_redis,
    why_not_scaled,
)


@pytest.fixture(scope="session")
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        yield session


@pytest.fixture(scope="session")
def redis_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """A Redis server for the whole session (started once, stopped at the end)."""
    why = why_not_redis()
    if why is not None:
        missing_service("Redis", why)
    services = start_services(tmp_path_factory.mktemp("redis"), kafka=False)
    yield services
    services.stop()


@pytest.fixture(scope="session")
def scaled_services(tmp_path_factory: pytest.TempPathFactory,
                    redis_service: Services) -> Iterator[Services]:
    """A Kafka broker beside the session's Redis (started once, stopped at the end)."""
    why = why_not_scaled()
    if why is not None:
        missing_service("Kafka and Redis", why)
    services = start_services(tmp_path_factory.mktemp("services"),
                              redis_url=redis_service.redis_url)
    yield services
    services.stop()
