"""The gateway in process: an embedded platform built by the app factory and called through
`aiohttp_client`, for tests about HTTP and the gateway rather than about processes."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from harness import Reply

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

    def headers(self, role: Role, subject: str, key: str | None = None,
                scope: str | None = None) -> dict[str, str]:
        token = issue_token(SECRET, role, subject, datetime.now(UTC), 3600, scope=scope)
        headers = {"Authorization": f"Bearer {token}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        return headers

    async def call(self, method: str, path: str, role: Role, subject: str,
                   body: Any = None, raw: bytes | None = None,
                   key: str | None = None, scope: str | None = None) -> tuple[int, Any]:
        reply = await self.reply(method, path, role, subject, body, raw, key, scope)
        return reply.status, reply.body

    async def reply(self, method: str, path: str, role: Role | None = None, subject: str = "",
                    body: Any = None, raw: bytes | None = None,
                    key: str | None = None, scope: str | None = None) -> Reply:
        headers = {} if role is None else self.headers(role, subject, key, scope)
        if raw is not None:
            headers["Content-Type"] = "application/json"
        response = await self.client.request(method, path, headers=headers, data=raw,
                                             json=body if raw is None else None)
        text = await response.text()
        parsed = json.loads(text) if text.startswith(("{", "[")) else text
        return Reply(response.status, parsed, dict(response.headers))

    async def seed(self, county: str = "430511") -> None:
        """A county with a town, a hamlet, and a team serving groceries there."""
        staff = (Role.STAFF, "S-seed")
        for code, name in ((county, "北塔区"), (county + "001", "街道"),
                           (county + "001001", "社区"), (county + "001001001", "小区")):
            status, body = await self.call("POST", "/api/v1/areas", *staff,
                                           {"code": code, "name": name})
            assert status == 201, body
        status, body = await self.call("POST", "/api/v1/teams", *staff, {
            "team_id": "T1", "name": "一队", "leader_id": "L1", "service_types": ["groceries"],
            "areas": [county + "001"], "capacity": 1000})
        assert status == 201, body
        status, body = await self.call("POST", "/api/v1/volunteers", *staff,
                                       {"volunteer_id": "V1", "name": "志愿者", "team_id": "T1"})
        assert status == 201, body


def settings_for(data_dir: Path, **overrides: Any) -> Settings:
    return Settings(data_dir=data_dir, secret=SECRET, **overrides)
