"""The live board: how the time of one snapshot grows with the open backlog.

A `LiveFlow` (the fold behind `/api/v1/live` and its stream, in both modes) is fed N open
requests of a synthetic county — submitted and dispatched, one in fifty already past its
accept deadline, one in a hundred escalated — and `snapshot(now)` is timed, the best of a few
calls, for N from 10,000 to 1,000,000. The figure is the slope of log(time) over log(N): a
province's board must not slow down with its backlog. The events are built without
validation (`model_construct`): they stand for events read back from the log, and building a
million validated ones would time pydantic, not the board.
"""

from __future__ import annotations

import gc
import math
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from benchmarks.city import build_city
from benchmarks.common import BenchConfig, Goal, Report
from consumers.live.flow import LiveFlow
from schemas import events as ev
from schemas.base import SYSTEM
from schemas.common import Urgency

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
REPEATS = 5


def filled(open_requests: int, seed: int) -> tuple[LiveFlow, datetime]:
    city = build_city(400, seed)
    flow = LiveFlow()
    for area in city.areas:
        flow.evolve(ev.AreaRegistered.model_construct(
            event_id=UUID(int=1), occurred_at=T0, correlation_id=UUID(int=1), actor=SYSTEM,
            code=area.code, name=area.name))
    for team in city.teams:
        flow.evolve(ev.TeamRegistered.model_construct(
            event_id=UUID(int=2), occurred_at=T0, correlation_id=UUID(int=2), actor=SYSTEM,
            team_id=team.team_id, name=team.team_id, leader_id=f"L-{team.team_id}",
            service_types=team.service_types, areas=team.areas, capacity=team.capacity))
    now = T0 + timedelta(hours=1)
    for n, demand in enumerate(city.demand(open_requests)):
        request_id = f"{city.county}-{n:016x}"
        at = T0 + timedelta(seconds=n * 3600 / open_requests)
        envelope: dict[str, Any] = {"event_id": UUID(int=n), "occurred_at": at,
                    "correlation_id": UUID(int=n), "actor": SYSTEM, "request_id": request_id}
        flow.evolve(ev.RequestSubmitted.model_construct(
            **envelope, resident_id="R", service_type=demand.service_type, area=demand.area,
            address="", details="", urgency=Urgency.NORMAL, contact_name="",
            contact_phone=None))
        if n % 100 == 0:
            flow.evolve(ev.RequestEscalated.model_construct(**envelope, reason="no_eligible_team",
                                                            refusals=0))
            continue
        late = n % 50 == 0
        flow.evolve(ev.RequestDispatched.model_construct(
            **envelope, team_id=city.teams[n % len(city.teams)].team_id, attempt=1,
            accept_by=now - timedelta(minutes=1) if late else now + timedelta(hours=1),
            manual=False, level=3, distance_km=1.0))
    return flow, now


def best_snapshot_s(flow: LiveFlow, now: datetime) -> float:
    best = math.inf
    for _ in range(REPEATS):
        started = time.perf_counter()
        flow.snapshot(now)
        best = min(best, time.perf_counter() - started)
    return best


async def run(config: BenchConfig, report: Report) -> None:
    sizes = [10_000, 100_000, 1_000_000] if not config.full else [
        10_000, 30_000, 100_000, 300_000, 1_000_000]
    seconds: dict[int, float] = {}
    for size in sizes:
        flow, now = filled(size, config.seed)
        seconds[size] = best_snapshot_s(flow, now)
        del flow
        gc.collect()
    slope = statistics.linear_regression([math.log(n) for n in seconds],
                                         [math.log(s) for s in seconds.values()]).slope
    report.add("live_snapshot_scaling_exponent", slope, "", Goal("<=", 0.2),
               what="slope of log(time of one live snapshot) over log(open requests), "
               f"{sizes[0]:,} → {sizes[-1]:,}")
    report.detail("live", snapshot_ms={f"{n:,}": round(s * 1000, 3)
                                       for n, s in seconds.items()},
                  setup="one county of 400 teams; every request open, 2% overdue, 1% "
                  f"escalated; best of {REPEATS} snapshots")
