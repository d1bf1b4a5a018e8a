"""The care visits report as a table (DESIGN §11): the visits whose period began in a month,
by area one step down the tree: planned, done, missed, still open, and the visit rate (done
of planned). A visit counts in the area of its resident's plan."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from reports.tables import TOTAL_KEY, TOTAL_LABEL

RowOf = Callable[[str | None], tuple[str, str] | None]


@dataclass(frozen=True)
class VisitRow:
    area: str
    label: str
    planned: int
    done: int
    missed: int
    open: int
    rate: float | None


def _row(key: str, label: str, counts: Counter[str]) -> VisitRow:
    planned = sum(counts.values())
    done, missed = counts["done"], counts["missed"]
    return VisitRow(key, label, planned, done, missed, counts["planned"],
                    round(done / planned, 3) if planned else None)


def tabulate_visits(visits: Iterable[tuple[str, str]], row_of: RowOf
                    ) -> tuple[list[VisitRow], VisitRow]:
    """Visits as (area, status) pairs into rows sorted by key, and the totals."""
    groups: dict[str, tuple[str, Counter[str]]] = {}
    totals: Counter[str] = Counter()
    for area, status in visits:
        keyed = row_of(area)
        if keyed is None:
            continue
        key, label = keyed
        groups.setdefault(key, (label, Counter()))[1][status] += 1
        totals[status] += 1
    rows = [_row(key, label, counts) for key, (label, counts) in sorted(groups.items())]
    return rows, _row(TOTAL_KEY, TOTAL_LABEL, totals)
