"""Matching: how good the platform's choices are against the optimum, and how the matcher scales.

Quality: a synthetic county (benchmarks.city) is registered with the real dispatcher
(`DispatchOwner.decide`, as the runtime calls it) and a batch of requests is submitted; the
teams are read from the RequestDispatched events. The baseline is the optimal assignment of
the same batch from `scipy.optimize.linear_sum_assignment`: each team is expanded into one
column per unit of capacity, pairs the rules forbid (wrong type, area not covered) cost a
prohibitive amount, and one "unassigned" column per request costs more than any real
assignment, so the optimum first places as many requests as it can.

The objective is the one the rules pursue (DESIGN §4): most local first, then near. A pair
costs its distance plus a fixed penalty for every level it is widened beyond the most local
level at which some team could serve the request; the penalty is the county's diameter, so
widening never pays for itself in kilometres. `matching_cost_ratio` is the platform's cost
over the optimum of that objective. The platform decides one request at a time as it
arrives and prefers the less loaded team before the nearer one, which the optimum, seeing
the whole batch, need not: the ratio is the price of deciding online. The distance-only
ratio (no penalty: what the old baseline measured) is reported beside it.

Scaling: `choose_team` is timed alone, against the real `TeamIndex` of counties of 100 to
10,000 teams that already carry the load of a batch, and the slope of log(time per match)
over log(teams) is reported.
"""

from __future__ import annotations

import math
import statistics
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from scipy.optimize import linear_sum_assignment
from tqdm import tqdm

from benchmarks.city import City, Demand, build_city, setup_commands, submit_command
from benchmarks.common import BenchConfig, Goal, Report
from dispatcher.matching import choose_team, distance_km, location, team_location
from dispatcher.owner import DispatchOwner
from dispatcher.state import DispatchState
from schemas import events as ev
from schemas.common import area_level
from schemas.views import RequestView, TeamView

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
# A batch asks for this share of the county's total capacity: busy, but not overwhelmed.
DEMAND_SHARE = 0.6
LIGHTER_SHARES = (0.1, 0.3)
FORBIDDEN_KM = 1e7
UNASSIGNED_KM = 1e5


@dataclass
class Run:
    """One county, one batch: the dispatcher's state afterwards and the events it emitted."""

    city: City
    state: DispatchState
    dispatched: dict[str, str]
    levels: dict[str, int]
    left: list[str]


def drive(city: City, demands: Iterable[Demand], *, label: str, total: int) -> Run:
    """Register the city and submit the batch through the real dispatcher."""
    owner = DispatchOwner()
    for command in setup_commands(city, T0):
        decision = owner.decide(command, T0)
        assert decision.outcome is not None and decision.outcome.rejection is None
    dispatched: dict[str, str] = {}
    levels: dict[str, int] = {}
    left: list[str] = []
    for n, demand in enumerate(tqdm(demands, total=total, desc=label, leave=False,
                                    mininterval=0.5)):
        decision = owner.decide(submit_command(n, demand, T0), T0)
        for event in decision.events:
            if isinstance(event, ev.RequestDispatched):
                dispatched[event.request_id] = event.team_id
                assert event.level is not None
                levels[event.request_id] = event.level
            elif isinstance(event, ev.RequestQueued | ev.RequestEscalated):
                left.append(event.request_id)
    return Run(city, owner.state_of(city.county), dispatched, levels, left)


def can_serve(team: TeamView, request: RequestView) -> bool:
    """DESIGN §4 eligibility, written out again rather than taken from the index under test."""
    return request.service_type in team.service_types and any(
        request.area.startswith(a) for a in team.areas)


@dataclass
class Baseline:
    """The batch as an assignment problem: requests × capacity slots, in kilometres."""

    cost: np.ndarray
    slots: int

    def optimum(self) -> tuple[float, int, float]:
        """Least total km, how many requests it places, and the solver's seconds."""
        started = time.perf_counter()
        rows, cols = linear_sum_assignment(self.cost)
        seconds = time.perf_counter() - started
        placed = cols < self.slots
        return float(self.cost[rows[placed], cols[placed]].sum()), int(placed.sum()), seconds

    def nearest_online(self) -> tuple[float, int]:
        """Each request in arrival order takes the nearest free slot that may serve it, with no
        rule of DESIGN §4: what deciding one request at a time costs by itself."""
        free = np.ones(self.slots, dtype=bool)
        total, placed = 0.0, 0
        for row in self.cost[:, : self.slots]:
            masked = np.where(free, row, np.inf)
            best = int(np.argmin(masked))
            if masked[best] < FORBIDDEN_KM:
                free[best] = False
                total += float(masked[best])
                placed += 1
        return total, placed


def covering_level(team: TeamView, request: RequestView) -> int:
    """How local the team's coverage of the request is: 0 county .. 3 hamlet."""
    return area_level(max((a for a in team.areas if request.area.startswith(a)), key=len))


