"""Operators' account tools (`vdispatch admin create-staff`, the demo's users): commands to
the accounts owner sent past the HTTP API, for the accounts that must exist before anyone
can sign in.

They work whether the platform is running or not: embedded, the command is appended to the
SQLite log (the running platform picks it up within a tick; a stopped one at its start) and
the personal fields are sealed in the key store beside it; scaled, the command goes to its
topic through the gateway's own bus and the keys to Redis and the compacted key topic.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from gateway.accounts import one_time_password, opening
from gateway.personal import Sealer
from runtime.settings import Settings
from schemas.accounts import Grant
from schemas.base import Actor, Command
from schemas.common import Role

ADMIN = Actor(role=Role.SYSTEM, subject="admin")
Send = Callable[[Command], Awaitable[None]]


@asynccontextmanager
async def account_channel(settings: Settings) -> AsyncIterator[tuple[Send, Sealer]]:
    """Where an account command goes in this mode, and the sealer for its fields."""
    if settings.mode == "embedded":
        from runtime.sqlite_keys import SQLiteKeys
        from runtime.sqlite_log import SQLiteLog

        log = SQLiteLog(settings.data_dir / "log.sqlite3", settings.sqlite_synchronous)
        keys = SQLiteKeys(settings.data_dir / "keys.sqlite3")

        async def append(command: Command) -> None:
            log.append([command])

        try:
            yield append, Sealer(keys)
        finally:
            keys.close()
            log.close()
        return
    from redis.asyncio import Redis

    from runtime.kafka_bus import KafkaCommandBus
    from runtime.redis_keys import RedisKeys
    from runtime.redis_store import RedisStore

    redis = Redis.from_url(settings.redis_url)
    bus = KafkaCommandBus(settings, RedisStore(redis, settings.namespace,
                                               settings.marker_ttl_s))
    await bus.start()
    try:
        yield bus.send, Sealer(RedisKeys(redis, settings.namespace, bus.publish_key))
    finally:
        await bus.stop()
        await redis.aclose()


def envelope(command_id: UUID | None = None) -> dict[str, object]:
    command_id = command_id or uuid4()
    return {"command_id": command_id, "occurred_at": datetime.now(UTC),
            "correlation_id": command_id, "actor": ADMIN}


async def create_staff(settings: Settings, staff_id: str, name: str, phone: str,
                       scope: str) -> str:
    """The staff account with a one-time password, which the first sign-in must change."""
    password = one_time_password()
    async with account_channel(settings) as (send, sealer):
        await send(await opening(sealer, settings.signing_secret(), envelope(), phone, name,
                                 Grant(role=Role.STAFF, subject=staff_id, scope=scope),
                                 password, one_time=True))
    return password


async def open_demo_account(send: Send, sealer: Sealer, secret: str, phone: str, name: str,
                            grant: Grant, password: str) -> None:
    """A demo user with a known password; the same phone and grant give the same command,
    so seeding again adds nothing."""
    command_id = uuid5(NAMESPACE_URL, f"demo-account:{phone}:{grant.role}:{grant.subject}")
    await send(await opening(sealer, secret, envelope(command_id), phone, name, grant,
                             password))
