"""The scaled mode's log as a `runtime.ports.LogReader`: every partition of the topics read
from its beginning to the end it had when the reading began (for `vdispatch rebuild`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from kafka import KafkaConsumer

from runtime.settings import Settings
from schemas.topics import Topic

FETCH_MAX = 5000


def partition_counts(bootstrap: str, topics: list[str]) -> dict[str, int]:
    """How many partitions each topic has now (a blocking admin look-up)."""
    probe = KafkaConsumer(bootstrap_servers=bootstrap, client_id="vdispatch-rebuild")
    try:
        return {t: len(probe.partitions_for_topic(t) or ()) for t in topics}
    finally:
        probe.close()


class KafkaLogReader:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def _open(self, topics: Sequence[Topic]
                    ) -> tuple[AIOKafkaConsumer, dict[str, Topic], dict[TopicPartition, int]]:
        names = {self.settings.topic_name(t.name): t for t in topics}
        counts = await asyncio.to_thread(partition_counts, self.settings.kafka_bootstrap,
                                         list(names))
        missing = sorted(name for name, count in counts.items() if not count)
        if missing:
            raise SystemExit(f"no such topics: {', '.join(missing)}")
        consumer = AIOKafkaConsumer(bootstrap_servers=self.settings.kafka_bootstrap,
                                    enable_auto_commit=False, auto_offset_reset="earliest")
        await consumer.start()
        partitions = [TopicPartition(name, p) for name, count in counts.items()
                      for p in range(count)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends: dict[TopicPartition, int] = await consumer.end_offsets(partitions)
        return consumer, names, ends

    async def total(self, topics: Sequence[Topic]) -> int:
        consumer, _, ends = await self._open(topics)
        await consumer.stop()
        return sum(ends.values())

    async def scan(self, topics: Sequence[Topic]) -> AsyncIterator[tuple[Topic, Any]]:
        consumer, names, ends = await self._open(topics)
        try:
            remaining = {tp for tp, end in ends.items() if end > 0}
            while remaining:
                batches = await consumer.getmany(*remaining, timeout_ms=1000,
                                                 max_records=FETCH_MAX)
                for tp, records in batches.items():
                    topic = names[tp.topic]
                    for record in records:
                        if record.offset < ends[tp]:
                            yield topic, topic.adapter.validate_json(record.value)
                    if records and records[-1].offset + 1 >= ends[tp]:
                        remaining.discard(tp)
        finally:
            await consumer.stop()
