"""The programmes on the live board (DESIGN §11): every scope counts its own wishes and flags.

Proves, with hypothesis: whatever posts (in hamlets, villages and towns of a district),
claims, releases, fulfilments, confirmations, withdrawals and lapses happen, each scope's board
counts exactly the wishes that lie in it by status (collected all posted; open; claimed the
claimed and the done ones awaiting confirmation; fulfilled; withdrawn), and a board no wish
touched counts none. An example shows open flags counted where their hours were served and
leaving the count when decided. How: the real wishes owner decides the commands, its events
are folded into a `LiveFlow`, and each board is compared with the owner's own rows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from hypothesis import given, settings
from hypothesis import strategies as st
from unit.builders import COUNTY, HAMLET_A1A, HAMLET_A1B, TOWN_A, TOWN_B, VILLAGE_A2, VILLAGE_B1
from unit.test_wish_rules import POLICY, RESIDENT, STAFF, claim, confirm, env, fulfil, release

from consumers.live.flow import LiveFlow
from schemas import flags as fl
from schemas import wishes as w
from schemas.base import Command
from schemas.common import within
from schemas.views import WishCounts
from wishes.owner import WishesOwner

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AREAS = [HAMLET_A1A, HAMLET_A1B, VILLAGE_A2, VILLAGE_B1, TOWN_B]
SCOPES = [None, COUNTY, TOWN_A, TOWN_B, "430511001001", HAMLET_A1A, VILLAGE_B1, "431000"]
F1, F2 = (f"FL-{COUNTY}-{n:020x}" for n in (1, 2))
WISHES = [f"W{n}" for n in range(6)]
steps = st.lists(st.tuples(
    st.sampled_from(["post", "claim", "claim", "release", "fulfil", "confirm", "withdraw",
                     "wait"]),
    st.sampled_from(WISHES), st.sampled_from(AREAS), st.integers(1, 2),
    st.integers(0, 20 * 86400)), min_size=10, max_size=80)


def expected(owner: WishesOwner, scope: str | None) -> WishCounts:
    wishes = [x for x in owner.state_of(COUNTY).wishes.values()
              if scope is None or within(x.area, scope)]

    def count(*statuses: str) -> int:
        return sum(1 for x in wishes if x.status in statuses)

    return WishCounts(collected=len(wishes), open=count("open"),
                      claimed=count("claimed", "done"), fulfilled=count("fulfilled"),
                      withdrawn=count("withdrawn"))


@settings(max_examples=200, deadline=None)
@given(steps=steps)
def test_every_scope_counts_the_wishes_that_lie_in_it(
        steps: list[tuple[str, str, str, int, int]]) -> None:
    owner = WishesOwner(POLICY)
    flow = LiveFlow()
    now = T0

    def run(command: Command) -> None:
        decision = owner.decide(command, now)
        for event in decision.events:
            flow.evolve(event)

    for kind, wish_id, area, n, seconds in steps:
        if kind == "wait":
            now += timedelta(seconds=seconds)
            for lapse in owner.timers(now):
                run(lapse)
        elif kind == "post":
            run(w.PostWish(**env(RESIDENT, now, wish_id), area=area, resident_id="R1",
                           title="pd1.t"))
        elif kind == "claim":
            run(claim(n, wish_id, now))
        elif kind == "release":
            run(release(n, wish_id, now))
        elif kind == "fulfil":
            run(fulfil(n, wish_id, now, 1.0))
        elif kind == "confirm":
            run(confirm(wish_id, now, STAFF if n == 2 else RESIDENT))
        else:
            run(w.WithdrawWish(**env(RESIDENT, now, wish_id)))
        for scope in SCOPES:
            board = flow.snapshot(now, scope).programmes.wishes
            assert board == expected(owner, scope), scope


def stamp() -> dict[str, object]:
    event_id = uuid4()
    return {"event_id": event_id, "occurred_at": T0, "correlation_id": event_id,
            "actor": STAFF}


def flag(flag_id: str, area: str) -> fl.FlagRaised:
    return fl.FlagRaised(**stamp(), county=COUNTY, flag=fl.FlagView(
        flag_id=flag_id, kind="day_hours", volunteer_id="V1", entry_id=uuid4(),
        area=area, hours=13.0, at=T0))


def test_open_flags_count_where_the_hours_were_served_until_decided() -> None:
    flow = LiveFlow()
    flow.evolve(flag(F1, HAMLET_A1A))
    flow.evolve(flag(F2, VILLAGE_B1))
    flow.evolve(fl.FlagDecided(**stamp(), county=COUNTY, flag_id=F2,
                               volunteer_id="V1", entry_id=uuid4(), decision="credit",
                               reason="核实无误"))
    opened = {scope: flow.snapshot(T0, scope).programmes.flags.open
              for scope in (None, COUNTY, TOWN_A, HAMLET_A1A, TOWN_B, VILLAGE_B1)}
    assert opened == {None: 1, COUNTY: 1, TOWN_A: 1, HAMLET_A1A: 1, TOWN_B: 0, VILLAGE_B1: 0}
    assert sorted(flow.changed_boards(T0)) == sorted(
        {"", COUNTY, TOWN_A, "430511001001", HAMLET_A1A, TOWN_B, VILLAGE_B1})
