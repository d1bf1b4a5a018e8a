"""The embedded mode's durable log: one append-only SQLite table in WAL mode.

Every topic of the catalogue is a stream of this table, in one global order. A consumer's
position is stored in the same transaction as the messages it produced, so after a crash it
resumes exactly where its last output left off. A message id is unique per topic: appending a
command again (a client's retry) is detected, not duplicated. Writes from the event loop are
group-committed (see `SQLiteLog`): one transaction, one sync, for every write of a moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gateway.ports import Unavailable
from schemas.base import LogMessage
from schemas.topics import Topic, decode, encode, topic_of

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    topic TEXT NOT NULL,
    key TEXT NOT NULL,
    message_id TEXT NOT NULL,
    type TEXT NOT NULL,
    body BLOB NOT NULL,
    UNIQUE (topic, message_id)
);
CREATE INDEX IF NOT EXISTS messages_by_topic ON messages (topic, position);
CREATE INDEX IF NOT EXISTS messages_by_key ON messages (topic, key, position);
CREATE TABLE IF NOT EXISTS positions (
    consumer TEXT PRIMARY KEY,
    position INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS headroom (room BLOB NOT NULL);
CREATE TRIGGER IF NOT EXISTS messages_are_immutable BEFORE UPDATE ON messages
BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS messages_are_kept BEFORE DELETE ON messages
BEGIN SELECT RAISE(ABORT, 'the log is append-only'); END;
"""


@dataclass(frozen=True)
class Record:
    position: int
    topic: str
    key: str
    message_id: str
    type: str
    body: bytes
    message: LogMessage | None = field(default=None, compare=False, repr=False)
    """The message as this process appended it, while it is fresh: no need to decode it."""


INSERT = ("INSERT OR IGNORE INTO messages (topic, key, message_id, type, body) "
          "VALUES (?, ?, ?, ?, ?)")
MOVE = ("INSERT INTO positions (consumer, position) VALUES (?, ?) "
        "ON CONFLICT (consumer) DO UPDATE SET position = excluded.position")


class LogUnavailable(Unavailable):
    """The log cannot take writes now (disk full, file locked): callers answer 503."""


Row = tuple[str, str, str, str, bytes]


@dataclass
class _Unit:
    """One caller's atomic write inside a group commit: its messages and, for a consumer,
    the position they were produced from."""

    messages: Sequence[LogMessage]
    rows: list[Row]
    consumer: str | None
    position: int
    done: asyncio.Future[list[bool]] | None


