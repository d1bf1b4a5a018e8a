"""A keyed collection of read models that remembers which keys changed.

Owners keep their state in these; the scaled mode writes only the changed rows to Redis
together with the marker of the command that changed them.
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
        changes = {k: self._rows[k] for k in self._dirty}
        self._dirty.clear()
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
