"""`vdispatch rebuild` in the scaled mode against the live ledger worker, on the same entries.

The entries are made the way the product makes them: CreditPoints commands (what the ledger
worker's route_credits emits for a reviewed service) are appended to the ledger-commands topic
and the real ledger worker consumes them, writing accounts and applied markers to Redis and
PointsCredited events and outcomes to Kafka. The live consume rate is the worker's: entries
per second, first outcome to last by the broker's timestamps.

Then, with the worker stopped, `vdispatch rebuild` runs as the operator would run it: it drops
every key of the namespace and replays every topic (the commands, the events and the outcomes:
three records per entry) back into Redis. Its rate is entries per second over the command's
whole wall time, process start-up included. The balances folded from Redis before and after
must be equal, or the figure is not reported.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from datetime import UTC, datetime

from redis.asyncio import Redis
from services import ScaledPlatform

from benchmarks.common import UNLIMITED, BenchConfig, Goal, Report
from benchmarks.embedded import SECRET
from benchmarks.pipe import Offsets, broker_and_redis, load, span_after
from runtime.redis_store import text
from schemas.base import SYSTEM
from schemas.commands import CreditPoints
from schemas.topics import COMMAND_OUTCOMES, LEDGER_COMMANDS, encode

ENTRIES_PER_VOLUNTEER = 20


def credit_commands(count: int, seed: int) -> list[tuple[bytes, bytes]]:
    """`count` credits for count / ENTRIES_PER_VOLUNTEER volunteers, each for its own
    reviewed request, keyed by volunteer as route_credits keys them."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    volunteers = max(1, count // ENTRIES_PER_VOLUNTEER)
    out = []
    for i in range(count):
        command_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        county = f"{430000 + i % 97}"
        command = CreditPoints(
            command_id=command_id, occurred_at=now, correlation_id=command_id, actor=SYSTEM,
            volunteer_id=f"V{i % volunteers:07d}", entry_id=uuid.uuid5(command_id, "entry"),
            request_id=f"{county}-{command_id.hex[:16]}", hours=rng.choice((0.5, 1, 1.5, 2, 3)),
            source_event_ids=(uuid.uuid5(command_id, "reviewed"),))
        out.append((command.partition_key.encode(), encode(command)))
    return out


async def balances(redis_url: str, namespace: str) -> dict[str, int]:
    """Every account's balance as Redis holds it now."""
    redis = Redis.from_url(redis_url)
    found: dict[str, int] = {}
    try:
        async for key in redis.scan_iter(match=f"{namespace}:{{v:*}}:rows:accounts",
                                         count=1000):
            for volunteer_id, raw in (await redis.hgetall(key)).items():
                found[text(volunteer_id)] = int(json.loads(raw)["balance"])
    finally:
        await redis.aclose()
    return found


async def run(config: BenchConfig, report: Report) -> None:
    count = config.pick(20_000, 1_000_000)
    commands = credit_commands(count, config.seed)
    async with broker_and_redis(config, "rebuild") as services:
        scaled = ScaledPlatform(services, config.workdir, SECRET, UNLIMITED, "rebuild")
        ns, bootstrap = scaled.namespace, services.kafka_bootstrap
        await asyncio.to_thread(scaled.create_topics)
        outcomes = f"{ns}.{COMMAND_OUTCOMES.name}"
        load_s = await load(bootstrap, f"{ns}.{LEDGER_COMMANDS.name}", commands)
        ledger = scaled.workers["ledger"]
        ledger.start()
        try:
            async with Offsets(bootstrap) as offsets:
                reached = await offsets.wait_for(outcomes, COMMAND_OUTCOMES.partitions, count,
                                                 config.pick(150, 3600))
        finally:
            await asyncio.to_thread(ledger.stop)
        if reached < count:
            raise RuntimeError(f"the ledger worker answered {reached} of {count} credits")
        live = await span_after(bootstrap, outcomes, COMMAND_OUTCOMES.partitions, {})
        before = await balances(services.redis_url, ns)

        began = time.perf_counter()
        done = await asyncio.to_thread(scaled.run, "rebuild")
        rebuild_s = time.perf_counter() - began
        if done.returncode != 0:
            raise RuntimeError(f"vdispatch rebuild failed: {done.stderr[-2000:]}")
        after = await balances(services.redis_url, ns)
        if after != before:
            raise RuntimeError(f"rebuilt balances differ: {len(before)} accounts before, "
                               f"{len(after)} after")
        live_rate = live.rate()
        replay_rate = count / rebuild_s
        report.add("rebuild_ratio", replay_rate / live_rate, "×", Goal(">=", 0.8),
                   f"`vdispatch rebuild` (Kafka → Redis) entries/s ÷ the live ledger worker's "
                   f"entries/s, on {count} ledger entries")
        report.detail("rebuild", entries=count, volunteers=len(before),
                      load_s=round(load_s, 1), live_entries_per_s=round(live_rate, 1),
                      live_seconds=round((live.last_ms - live.first_ms) / 1000, 2),
                      rebuild_s=round(rebuild_s, 2), rebuild_entries_per_s=round(replay_rate, 1),
                      rebuild_summary=json.loads(done.stdout or "{}"),
                      balances_equal_after_rebuild=True, mode="kafka",
                      measured_as="live: first to last outcome timestamp of the ledger worker; "
                                  "rebuild: wall time of `vdispatch rebuild` incl. start-up, "
                                  "replaying commands, events and outcomes")
