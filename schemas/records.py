"""What owners keep their state in, each remembering what changed since it was last drained,
so the host writes only that, together with the marker of the command that changed it.

- `Records`: rows by key, loaded with the aggregate (what the rules read).
- `Journal`: lists that only grow (a request's history), written and never read back by
  the owner; only what was appended since the last drain is in memory.
- `Ranking`: sorted indexes (member → score) kept for readers who page newest first; only
  the changes since the last drain are in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Generic, TypeVar

V = TypeVar("V")
S = TypeVar("S")


class Records(Mapping[str, V]):
    def __init__(self) -> None:
        self._rows: dict[str, V] = {}
        self._dirty: set[str] = set()

    def __getitem__(self, key: str) -> V:
        return self._rows[key]

    def __contains__(self, key: object) -> bool:
        return key in self._rows

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def put(self, key: str, value: V) -> None:
        self._rows[key] = value
        self._dirty.add(key)

    def load(self, key: str, value: V) -> None:
        """Put a row read back from storage: it is not a change."""
        self._rows[key] = value

    def drain_changes(self) -> dict[str, V]:
        """The rows changed since the last drain, and forget them."""
        if not self._dirty:
            return {}
        changes = {k: self._rows[k] for k in self._dirty}
        self._dirty.clear()
        return changes


class Journal(Generic[V]):
    def __init__(self) -> None:
        self._fresh: dict[str, list[V]] = {}

    def append(self, key: str, item: V) -> None:
        self._fresh.setdefault(key, []).append(item)

    def drain_changes(self) -> dict[str, list[V]]:
        fresh, self._fresh = self._fresh, {}
        return fresh


class Ranking:
    def __init__(self) -> None:
        self._changes: dict[str, dict[str, float | None]] = {}

    def rank(self, index: str, member: str, score: float) -> None:
        self._changes.setdefault(index, {})[member] = score

    def unrank(self, index: str, member: str) -> None:
        self._changes.setdefault(index, {})[member] = None

    def drain_changes(self) -> dict[str, dict[str, float | None]]:
        """Index → member → its new score, or None where it left the index."""
        changes, self._changes = self._changes, {}
        return changes


class HeldStates(Generic[S]):
    """The states of the aggregates an owner holds in memory, one per key: made empty on
    first use, dropped when the host forgets them (they are loaded again from the store)."""

    def __init__(self, make: Callable[[], S]) -> None:
        self._make = make
        self.states: dict[str, S] = {}

    def state_of(self, key: str) -> S:
        state = self.states.get(key)
        if state is None:
            state = self.states[key] = self._make()
        return state

    def forget(self, key: str) -> None:
        self.states.pop(key, None)

    def held(self) -> list[str]:
        return list(self.states)
