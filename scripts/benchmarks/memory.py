"""Memory: the resident size of one dispatcher holding 100,000 open requests.

A fresh interpreter (so nothing of the benchmark itself is counted) builds a `DispatchOwner`,
registers a synthetic county (benchmarks.city) and submits the requests through the real
handlers, so each ends dispatched, queued or escalated with its inbox entry and timers, as in
the worker; after each decision its changes are drained as the host drains them into a store
step (a request's history goes to the store, not kept in the worker). It reads its own VmRSS
from /proc/self/status before the requests (the baseline: interpreter, code, county) and
after, and prints both as JSON.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from tqdm import tqdm

from benchmarks.city import build_city, setup_commands, submit_command
from benchmarks.common import REPO, BenchConfig, Report
from benchmarks.matching import T0
from dispatcher.owner import DispatchOwner
from runtime.ports import Step

OPEN_REQUESTS = 100_000
TEAMS = 2000
CHILD_TIME_LIMIT_S = 900


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def child(seed: int) -> None:
    """The measured process: build, fill, measure, print one JSON line."""
    owner = DispatchOwner()
    city = build_city(TEAMS, seed)
    for command in setup_commands(city, T0):
        owner.decide(command, T0)
    baseline = rss_mb()
    statuses: dict[str, int] = {}
    demands = city.demand(OPEN_REQUESTS)
    for n, demand in enumerate(tqdm(demands, total=OPEN_REQUESTS, desc="submit",
                                    leave=False, mininterval=1.0)):
        decision = owner.decide(submit_command(n, demand, T0), T0)
        Step("drained").take(owner.state_of(city.county))
        assert decision.outcome is not None and decision.outcome.result is not None
        status = str(decision.outcome.result["status"])
        statuses[status] = statuses.get(status, 0) + 1
    print(json.dumps({"baseline_mb": baseline, "loaded_mb": rss_mb(), "statuses": statuses,
                      "teams": len(city.teams), "capacity": city.capacity}))


async def run(config: BenchConfig, report: Report) -> None:
    paths = [str(REPO), str(REPO / "scripts"), str(REPO / "tests")]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c",
        f"import sys; sys.path[:0] = {paths!r}; "
        f"from benchmarks.memory import child; child({config.seed})",
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await asyncio.wait_for(process.communicate(), CHILD_TIME_LIMIT_S)
    if process.returncode != 0:
        raise RuntimeError(f"the measured process failed with status {process.returncode}")
    measured = json.loads(out.decode().strip().splitlines()[-1])
    report.add("worker_rss_mb_100k_open", measured["loaded_mb"], "MB",
               what=f"dispatcher RSS with {OPEN_REQUESTS:,} open requests")
    report.detail("memory", baseline_rss_mb=round(measured["baseline_mb"], 1),
                  loaded_rss_mb=round(measured["loaded_mb"], 1),
                  per_request_kb=round((measured["loaded_mb"] - measured["baseline_mb"])
                                       * 1024 / OPEN_REQUESTS, 2),
                  statuses=measured["statuses"], teams=measured["teams"],
                  capacity=measured["capacity"])
