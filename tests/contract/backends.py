"""The log and bus backends of the contract suites: the embedded SQLite log, and a real Kafka
broker with Redis (a namespace of its own per test, its topics created as operators do)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from services import Services

from gateway.ports import CommandBus
from runtime.embedded import EmbeddedCommandBus, LogBus, Waiters
from runtime.faust_app import Workers
from runtime.kafka_bus import KafkaCommandBus
from runtime.kafka_log import KafkaLogReader
from runtime.ports import Bus, LogReader
from runtime.settings import Settings
from runtime.sqlite_log import SQLiteLog, SQLiteLogReader
from runtime.topics_tool import create


@dataclass
class Backend:
    """One log with its three faces: the gateway's command bus, an owner's bus, a reader."""

    commands: CommandBus
    bus: Bus
    reader: LogReader


async def sqlite_backend(tmp_path: Path, max_bytes: int = 0) -> AsyncIterator[Backend]:
    log = SQLiteLog(tmp_path / "log.sqlite3", max_bytes=max_bytes)
    waiters = Waiters()
    yield Backend(EmbeddedCommandBus(log, waiters), LogBus(log, waiters, "owner"),
                  SQLiteLogReader(log))
    await log.drain()
    log.close()


async def kafka_backend(services: Services, bootstrap: str | None = None
                        ) -> AsyncIterator[Backend]:
    """The gateway's Kafka command bus, and the bus of a real ledger worker (not started as
    a worker: only what `KafkaBus` uses, its own idempotent producer)."""
    settings = Settings(mode="kafka", kafka_bootstrap=bootstrap or services.kafka_bootstrap,
                        redis_url=services.redis_url, namespace=f"c{uuid.uuid4().hex[:10]}",
                        produce_timeout_s=3.0)
    if bootstrap is None:
        await asyncio.to_thread(create, settings)
    worker = Workers(settings, "ledger")
    commands = KafkaCommandBus(settings, worker.store)
    await commands.start()
    yield Backend(commands, worker.bus, KafkaLogReader(settings))
    await commands.stop()
    await worker.stop_producer()
    await worker.store.drop_all()
    await worker.store.redis.aclose()
