"""The bus port (`runtime.ports.Bus`, and the gateway's `CommandBus` on the same log): one
suite, run against every backend — the embedded SQLite log and a real Kafka broker with
Redis.

Proves, for each: a command sent is in the log for its owner to read; outputs delivered are
in the log and their answers reach a caller already waiting, and a caller who looks later;
a command sent twice is answered once, to both; a log that cannot take writes is
`Unavailable` (the gateway's 503), never another error. How: the same test methods on a
fresh backend (a namespace of its own on the broker); the log is read back through the
backend's `LogReader`; an unreachable log is a full one (SQLite's page limit) or a broker
address nothing listens on.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from contract.backends import Backend, kafka_backend, sqlite_backend
from services import Services

from runtime.ports import Unavailable
from schemas.base import SYSTEM, CommandOutcome
from schemas.commands import RegisterArea
from schemas.events import AreaRegistered
from schemas.topics import COMMAND_OUTCOMES, DISPATCH_COMMANDS, DISPATCH_EVENTS, Topic

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


def command(code: str = "430511") -> RegisterArea:
    command_id = uuid.uuid4()
    return RegisterArea(command_id=command_id, occurred_at=NOW, correlation_id=command_id,
                        actor=SYSTEM, code=code, name="北塔区", fingerprint="f")


def answer_to(sent: RegisterArea) -> tuple[AreaRegistered, CommandOutcome]:
    event_id = uuid.uuid5(sent.command_id, "1")
    event = AreaRegistered(event_id=event_id, occurred_at=NOW, correlation_id=sent.command_id,
                           causation_id=sent.command_id, actor=SYSTEM, code=sent.code,
                           name=sent.name)
    return event, CommandOutcome(command_id=sent.command_id, occurred_at=NOW,
                                 result={"code": sent.code}, actor=SYSTEM, fingerprint="f")


async def read(backend: Backend, topic: Topic) -> list[Any]:
    return [m async for _, m in backend.reader.scan([topic])]


class BusContract:
    async def test_a_sent_command_is_in_the_log_for_its_owner(self, backend: Backend) -> None:
        sent = command()
        await backend.commands.send(sent)
        assert await read(backend, DISPATCH_COMMANDS) == [sent]
        assert await backend.reader.total([DISPATCH_COMMANDS]) == 1

    async def test_outputs_are_logged_and_answers_reach_callers(self, backend: Backend) -> None:
        sent = command()
        await backend.commands.send(sent)
        waiting = asyncio.create_task(backend.commands.outcome(sent.command_id, 10.0))
        await asyncio.sleep(0.1)
        event, outcome = answer_to(sent)
        await backend.bus.deliver([event, outcome])
        assert await asyncio.wait_for(waiting, 10.0) == outcome
        assert await backend.commands.outcome(sent.command_id, 0) == outcome
        assert await read(backend, DISPATCH_EVENTS) == [event]

    async def test_a_command_sent_twice_is_answered_once_to_both(
        self, backend: Backend
    ) -> None:
        sent = command()
        await backend.commands.send(sent)
        await backend.commands.send(sent)
        first = asyncio.create_task(backend.commands.outcome(sent.command_id, 10.0))
        second = asyncio.create_task(backend.commands.outcome(sent.command_id, 10.0))
        await asyncio.sleep(0.1)
        _, outcome = answer_to(sent)
        await backend.bus.deliver([outcome])
        assert list(await asyncio.gather(first, second)) == [outcome, outcome]
        assert await read(backend, COMMAND_OUTCOMES) in ([outcome], [])

    async def test_no_answer_in_time_is_none(self, backend: Backend) -> None:
        sent = command()
        await backend.commands.send(sent)
        assert await backend.commands.outcome(sent.command_id, 0.2) is None


class UnreachableContract:
    async def test_a_log_that_cannot_take_writes_is_unavailable(
        self, unreachable: Backend
    ) -> None:
        with pytest.raises(Unavailable):
            for n in range(100):
                await unreachable.commands.send(command(f"4305{n:02d}"))
        with pytest.raises(Unavailable):
            await unreachable.bus.deliver(list(answer_to(command())))


class TestSQLiteBus(BusContract, UnreachableContract):
    @pytest.fixture
    async def backend(self, tmp_path: Path) -> AsyncIterator[Backend]:
        async for backend in sqlite_backend(tmp_path):
            yield backend

    @pytest.fixture
    async def unreachable(self, tmp_path: Path) -> AsyncIterator[Backend]:
        async for backend in sqlite_backend(tmp_path, max_bytes=40_000):
            yield backend


@pytest.mark.kafka
class TestKafkaBus(BusContract, UnreachableContract):
    @pytest.fixture
    async def backend(self, scaled_services: Services) -> AsyncIterator[Backend]:
        async for backend in kafka_backend(scaled_services):
            yield backend

    @pytest.fixture
    async def unreachable(self, scaled_services: Services) -> AsyncIterator[Backend]:
        async for backend in kafka_backend(scaled_services, bootstrap="127.0.0.1:9"):
            yield backend
