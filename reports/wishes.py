"""The micro-wishes report as a table (DESIGN §11): the wishes collected in a period, by area
one step down the tree, with how many were claimed, fulfilled and withdrawn since, and the
fulfilment rate (古丈坪's 381 collected, 218 fulfilled: 57%).

A wish counts in the row of the area it was posted in and in the period of the day it was
posted (China time): a wish posted in March and fulfilled in April is March's. `claimed`
counts every wish a volunteer ever took up (claimed, done or fulfilled now, or claimed
before it was released or withdrawn); `open` those still waiting for a claimer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass

from reports.tables import TOTAL_KEY, TOTAL_LABEL, Line

RowOf = Callable[[str | None], tuple[str, str] | None]
"""A row's key and label for an area code, or None to leave a wish out."""

CSV_HEADER = ("key", "label", "collected", "open", "claimed", "fulfilled", "withdrawn", "rate")
XLSX_HEADER = ("键", "名称", "征集", "待认领", "已认领", "已实现", "已撤回", "实现率")
TAKEN_UP = frozenset({"claimed", "done", "fulfilled"})


@dataclass(frozen=True)
class WishFacts:
    """What the report reads of a wish: no title, no resident."""

    area: str
    status: str
    claims: int


@dataclass(frozen=True)
class WishRow:
    key: str
    label: str
    collected: int
    open: int
    claimed: int
    fulfilled: int
    withdrawn: int
    rate: float | None
    """Fulfilled of collected, to three decimals; None for a row with no wish."""

    def as_dict(self) -> dict[str, str | int | float | None]:
        return asdict(self)

    def cells(self) -> Line:
        return (self.key, self.label, self.collected, self.open, self.claimed, self.fulfilled,
                self.withdrawn, "" if self.rate is None else self.rate)


class _Counts:
    def __init__(self) -> None:
        self.collected = self.open = self.claimed = self.fulfilled = self.withdrawn = 0

    def add(self, wish: WishFacts) -> None:
        self.collected += 1
        self.open += wish.status == "open"
        self.claimed += wish.status in TAKEN_UP or wish.claims > 0
        self.fulfilled += wish.status == "fulfilled"
        self.withdrawn += wish.status == "withdrawn"

    def row(self, key: str, label: str) -> WishRow:
        rate = round(self.fulfilled / self.collected, 3) if self.collected else None
        return WishRow(key, label, self.collected, self.open, self.claimed, self.fulfilled,
                       self.withdrawn, rate)


def tabulate_wishes(wishes: Iterable[WishFacts], row_of: RowOf
                    ) -> tuple[list[WishRow], WishRow]:
    """The rows sorted by key and the totals of every wish kept."""
    groups: dict[str, tuple[str, _Counts]] = {}
    totals = _Counts()
    for wish in wishes:
        keyed = row_of(wish.area)
        if keyed is None:
            continue
        key, label = keyed
        groups.setdefault(key, (label, _Counts()))[1].add(wish)
        totals.add(wish)
    rows = [counts.row(key, label) for key, (label, counts) in sorted(groups.items())]
    return rows, totals.row(TOTAL_KEY, TOTAL_LABEL)
