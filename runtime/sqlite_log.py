"""The embedded mode's durable log: one append-only SQLite table in WAL mode.

Every topic of the catalogue is a stream of this table, in one global order. A consumer's
position is stored in the same transaction as the messages it produced, so after a crash it
resumes exactly where its last output left off. A message id is unique per topic: appending a
command again (a client's retry) is detected, not duplicated.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from schemas.base import LogMessage
from schemas.topics import encode, topic_of

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


class LogUnavailable(Exception):
    """The log cannot take writes now (disk full, file locked): callers answer 503."""


class SQLiteLog:
    def __init__(self, path: Path, synchronous: str = "FULL") -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={'FULL' if synchronous == 'FULL' else 'NORMAL'}")
        self._db.executescript(SCHEMA)
        self._appended = asyncio.Event()

    def close(self) -> None:
        self._db.close()

    # -- writing -----------------------------------------------------------------------

    def append(self, messages: Sequence[LogMessage]) -> list[bool]:
        """Append in one transaction; for each message, False if its id was already there."""
        with self._transaction():
            added = [self._insert(m) for m in messages]
        self._wake()
        return added

    def commit(self, consumer: str, position: int, outputs: Sequence[LogMessage]) -> None:
        """Append a consumer's outputs and move its position, atomically."""
        with self._transaction():
            for message in outputs:
                self._insert(message)
            self._db.execute(
                "INSERT INTO positions (consumer, position) VALUES (?, ?) "
                "ON CONFLICT (consumer) DO UPDATE SET position = excluded.position",
                (consumer, position),
            )
        if outputs:
            self._wake()

    def _insert(self, message: LogMessage) -> bool:
        topic = topic_of(message)
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO messages (topic, key, message_id, type, body) "
            "VALUES (?, ?, ?, ?, ?)",
            (topic.name, message.partition_key, str(message.message_id), type(message).__name__,
             encode(message)),
        )
        return cursor.rowcount == 1

    class _Tx:
        def __init__(self, db: sqlite3.Connection) -> None:
            self.db = db

        def __enter__(self) -> None:
            try:
                self.db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as e:
                raise LogUnavailable(str(e)) from e

        def __exit__(self, kind: object, error: object, tb: object) -> None:
            if kind is None:
                try:
                    self.db.execute("COMMIT")
                except sqlite3.OperationalError as e:
                    self.db.execute("ROLLBACK")
                    raise LogUnavailable(str(e)) from e
            else:
                self.db.execute("ROLLBACK")
                if isinstance(error, sqlite3.OperationalError):
                    raise LogUnavailable(str(error)) from error

    def _transaction(self) -> SQLiteLog._Tx:
        return SQLiteLog._Tx(self._db)

    # -- reading -----------------------------------------------------------------------

    def read(self, topics: Sequence[str], after: int, limit: int) -> list[Record]:
        marks = ",".join("?" * len(topics))
        rows = self._db.execute(
            f"SELECT position, topic, key, message_id, type, body FROM messages "  # noqa: S608
            f"WHERE topic IN ({marks}) AND position > ? ORDER BY position LIMIT ?",
            (*topics, after, limit),
        ).fetchall()
        return [Record(*row) for row in rows]

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
        row = self._db.execute(
            "SELECT position FROM positions WHERE consumer = ?", (consumer,)
        ).fetchone()
        return int(row[0]) if row else 0

    def head(self) -> int:
        row = self._db.execute("SELECT MAX(position) FROM messages").fetchone()
        return int(row[0] or 0)

    def count(self, topic: str) -> int:
        row = self._db.execute("SELECT COUNT(*) FROM messages WHERE topic = ?", (topic,)).fetchone()
        return int(row[0])

    # -- waiting -----------------------------------------------------------------------

    def _wake(self) -> None:
        self._appended.set()
        self._appended = asyncio.Event()

    def watch(self) -> asyncio.Event:
        """Take this before reading: it is set by the next append, so no wake-up is missed."""
        return self._appended

    @staticmethod
    async def appended(watch: asyncio.Event, timeout_s: float) -> None:
        """Return when something was appended since `watch` was taken, or after the timeout."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(watch.wait(), timeout_s)