class SQLiteLog:
    """Reads on one connection; every write on a writer connection of its own.

    The asynchronous writes (`append_async`, `commit_async`) are group-committed: the writes
    handed in while one transaction is being made durable all go into the next one (at most
    `group_max`). Each unit keeps its own atomicity because it is wholly inside one
    transaction, and no caller hears back before the COMMIT (with the configured
    `synchronous`) has returned. The rows are inserted on the event loop's thread; only the
    COMMIT, where the disk syncs, runs on a thread of its own, so the loop goes on serving
    calls meanwhile. One statement off the loop means one hand-over of the GIL per group: a
    thread that stepped every INSERT would wait for the GIL at each one while the loop is busy.
    Readers use the other connection, so they never see a group before it is committed.
    """

    def __init__(self, path: Path, synchronous: str = "FULL", group_max: int = 1000,
                 fresh_max: int = 10_000, max_bytes: int = 0,
                 headroom_bytes: int = 1 << 20) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.group_max = group_max
        self.fresh_max = fresh_max
        self.headroom_bytes = headroom_bytes
        self.writable = True
        """False from a refused write until `probe` finds room again: a small write that
        slips through on a nearly full disk does not make the log healthy."""
        self._fresh: dict[int, LogMessage] = {}
        self._db = self._connect(path, synchronous)
        self._db.executescript(SCHEMA)
        self._writer = self._connect(path, synchronous)
        if max_bytes:
            page_size = int(self._writer.execute("PRAGMA page_size").fetchone()[0])
            self._writer.execute(f"PRAGMA max_page_count={max(1, max_bytes // page_size)}")
        self._syncer = ThreadPoolExecutor(1, thread_name_prefix="vd-log-commit")
        self._pending: list[_Unit] = []
        self._flusher: asyncio.Task[None] | None = None
        self._appended: dict[tuple[str, ...], asyncio.Event] = {}
        self._positions: dict[str, int] = {}

    @staticmethod
    def _connect(path: Path, synchronous: str) -> sqlite3.Connection:
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"PRAGMA synchronous={'FULL' if synchronous == 'FULL' else 'NORMAL'}")
        return db

    async def drain(self) -> None:
        """Wait until every write handed in so far has been committed or refused."""
        if self._flusher is not None:
            await asyncio.gather(self._flusher, return_exceptions=True)

    def close(self) -> None:
        self._syncer.shutdown(wait=True)
        self._writer.close()
        self._db.close()

    # -- writing -----------------------------------------------------------------------

    def append(self, messages: Sequence[LogMessage]) -> list[bool]:
        """Append in one transaction; for each message, False if its id was already there."""
        unit = self._unit(messages, None, 0, None)
        [added] = self._write_now([unit])
        return added

    def commit(self, consumer: str, position: int, outputs: Sequence[LogMessage]) -> None:
        """Append a consumer's outputs and move its position, atomically."""
        self._write_now([self._unit(outputs, consumer, position, None)])

    async def append_async(self, messages: Sequence[LogMessage]) -> list[bool]:
        """`append`, group-committed with the writes that arrive meanwhile."""
        return await self._enqueue(messages, None, 0)

    async def commit_async(self, consumer: str, position: int,
                           outputs: Sequence[LogMessage]) -> None:
        """`commit`, group-committed with the writes that arrive meanwhile."""
        await self._enqueue(outputs, consumer, position)

    async def _enqueue(self, messages: Sequence[LogMessage], consumer: str | None,
                       position: int) -> list[bool]:
        done: asyncio.Future[list[bool]] = asyncio.get_running_loop().create_future()
        self._pending.append(self._unit(messages, consumer, position, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush(), name="log-writer")
        return await done

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        while self._pending:
            units = self._pending[:self.group_max]
            del self._pending[:self.group_max]
            try:
                with self._transaction(commit=False):
                    results = self._stage(units)
                await loop.run_in_executor(self._syncer, self._finish)
            except Exception as error:
                self.writable = False
                for unit in units:
                    if unit.done is not None and not unit.done.done():
                        unit.done.set_exception(error)
                continue
            for unit, added in zip(units, self._committed(units, results), strict=True):
                if unit.done is not None and not unit.done.done():
                    unit.done.set_result(added)

    def _write_now(self, units: Sequence[_Unit]) -> list[list[bool]]:
        """A write outside the group commit, for tools and tests, not beside a running one."""
        if self._flusher is not None and not self._flusher.done():
            raise RuntimeError("a group commit is under way: use append_async / commit_async")
        try:
            with self._transaction():
                results = self._stage(units)
        except LogUnavailable:
            self.writable = False
            raise
        return self._committed(units, results)

    def probe(self) -> bool:
        """Whether the log takes writes now. After a refused write, a committed write of
        `headroom_bytes` (removed in the same transaction, so its pages are free for the
        next writes) tells when the disk has room again for more than a trickle."""
        if self.writable or (self._flusher is not None and not self._flusher.done()):
            return self.writable
        try:
            with self._transaction():
                self._writer.execute("INSERT INTO headroom (room) VALUES (zeroblob(?))",
                                     (self.headroom_bytes,))
                self._writer.execute("DELETE FROM headroom")
        except LogUnavailable:
            return False
        self.writable = True
        return True

    @staticmethod
    def _unit(messages: Sequence[LogMessage], consumer: str | None, position: int,
              done: asyncio.Future[list[bool]] | None) -> _Unit:
        rows = [(topic_of(m).name, m.partition_key, str(m.message_id), type(m).__name__,
                 encode(m)) for m in messages]
        return _Unit(messages, rows, consumer, position, done)

    def _stage(self, units: Sequence[_Unit]) -> list[list[int | None]]:
        """Insert every unit into the open transaction. For each message, its position, or
        None if its id was already there."""
        results = []
        for unit in units:
            results.append([self._inserted(self._writer.execute(INSERT, row))
                            for row in unit.rows])
            if unit.consumer is not None:
                self._writer.execute(MOVE, (unit.consumer, unit.position))
        return results

    @staticmethod
    def _inserted(cursor: sqlite3.Cursor) -> int | None:
        return cursor.lastrowid if cursor.rowcount == 1 else None

    def _committed(self, units: Sequence[_Unit],
                   results: list[list[int | None]]) -> list[list[bool]]:
        """After the COMMIT: remember the consumers' positions and, for the readers that
        follow right behind, the newest messages by position; wake those readers."""
        for unit, positions in zip(units, results, strict=True):
            if unit.consumer is not None:
                self._positions[unit.consumer] = unit.position
            for message, position in zip(unit.messages, positions, strict=True):
                if position is not None:
                    self._fresh[position] = message
        while len(self._fresh) > self.fresh_max:
            del self._fresh[next(iter(self._fresh))]
        self._wake(units)
        return [[p is not None for p in positions] for positions in results]

    def _finish(self) -> None:
        """COMMIT the open transaction (on any thread); roll it back if that fails (SQLite
        may already have rolled it back itself, as it does when the disk is full)."""
        try:
            self._writer.execute("COMMIT")
        except sqlite3.Error as e:
            self._rollback()
            raise LogUnavailable(str(e)) from e

    def _rollback(self) -> None:
        if self._writer.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self._writer.execute("ROLLBACK")

    class _Tx:
        """BEGIN IMMEDIATE; on leaving, ROLLBACK after an error, else COMMIT (unless the
        caller commits it elsewhere)."""

        def __init__(self, log: SQLiteLog, commit: bool) -> None:
            self.log = log
            self.commit = commit

        def __enter__(self) -> None:
            try:
                self.log._writer.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as e:
                raise LogUnavailable(str(e)) from e

        def __exit__(self, kind: object, error: object, tb: object) -> None:
            if kind is None:
                if self.commit:
                    self.log._finish()
                return
            self.log._rollback()
            if isinstance(error, sqlite3.Error) and not isinstance(error, sqlite3.IntegrityError):
                raise LogUnavailable(str(error)) from error

    def _transaction(self, commit: bool = True) -> SQLiteLog._Tx:
        return SQLiteLog._Tx(self, commit)

    # -- reading -----------------------------------------------------------------------

    def read(self, topics: Sequence[str], after: int, limit: int) -> list[Record]:
        marks = ",".join("?" * len(topics))
        rows = self._db.execute(
            f"SELECT position, topic, key, message_id, type, body FROM messages "  # noqa: S608
            f"WHERE topic IN ({marks}) AND position > ? ORDER BY position LIMIT ?",
            (*topics, after, limit),
        ).fetchall()
        fresh = self._fresh
        return [Record(position, topic, key, message_id, kind, body, fresh.get(position))
                for position, topic, key, message_id, kind, body in rows]

    def scan(self, topics: Sequence[str], batch: int = 5000) -> Iterator[Record]:
        """Every record of the topics from the start, in log order."""
        after = 0
        while records := self.read(topics, after, batch):
            yield from records
            after = records[-1].position

    def find(self, topic: str, message_id: str) -> Record | None:
        row = self._db.execute(
            "SELECT position, topic, key, message_id, type, body FROM messages "
            "WHERE topic = ? AND message_id = ?",
            (topic, message_id),
        ).fetchone()
        return Record(*row) if row else None

    def by_key(self, topic: str, key: str, limit: int) -> list[Record]:
        rows = self._db.execute(
            "SELECT position, topic, key, message_id, type, body FROM messages "
            "WHERE topic = ? AND key = ? ORDER BY position LIMIT ?",
            (topic, key, limit),
        ).fetchall()
        return [Record(*row) for row in rows]

    def position(self, consumer: str) -> int:
        """A consumer's committed position; only this log moves it, so it is remembered."""
        known = self._positions.get(consumer)
        if known is not None:
            return known
        row = self._db.execute(
            "SELECT position FROM positions WHERE consumer = ?", (consumer,)
        ).fetchone()
        return self._positions.setdefault(consumer, int(row[0]) if row else 0)

    def head(self) -> int:
        row = self._db.execute("SELECT MAX(position) FROM messages").fetchone()
        return int(row[0] or 0)

    def count(self, topic: str) -> int:
        row = self._db.execute("SELECT COUNT(*) FROM messages WHERE topic = ?", (topic,)).fetchone()
        return int(row[0])

    # -- waiting -----------------------------------------------------------------------

    def _wake(self, units: Sequence[_Unit]) -> None:
        written = {row[0] for unit in units for row in unit.rows}
        for topics in [t for t in self._appended if written.intersection(t)]:
            self._appended.pop(topics).set()

    def watch(self, topics: Sequence[str]) -> asyncio.Event:
        """Take this before reading: it is set by the next append to one of the topics, so no
        wake-up is missed, and a reader is not woken by what it does not read. Readers of the
        same topics share one event."""
        key = tuple(topics)
        event = self._appended.get(key)
        if event is None:
            event = self._appended[key] = asyncio.Event()
        return event

    @staticmethod
    async def appended(watch: asyncio.Event, timeout_s: float) -> None:
        """Return when something was appended since `watch` was taken, or after the timeout."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(watch.wait(), timeout_s)


class SQLiteLogReader:
    """The embedded log as a `runtime.ports.LogReader`: every topic in one global order."""

    def __init__(self, log: SQLiteLog, batch: int = 5000) -> None:
        self.log = log
        self.batch = batch

    async def total(self, topics: Sequence[Topic]) -> int:
        return sum(self.log.count(t.name) for t in topics)

    async def scan(self, topics: Sequence[Topic]) -> AsyncIterator[tuple[Topic, Any]]:
        by_name = {t.name: t for t in topics}
        for record in self.log.scan(list(by_name), self.batch):
            topic = by_name[record.topic]
            yield topic, record.message or decode(topic, record.body)