def diameter_km(run: Run) -> float:
    """The greatest distance between two located areas of the county."""
    points = [(a.lat, a.lon) for a in run.state.areas.values()
              if a.lat is not None and a.lon is not None]
    return max(distance_km(p, q) or 0.0 for p in points for q in points)


def pair_cost(km: float, team: TeamView, request: RequestView, best_level: int,
              penalty_km: float) -> float:
    return penalty_km * (best_level - covering_level(team, request)) + km


def baseline(run: Run, penalty_km: float) -> Baseline:
    """Expand teams into capacity slots; forbid the pairs the rules forbid; price each pair
    by the objective; let each request go unplaced at a price above any real pair."""
    state = run.state
    requests = list(state.requests.values())
    slots = [t for t in state.teams.values() for _ in range(t.capacity)]
    here = [location(r.area, state.areas) for r in requests]
    base = {t.team_id: team_location(t, state.areas) for t in state.teams.values()}
    cost = np.full((len(requests), len(slots) + len(requests)), FORBIDDEN_KM)
    for j in range(len(requests)):
        cost[j, len(slots) + j] = UNASSIGNED_KM
    columns: dict[str, list[int]] = defaultdict(list)
    for c, team in enumerate(slots):
        columns[team.team_id].append(c)
    for i, request in enumerate(requests):
        eligible = [t for t in state.teams.values() if can_serve(t, request)]
        best = max((covering_level(t, request) for t in eligible), default=0)
        for team in eligible:
            km = distance_km(here[i], base[team.team_id])
            cost[i, columns[team.team_id]] = FORBIDDEN_KM if km is None else pair_cost(
                km, team, request, best, penalty_km)
    return Baseline(cost, len(slots))


def platform_cost(run: Run, penalty_km: float) -> float:
    """The platform's assignment priced by the same objective."""
    state = run.state
    total = 0.0
    for request_id, team_id in run.dispatched.items():
        request = state.requests[request_id]
        team = state.teams[team_id]
        km = distance_km(location(request.area, state.areas), team_location(team, state.areas))
        assert km is not None
        best = max(covering_level(t, request) for t in state.teams.values()
                   if can_serve(t, request))
        total += pair_cost(km, team, request, best, penalty_km)
    return total


def unassigned_with_capacity(run: Run) -> int:
    """Requests left waiting although a team that may serve them still has room."""
    state = run.state
    free = [t for t in state.teams.values() if t.load < t.capacity]
    return sum(
        1 for request_id in run.left
        if any(can_serve(t, r) and t.team_id not in r.excluded_teams
               for r in [state.requests[request_id]] for t in free)
    )


def load_balance(run: Run) -> dict[str, float]:
    """Load of teams that compete for the same work, as DESIGN §4's "prefer lower load" means.

    A peer group is the teams that list one area code and offer one service type, for every
    (code, type) at which the platform placed at least one request; groups of one team say
    nothing about balance and are left out. A team's load is its open requests over its
    capacity (its utilisation), the quantity the rule compares. Per group: busiest ÷ mean; the
    figure weighs the groups by the requests placed in them.
    """
    state = run.state
    placed: dict[tuple[str, str], int] = defaultdict(int)
    for request_id, level in run.levels.items():
        request = state.requests[request_id]
        placed[(request.area[: 6 + 3 * level], request.service_type)] += 1
    peers: dict[tuple[str, str], list[TeamView]] = defaultdict(list)
    for team in state.teams.values():
        for area in team.areas:
            for service_type in team.service_types:
                if (area, service_type) in placed:
                    peers[(area, service_type)].append(team)
    ratios = {key: max(u) / statistics.fmean(u)
              for key, teams in peers.items() if len(teams) > 1
              for u in [[t.load / t.capacity for t in teams]]}
    everyone = [t.load / t.capacity for t in state.teams.values()
                if any(can_serve(t, state.requests[r]) for r in run.dispatched)]
    return {
        "weighted": sum(ratios[k] * placed[k] for k in ratios) / sum(placed[k] for k in ratios),
        "worst_group": max(ratios.values()),
        "groups": len(ratios),
        "requests_in_groups": sum(placed[k] for k in ratios),
        "all_eligible_teams": max(everyone) / statistics.fmean(everyone),
    }


def lighter_batches(teams: int, seed: int) -> dict[str, float]:
    """The cost ratio when the batch asks for less of the capacity: how much of the gap comes
    from teams filling up while requests are decided one at a time."""
    out: dict[str, float] = {}
    for share in LIGHTER_SHARES:
        city = build_city(teams, seed)
        count = round(city.capacity * share)
        run = drive(city, city.demand(count), label=f"dispatch {count}", total=count)
        penalty = diameter_km(run)
        out[f"{share:.0%}"] = round(platform_cost(run, penalty)
                                    / baseline(run, penalty).optimum()[0], 4)
    return out


