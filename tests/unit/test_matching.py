"""Matching (派单) picks the team DESIGN §4 asks for, and always the same one.

How: `choose_team` is called directly on hand-built read models of a small district
(county 430511 → town → village → hamlet, see `builders.DISTRICT`), with teams placed so that
exactly one rule decides each case: level first, then coverage, service type, capacity and
exclusions, then load ratio, distance, rating and team id. Each test changes one of these and
checks that the answer moves with it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import pytest
from unit.builders import (
    COUNTY,
    HAMLET_A1A,
    HAMLET_A1B,
    TOWN_A,
    TOWN_B,
    VILLAGE_A1,
    VILLAGE_A2,
    VILLAGE_B1,
    area_view,
    district_areas,
    team_view,
)

from dispatcher.matching import (
    Match,
    NoMatch,
    TeamIndex,
    choose_team,
    distance_km,
    location,
    rating_score,
)
from schemas.common import ServiceType
from schemas.views import AreaView, TeamView

GROCERIES = ServiceType.GROCERIES
CLEANING = ServiceType.CLEANING


def choose(teams: Iterable[TeamView], area: str = HAMLET_A1A, service_type: ServiceType = GROCERIES,
           *, areas: dict[str, AreaView] | None = None,
           excluded: Iterable[str] = ()) -> Match | NoMatch:
    index = TeamIndex()
    by_id: dict[str, TeamView] = {}
    for team in teams:
        index.add(team)
        by_id[team.team_id] = team
    return choose_team(area, service_type, index, by_id,
                       district_areas() if areas is None else areas, excluded=tuple(excluded))


def chosen(result: Match | NoMatch) -> str:
    assert isinstance(result, Match), f"no team was chosen: {result}"
    return result.team_id


# one team per level, all covering HAMLET_A1A
LEVEL_TEAMS = [
    team_view("T-county", [COUNTY]),
    team_view("T-town", [TOWN_A]),
    team_view("T-village", [VILLAGE_A1]),
    team_view("T-hamlet", [HAMLET_A1A]),
]


# -- locality ------------------------------------------------------------------------------


def test_prefers_the_most_local_team() -> None:
    result = choose(LEVEL_TEAMS)
    assert result == Match("T-hamlet", level=3, distance_km=0.0)


@pytest.mark.parametrize(
    ("gone", "expected", "level"),
    [
        ({"T-hamlet"}, "T-village", 2),
        ({"T-hamlet", "T-village"}, "T-town", 1),
        ({"T-hamlet", "T-village", "T-town"}, "T-county", 0),
    ],
)
def test_widens_one_level_at_a_time(gone: set[str], expected: str, level: int) -> None:
    result = choose(t for t in LEVEL_TEAMS if t.team_id not in gone)
    assert isinstance(result, Match)
    assert (result.team_id, result.level) == (expected, level)


def test_widening_skips_a_level_nobody_covers() -> None:
    result = choose([team_view("T-county", [COUNTY]), team_view("T-village", [VILLAGE_A1])])
    assert isinstance(result, Match)
    assert (result.team_id, result.level) == ("T-village", 2)


def test_a_more_local_team_wins_even_when_busier_and_worse_rated() -> None:
    teams = [
        team_view("T-hamlet", [HAMLET_A1A], capacity=4, load=3, ratings=[1, 1]),
        team_view("T-town", [TOWN_A], capacity=4, load=0, ratings=[5, 5, 5]),
    ]
    assert chosen(choose(teams)) == "T-hamlet"


@pytest.mark.parametrize("area", [TOWN_A, VILLAGE_A1, VILLAGE_A2, HAMLET_A1A, HAMLET_A1B])
def test_a_team_covering_a_town_serves_every_area_below_it(area: str) -> None:
    assert chosen(choose([team_view("T-town", [TOWN_A])], area)) == "T-town"


@pytest.mark.parametrize("area", [COUNTY, TOWN_B, VILLAGE_B1])
def test_a_team_does_not_serve_above_or_beside_its_area(area: str) -> None:
    assert choose([team_view("T-town", [TOWN_A])], area) == NoMatch(all_busy=False)


def test_a_team_of_one_hamlet_does_not_serve_its_whole_village() -> None:
    assert choose([team_view("T-hamlet", [HAMLET_A1A])], VILLAGE_A1) == NoMatch(all_busy=False)


def test_a_team_serves_every_area_it_lists() -> None:
    team = team_view("T-two", [VILLAGE_A2, VILLAGE_B1])
    assert chosen(choose([team], VILLAGE_B1)) == "T-two"
    assert chosen(choose([team], VILLAGE_A2)) == "T-two"
    assert choose([team], VILLAGE_A1) == NoMatch(all_busy=False)


# -- eligibility ---------------------------------------------------------------------------


def test_the_service_type_must_match() -> None:
    teams = [
        team_view("T-cleaners", [HAMLET_A1A], [CLEANING]),
        team_view("T-grocers", [TOWN_A], [GROCERIES, CLEANING]),
    ]
    assert chosen(choose(teams, service_type=GROCERIES)) == "T-grocers"
    assert chosen(choose(teams, service_type=CLEANING)) == "T-cleaners"
    assert choose(teams, service_type=ServiceType.REPAIR) == NoMatch(all_busy=False)


def test_skips_a_full_team_for_the_next_level() -> None:
    teams = [
        team_view("T-hamlet", [HAMLET_A1A], capacity=2, load=2),
        team_view("T-village", [VILLAGE_A1], capacity=2, load=1),
    ]
    assert chosen(choose(teams)) == "T-village"


def test_all_busy_when_only_full_teams_serve() -> None:
    teams = [
        team_view("T-hamlet", [HAMLET_A1A], capacity=1, load=1),
        team_view("T-county", [COUNTY], capacity=3, load=3),
        team_view("T-other-type", [COUNTY], [CLEANING], capacity=3, load=0),
    ]
    assert choose(teams) == NoMatch(all_busy=True)


def test_not_busy_when_nobody_serves() -> None:
    assert choose([]) == NoMatch(all_busy=False)
    assert choose([team_view("T-b", [TOWN_B])]) == NoMatch(all_busy=False)


def test_skips_excluded_teams() -> None:
    assert chosen(choose(LEVEL_TEAMS, excluded=["T-hamlet"])) == "T-village"
    assert chosen(choose(LEVEL_TEAMS, excluded=["T-hamlet", "T-village", "T-town"])) == "T-county"


def test_excluded_teams_count_neither_as_serving_nor_as_busy() -> None:
    teams = [team_view("T-full", [TOWN_A], capacity=1, load=1), team_view("T-free", [TOWN_A])]
    assert choose(teams, excluded=["T-free", "T-full"]) == NoMatch(all_busy=False)
    assert choose(teams, excluded=["T-free"]) == NoMatch(all_busy=True)


# -- preference among the eligible teams of one level -------------------------------------


def test_prefers_the_lower_load_ratio_over_the_lower_load() -> None:
    teams = [
        team_view("T-small", [TOWN_A], capacity=2, load=1),   # half full
        team_view("T-large", [TOWN_A], capacity=10, load=3),  # under a third full
    ]
    assert chosen(choose(teams)) == "T-large"


def test_prefers_the_lower_load_ratio_over_distance_and_rating() -> None:
    teams = [
        team_view("T-near", [VILLAGE_A2, TOWN_A], load=1, ratings=[5, 5]),
        team_view("T-far", [TOWN_B, TOWN_A], load=0, ratings=[2]),
    ]
    assert chosen(choose(teams)) == "T-far"


def test_then_prefers_the_shorter_distance() -> None:
    # both serve HAMLET_A1A through TOWN_A; each is based in the first area it lists
    teams = [
        team_view("T-a-far", [TOWN_B, TOWN_A], ratings=[5, 5, 5]),
        team_view("T-z-near", [VILLAGE_A2, TOWN_A]),
    ]
    result = choose(teams)
    areas = district_areas()
    expected_km = distance_km(location(HAMLET_A1A, areas), location(VILLAGE_A2, areas))
    assert isinstance(result, Match)
    assert result.team_id == "T-z-near"
    assert result.level == 1
    assert result.distance_km == pytest.approx(expected_km)
    assert result.distance_km is not None and 3 < result.distance_km < 8


def test_an_area_without_coordinates_is_located_at_its_nearest_ancestor_with_them() -> None:
    areas = district_areas()
    assert location(HAMLET_A1B, areas) == (27.260, 111.490)  # its village
    areas[VILLAGE_A1] = area_view(VILLAGE_A1)
    assert location(HAMLET_A1B, areas) == (27.250, 111.480)  # now its town
    assert location(HAMLET_A1B, {}) is None


def test_the_distance_is_measured_from_the_nearest_located_ancestor() -> None:
    areas = district_areas()
    team = team_view("T", [VILLAGE_A2, TOWN_A])
    result = choose([team], HAMLET_A1B)
    assert isinstance(result, Match)
    expected = distance_km(location(VILLAGE_A1, areas), location(VILLAGE_A2, areas))
    assert result.distance_km == pytest.approx(expected)


def test_a_known_distance_beats_an_unknown_one() -> None:
    areas = district_areas()
    for code in (COUNTY, TOWN_B, VILLAGE_B1):
        areas[code] = area_view(code)
    teams = [
        team_view("T-a-nowhere", [VILLAGE_B1, TOWN_A], ratings=[5, 5, 5]),
        team_view("T-b-located", [VILLAGE_A2, TOWN_A]),
    ]
    assert chosen(choose(teams, areas=areas)) == "T-b-located"


def test_distance_is_unknown_when_the_request_has_no_location() -> None:
    areas = {code: area_view(code) for code in district_areas()}
    result = choose([team_view("T", [TOWN_A])], areas=areas)
    assert result == Match("T", level=1, distance_km=None)


def test_then_prefers_the_better_rating() -> None:
    teams = [
        team_view("T-a", [VILLAGE_A2, TOWN_A], ratings=[3, 4]),
        team_view("T-b", [VILLAGE_A2, TOWN_A], ratings=[5, 4]),
    ]
    assert chosen(choose(teams)) == "T-b"


def test_one_bad_review_weighs_less_than_many_good_ones() -> None:
    once_great = team_view("T-once", [TOWN_A], ratings=[5])
    often_good = team_view("T-often", [TOWN_A], ratings=[5, 5, 5, 4, 5, 5])
    unrated = team_view("T-new", [TOWN_A])
    once_poor = team_view("T-poor", [TOWN_A], ratings=[1])
    scores = [rating_score(t) for t in (often_good, once_great, unrated, once_poor)]
    assert scores == sorted(scores, reverse=True)
    assert rating_score(unrated) == 3.0
    assert chosen(choose([unrated, once_poor])) == "T-new"
    assert chosen(choose([once_great, often_good])) == "T-often"


def test_finally_prefers_the_smaller_team_id() -> None:
    twins = [team_view(t, [VILLAGE_A2, TOWN_A], ratings=[4]) for t in ("T-2", "T-10", "T-1")]
    assert chosen(choose(twins)) == "T-1"
    assert chosen(choose(twins, excluded=["T-1"])) == "T-10"


def test_the_choice_does_not_depend_on_registration_order() -> None:
    teams = [
        team_view("T-a", [TOWN_A], capacity=4, load=1),
        team_view("T-b", [HAMLET_A1B, TOWN_A], capacity=4, load=1),
        team_view("T-c", [TOWN_B, TOWN_A], capacity=4, load=1, ratings=[5]),
        team_view("T-d", [TOWN_A], capacity=4, load=1),
    ]
    answers = {choose(order) for order in itertools.permutations(teams)}
    assert len(answers) == 1
    assert chosen(answers.pop()) == "T-b"  # all a quarter full; T-b is based nearest


def test_the_index_follows_a_team_filling_up_and_freeing_again() -> None:
    areas = district_areas()
    free = team_view("T", [TOWN_A], capacity=1)
    full = free.model_copy(update={"load": 1})
    index = TeamIndex()
    index.add(free)
    assert chosen(choose_team(HAMLET_A1A, GROCERIES, index, {"T": free}, areas)) == "T"
    index.update(full)
    assert choose_team(HAMLET_A1A, GROCERIES, index, {"T": full}, areas) == NoMatch(all_busy=True)
    index.update(free)
    assert chosen(choose_team(HAMLET_A1A, GROCERIES, index, {"T": free}, areas)) == "T"
