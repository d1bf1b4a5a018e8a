"""The live board per scope (DESIGN §9): each scope's board counts exactly what lies in it.

Proves: for every area of a district with requests in several towns, villages and hamlets
(dispatched, accepted, declined, escalated, completed, cancelled, falling overdue), the
scope's snapshot equals the whole platform's restricted to the scope — funnel, counts by area
and by type, overdue, escalated, recent events and teams based there — while the whole
board is what it always was; a save builds only the boards that moved, and a request falling
overdue with the clock alone moves the boards of its area. How: the real dispatcher decides
the commands (`builders.County`), the events are folded into a `LiveFlow`, and each board is
compared with a filter of the whole board written out here.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from unit.builders import (
    COUNTY,
    DISTRICT,
    HAMLET_A1A,
    HAMLET_A1B,
    T0,
    TOWN_B,
    VILLAGE_A1,
    VILLAGE_A2,
    VILLAGE_B1,
    County,
    accept,
    cancel,
    complete,
    decline,
    leader,
    minutes,
    register_team,
    register_volunteer,
    rid,
    submit,
)

from consumers.live.flow import EVERY_AREA, LiveFlow
from schemas.common import ServiceType, within
from schemas.views import LiveSnapshot


def busy_district() -> tuple[LiveFlow, datetime]:
    county = County().with_district()
    county.ok(register_team("T-A1", [VILLAGE_A1], capacity=3))
    county.ok(register_team("T-B", [TOWN_B, VILLAGE_A2], capacity=3))
    county.ok(register_team("T-county", [COUNTY], (ServiceType.CLEANING,), capacity=3))
    county.ok(register_volunteer("V1", "T-A1"))
    areas = [HAMLET_A1A, HAMLET_A1B, VILLAGE_A2, VILLAGE_B1, TOWN_B, HAMLET_A1A]
    for n, area in enumerate(areas, start=1):
        county.ok(submit(rid(n), area, at=T0 + minutes(n)))
    county.ok(submit(rid(9), HAMLET_A1B, ServiceType.BATHING, at=T0 + minutes(9)))  # escalated
    county.ok(accept(rid(1), leader("L-T-A1"), at=T0 + minutes(10)))
    county.ok(complete(rid(1), leader("L-T-A1"), {"V1": 1.0}, at=T0 + minutes(20)))
    county.ok(accept(rid(2), leader("L-T-A1"), at=T0 + minutes(11)))
    county.ok(decline(rid(3), leader("L-T-B"), at=T0 + minutes(12)))
    county.ok(cancel(rid(4), at=T0 + minutes(13)))
    flow = LiveFlow()
    for event in county.events:
        flow.evolve(event)
    return flow, T0 + minutes(20)


def restricted(whole: LiveSnapshot, flow: LiveFlow, scope: str) -> dict[str, object]:
    """The whole board cut down to a scope, by filters (what the scope's board must equal)."""
    mine = [t for t in flow.requests.values() if within(t.area, scope)]
    return {
        "current": Counter(t.status for t in mine),
        "by_area": {code: counts for code, counts in whole.by_area.items()
                    if within(code, scope)},
        "overdue": [r for r in whole.overdue if within(r.area, scope)],
        "escalated": [r for r in whole.escalated if within(r.area, scope)],
        "recent": [e for e in whole.recent if e.area is not None and within(e.area, scope)],
        "teams": [t for t in whole.teams
                  if within(flow.teams[t.team_id].boards[1], scope)],
    }


def scoped(board: LiveSnapshot) -> dict[str, object]:
    return {
        "current": Counter({s.status: s.current for s in board.funnel if s.current}),
        "by_area": board.by_area, "overdue": list(board.overdue),
        "escalated": list(board.escalated), "recent": list(board.recent),
        "teams": list(board.teams),
    }


def test_every_scope_sees_exactly_what_lies_in_it() -> None:
    flow, now = busy_district()
    later = now + minutes(24 * 60)  # the accepted request's service window has passed
    whole = flow.snapshot(later)
    assert whole.overdue and whole.escalated and whole.teams
    for scope in DISTRICT:
        assert scoped(flow.snapshot(later, scope)) == restricted(whole, flow, scope), scope
    assert flow.snapshot(later, None) == whole


def test_a_scope_counts_its_own_types_stages_and_durations() -> None:
    flow, now = busy_district()
    town_b = flow.snapshot(now, TOWN_B)
    assert set(town_b.by_area) == {TOWN_B, VILLAGE_B1}
    assert [t.team_id for t in town_b.teams] == ["T-B"], "based in its first area"
    assert town_b.dead_letters == 0 and town_b.time_to_complete.count == 0
    village = flow.snapshot(now, VILLAGE_A1)
    assert village.time_to_complete.count == 1
    assert village.by_service_type == {"groceries": {"completed": 1, "accepted": 1,
                                                     "dispatched": 1},
                                       "bathing": {"escalated": 1}}
    total = {s.status.value: s.total for s in village.funnel}
    assert total["submitted"] == 4 and total["completed"] == 1
    elsewhere = flow.snapshot(now, "430599")
    assert not any(s.total for s in elsewhere.funnel) and elsewhere.teams == ()


def test_a_save_builds_only_the_boards_that_moved() -> None:
    flow, now = busy_district()
    first = flow.changed_boards(now)
    assert set(first) == {EVERY_AREA, *DISTRICT}
    assert flow.changed_boards(now) == {}
    county = County().with_district()
    for event in county.events:  # areas only: the whole board moves, no area's
        flow.evolve(event)
    assert set(flow.changed_boards(now)) == {EVERY_AREA}


def test_a_request_falling_overdue_moves_the_boards_of_its_area() -> None:
    flow, now = busy_district()
    flow.changed_boards(now)
    first_due = min(t.due for t in flow.requests.values() if t.due is not None)
    then = first_due + minutes(1)
    falling = [t for t in flow.requests.values() if t.due is not None and t.due < then]
    moved = flow.changed_boards(then)
    assert set(moved) == {key for t in falling for key in t.boards}
    assert set(moved) < {EVERY_AREA, *DISTRICT}
    for t in falling:
        assert t.request_id in [r.request_id for r in moved[t.area].overdue]
