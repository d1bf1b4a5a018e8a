"""POST /api/v1/requests on the embedded platform against a bare aiohttp handler.

Both run as their own process on loopback, fed by the same load generator with the same
concurrency and the same prepared bodies. The platform's path is the whole product: token
check, body validation, the command appended to the durable log, the dispatcher's decision
committed, and the answer. The bare handler reads the body and answers 202. Rounds alternate
bare and platform so that a noisy neighbour hurts both alike; each rate is the median round.
Then the platform is offered half its own maximum rate in an open loop for the p99.
"""

from __future__ import annotations

import statistics
import time

from harness import free_port

from benchmarks.bare import BareServer
from benchmarks.common import BenchConfig, Goal, Report
from benchmarks.embedded import BenchDistrict, Orders, build_district, session_for, start_platform
from benchmarks.loadgen import LoadResult, closed_loop, open_loop

CONCURRENCY = 32
WARM_UP = 300


async def run(config: BenchConfig, report: Report) -> None:
    bare = BareServer(free_port(), config.workdir / "bare.log")
    bare.start()
    try:
        async with session_for(256) as session:
            server, platform = await start_platform(config, "api", session)
            try:
                await bare.wait_ready()
                started = time.perf_counter()
                district = await build_district(platform, config.pick(2, 4), config.seed + 1)
                setup_s = round(time.perf_counter() - started, 1)
                rounds = config.pick(2, 4)
                count = config.pick(20000, 100000)
                limit_s = config.pick(3, 15)
                product = Orders(session, platform.base_url, platform, district, config.seed)
                baseline = Orders(session, bare.base_url, None, district, config.seed)
                next_call = await warm_up(product, baseline)
                bare_runs: list[LoadResult] = []
                product_runs: list[LoadResult] = []
                for n in range(rounds):
                    bare_runs.append(await closed_loop(
                        baseline, count=count, concurrency=CONCURRENCY, time_limit_s=limit_s,
                        label=f"bare {n + 1}/{rounds}", first=next_call))
                    product_runs.append(await closed_loop(
                        product, count=count, concurrency=CONCURRENCY, time_limit_s=limit_s,
                        label=f"platform {n + 1}/{rounds}", first=next_call))
                    next_call += count
                bare_rate = statistics.median(r.rate for r in bare_runs)
                product_rate = statistics.median(r.rate for r in product_runs)
                report.add("api_ingest_ratio", product_rate / bare_rate, "", Goal(">=", 0.5),
                           f"POST /api/v1/requests per second ÷ a bare aiohttp handler's, "
                           f"{CONCURRENCY} callers each")
                half = product_rate / 2
                seconds = config.pick(10, 30)
                product.answers.clear()
                steady = await open_loop(product, rate_per_s=half, count=int(half * seconds),
                                         time_limit_s=seconds, label=f"platform @{half:.0f}/s",
                                         first=next_call)
                report.add("api_ingest_p99_ms", steady.ms(99), "ms", Goal("<=", 50),
                           "p99 of POST /api/v1/requests offered half its own maximum rate")
                report.detail("api", **describe(district, setup_s, bare_runs, product_runs),
                              concurrency=CONCURRENCY, bare_per_s=round(bare_rate, 1),
                              platform_per_s=round(product_rate, 1),
                              open_loop={"offered_per_s": round(half, 1), **steady.summary(),
                                         "answers": dict(product.answers)})
            finally:
                server.stop()
    finally:
        bare.stop()


async def warm_up(product: Orders, baseline: Orders) -> int:
    """Open the connections and fill the caches of both before the clock starts."""
    for orders in (baseline, product):
        await closed_loop(orders, count=WARM_UP, concurrency=CONCURRENCY, time_limit_s=10,
                          label="warm-up")
    return WARM_UP


def describe(district: BenchDistrict, setup_s: float, bare_runs: list[LoadResult],
             product_runs: list[LoadResult]) -> dict[str, object]:
    return {
        "district": {"teams": len(district.leaders), "hamlets": len(district.hamlets),
                     "villages": len(district.villages), "capacity": district.capacity,
                     "setup_s": setup_s},
        "bare_rounds": [r.summary() for r in bare_runs],
        "platform_rounds": [r.summary() for r in product_runs],
        "note": "each order is dispatched to the most local team with room; the capacity "
                "exceeds every order of the run, so none waits in the queue (a queued order "
                "would still be ingested: 201 with status 'submitted')",
    }
