"""A seeded synthetic county for the matching and memory benchmarks.

Why not the demo district: it has 30 teams, and the figures need a county of any size (100 to
10,000 teams) whose shape stays the same as it grows. The tree is the real one: county (6
digits) → towns/subdistricts (9) → villages/communities (12, 001-199 communities, 200-399
villages) → hamlets/estates (15, the platform's own suffix), each placed near its parent on the
map, with a few hamlets left without coordinates as in the field. Teams sit at every level in
fixed shares, so the number of teams covering one (area, service type) stays about the same as
the county grows, except at the county level, whose professional teams grow with it. Demand is
skewed: a few hamlets and a few service types take most requests, and some are urgent.

Everything comes from one `random.Random(seed)`: the same seed gives the same county.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from schemas import commands as cmd
from schemas.base import Actor, Command
from schemas.common import Role, ServiceType, Urgency

COUNTY_CODE = "430599"
COUNTY_LATLON = (27.26, 111.44)
KM_PER_DEGREE_LAT = 111.0

# Relative demand by service type, after what the field notes see most: food and company first.
TYPE_WEIGHTS: dict[ServiceType, float] = {
    ServiceType.GROCERIES: 22, ServiceType.MEAL_DELIVERY: 18, ServiceType.COMPANIONSHIP: 14,
    ServiceType.CLEANING: 10, ServiceType.HEALTH_CHECK: 8, ServiceType.ESCORT: 6,
    ServiceType.REPAIR: 6, ServiceType.BATHING: 4, ServiceType.TUTORING: 3,
    ServiceType.LEGAL_AID: 2, ServiceType.PSYCH_SUPPORT: 2, ServiceType.OUTREACH: 2,
    ServiceType.CIVILITY: 2, ServiceType.OTHER: 1,
}
# (level, share of the county's teams, lowest capacity, highest capacity)
TEAM_LEVELS: tuple[tuple[int, float, int, int], ...] = (
    (0, 0.03, 6, 15), (1, 0.12, 4, 10), (2, 0.40, 2, 6), (3, 0.45, 1, 3),
)
VILLAGES_PER_TOWN = 8
HAMLETS_PER_VILLAGE = 4
TEAMS_PER_TOWN = 120
HAMLETS_WITHOUT_COORDINATES = 0.1
URGENT_SHARE = 0.12
# Where requests are filed: most name a hamlet, some only their village or town.
REQUEST_LEVEL_WEIGHTS = (0.0, 0.05, 0.15, 0.80)
STAFF = Actor(role=Role.STAFF, subject="S-bench")


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    lat: float | None
    lon: float | None


@dataclass(frozen=True)
class Team:
    team_id: str
    level: int
    areas: tuple[str, ...]
    service_types: tuple[ServiceType, ...]
    capacity: int


@dataclass(frozen=True)
class Demand:
    area: str
    service_type: ServiceType
    urgency: Urgency


@dataclass
class City:
    """Areas (parents before children), teams, and the weights demand is drawn with."""

    areas: list[Area]
    teams: list[Team]
    by_level: list[list[str]]
    area_weights: dict[str, float]
    rng: random.Random

    @property
    def county(self) -> str:
        return COUNTY_CODE

    @property
    def capacity(self) -> int:
        return sum(t.capacity for t in self.teams)

    def demand(self, count: int) -> Iterator[Demand]:
        """`count` requests: skewed by area and type, a share urgent, drawn from the city's rng."""
        types = list(TYPE_WEIGHTS)
        type_weights = list(TYPE_WEIGHTS.values())
        hamlets = self.by_level[3]
        hamlet_weights = [self.area_weights[h] for h in hamlets]
        for hamlet in self.rng.choices(hamlets, hamlet_weights, k=count):
            level = self.rng.choices(range(4), REQUEST_LEVEL_WEIGHTS)[0]
            area = hamlet[: 6 + 3 * level]
            service_type = self.rng.choices(types, type_weights)[0]
            urgent = self.rng.random() < URGENT_SHARE
            yield Demand(area, service_type, Urgency.URGENT if urgent else Urgency.NORMAL)


def _near(rng: random.Random, lat: float, lon: float, radius_km: float) -> tuple[float, float]:
    """A point uniformly inside a disc of `radius_km` around (lat, lon)."""
    r = radius_km * math.sqrt(rng.random())
    angle = rng.uniform(0, 2 * math.pi)
    dlat = r * math.sin(angle) / KM_PER_DEGREE_LAT
    dlon = r * math.cos(angle) / (KM_PER_DEGREE_LAT * math.cos(math.radians(lat)))
    return round(lat + dlat, 5), round(lon + dlon, 5)


def _town_code(i: int) -> str:
    """Subdistricts take 001-099 and towns 100-199, as in the official codes."""
    return f"{COUNTY_CODE}{i + 1:03d}" if i < 60 else f"{COUNTY_CODE}{i + 41:03d}"


