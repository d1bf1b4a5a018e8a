"""Fixtures of the in-process gateway tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from inprocess import AiohttpClient, Gateway, settings_for

from runtime.bootstrap import embedded_app


@pytest.fixture
async def gateway(aiohttp_client: AiohttpClient, tmp_path: Path) -> Gateway:
    app = embedded_app(settings_for(tmp_path), settle=False)
    return Gateway(await aiohttp_client(app), app)
