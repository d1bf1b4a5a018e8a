"""The scaled mode end to end: a gateway and the three faust workers as separate processes on
a real Kafka broker and Redis, started for this section and stopped at its end.

`dispatch_p99_ms_kafka` is the latency of POST /api/v1/requests under an open-loop load, from
each call's due time. As in the embedded section the answer carries the dispatch outcome: the
gateway produces SubmitRequest (acks=all) and waits for the dispatcher's CommandOutcome, which
the dispatcher announces only after it wrote the request's rows and applied marker to Redis
and the broker acknowledged RequestSubmitted and RequestDispatched.

`dispatch_throughput_ratio_kafka` drains a backlog: with the dispatcher stopped, N real
SubmitRequest commands (the bodies the gateway would produce, keyed by county) are appended to
the dispatch-commands topic; the dispatcher is started and drains them to their events and
outcomes. Its rate (commands per second, first outcome to last by the broker's timestamps) is
divided by the bare pipe's (`benchmarks.pipe.bare_pipe`) copying the very same records between
two topics of the same partition count, moments before.

`lifecycle_per_s_kafka` walks whole journeys over HTTP, as the embedded section does, and
counts only those whose volunteers' balances show the credits.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import time
import uuid
from datetime import UTC, datetime

from harness import Platform
from services import ScaledPlatform, scaled_platform

from benchmarks.common import UNLIMITED, BenchConfig, Goal, Report, percentile
from benchmarks.embedded import (
    SECRET,
    TEAM_CAPACITY,
    BenchDistrict,
    Journeys,
    Orders,
    build_district,
    session_for,
)
from benchmarks.loadgen import closed_loop, open_loop
from benchmarks.pipe import (
    Offsets,
    Span,
    bare_pipe,
    broker_and_redis,
    create_topic,
    load,
    span_after,
)
from schemas.base import Actor
from schemas.commands import SubmitRequest
from schemas.common import Role
from schemas.topics import COMMAND_OUTCOMES, DISPATCH_COMMANDS, encode

RATE_PER_S = 50.0
DRAIN_TIMEOUT_S = 120.0


async def run(config: BenchConfig, report: Report) -> None:
    async with broker_and_redis(config, "kafka") as services, session_for(256) as session:
        started = time.perf_counter()
        scaled, platform = await scaled_platform(services, config.workdir, session, SECRET,
                                                 UNLIMITED, "kafka")
        try:
            district = await build_district(platform, config.pick(2, 4), config.seed)
            report.detail("kafka", platform_setup_s=round(time.perf_counter() - started, 1),
                          teams=len(district.leaders), hamlets=len(district.hamlets),
                          team_capacity=TEAM_CAPACITY, namespace=scaled.namespace)
            await dispatch_latency(config, report, platform, district)
            await lifecycle(config, report, platform, district)
            await throughput(config, report, services.kafka_bootstrap, scaled, district)
        finally:
            scaled.stop()


async def dispatch_latency(config: BenchConfig, report: Report, platform: Platform,
                           district: BenchDistrict) -> None:
    orders = Orders(platform.session, platform.base_url, platform, district, config.seed)
    await closed_loop(orders, count=200, concurrency=8, time_limit_s=10, label="warm-up")
    seconds = config.pick(10, 40)
    orders.answers.clear()
    result = await open_loop(orders, rate_per_s=RATE_PER_S, count=int(RATE_PER_S * seconds),
                             time_limit_s=seconds, label=f"dispatch @{RATE_PER_S:g}/s",
                             first=200)
    report.add("dispatch_p99_ms_kafka", result.ms(99), "ms", Goal("<=", 250),
               f"submit → RequestDispatched p99 at {RATE_PER_S:g}/s offered, gateway + "
               "workers on a real broker and Redis")
    report.detail("kafka", dispatch={
        "offered_per_s": RATE_PER_S, **result.summary(), "answers": dict(orders.answers),
        "all_dispatched": orders.answers["dispatched"] == result.count,
        "measured_as": "HTTP latency of POST /api/v1/requests from its due time; the answer "
                       "waits for the dispatcher's outcome, announced after the Redis commit "
                       "and the broker's acknowledgement of the events",
    })


async def lifecycle(config: BenchConfig, report: Report, platform: Platform,
                    district: BenchDistrict) -> None:
    concurrency = 16
    journeys = Journeys(platform, district, config.seed)
    began = time.perf_counter()
    result = await closed_loop(journeys, count=config.pick(300, 2000), concurrency=concurrency,
                               time_limit_s=config.pick(20, 90), label="journeys")
    credited = await journeys.credited(timeout_s=30)
    seconds = time.perf_counter() - began
    report.add("lifecycle_per_s_kafka", len(credited) / seconds, "journeys/s",
               what="submit → dispatch → accept → complete → review → points credited over "
               f"HTTP, {concurrency} at a time, only journeys whose credits arrived")
    report.detail("kafka", lifecycle={
        "journeys": result.count, "reviewed": len(journeys.reviewed), "credited": len(credited),
        "concurrency": concurrency, "seconds_incl_credit_wait": round(seconds, 2),
        "journey_p50_ms": round(percentile(result.latencies_s, 50) * 1000, 1),
        "journey_p99_ms": round(percentile(result.latencies_s, 99) * 1000, 1),
        "failed": dict(journeys.failed),
    })


def submit_commands(district: BenchDistrict, count: int, seed: int) -> list[tuple[bytes, bytes]]:
    """What the gateway would append for `count` orders: keyed by county, JSON bodies."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    out = []
    for i in range(count):
        body = Orders.order(rng, district)
        command_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        command = SubmitRequest(
            command_id=command_id, occurred_at=now, correlation_id=command_id,
            actor=Actor(role=Role.RESIDENT, subject=f"R{i % 500:05d}"),
            fingerprint=hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest(),
            request_id=f"{body['area'][:6]}-{command_id.hex[:16]}", **body)
        out.append((command.partition_key.encode(), encode(command)))
    return out


