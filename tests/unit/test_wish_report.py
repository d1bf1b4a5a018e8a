"""The micro-wishes report's table (DESIGN §11), pure.

Proves, with hypothesis: for any wishes in a county's areas, each wish counts in exactly one
row (the town it lies in, or the county's own row), the totals are the rows' sums, a row's
open, fulfilled and withdrawn never exceed its collected, claimed is at least fulfilled, and
the rate is fulfilled over collected; wishes outside the root are left out. An example pins
古丈坪's half-year (381 collected, 218 fulfilled: 0.572).
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from reports.tables import area_rows
from reports.wishes import WishFacts, tabulate_wishes

COUNTY = "433130"
TOWNS = {COUNTY + "001": "古阳镇", COUNTY + "002": "默戎镇"}
AREAS = [COUNTY, COUNTY + "001", COUNTY + "001002", COUNTY + "002003001", "431000001"]
STATUSES = ["open", "claimed", "done", "fulfilled", "withdrawn"]
wishes = st.lists(st.builds(WishFacts, area=st.sampled_from(AREAS),
                            status=st.sampled_from(STATUSES), claims=st.integers(0, 3)),
                  max_size=60)


@given(wishes=wishes)
def test_each_wish_counts_once_and_the_totals_add_up(wishes: list[WishFacts]) -> None:
    rows, totals = tabulate_wishes(wishes, area_rows(COUNTY, TOWNS, root_label="古丈县"))
    inside = [x for x in wishes if x.area.startswith(COUNTY)]
    assert totals.collected == len(inside) == sum(r.collected for r in rows)
    for field in ("open", "claimed", "fulfilled", "withdrawn"):
        assert getattr(totals, field) == sum(getattr(r, field) for r in rows)
    for row in [*rows, totals]:
        assert row.collected > 0 or row is totals
        assert max(row.open, row.fulfilled, row.withdrawn, row.claimed) <= row.collected
        assert row.claimed >= row.fulfilled
        assert row.rate == (round(row.fulfilled / row.collected, 3) if row.collected else None)
    assert {r.key for r in rows} <= {COUNTY, *TOWNS}
    own = next((r for r in rows if r.key == COUNTY), None)
    assert own is None or own.label == "古丈县本级"


def test_a_half_year_of_wishes() -> None:
    half_year = ([WishFacts(COUNTY + "001001", "fulfilled", 1)] * 218
                 + [WishFacts(COUNTY + "001001", "open", 1)] * 100
                 + [WishFacts(COUNTY + "001001", "open", 0)] * 63)
    [row], totals = tabulate_wishes(half_year, area_rows(COUNTY, TOWNS))
    assert (row.key, row.label, row.collected, row.claimed, row.fulfilled, row.open,
            row.rate) == (COUNTY + "001", "古阳镇", 381, 318, 218, 163, 0.572)
    assert totals.cells() == ("total", "合计", 381, 163, 318, 218, 0, 0.572)
