"""The load generator: bounded in count and time, loopback only, with a progress bar.

`closed_loop` finds a maximum rate (N callers, each sending its next call when the last one is
answered); `open_loop` offers a steady rate and measures each latency from the moment the call
was due, not from when it was sent, so a server that falls behind is charged for the wait
(no coordinated omission).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp
from tqdm import tqdm

from benchmarks.common import percentile

Call = Callable[[int], Awaitable[int]]  # the i-th call; answers its HTTP status (or 0)
MAX_IN_FLIGHT = 2000


@dataclass
class LoadResult:
    latencies_s: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def count(self) -> int:
        return len(self.latencies_s)

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def ms(self, q: float) -> float:
        return percentile(self.latencies_s, q) * 1000

    def ok(self, *statuses: int) -> int:
        return sum(n for s, n in self.statuses.items() if s in statuses)

    def summary(self) -> dict[str, float | int | dict[str, int]]:
        return {"calls": self.count, "seconds": round(self.seconds, 3),
                "per_s": round(self.rate, 1), "p50_ms": round(self.ms(50), 2),
                "p90_ms": round(self.ms(90), 2), "p99_ms": round(self.ms(99), 2),
                "statuses": {str(k): v for k, v in sorted(self.statuses.items())}}


async def closed_loop(call: Call, *, count: int, concurrency: int, time_limit_s: float,
                      label: str, first: int = 0) -> LoadResult:
    result = LoadResult()
    next_index = first
    deadline = time.monotonic() + time_limit_s
    bar = tqdm(total=count, desc=label, unit="call", leave=False, mininterval=0.5)

    async def caller() -> None:
        nonlocal next_index
        while next_index < first + count and time.monotonic() < deadline:
            index = next_index
            next_index += 1
            began = time.perf_counter()
            status = await _status(call, index)
            result.latencies_s.append(time.perf_counter() - began)
            result.statuses[status] += 1
            bar.update()

    began = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(concurrency)))
    result.seconds = time.perf_counter() - began
    bar.close()
    return result


async def open_loop(call: Call, *, rate_per_s: float, count: int, time_limit_s: float,
                    label: str, first: int = 0) -> LoadResult:
    result = LoadResult()
    count = min(count, int(rate_per_s * time_limit_s) or 1)
    bar = tqdm(total=count, desc=label, unit="call", leave=False, mininterval=0.5)
    in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)
    start = time.perf_counter()

    async def one(index: int, due: float) -> None:
        try:
            status = await _status(call, first + index)
            result.latencies_s.append(time.perf_counter() - due)
            result.statuses[status] += 1
            bar.update()
        finally:
            in_flight.release()

    tasks = []
    for index in range(count):
        due = start + index / rate_per_s
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        await in_flight.acquire()
        tasks.append(asyncio.create_task(one(index, due)))
    await asyncio.gather(*tasks)
    result.seconds = time.perf_counter() - start
    bar.close()
    return result


async def _status(call: Call, index: int) -> int:
    try:
        return await call(index)
    except (TimeoutError, OSError, aiohttp.ClientError):
        return 0
