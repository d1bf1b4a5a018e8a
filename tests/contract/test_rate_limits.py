"""The rate-limit port (`gateway.ports.RateLimits`, implemented by `runtime.rate_limits` with
the `limits` library): one suite over the memory storage of the embedded mode and Redis of the
scaled mode.

Proves, for each: attempts within the limit pass and the next one is refused with the seconds
until one more is allowed (within the window); a refused attempt is not counted; rules and
keys count apart; a peek (`exceeded`) tells the same without counting; the window moves on.
For Redis, two gateways (two limiters on one Redis)
count the same attempts; a Redis that does not answer is `Unavailable` (503), not a pass.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from services import Services

from gateway.ports import RateLimits, Unavailable
from runtime.rate_limits import WindowLimits


class RateLimitContract:
    async def test_the_attempt_past_the_limit_waits_for_the_window(
        self, limits: RateLimits
    ) -> None:
        assert [await limits.hit("orders", "R1", 3, 60) for _ in range(3)] == [None] * 3
        retry = await limits.hit("orders", "R1", 3, 60)
        assert retry is not None and 1 <= retry <= 60
        assert await limits.hit("orders", "R1", 3, 60) is not None

    async def test_rules_and_keys_count_apart(self, limits: RateLimits) -> None:
        assert await limits.hit("orders", "R1", 1, 60) is None
        assert await limits.hit("orders", "R1", 1, 60) is not None
        assert await limits.hit("orders", "R2", 1, 60) is None
        assert await limits.hit("sign-in", "R1", 1, 60) is None

    async def test_a_peek_counts_nothing(self, limits: RateLimits) -> None:
        for _ in range(5):
            assert await limits.exceeded("sign-in-failures", "P2", 2, 60) is None
        assert await limits.hit("sign-in-failures", "P2", 2, 60) is None
        assert await limits.hit("sign-in-failures", "P2", 2, 60) is None
        retry = await limits.exceeded("sign-in-failures", "P2", 2, 60)
        assert retry is not None and 1 <= retry <= 60

    async def test_the_window_moves_on(self, limits: RateLimits) -> None:
        assert await limits.hit("codes", "P1", 2, 1) is None
        assert await limits.hit("codes", "P1", 2, 1) is None
        assert await limits.hit("codes", "P1", 2, 1) == 1
        await asyncio.sleep(1.2)
        assert await limits.hit("codes", "P1", 2, 1) is None


class TestMemoryRateLimits(RateLimitContract):
    @pytest.fixture
    def limits(self) -> RateLimits:
        return WindowLimits.in_memory()


@pytest.mark.redis
class TestRedisRateLimits(RateLimitContract):
    @pytest.fixture
    def namespace(self) -> str:
        return f"limits{uuid.uuid4().hex[:8]}"

    @pytest.fixture
    def limits(self, redis_service: Services, namespace: str) -> RateLimits:
        return WindowLimits.in_redis(redis_service.redis_url, namespace)

    async def test_two_gateways_count_the_same_attempts(
        self, redis_service: Services, namespace: str
    ) -> None:
        one = WindowLimits.in_redis(redis_service.redis_url, namespace)
        two = WindowLimits.in_redis(redis_service.redis_url, namespace)
        assert await one.hit("orders", "R9", 2, 60) is None
        assert await two.hit("orders", "R9", 2, 60) is None
        assert await one.hit("orders", "R9", 2, 60) is not None
        assert await two.hit("orders", "R9", 2, 60) is not None

    async def test_a_redis_that_does_not_answer_is_unavailable(self) -> None:
        gone = WindowLimits.in_redis("redis://127.0.0.1:9/0", "nowhere")
        with pytest.raises(Unavailable):
            await gone.hit("orders", "R1", 3, 60)
