"""The one place that chooses concrete adapters for a run mode and builds the app."""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator

from aiohttp import web

from gateway.app import create_app
from gateway.config import GatewayConfig
from gateway.metrics import Metrics
from runtime.embedded import Clock, EmbeddedHealth, EmbeddedPlatform, utcnow
from runtime.rate_limits import WindowLimits
from runtime.settings import Settings
from runtime.views import StoreViews

PLATFORM = web.AppKey("platform", EmbeddedPlatform)
# Collect the young generation every 10,000 allocations, the middle one every 20 young
# collections, and consider a full collection only after 100 middle ones (Python adds its own
# rule: not before the old generation has grown by a quarter). Measured on the API benchmark:
# with the middle and full collections at Python's pace, each stalls every call in flight for
# 100-250 ms under load (p99 110-170 ms at half the maximum rate); with these, 30 ms. A bigger
# young threshold made each young collection the stall instead (p99 80 ms at 50,000).
GC_THRESHOLDS = (10_000, 20, 100)


def gateway_config(settings: Settings, clock: Clock = utcnow) -> GatewayConfig:
    return GatewayConfig(
        secret=settings.signing_secret(),
        mode=settings.mode,
        body_limit_bytes=settings.body_limit_bytes,
        outcome_wait_s=settings.outcome_wait_s,
        page_size_max=settings.page_size_max,
        redeem_code_ttl_s=settings.redeem_code_ttl_s,
        live_coalesce_s=settings.live_coalesce_s,
        orders_per_hour_max=settings.orders_per_hour_max,
        roster_scan_max=settings.roster_scan_max,
        clock=clock,
        signing=settings.key_ring(),
        access_ttl_s=settings.access_ttl_s,
        refresh_ttl_s=settings.refresh_ttl_s,
        signin_code_ttl_s=settings.signin_code_ttl_s,
        signin_failures_max=settings.signin_failures_max,
        signin_per_address_max=settings.signin_per_address_max,
        service_code_tries_per_hour=settings.service_code_tries_per_hour,
        wish_claim_window_s=settings.wish_claim_window_s,
        household_code_ttl_s=settings.household_code_ttl_s,
        civic_sheet_max=settings.civic_sheet_max,
        cjk_font=settings.cjk_font, public_url=settings.public_url,
        verify_per_address_max=settings.verify_per_address_max,
        codes_per_hour_max=settings.codes_per_hour_max,
        revocation_cache_s=settings.revocation_cache_s,
    )


def settle_heap() -> None:
    """Take the state folded at start-up out of the garbage collector's sight.

    The owners' state is long-lived and grows with every request; left in the collected
    generations, each full collection walks all of it and stalls every call in flight. Frozen
    objects are never collected (they are not garbage), and higher thresholds make the
    collections of the many short-lived objects of each call rarer.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def embedded_app(settings: Settings, clock: Clock = utcnow, settle: bool = True
                 ) -> web.Application:
    """Gateway and workers in one process around the SQLite log (DESIGN §2, embedded).

    `settle` tunes the collector for a long-running server; tests that build many apps in
    one process leave it off."""
    metrics = Metrics()
    platform = EmbeddedPlatform(settings, clock, metrics.registry)
    app = create_app(gateway_config(settings, clock), platform.commands,
                     StoreViews(platform.store, settings.notifications_max),
                     EmbeddedHealth(platform), WindowLimits.in_memory(), platform.keys, metrics)
    app[PLATFORM] = platform

    async def run_platform(app: web.Application) -> AsyncIterator[None]:
        await platform.start()
        if settle:
            settle_heap()
        yield
        await platform.stop()

    app.cleanup_ctx.append(run_platform)
    return app


def kafka_gateway_app(settings: Settings) -> web.Application:
    """A gateway of the scaled mode: commands to Kafka, reads and answers from Redis."""
    from redis.asyncio import Redis

    from runtime.kafka_bus import KafkaCommandBus, ScaledHealth
    from runtime.redis_keys import RedisKeys
    from runtime.redis_store import RedisStore

    redis = Redis.from_url(settings.redis_url)
    store = RedisStore(redis, settings.namespace, settings.marker_ttl_s)
    bus = KafkaCommandBus(settings, store)
    metrics = Metrics()
    health = ScaledHealth(store, bus, metrics.registry)
    limits = WindowLimits.in_redis(settings.redis_url, settings.namespace)
    keys = RedisKeys(redis, settings.namespace, bus.publish_key)
    app = create_app(gateway_config(settings), bus,
                     StoreViews(store, settings.notifications_max), health, limits, keys,
                     metrics)

    async def connect(app: web.Application) -> AsyncIterator[None]:
        await bus.start()
        beats = asyncio.create_task(health.refresh(), name="heartbeats")
        settle_heap()
        yield
        beats.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beats
        await bus.stop()
        await redis.aclose()

    app.cleanup_ctx.append(connect)
    return app
