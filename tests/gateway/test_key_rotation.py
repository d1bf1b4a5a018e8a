"""Signing keys rotate on a running deployment without signing anybody out: a gateway given
`VD_SIGNING_KEYS` with a new key first and the old one after accepts tokens of both and signs
with the new one; once the old key is dropped its tokens are 401."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from inprocess import AiohttpClient, settings_for

from gateway.auth import KeyRing, issue_token
from runtime.bootstrap import embedded_app
from schemas.common import Role

OLD = "old-key-0123456789-0123456789-0123456789-ab"
NEW = "new-key-0123456789-0123456789-0123456789-ab"


async def status_with(aiohttp_client: AiohttpClient, tmp_path: Path, keys: str,
                      token: str) -> int:
    app = embedded_app(settings_for(tmp_path, signing_keys=keys), settle=False)
    client = await aiohttp_client(app)
    response = await client.get("/api/v1/live", headers={"Authorization": f"Bearer {token}"})
    await client.close()
    return response.status


async def test_old_and_new_tokens_pass_during_a_rotation_and_old_ones_stop_after(
    aiohttp_client: AiohttpClient, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    old = issue_token(KeyRing.parse(f"k1:{OLD}"), Role.STAFF, "S1", now, 600)
    new = issue_token(KeyRing.parse(f"k2:{NEW}"), Role.STAFF, "S1", now, 600)
    during = f"k2:{NEW},k1:{OLD}"
    assert await status_with(aiohttp_client, tmp_path / "a", during, old) == 200
    assert await status_with(aiohttp_client, tmp_path / "b", during, new) == 200
    assert await status_with(aiohttp_client, tmp_path / "c", f"k2:{NEW}", new) == 200
    assert await status_with(aiohttp_client, tmp_path / "d", f"k2:{NEW}", old) == 401
