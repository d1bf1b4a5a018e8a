"""Priority for vulnerable residents (DESIGN §11, 衡阳's tiers): the tier is derived from the
profile, a higher tier gets shorter windows, and the queue drains by tier, then by time.

How: hypothesis drives the pure tier rule (always 1-3; adding a tag or growing older never
lowers the priority) and the policy's windows (never longer for a higher tier; tier 3 as
before tiers); a `County` driver queues requests of random tiers and urgency behind one
busy team and frees it again and again: the order it takes them in never puts a lower tier
before a waiting higher one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from unit.builders import (
    STAFF,
    T0,
    TOWN_B,
    VILLAGE_B1,
    County,
    accept,
    complete,
    leader,
    register_team,
    register_volunteer,
    resident,
    rid,
    submit,
)

from consumers.live.flow import LiveFlow
from dispatcher.policy import DispatchPolicy
from residents.rules import priority_tier, profile_tier
from runtime.settings import Settings
from schemas import commands as cmd
from schemas import events as ev
from schemas.base import Actor
from schemas.common import ServiceType, Urgency
from schemas.residents import ResidentProfile, Tag

YEAR = 2026
birth_years = st.one_of(st.none(), st.integers(1900, YEAR))
tag_sets = st.frozensets(st.sampled_from(list(Tag)))


def tier(birth_year: int | None, tags: frozenset[Tag]) -> int:
    return priority_tier(birth_year, tags, YEAR)


@given(birth_years, tag_sets)
def test_a_tier_is_always_one_to_three(birth_year: int | None, tags: frozenset[Tag]) -> None:
    assert tier(birth_year, tags) in (1, 2, 3)


@given(birth_years, tag_sets, st.sampled_from(list(Tag)))
def test_adding_a_tag_never_lowers_the_priority(birth_year: int | None,
                                                tags: frozenset[Tag], more: Tag) -> None:
    assert tier(birth_year, tags | {more}) <= tier(birth_year, tags)


@given(st.integers(1900, YEAR), st.integers(0, 60), tag_sets)
def test_getting_older_never_lowers_the_priority(birth_year: int, years: int,
                                                 tags: frozenset[Tag]) -> None:
    assert priority_tier(birth_year, tags, YEAR + years) <= tier(birth_year, tags)


def test_the_tiers_of_the_seeds() -> None:
    assert tier(YEAR - 80, frozenset()) == 1
    assert tier(YEAR - 79, frozenset()) == 2
    assert tier(YEAR - 70, frozenset()) == 2
    assert tier(YEAR - 69, frozenset()) == 3
    assert tier(None, frozenset()) == 3
    for tag in (Tag.EXTREME_HARDSHIP, Tag.DISABILITY, Tag.CARE_DEPENDENT, Tag.LIVING_ALONE):
        assert tier(YEAR - 30, frozenset({tag})) == 1
    assert tier(YEAR - 30, frozenset({Tag.LOW_INCOME})) == 2
    assert tier(YEAR - 30, frozenset({Tag.EMPTY_NEST, Tag.LEFT_BEHIND_CHILD})) == 3


def test_age_counts_by_the_year_in_shanghai_and_no_profile_is_tier_three() -> None:
    profile = ResidentProfile(resident_id="R1", county="430511", area="430511",
                              birth_year=1946, registered_at=T0,
                              registered_by=Actor(role=STAFF.role, subject="S1"))
    new_year_in_shanghai = datetime(2025, 12, 31, 16, 30, tzinfo=UTC)
    assert profile_tier(profile, new_year_in_shanghai) == 1
    assert profile_tier(profile, new_year_in_shanghai - timedelta(hours=1)) == 2
    assert profile_tier(None, T0) == 3
    assert profile_tier(profile.model_copy(update={"erased": True}), T0) == 3


@given(st.sampled_from(list(Urgency)), st.integers(1, 3), st.integers(1, 3))
def test_a_higher_tier_never_gets_a_longer_window(urgency: Urgency, a: int, b: int) -> None:
    policy = DispatchPolicy()
    high, low = min(a, b), max(a, b)
    for window in (policy.accept_window, policy.complete_window, policy.wait_window):
        assert window(urgency, high) <= window(urgency, low)


def test_tier_three_keeps_the_windows_of_before_tiers() -> None:
    policy = DispatchPolicy(accept_window_s=7200, complete_window_s=99999, wait_window_s=5000)
    assert policy.accept_window(Urgency.NORMAL, 3) == timedelta(seconds=7200)
    assert policy.complete_window(Urgency.NORMAL, 3) == timedelta(seconds=99999)
    assert policy.wait_window(Urgency.NORMAL, 3) == timedelta(seconds=5000)
    assert policy.accept_window(Urgency.NORMAL, 1) == timedelta(minutes=15)
    assert policy.accept_window(Urgency.URGENT, 1) == timedelta(minutes=10)


LEADER = leader("L-one")


def one_busy_team() -> County:
    """A county whose only team (capacity 1) covers town B and is busy with a first order."""
    county = County().with_district()
    county.ok(register_team("T-one", [TOWN_B], capacity=1, leader_id="L-one"))
    county.ok(register_volunteer("V-one", "T-one"))
    county.ok(submit(rid(0), VILLAGE_B1, by=resident("R-first"), at=T0))
    return county


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 3), st.sampled_from(list(Urgency))),
                min_size=1, max_size=8))
def test_a_higher_tier_never_waits_behind_a_lower_one_for_the_same_team(
        orders: list[tuple[int, Urgency]]) -> None:
    county = one_busy_team()
    for n, (priority, urgency) in enumerate(orders, start=1):
        county.ok(submit(rid(n), VILLAGE_B1, by=resident(f"R{n}"), urgency=urgency,
                         priority=priority, at=T0 + timedelta(seconds=n)))
    taken: list[str] = []
    current = rid(0)
    for step in range(len(orders)):
        at = T0 + timedelta(minutes=1, seconds=step)
        county.ok(accept(current, LEADER, at=at))
        county.ok(complete(current, LEADER, {"V-one": 1.0}, at=at))
        [current] = county.state.tasks["T-one"]
        taken.append(current)
        waiting = [county.state.requests[r] for r in county.state.queued]
        assert all(w.priority >= county.state.requests[current].priority for w in waiting)
    tiers = [county.state.requests[r].priority for r in taken]
    assert tiers == sorted(tiers)
    assert taken == [rid(n) for _, _, n in sorted(
        (p, u is not Urgency.URGENT, n) for n, (p, u) in enumerate(orders, start=1))]


def test_an_order_from_before_tiers_still_decodes_as_tier_three() -> None:
    old = submit(rid(1), VILLAGE_B1).model_dump(mode="json")
    del old["priority"]
    assert cmd.SubmitRequest.model_validate(old).priority == 3
    county = one_busy_team()
    [submitted] = [e for e in county.events if isinstance(e, ev.RequestSubmitted)]
    body = submitted.model_dump(mode="json")
    del body["priority"]
    assert ev.RequestSubmitted.model_validate(body).priority == 3


def test_the_live_board_shows_the_tier_of_an_escalated_order() -> None:
    county = one_busy_team()
    county.ok(submit(rid(9), VILLAGE_B1, ServiceType.OTHER, priority=1,
                     at=T0 + timedelta(seconds=9)))
    flow = LiveFlow()
    for event in county.events:
        flow.evolve(event)
    [escalated] = flow.snapshot(T0 + timedelta(minutes=1)).escalated
    assert (escalated.request_id, escalated.priority) == (rid(9), 1)


def test_the_tier_settings_reach_the_dispatch_policy() -> None:
    settings_ = Settings.from_env({"VD_ACCEPT_WINDOW_TIER1_S": "5",
                                   "VD_WAIT_WINDOW_TIER2_S": "7",
                                   "VD_COMPLETE_WINDOW_TIER3_S": "9"})
    policy = settings_.dispatch_policy()
    assert policy.accept_window(Urgency.NORMAL, 1) == timedelta(seconds=5)
    assert policy.wait_window(Urgency.NORMAL, 2) == timedelta(seconds=7)
    assert policy.complete_window(Urgency.NORMAL, 3) == timedelta(seconds=9)
    assert Settings().dispatch_policy().accept_window(Urgency.NORMAL, 3) == timedelta(
        minutes=30)
