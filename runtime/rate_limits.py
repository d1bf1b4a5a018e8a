"""Limits on abuse (DESIGN §9) with the `limits` library: a moving window per rule and key,
kept in memory by the embedded platform and in Redis by the scaled mode's gateways, so every
gateway counts the same attempts. `tests/contract/test_rate_limits.py` holds both storages to
one suite."""

from __future__ import annotations

import math
import time

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError

from gateway.ports import Unavailable


class LimitsUnavailable(Unavailable):
    """The counters' storage did not answer: the attempt is neither allowed nor refused."""


class WindowLimits:
    """`gateway.ports.RateLimits` over a `limits` storage."""

    def __init__(self, storage: Storage, namespace: str = "") -> None:
        self.storage = storage
        self.namespace = namespace or "vd"
        self.limiter = MovingWindowRateLimiter(storage)

    @classmethod
    def in_memory(cls) -> WindowLimits:
        return cls(MemoryStorage())

    @classmethod
    def in_redis(cls, redis_url: str, namespace: str) -> WindowLimits:
        uri = redis_url.replace("redis://", "async+redis://", 1).replace(
            "rediss://", "async+rediss://", 1)
        storage = RedisStorage(uri, implementation="redispy", wrap_exceptions=True,
                               key_prefix=f"{namespace or 'vd'}:limits")
        return cls(storage, namespace)

    async def hit(self, rule: str, key: str, limit: int, window_s: int) -> float | None:
        item = RateLimitItemPerSecond(limit, window_s, namespace=self.namespace)
        try:
            if await self.limiter.hit(item, rule, key):
                return None
            stats = await self.limiter.get_window_stats(item, rule, key)
        except (StorageError, OSError, TimeoutError) as e:
            raise LimitsUnavailable(f"the rate limit counters did not answer: {e!r}") from e
        return max(1.0, math.ceil(stats.reset_time - time.time()))

    async def exceeded(self, rule: str, key: str, limit: int, window_s: int
                       ) -> float | None:
        item = RateLimitItemPerSecond(limit, window_s, namespace=self.namespace)
        try:
            if await self.limiter.test(item, rule, key):
                return None
            stats = await self.limiter.get_window_stats(item, rule, key)
        except (StorageError, OSError, TimeoutError) as e:
            raise LimitsUnavailable(f"the rate limit counters did not answer: {e!r}") from e
        return max(1.0, math.ceil(stats.reset_time - time.time()))
