"""The programmes beside dispatch on the live board (DESIGN §11): micro-wishes, cases of the
"can't get it done" window, care visits and flags.

Like the rest of the board, a fold of events into per-board counts: each board (the whole
platform's, and every level of an area) counts the wishes and open flags that lie in it, so a
scope's figures are a look-up. A wish is tracked (its boards and status) only until it is
fulfilled or withdrawn, a case until it is closed, a flag until it is decided: memory grows
with what is open, the counts stay.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from schemas import care as cp
from schemas import cases as cs
from schemas import flags as fl
from schemas import wishes as w
from schemas.base import Event
from schemas.views import CaseCounts, FlagCounts, Programmes, VisitCounts, WishCounts

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
        self.plans: dict[str, list[str]] = {}
        """Care plans: the boards of their residents' areas."""
        self.cases: dict[str, tuple[list[str], bool]] = {}
        """Open cases: their boards and whether a deadline passed."""
        self.counts: dict[str, Counter[str]] = {}

    def evolve(self, event: Event) -> None:
        if isinstance(event, w.WishEvent):
            self._wish(event)
        elif isinstance(event, cs.CaseEvent):
            self._case(event)
        elif isinstance(event, cp.CareEvent):
            self._visit(event)
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

    def _visit(self, e: cp.CareEvent) -> None:
        if isinstance(e, cp.PlanCreated):
            self.plans[e.plan_id] = self.boards_of(e.area)
            return
        boards = self.plans.get(e.plan_id)
        if boards is None:
            return
        if isinstance(e, cp.VisitOpened):
            self._move(boards, visits_planned=1)
        elif isinstance(e, cp.VisitDone):
            self._move(boards, visits_done=1)
        elif isinstance(e, cp.VisitMissed):
            self._move(boards, visits_missed=1)

    def _case(self, e: cs.CaseEvent) -> None:
        if isinstance(e, cs.CaseOpened):
            boards = self.boards_of(e.area)
            self.cases[e.case_id] = (boards, False)
            self._move(boards, cases_open=1)
            return
        if not isinstance(e, cs.DeadlinePassed | cs.CaseClosed):
            return
        tracked = self.cases.get(e.case_id)
        if tracked is None:
            return
        boards, overdue = tracked
        if isinstance(e, cs.DeadlinePassed):
            if not overdue:
                self.cases[e.case_id] = (boards, True)
                self._move(boards, cases_overdue=1)
            return
        del self.cases[e.case_id]
        self._move(boards, cases_open=-1, cases_overdue=-1 if overdue else 0, cases_closed=1,
                   cases_on_time=1 if e.on_time else 0)

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
            cases=CaseCounts(open=counts["cases_open"], overdue=counts["cases_overdue"],
                             closed=counts["cases_closed"],
                             closed_on_time=counts["cases_on_time"]),
            visits=VisitCounts(planned=counts["visits_planned"], done=counts["visits_done"],
                               missed=counts["visits_missed"]),
            flags=FlagCounts(open=counts["flags"]))
