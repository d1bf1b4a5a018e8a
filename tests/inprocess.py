"""The gateway in process: an embedded platform built by the app factory and called through
`aiohttp_client`, for tests about HTTP and the gateway rather than about processes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from gateway.auth import issue_token
from runtime.bootstrap import PLATFORM
from runtime.embedded import EmbeddedPlatform
from runtime.settings import Settings
from schemas.common import Role

SECRET = "gateway-tests-secret-not-for-production-0123"
AiohttpClient = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]


@dataclass
class Gateway:
    client: TestClient[Any, Any]
    app: web.Application

    @property
    def platform(self) -> EmbeddedPlatform:
        return self.app[PLATFORM]

    def headers(self, role: Role, subject: str, key: str | None = None) -> dict[str, str]:
        token = issue_token(SECRET, role, subject, datetime.now(UTC), 3600)
        headers = {"Authorization": f"Bearer {token}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        return headers

    async def call(self, method: str, path: str, role: Role, subject: str,
                   body: Any = None, raw: bytes | None = None,
                   key: str | None = None) -> tuple[int, Any]:
        headers = self.headers(role, subject, key)
        if raw is not None:
            headers["Content-Type"] = "application/json"
        response = await self.client.request(method, path, headers=headers, data=raw,
                                             json=body if raw is None else None)
        text = await response.text()
        return response.status, (await response.json() if text.startswith(("{", "[")) else text)


def settings_for(data_dir: Path, **overrides: Any) -> Settings:
    return Settings(data_dir=data_dir, secret=SECRET, **overrides)