def _service_types(rng: random.Random, level: int) -> tuple[ServiceType, ...]:
    """Local teams offer the everyday services; county teams are specialists of a few more."""
    types = list(TYPE_WEIGHTS)
    count = rng.choice((1, 2, 2, 3, 3, 4)) if level > 0 else rng.choice((2, 3, 4))
    weights = [w if level > 0 else 1.0 for w in TYPE_WEIGHTS.values()]
    chosen: set[ServiceType] = set()
    while len(chosen) < count:
        chosen.add(rng.choices(types, weights)[0])
    return tuple(t for t in types if t in chosen)


def build_city(teams: int, seed: int) -> City:
    """A county with about `teams` teams; its size in areas grows with the number of teams."""
    rng = random.Random(seed)
    towns = max(2, round(teams / TEAMS_PER_TOWN))
    areas = [Area(COUNTY_CODE, "合成区", *COUNTY_LATLON)]
    by_level: list[list[str]] = [[COUNTY_CODE], [], [], []]
    located: dict[str, tuple[float, float]] = {COUNTY_CODE: COUNTY_LATLON}
    weights: dict[str, float] = {}
    county_radius_km = 3.0 * math.sqrt(towns)
    for t in range(towns):
        town = _town_code(t)
        lat, lon = _near(rng, *COUNTY_LATLON, county_radius_km)
        areas.append(Area(town, f"第{t + 1}街道", lat, lon))
        by_level[1].append(town)
        located[town] = (lat, lon)
        for v in range(VILLAGES_PER_TOWN):
            community = v < VILLAGES_PER_TOWN // 2
            village = f"{town}{v + 1 if community else 200 + v:03d}"
            vlat, vlon = _near(rng, lat, lon, 2.0)
            areas.append(Area(village, f"第{v + 1}{'社区' if community else '村'}", vlat, vlon))
            by_level[2].append(village)
            located[village] = (vlat, vlon)
            for h in range(HAMLETS_PER_VILLAGE):
                hamlet = f"{village}{h + 1:03d}"
                by_level[3].append(hamlet)
                weights[hamlet] = rng.paretovariate(1.3)
                if rng.random() < HAMLETS_WITHOUT_COORDINATES:
                    areas.append(Area(hamlet, f"{h + 1}组", None, None))
                    continue
                hlat, hlon = _near(rng, vlat, vlon, 0.6)
                areas.append(Area(hamlet, f"{h + 1}组", hlat, hlon))
                located[hamlet] = (hlat, hlon)
    built: list[Team] = []
    for level, share, low, high in TEAM_LEVELS:
        for _ in range(max(1, round(teams * share))):
            home = rng.choice(by_level[level])
            covered = [home]
            if level > 0 and rng.random() < 0.1:
                parent = home[:-3]
                siblings = [a for a in by_level[level] if a.startswith(parent) and a != home]
                if siblings:
                    covered.append(rng.choice(siblings))
            built.append(Team(f"T{len(built) + 1:05d}", level, tuple(covered),
                              _service_types(rng, level), rng.randint(low, high)))
    _cover_every_type(built)
    return City(areas, built, by_level, weights, rng)


def _cover_every_type(teams: list[Team]) -> None:
    """The county teams together offer every service type, so no request is unservable."""
    county = [i for i, t in enumerate(teams) if t.level == 0]
    offered = {s for i in county for s in teams[i].service_types}
    for n, missing in enumerate(t for t in TYPE_WEIGHTS if t not in offered):
        i = county[n % len(county)]
        team = teams[i]
        teams[i] = Team(team.team_id, 0, team.areas, (*team.service_types, missing),
                        team.capacity)


def _envelope(actor: Actor, at: datetime, key: str) -> dict[str, Any]:
    """Command ids derived from a key, so a seeded run sends the very same commands."""
    command_id = uuid5(NAMESPACE_URL, f"bench:{key}")
    return {"command_id": command_id, "occurred_at": at, "correlation_id": command_id,
            "actor": actor}


def setup_commands(city: City, at: datetime) -> Iterator[Command]:
    """Register the city's areas, parents first, then its teams, as the office would."""
    for area in city.areas:
        yield cmd.RegisterArea(**_envelope(STAFF, at, f"area:{area.code}"), code=area.code,
                               name=area.name, lat=area.lat, lon=area.lon)
    for team in city.teams:
        yield cmd.RegisterTeam(
            **_envelope(STAFF, at, f"team:{team.team_id}"), team_id=team.team_id,
            name=f"队 {team.team_id}", leader_id=f"L-{team.team_id}",
            service_types=team.service_types, areas=team.areas, capacity=team.capacity,
        )


def request_id(n: int) -> str:
    return f"{COUNTY_CODE}-{n:016x}"


def submit_command(n: int, demand: Demand, at: datetime) -> cmd.SubmitRequest:
    """The n-th request of a run; residents order several times each, as in the field."""
    resident = Actor(role=Role.RESIDENT, subject=f"R{n // 4:07d}")
    return cmd.SubmitRequest(
        **_envelope(resident, at, f"submit:{n}"), request_id=request_id(n),
        service_type=demand.service_type, area=demand.area, address="合成路 1 号",
        urgency=demand.urgency, contact_name="王阿姨", contact_phone="0739-5550101",
    )
