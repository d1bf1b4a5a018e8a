"""The programmes beside dispatch on the live board (DESIGN §11): micro-wishes and flags.

Like the rest of the board, a fold of events into per-board counts: each board (the whole
platform's, and every level of an area) counts the wishes and open flags that lie in it, so a
scope's figures are a look-up. A wish is tracked (its boards and status) only until it is
fulfilled or withdrawn, a flag only until it is decided: memory grows with what is open, the
counts stay.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from schemas import flags as fl
from schemas import wishes as w
from schemas.base import Event
from schemas.views import FlagCounts, Programmes, WishCounts

BoardsOf = Callable[[str], list[str]]
"""The boards an area counts on (the whole platform's first)."""
Touch = Callable[[list[str]], None]
"""Tell the board these boards moved."""

HELD = "claimed"
"""The count of wishes a volunteer holds: claimed, or marked done and not yet confirmed."""


class ProgrammeFold:
    def __init__(self, boards_of: BoardsOf, touch: Touch) -> None:
        self.boards_of = boards_of
        self.touch = touch
        self.wishes: dict[str, tuple[list[str], str]] = {}
        self.flags: dict[str, list[str]] = {}
        self.counts: dict[str, Counter[str]] = {}

    def evolve(self, event: Event) -> None:
        if isinstance(event, w.WishEvent):
            self._wish(event)
        elif isinstance(event, fl.FlagRaised):
            boards = self.boards_of(event.flag.area or event.county)
            self.flags[event.flag.flag_id] = boards
            self._move(boards, flags=1)
        elif isinstance(event, fl.FlagDecided):
            decided = self.flags.pop(event.flag_id, None)
            if decided is not None:
                self._move(decided, flags=-1)

    def _wish(self, e: w.WishEvent) -> None:
        if isinstance(e, w.WishPosted):
            boards = self.boards_of(e.area)
            self.wishes[e.wish_id] = (boards, "open")
            self._move(boards, collected=1, open=1)
            return
        tracked = self.wishes.get(e.wish_id)
        if tracked is None:
            return
        boards, was = tracked
        held = HELD if was != "open" else "open"
        if isinstance(e, w.WishClaimed):
            self.wishes[e.wish_id] = (boards, "claimed")
            self._move(boards, open=-1, claimed=1)
        elif isinstance(e, w.ClaimReleased):
            self.wishes[e.wish_id] = (boards, "open")
            self._move(boards, open=1, claimed=-1)
        elif isinstance(e, w.WishDone):
            self.wishes[e.wish_id] = (boards, "done")
        elif isinstance(e, w.WishFulfilled):
            del self.wishes[e.wish_id]
            self._move(boards, claimed=-1, fulfilled=1)
        elif isinstance(e, w.WishWithdrawn):
            del self.wishes[e.wish_id]
            self._move(boards, **{held: -1}, withdrawn=1)

    def _move(self, boards: list[str], **deltas: int) -> None:
        for key in boards:
            self.counts.setdefault(key, Counter()).update(deltas)
        self.touch(boards)

    def of(self, key: str) -> Programmes:
        counts = self.counts.get(key)
        if counts is None:
            return Programmes()
        return Programmes(
            wishes=WishCounts(collected=counts["collected"], open=counts["open"],
                              claimed=counts["claimed"], fulfilled=counts["fulfilled"],
                              withdrawn=counts["withdrawn"]),
            flags=FlagCounts(open=counts["flags"]))
