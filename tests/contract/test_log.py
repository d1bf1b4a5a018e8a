"""The log, read through the `LogReader` port (start-up and `vdispatch rebuild` fold it):
one suite run against the SQLite log and a real Kafka broker — every message comes back
decoded, in order per key, from every topic asked for, and is counted. Then what only the
SQLite log promises (it is the embedded mode's whole truth): append-only, a message id
unique per topic, a consumer's position committed atomically with its outputs, and all of
it kept across reopening."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest
from contract.backends import Backend, kafka_backend, sqlite_backend
from services import Services

from gateway.ports import Unavailable
from runtime.sqlite_log import SQLiteLog
from schemas.base import Actor, CommandOutcome
from schemas.commands import RegisterArea
from schemas.common import Role
from schemas.events import AreaRegistered
from schemas.topics import DISPATCH_COMMANDS, DISPATCH_EVENTS, LEDGER_EVENTS, decode

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
STAFF = Actor(role=Role.STAFF, subject="S1")


def area_command(code: str = "430511") -> RegisterArea:
    command_id = uuid4()
    return RegisterArea(command_id=command_id, occurred_at=NOW, correlation_id=command_id,
                        actor=STAFF, code=code, name="北塔区")


def area_event(code: str = "430511") -> AreaRegistered:
    event_id = uuid4()
    return AreaRegistered(event_id=event_id, occurred_at=NOW, correlation_id=event_id,
                          actor=STAFF, code=code, name="北塔区")


def event_for(code: str, n: int) -> AreaRegistered:
    event_id = uuid4()
    return AreaRegistered(event_id=event_id, occurred_at=NOW, correlation_id=event_id,
                          actor=STAFF, code=code, name=f"第{n}")


class ReaderContract:
    async def test_every_message_comes_back_in_order_per_key(self, backend: Backend) -> None:
        written = [event_for(code, n) for n in range(6) for code in ("430511", "430502")]
        commands = [area_command(c) for c in ("430511", "430503")]
        await backend.bus.deliver([*written, *commands])
        found = [(t, m) async for t, m in backend.reader.scan([DISPATCH_EVENTS,
                                                                DISPATCH_COMMANDS])]
        for code in ("430511", "430502"):
            mine = [m for t, m in found if t is DISPATCH_EVENTS and m.code == code]
            assert mine == [e for e in written if e.code == code]
        assert sorted((m.code for t, m in found if t is DISPATCH_COMMANDS)) == [
            "430503", "430511"]
        assert await backend.reader.total([DISPATCH_EVENTS, DISPATCH_COMMANDS]) == 14
        assert [m async for _, m in backend.reader.scan([LEDGER_EVENTS])] == []


class TestSQLiteReader(ReaderContract):
    @pytest.fixture
    async def backend(self, tmp_path: Path) -> AsyncIterator[Backend]:
        async for backend in sqlite_backend(tmp_path):
            yield backend


@pytest.mark.kafka
class TestKafkaReader(ReaderContract):
    @pytest.fixture
    async def backend(self, scaled_services: Services) -> AsyncIterator[Backend]:
        async for backend in kafka_backend(scaled_services):
            yield backend


@pytest.fixture
def log(tmp_path: Path) -> SQLiteLog:
    return SQLiteLog(tmp_path / "log.sqlite3")


def test_messages_come_back_in_order_and_decoded(log: SQLiteLog) -> None:
    commands = [area_command(c) for c in ("430511", "430502", "430503")]
    assert log.append(commands) == [True, True, True]
    records = log.read([DISPATCH_COMMANDS.name], 0, 10)
    assert [decode(DISPATCH_COMMANDS, r.body) for r in records] == commands
    assert [r.key for r in records] == ["430511", "430502", "430503"]
    assert [r.position for r in records] == sorted(r.position for r in records)
    assert log.read([DISPATCH_COMMANDS.name], records[0].position, 10) == records[1:]
    assert log.read([DISPATCH_EVENTS.name], 0, 10) == []


def test_an_id_already_in_a_topic_is_not_appended_again(log: SQLiteLog) -> None:
    command = area_command()
    assert log.append([command]) == [True]
    assert log.append([command]) == [False]
    assert log.count(DISPATCH_COMMANDS.name) == 1
    outcome = CommandOutcome(command_id=command.command_id, occurred_at=NOW, result={})
    assert log.append([outcome]) == [True], "the same id may appear once in another topic"


def test_a_consumer_position_moves_only_with_its_outputs(log: SQLiteLog) -> None:
    log.append([area_command()])
    [record] = log.read([DISPATCH_COMMANDS.name], 0, 10)
    assert log.position("dispatcher") == 0
    event = area_event()
    log.commit("dispatcher", record.position, [event])
    assert log.position("dispatcher") == record.position
    assert log.count(DISPATCH_EVENTS.name) == 1

    class Boom(Exception):
        pass

    bad = area_event()
    with pytest.raises(Boom), log._transaction():
        log._stage([log._unit([bad], None, 0, None)])
        raise Boom
    assert log.count(DISPATCH_EVENTS.name) == 1, "a failed commit leaves nothing behind"


def test_the_log_refuses_edits_and_deletions(log: SQLiteLog, tmp_path: Path) -> None:
    log.append([area_command()])
    db = sqlite3.connect(tmp_path / "log.sqlite3")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE messages SET body = 'x'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM messages")


def test_what_was_committed_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    first = SQLiteLog(path)
    command = area_command()
    first.append([command])
    first.commit("dispatcher", 1, [area_event()])
    first.close()
    again = SQLiteLog(path)
    assert again.position("dispatcher") == 1
    assert again.find(DISPATCH_COMMANDS.name, str(command.command_id)) is not None
    assert again.head() == 2


def test_a_full_log_is_unwritable_until_there_is_headroom_again(tmp_path: Path) -> None:
    log = SQLiteLog(tmp_path / "log.sqlite3", max_bytes=200_000, headroom_bytes=64_000)
    big = [event_for("430511" + "0" * 9, n) for n in range(200)]
    with pytest.raises(Unavailable):
        while True:
            log.append(big[:50])
            big = [event_for("430511" + "0" * 9, n) for n in range(50)]
    assert log.writable is False and log.probe() is False
    log.commit("dispatcher", 1, [])
    assert log.probe() is False, "a small write that slips through is no room"
    log._writer.execute("PRAGMA max_page_count=1073741823")
    assert log.probe() is True
    log.append(big)
    assert log.writable is True
