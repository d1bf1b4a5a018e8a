"""The log port: append-only, ordered, a message id unique per topic, and a consumer's
position committed atomically with its outputs. Run against every log backend."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest

from runtime.sqlite_log import SQLiteLog
from schemas.base import Actor, CommandOutcome
from schemas.commands import RegisterArea
from schemas.common import Role
from schemas.events import AreaRegistered
from schemas.topics import DISPATCH_COMMANDS, DISPATCH_EVENTS, decode

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
