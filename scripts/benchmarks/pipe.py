"""The bare baseline of the scaled mode, and what the `kafka` and `rebuild` sections share.

`bare_pipe` is the least any Kafka worker can do with a message: an aiokafka consumer reads a
topic and a producer (acks=all, idempotent, batching) writes every record to another topic
with the same key and bytes. A worker's throughput is stated as a ratio against it, measured
on the same broker, the same partition count and the same messages moments before.

Rates are taken from Kafka's own record timestamps (the producer's CreateTime) of what came
out, first to last, so process start-up and group joins are not counted on either side.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from services import Services, start_services

from benchmarks.common import BenchConfig

SEND_WINDOW = 5000  # messages in flight before the loader waits for acknowledgements


@asynccontextmanager
async def broker_and_redis(config: BenchConfig, name: str) -> AsyncIterator[Services]:
    """A Kafka broker and Redis of our own for one section, stopped at the end."""
    services = await asyncio.to_thread(start_services, config.workdir / f"{name}-services",
                                       True)
    try:
        yield services
    finally:
        await asyncio.to_thread(services.stop)


async def create_topic(bootstrap: str, name: str, partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="vd-bench")
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, partitions, 1)])
    finally:
        await admin.close()


async def load(bootstrap: str, topic: str, messages: Sequence[tuple[bytes, bytes]]) -> float:
    """Append (key, value) pairs in order; answer the seconds it took."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all",
                                enable_idempotence=True, linger_ms=5,
                                max_batch_size=256 * 1024)
    await producer.start()
    began = time.perf_counter()
    try:
        pending: list[asyncio.Future[object]] = []
        for key, value in messages:
            pending.append(await producer.send(topic, value, key=key))
            if len(pending) >= SEND_WINDOW:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return time.perf_counter() - began


class Offsets:
    """One consumer kept open for a section's offset look-ups.

    (aiokafka 0.14 raises CancelledError when a group-less consumer is stopped right after
    it started, so look-ups share one consumer rather than opening one each.)
    """

    def __init__(self, bootstrap: str) -> None:
        self.consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)

    async def __aenter__(self) -> Offsets:
        await self.consumer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.consumer.stop()

    async def ends(self, topic: str, partitions: int) -> dict[int, int]:
        ends = await self.consumer.end_offsets([TopicPartition(topic, p)
                                                for p in range(partitions)])
        return {tp.partition: offset for tp, offset in ends.items()}

    async def count(self, topic: str, partitions: int) -> int:
        return sum((await self.ends(topic, partitions)).values())

    async def wait_for(self, topic: str, partitions: int, target: int, timeout_s: float) -> int:
        """Poll a topic's message count until it reaches `target`; answer the count."""
        deadline = time.monotonic() + timeout_s
        seen = 0
        while time.monotonic() < deadline:
            seen = await self.count(topic, partitions)
            if seen >= target:
                return seen
            await asyncio.sleep(0.25)
        return seen


@dataclass(frozen=True)
class Span:
    """Records appended to a topic after a mark: how many, and their first and last
    timestamps (ms)."""

    records: int
    first_ms: int
    last_ms: int

    def rate(self) -> float:
        """Records per second, first to last (the first record opens the clock)."""
        seconds = (self.last_ms - self.first_ms) / 1000
        return (self.records - 1) / seconds if seconds > 0 else float("nan")


async def span_after(bootstrap: str, topic: str, partitions: int, since: dict[int, int]
                     ) -> Span:
    """Read a topic from `since` (partition → offset) to its end, keeping timestamps only."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                max_partition_fetch_bytes=4 * 2**20)
    await consumer.start()
    try:
        assigned = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(assigned)
        ends = await consumer.end_offsets(assigned)
        remaining = set()
        for tp in assigned:
            start = since.get(tp.partition, 0)
            if ends[tp] > start:
                consumer.seek(tp, start)
                remaining.add(tp)
        records, first, last = 0, 2**63, 0
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, batch in batches.items():
                for record in batch:
                    records += 1
                    first = min(first, record.timestamp)
                    last = max(last, record.timestamp)
                if batch and batch[-1].offset + 1 >= ends[tp]:
                    remaining.discard(tp)
        return Span(records, first, last)
    finally:
        await consumer.stop()


async def bare_pipe(bootstrap: str, offsets: Offsets, source: str, target: str,
                    partitions: int, expected: int, timeout_s: float) -> Span:
    """Copy `expected` records from `source` to `target` (consume → produce, acks=all), the
    way a minimal worker would: send without waiting, await the batch's acknowledgements
    before reading on, so nothing is read past what is durable downstream."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all",
                                enable_idempotence=True, linger_ms=1)
    mark = await offsets.ends(target, partitions)
    await consumer.start()
    await producer.start()
    try:
        assigned = [TopicPartition(source, p) for p in range(partitions)]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        copied = 0
        deadline = time.monotonic() + timeout_s
        while copied < expected and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500, max_records=2000)
            pending = [await producer.send(target, record.value, key=record.key)
                       for records in batches.values() for record in records]
            await asyncio.gather(*pending)
            copied += len(pending)
    finally:
        await producer.stop()
        await consumer.stop()
    return await span_after(bootstrap, target, partitions, mark)
