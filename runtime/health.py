"""Nothing dies silently (DESIGN §8): supervised background tasks and a board of trouble.

Every background task of a process runs under a `Supervisor`: a task that ends or raises is
logged, counted, and started again after a backoff that grows to a bound. Whatever is not
working now — a task waiting to restart, an owner retrying past an unavailable store or log —
is on the `HealthBoard`, which `/healthz` reads: it answers 503 while the board is not clear.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge

log = logging.getLogger("vdispatch.health")

RESTART_BACKOFF_S_MIN = 0.1
RESTART_BACKOFF_S_MAX = 30.0
STEADY_S = 60.0
"""A task that ran this long before failing starts again after the shortest backoff."""


class HealthBoard:
    """What is wrong now, by the name of what is wrong; empty when all is well."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.problems: dict[str, str] = {}
        self.since: dict[str, float] = {}
        self.registry = registry or CollectorRegistry()
        self.retries = Counter("vd_infrastructure_retries", "Retries after an unavailable "
                               "store, log or broker, by who retried", ["component"],
                               registry=self.registry)

    def trouble(self, component: str, reason: str) -> None:
        self.problems[component] = reason[:500]
        self.since.setdefault(component, time.monotonic())
        self.retries.labels(component).inc()

    def clear(self, component: str) -> None:
        if self.problems.pop(component, None) is not None:
            log.info("%s works again after %.1fs", component,
                     time.monotonic() - self.since.pop(component, time.monotonic()))

    @property
    def ok(self) -> bool:
        return not self.problems

    def report(self) -> dict[str, str]:
        return dict(sorted(self.problems.items()))


class Supervisor:
    """Runs named background tasks and starts again any that ends or raises."""

    def __init__(self, board: HealthBoard) -> None:
        self.board = board
        self.restart_counts: collections.Counter[str] = collections.Counter()
        registry = board.registry
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.restarts = Counter("vd_task_restarts", "Background tasks started again after "
                                "they ended or failed", ["task"], registry=registry)
        self.up = Gauge("vd_task_up", "1 while a background task runs, 0 while it waits to "
                        "start again", ["task"], registry=registry)

    def spawn(self, name: str, run: Callable[[], Coroutine[Any, Any, None]]) -> None:
        if name in self.tasks:
            raise ValueError(f"a task {name!r} is already supervised")
        self.tasks[name] = asyncio.create_task(self._keep(name, run), name=name)

    async def _keep(self, name: str, run: Callable[[], Coroutine[Any, Any, None]]) -> None:
        backoff_s = RESTART_BACKOFF_S_MIN
        while True:
            started = time.monotonic()
            self.up.labels(name).set(1)
            self.board.clear(f"task:{name}")
            try:
                await run()
                reason = "ended"
                log.error("background task %s ended; starting it again", name)
            except Exception as e:
                reason = f"failed: {type(e).__name__}: {e}"
                log.exception("background task %s failed; starting it again", name)
            self.up.labels(name).set(0)
            self.restarts.labels(name).inc()
            self.restart_counts[name] += 1
            self.board.trouble(f"task:{name}", reason)
            if time.monotonic() - started > STEADY_S:
                backoff_s = RESTART_BACKOFF_S_MIN
            await asyncio.sleep(backoff_s)
            backoff_s = min(RESTART_BACKOFF_S_MAX, backoff_s * 2)

    def report(self) -> dict[str, str]:
        return {name: "running" if f"task:{name}" not in self.board.problems else "restarting"
                for name in sorted(self.tasks)}

    async def stop(self) -> None:
        for task in self.tasks.values():
            task.cancel()
        for task in self.tasks.values():
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.tasks.clear()


class Backoff:
    """Waits that double from `first_s` up to `max_s`: every wait is bounded, the number of
    tries is not (an unavailable service is waited for, never given up on)."""

    def __init__(self, first_s: float = 0.05, max_s: float = 5.0) -> None:
        self.first_s = first_s
        self.max_s = max_s
        self.next_s = first_s

    async def wait(self) -> None:
        await asyncio.sleep(self.next_s)
        self.next_s = min(self.max_s, self.next_s * 2)

    def reset(self) -> None:
        self.next_s = self.first_s