def quality(config: BenchConfig, report: Report) -> None:
    teams = config.pick(400, 1000)
    seeds = [config.seed + k for k in range(config.pick(1, 3))]
    ratios: list[float] = []
    km_ratios: list[float] = []
    loads: list[float] = []
    stranded = 0
    runs: list[dict[str, object]] = []
    for seed in seeds:
        city = build_city(teams, seed)
        count = round(city.capacity * DEMAND_SHARE)
        run = drive(city, city.demand(count), label=f"dispatch {count} (seed {seed})",
                    total=count)
        penalty = diameter_km(run)
        problem = baseline(run, penalty)
        best_cost, best_placed, solver_s = problem.optimum()
        ours = platform_cost(run, penalty)
        distance_only = baseline(run, 0.0)
        best_km, _, _ = distance_only.optimum()
        nearest_km, nearest_placed = distance_only.nearest_online()
        ours_km = platform_cost(run, 0.0)
        balance = load_balance(run)
        ratio = ours / best_cost
        ratios.append(ratio)
        km_ratios.append(ours_km / best_km)
        loads.append(balance["weighted"])
        stranded += unassigned_with_capacity(run)
        by_level: dict[int, int] = defaultdict(int)
        for level in run.levels.values():
            by_level[level] += 1
        runs.append({
            "seed": seed, "teams": len(city.teams), "areas": len(city.areas),
            "capacity": city.capacity, "requests": count,
            "platform_placed": len(run.dispatched), "optimum_placed": best_placed,
            "penalty_km_per_level": round(penalty, 2),
            "platform_cost": round(ours, 2), "optimum_cost": round(best_cost, 2),
            "cost_ratio": round(ratio, 4),
            "platform_km": round(ours_km, 2), "optimum_km": round(best_km, 2),
            "distance_ratio": round(ours_km / best_km, 4),
            "nearest_online_km": round(nearest_km, 2), "nearest_online_placed": nearest_placed,
            "nearest_online_ratio": round(nearest_km / best_km, 4),
            "placed_by_level": dict(sorted(by_level.items())),
            "solver_s": round(solver_s, 2),
            "load": {k: round(v, 4) for k, v in balance.items()},
        })
    report.detail("matching", cost_ratio_by_demand_share=lighter_batches(teams, seeds[0]))
    report.add("matching_cost_ratio", max(ratios), "×", Goal("<=", 1.05),
               what="platform's cost ÷ linear_sum_assignment optimum of the same objective "
               "(a penalty per widened level, then km), same batch")
    report.add("matching_distance_ratio", max(km_ratios), "×",
               what="platform's total km ÷ the optimum of distance alone, same batch")
    report.add("matching_load_max_over_mean", max(loads), "×", Goal("<=", 1.25),
               what="busiest ÷ mean utilisation among teams competing for the same work")
    report.add("matching_unassigned_with_capacity", stranded, "requests", Goal("==", 0),
               what="queued or escalated while an eligible team had room")
    report.detail(
        "matching", runs=runs,
        load_measure=(
            "peer group = the teams (two or more) listing one area code and offering one "
            "service type, for each (code, type) where the platform placed requests; load = open "
            "requests ÷ capacity at the end of the batch; per group busiest ÷ mean, weighted by "
            "the requests placed in the group; the worst of the runs is reported. "
            "'all_eligible_teams' is the same ratio over every team eligible for any request of "
            "the batch, which the most-local-first rule makes uneven by design."),
        unassigned_measure=("after the batch, every queued or escalated request is checked "
                            "against every team (type, coverage, not refused, load < capacity), "
                            "without the index"),
    )


def time_matches(state: DispatchState, demands: list[Demand], repeats: int) -> float:
    """Seconds per `choose_team` call, the best of a few passes over the same requests."""
    best = math.inf
    for _ in range(repeats):
        started = time.perf_counter()
        for d in demands:
            choose_team(d.area, d.service_type, state.index, state.teams, state.areas)
        best = min(best, (time.perf_counter() - started) / len(demands))
    return best


def scaling(config: BenchConfig, report: Report) -> None:
    sizes = [100, 1000, 10_000] if not config.full else [100, 300, 1000, 3000, 10_000]
    probes = config.pick(5000, 10_000)
    per_match: dict[int, float] = {}
    for teams in sizes:
        city = build_city(teams, config.seed)
        count = round(city.capacity * DEMAND_SHARE)
        run = drive(city, city.demand(count), label=f"load {teams} teams", total=count)
        per_match[teams] = time_matches(run.state, list(city.demand(probes)), repeats=5)
    xs = [math.log(n) for n in per_match]
    ys = [math.log(t) for t in per_match.values()]
    slope = statistics.linear_regression(xs, ys).slope
    report.add("matcher_scaling_exponent", slope, "", Goal("<=", 0.3),
               what="slope of log(time per choose_team) over log(teams), 100 → 10,000")
    report.detail("matching", scaling_us_per_match={
        str(n): round(t * 1e6, 2) for n, t in per_match.items()},
        scaling_setup=(f"counties of each size carrying a batch of {DEMAND_SHARE:.0%} of their "
                       f"capacity; {probes} fresh requests timed, best of 5 passes"))


async def run(config: BenchConfig, report: Report) -> None:
    quality(config, report)
    scaling(config, report)
