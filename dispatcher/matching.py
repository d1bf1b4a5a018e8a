"""Matching (派单): which team gets a request, by service type and locality.

Eligible teams are active, offer the type, cover the request's area (a team covering a code
serves every area below it), have free capacity and have not refused this request before.
A preferred team (a care plan's contracted team) gets it whenever it is eligible. Otherwise
the most local level is tried first, widening one level at a time. Among the eligible teams
of a level the lower load wins, then the shorter distance, then the better rating, then the
smaller id.
The index by (area, type) keeps full teams apart, so a match looks only at the teams of each
level that have room, whatever the number of teams in the county.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from schemas.common import ServiceType, ancestors, area_level
from schemas.views import AreaView, TeamView

RATING_PRIOR = 3.0
RATING_PRIOR_WEIGHT = 2


@dataclass(frozen=True)
class Match:
    team_id: str
    level: int
    distance_km: float | None


@dataclass(frozen=True)
class NoMatch:
    """Why nobody got it: nobody serves it, or everybody who does is busy."""

    all_busy: bool


class TeamIndex:
    """Team ids by (covered area, service type), filed apart by whether they have room.

    Keeping the full teams aside means a match only looks at the teams that could take the
    request: in a busy county most teams of a bucket are full, and scanning them on every
    request made a match grow with the county. The state tells the index whenever a team's
    load changes (`update`).
    """

    def __init__(self) -> None:
        self._free: dict[tuple[str, ServiceType], set[str]] = defaultdict(set)
        self._full: dict[tuple[str, ServiceType], set[str]] = defaultdict(set)
        self._buckets: dict[str, tuple[tuple[str, ServiceType], ...]] = {}

    def add(self, team: TeamView) -> None:
        """File a team, or file it again after its areas, types, capacity or active flag
        changed: out of its old buckets first. An inactive team is in none, so it is neither
        offered work nor counted as busy (work it cannot have would wait for it in vain)."""
        for bucket in self._buckets.pop(team.team_id, ()):
            self._free[bucket].discard(team.team_id)
            self._full[bucket].discard(team.team_id)
        self._buckets[team.team_id] = tuple(
            (area, service_type) for area in team.areas for service_type in team.service_types
        ) if team.active else ()
        self.update(team)

    def update(self, team: TeamView) -> None:
        """File the team under free or full in each of its buckets, after its load changed."""
        full = team.load >= team.capacity
        into, out_of = (self._full, self._free) if full else (self._free, self._full)
        for bucket in self._buckets[team.team_id]:
            into[bucket].add(team.team_id)
            if team.team_id in out_of.get(bucket, ()):
                out_of[bucket].discard(team.team_id)

    def free(self, area: str, service_type: ServiceType) -> Collection[str]:
        """Teams listing this area and type that have room."""
        return self._free.get((area, service_type), ())

    def full(self, area: str, service_type: ServiceType) -> Collection[str]:
        """Teams listing this area and type that are at capacity."""
        return self._full.get((area, service_type), ())


def location(area: str, areas: Mapping[str, AreaView]) -> tuple[float, float] | None:
    """Coordinates of the area, or of its nearest enclosing area that has them."""
    for code in ancestors(area):
        view = areas.get(code)
        if view is not None and view.lat is not None and view.lon is not None:
            return view.lat, view.lon
    return None


def distance_km(a: tuple[float, float] | None, b: tuple[float, float] | None) -> float | None:
    """Great-circle distance; None when either end is unknown."""
    if a is None or b is None:
        return None
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(
        (lon2 - lon1) / 2
    ) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, h)))


def rating_score(team: TeamView) -> float:
    """Mean rating pulled toward a neutral prior, so one review does not decide everything."""
    total = team.rating_sum + RATING_PRIOR * RATING_PRIOR_WEIGHT
    return total / (team.rating_count + RATING_PRIOR_WEIGHT)


def team_location(team: TeamView, areas: Mapping[str, AreaView]) -> tuple[float, float] | None:
    """A team is based in the first area it lists."""
    return location(team.areas[0], areas)


def choose_team(
    area: str,
    service_type: ServiceType,
    index: TeamIndex,
    teams: Mapping[str, TeamView],
    areas: Mapping[str, AreaView],
    excluded: Collection[str] = (),
    preferred: str | None = None,
) -> Match | NoMatch:
    here = location(area, areas)
    if preferred is not None and preferred not in excluded:
        for code in ancestors(area):
            if preferred in index.free(code, service_type):
                km = distance_km(here, team_location(teams[preferred], areas))
                return Match(preferred, area_level(code), km)
    any_busy = False
    for code in ancestors(area):
        best: tuple[tuple[float, int, float, float, str], Match] | None = None
        for team_id in index.free(code, service_type):
            if team_id in excluded:
                continue
            team = teams[team_id]
            load = (team.load / team.capacity, team.load)
            if best is not None and load > best[0][:2]:
                continue  # the distance below cannot make up for a higher load
            km = distance_km(here, team_location(team, areas))
            key = (*load, math.inf if km is None else km, -rating_score(team), team_id)
            if best is None or key < best[0]:
                best = (key, Match(team_id, area_level(code), km))
        if best is not None:
            return best[1]
        any_busy = any_busy or any(t not in excluded for t in index.full(code, service_type))
    return NoMatch(all_busy=any_busy)