async def throughput(config: BenchConfig, report: Report, bootstrap: str, scaled: ScaledPlatform,
                     district: BenchDistrict) -> None:
    count = config.pick(10000, 40000)
    commands = submit_commands(district, count, config.seed + 1)
    # The dispatcher alone against the pipe alone: the workers that follow its events would
    # share the two cores with it, which is the machine's limit, not the dispatcher's.
    dispatcher = scaled.workers["dispatcher"]
    for role in ("dispatcher", "activities", "ledger", "live"):
        await asyncio.to_thread(scaled.workers[role].stop)
    source, target = f"{scaled.namespace}.bench-pipe-in", f"{scaled.namespace}.bench-pipe-out"
    partitions = DISPATCH_COMMANDS.partitions
    outcomes = f"{scaled.namespace}.{COMMAND_OUTCOMES.name}"
    for name in (source, target):
        await create_topic(bootstrap, name, partitions)
    await load(bootstrap, source, commands)
    async with Offsets(bootstrap) as offsets:
        pipe = await bare_pipe(bootstrap, offsets, source, target, partitions, count,
                               DRAIN_TIMEOUT_S)
        mark = await offsets.ends(outcomes, COMMAND_OUTCOMES.partitions)
        await load(bootstrap, f"{scaled.namespace}.{DISPATCH_COMMANDS.name}", commands)
        dispatcher.start()
        reached = await offsets.wait_for(outcomes, COMMAND_OUTCOMES.partitions,
                                         sum(mark.values()) + count, DRAIN_TIMEOUT_S)
    worker = await span_after(bootstrap, outcomes, COMMAND_OUTCOMES.partitions, mark)
    ratio = worker.rate() / pipe.rate()
    report.add("dispatch_throughput_ratio_kafka", ratio, "×", Goal(">=", 0.3),
               "dispatcher worker commands/s ÷ bare aiokafka consume→produce pipe, same "
               "records, same partition count")
    report.detail("kafka", throughput={
        "commands": count, "partitions": DISPATCH_COMMANDS.partitions,
        "message_bytes_mean": round(sum(len(v) for _, v in commands) / count),
        "bare_pipe": describe(pipe), "dispatcher": describe(worker),
        "dispatcher_drained": reached - sum(mark.values()) >= count,
        "alone": "the ledger and live workers and the pipe were stopped during each run",
        "messages_out_per_command": "RequestSubmitted + RequestDispatched (or queued) + "
                                    "CommandOutcome, with the rows and marker in Redis",
    })


def describe(span: Span) -> dict[str, float | int]:
    return {"records": span.records, "seconds": round((span.last_ms - span.first_ms) / 1000, 3),
            "per_s": round(span.rate(), 1)}
