"""`vdispatch rebuild` in the scaled mode: drop the derived state in Redis and rebuild it by
replaying the topics, with a progress bar.

The owners' rows come from folding the event topics with the same `evolve` the workers use;
applied markers from grouping every produced message by the command that caused it; outcomes
from the outcome topic; the live board and inboxes from the same fold the live worker does.
Run it with the workers stopped: they keep state in memory.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from aiokafka import AIOKafkaConsumer, TopicPartition
from kafka import KafkaConsumer
from redis.asyncio import Redis
from tqdm import tqdm

from consumers.ledger.owner import LedgerOwner, StockOwner
from dispatcher.owner import DispatchOwner
from runtime.redis_state import RedisStore, Step
from runtime.scaled import LiveProjector
from runtime.settings import Settings
from schemas.base import Command, CommandOutcome, DeadLetter, Event, LogMessage
from schemas.events import CountyEvent, ItemEvent, VolunteerEvent
from schemas.topics import (
    COMMAND_OUTCOMES,
    DEAD_LETTERS,
    DISPATCH_COMMANDS,
    DISPATCH_EVENTS,
    LEDGER_COMMANDS,
    LEDGER_EVENTS,
    STOCK_COMMANDS,
    STOCK_EVENTS,
    Topic,
)

WRITE_BATCH = 500  # aggregates written per Redis round trip
REPLAYED = (DISPATCH_EVENTS, LEDGER_EVENTS, STOCK_EVENTS, DISPATCH_COMMANDS, LEDGER_COMMANDS,
            STOCK_COMMANDS, COMMAND_OUTCOMES, DEAD_LETTERS)


def family_of(event: Event) -> str:
    if isinstance(event, CountyEvent):
        return "county"
    if isinstance(event, VolunteerEvent):
        return "volunteer"
    assert isinstance(event, ItemEvent)
    return "item"


class Replay:
    """Everything derived, folded from the topics in memory before it is written."""

    def __init__(self, settings: Settings, store: RedisStore) -> None:
        self.dispatch = DispatchOwner(settings.dispatch_policy())
        self.ledger = LedgerOwner(settings.points_policy())
        self.stock = StockOwner()
        self.live = LiveProjector(store, lambda: datetime.now(UTC),
                                  settings.live_recent_max, settings.notifications_max)
        self.outputs: dict[UUID, list[LogMessage]] = defaultdict(list)
        self.owner_of: dict[UUID, tuple[str, str]] = {}
        self.outcomes: list[CommandOutcome] = []

    def fold(self, topic: Topic, message: Any) -> None:
        if isinstance(message, CommandOutcome):
            self.outcomes.append(message)
            return
        if isinstance(message, DeadLetter):
            self.live.fold(message)
            return
        cause = message.causation_id
        if cause is not None:
            self.outputs[cause].append(message)
        if isinstance(message, Command):
            return
        assert isinstance(message, Event)
        if topic is DISPATCH_EVENTS:
            self.dispatch.evolve(message)
        elif topic is LEDGER_EVENTS:
            self.ledger.evolve(message)
        else:
            self.stock.evolve(message)
        self.live.fold(message)
        if cause is not None:
            self.owner_of.setdefault(cause, (family_of(message), message.partition_key))

    async def write(self, store: RedisStore) -> dict[str, int]:
        """Every aggregate's rows with the markers of the commands it applied, one atomic
        step per aggregate and WRITE_BATCH steps per round trip."""
        keys = store.keys
        steps: dict[str, Step] = {}

        def step(family: str, key: str) -> Step:
            tag = keys.tag(family, key)
            return steps.setdefault(tag, Step(tag))

        for county, state in self.dispatch.counties.items():
            step("county", county).add({name: dict(records)
                                        for name, records in state.collections().items()})
        for volunteer_id, account in self.ledger.state.accounts.items():
            step("volunteer", volunteer_id).add({"accounts": {volunteer_id: account}})
        for item_id, item in self.stock.state.items.items():
            step("item", item_id).add({"items": {item_id: item}})
        for cause, (family, key) in self.owner_of.items():
            step(family, key).markers[cause] = self.outputs[cause]
        registrations = [("county", c) for c in self.dispatch.counties] + [
            ("item", i) for i in self.stock.state.items]
        ordered = list(steps.values())
        for at in range(0, max(len(ordered), len(registrations)), WRITE_BATCH):
            await store.commit_steps(ordered[at:at + WRITE_BATCH],
                                     registrations[at:at + WRITE_BATCH])
        await store.announce_quietly(self.outcomes)
        await self.live.save(force=True)
        return {"counties": len(self.dispatch.counties),
                "accounts": len(self.ledger.state.accounts),
                "items": len(self.stock.state.items), "markers": len(self.owner_of),
                "outcomes": len(self.outcomes)}


def partition_counts(bootstrap: str, topics: list[str]) -> dict[str, int]:
    """How many partitions each topic has now (a blocking admin look-up)."""
    probe = KafkaConsumer(bootstrap_servers=bootstrap, client_id="vdispatch-rebuild")
    try:
        return {t: len(probe.partitions_for_topic(t) or ()) for t in topics}
    finally:
        probe.close()


async def rebuild_redis(settings: Settings) -> int:
    redis = Redis.from_url(settings.redis_url)
    store = RedisStore(redis, settings.namespace, settings.marker_ttl_s)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap,
                                enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    try:
        names = {settings.topic_name(t.name): t for t in REPLAYED}
        counts = await asyncio.to_thread(partition_counts, settings.kafka_bootstrap, list(names))
        missing = [name for name, count in counts.items() if not count]
        if missing:
            raise SystemExit(f"no such topics: {', '.join(sorted(missing))}")
        partitions = [TopicPartition(name, p) for name, count in counts.items()
                      for p in range(count)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        total = sum(ends.values())
        dropped = await store.drop_all()
        replay = Replay(settings, store)
        remaining = {tp for tp, end in ends.items() if end > 0}
        with tqdm(total=total, unit="msg", file=sys.stderr, desc="replaying topics") as bar:
            while remaining:
                batches = await consumer.getmany(*remaining, timeout_ms=1000, max_records=5000)
                for tp, records in batches.items():
                    topic = names[tp.topic]
                    for record in records:
                        replay.fold(topic, topic.adapter.validate_json(record.value))
                    bar.update(len(records))
                    if records and records[-1].offset + 1 >= ends[tp]:
                        remaining.discard(tp)
        written = await replay.write(store)
    finally:
        await consumer.stop()
        await redis.aclose()
    print(json.dumps({"dropped_keys": dropped, "replayed": total, **written}, indent=2))
    return 0
