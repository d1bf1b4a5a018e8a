"""The embedded mode's key store: each person's data key in a SQLite file of its own beside
the log — never in the log, which is kept forever.

Erasing a key must leave no copy of it in the data dir: the file runs with `secure_delete`
(freed pages are overwritten with zeros) and a rollback journal rather than a write-ahead log
(so no older page lingers in a `-wal` file), and every write is synchronous.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from gateway.ports import Unavailable

SCHEMA = """
CREATE TABLE IF NOT EXISTS person_keys (
    person TEXT PRIMARY KEY,
    key BLOB NOT NULL
);
"""
KEY_BYTES = 32
CHUNK = 500


class KeysUnavailable(Unavailable):
    """The key store cannot be read or written now."""


class SQLiteKeys:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=DELETE")
        self._db.execute("PRAGMA secure_delete=ON")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        path.chmod(0o600)

    def close(self) -> None:
        self._db.close()

    async def keys_of(self, persons: Sequence[str], create: bool = False
                      ) -> dict[str, bytes]:
        wanted = sorted(set(persons))
        try:
            if create and wanted:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    self._db.executemany(
                        "INSERT OR IGNORE INTO person_keys (person, key) VALUES (?, ?)",
                        [(p, os.urandom(KEY_BYTES)) for p in wanted])
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
            found: dict[str, bytes] = {}
            for at in range(0, len(wanted), CHUNK):
                chunk = wanted[at:at + CHUNK]
                marks = ",".join("?" * len(chunk))
                found |= dict(self._db.execute(
                    f"SELECT person, key FROM person_keys WHERE person IN ({marks})",  # noqa: S608
                    chunk).fetchall())
            return found
        except sqlite3.Error as e:
            raise KeysUnavailable(f"the key store did not answer: {e}") from e

    async def destroy(self, person: str) -> bool:
        try:
            deleted = self._db.execute("DELETE FROM person_keys WHERE person = ?",
                                       (person,)).rowcount
        except sqlite3.Error as e:
            raise KeysUnavailable(f"the key store did not answer: {e}") from e
        return deleted == 1
