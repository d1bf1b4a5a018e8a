"""The scaled mode's key store: each person's data key in Redis, which every gateway reads,
with its durable copy on the compacted topic `person-keys` — never in a log kept forever.

A key is made once whoever asks first: a gateway claims the person in Redis with a pending
key (HSETNX), publishes it to the topic (acks=all), and only then marks it ready; another
gateway that finds it pending waits for it. Nothing is sealed under a key before its durable
copy is acknowledged, so losing Redis loses no key: `restore` folds the topic back into it.
Erasing a key publishes a tombstone first and then deletes it from Redis (a tombstone that
did not reach the broker leaves the key in place, to be erased again); compaction removes it
from the topic within `max.compaction.lag.ms` plus `segment.ms` of the topic (`PERSON_KEYS`
in `schemas.topics`), and Redis's append-only file is rewritten so no copy lingers there.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
from collections.abc import Awaitable, Callable, Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition
from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from gateway.ports import Unavailable
from runtime.kafka_log import partition_counts
from runtime.settings import Settings
from schemas.base import PersonKey
from schemas.topics import PERSON_KEYS

log = logging.getLogger("vdispatch.keys")
KEY_BYTES = 32
PENDING = "p:"
READY_WAITS = 50
READY_WAIT_S = 0.05
REWRITE_WAITS = 100
REWRITE_WAIT_S = 0.05
"""A rewrite of the append-only file already under way began before the key was deleted
and may still hold it: another one is asked for once it is done (waiting at most 5 s)."""
Publish = Callable[[str, bytes | None], Awaitable[None]]

DROP_IF_PENDING_LUA = """
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  return redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0
"""


class KeysUnavailable(Unavailable):
    """Redis or the broker did not take a key now."""


def encoded(key: bytes) -> str:
    return base64.b64encode(key).decode()


class RedisKeys:
    def __init__(self, redis: Redis, namespace: str, publish: Publish) -> None:
        self.redis = redis
        self.hash = f"{namespace or 'vd'}:person-keys"
        self.publish = publish

    async def keys_of(self, persons: Sequence[str], create: bool = False
                      ) -> dict[str, bytes]:
        wanted = sorted(set(persons))
        if not wanted:
            return {}
        try:
            found = await self._ready(wanted)
            if create:
                for person in [p for p in wanted if p not in found]:
                    found[person] = await self._make(person)
        except RedisError as e:
            raise KeysUnavailable(f"the key store did not answer: {e!r}") from e
        return found

    async def _ready(self, persons: Sequence[str]) -> dict[str, bytes]:
        """Keys that are ready; a pending one is waited for a moment, as it is being made."""
        for _ in range(READY_WAITS):
            raw = await self.redis.hmget(self.hash, list(persons))
            values = {p: v.decode() if isinstance(v, bytes) else str(v)
                      for p, v in zip(persons, raw, strict=True) if v is not None}
            if not any(v.startswith(PENDING) for v in values.values()):
                return {p: base64.b64decode(v) for p, v in values.items()}
            await asyncio.sleep(READY_WAIT_S)
        raise KeysUnavailable("a person's key is still being made; try again")

    async def _make(self, person: str) -> bytes:
        key = os.urandom(KEY_BYTES)
        pending = PENDING + encoded(key)
        if not await self.redis.hsetnx(self.hash, person, pending):
            found = await self._ready([person])
            if person in found:
                return found[person]
            raise KeysUnavailable("a person's key was being made and is gone; try again")
        try:
            await self.publish(person, key)
        except BaseException:
            await self.redis.eval(DROP_IF_PENDING_LUA, 1, self.hash, person, pending)
            raise
        await self.redis.hset(self.hash, person, encoded(key))
        return key

    async def destroy(self, person: str) -> bool:
        try:
            if await self.redis.hget(self.hash, person) is None:
                return False
            await self.publish(person, None)
            await self.redis.hdel(self.hash, person)
            await self._rewrite_aof()
        except RedisError as e:
            raise KeysUnavailable(f"the key store did not answer: {e!r}") from e
        return True

    async def _rewrite_aof(self) -> None:
        for _ in range(REWRITE_WAITS):
            try:
                await self.redis.bgrewriteaof()
                return
            except ResponseError as e:
                if "already in progress" not in str(e):
                    raise
            await asyncio.sleep(REWRITE_WAIT_S)
        log.warning("Redis kept rewriting its append-only file: an erased key may stay in it "
                    "until the next rewrite")


def key_record(person: str, key: bytes | None) -> bytes | None:
    """The topic's value for a key: its record, or None (a tombstone)."""
    if key is None:
        return None
    return PersonKey(person=person, key=encoded(key)).model_dump_json().encode()


async def restore(settings: Settings, redis: Redis) -> int:
    """Fold the key topic into Redis (after Redis was lost or flushed): the last record of
    each person wins, a tombstone deletes; the number of keys restored."""
    topic = settings.topic_name(PERSON_KEYS.name)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap,
                                enable_auto_commit=False, auto_offset_reset="earliest")
    counts = await asyncio.to_thread(partition_counts, settings.kafka_bootstrap, [topic])
    if not counts[topic]:
        raise SystemExit(f"no such topic: {topic}")
    await consumer.start()
    latest: dict[str, str | None] = {}
    try:
        partitions = [TopicPartition(topic, p) for p in range(counts[topic])]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        remaining = {tp for tp, end in ends.items() if end > 0}
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=1000, max_records=5000)
            for tp, records in batches.items():
                for record in records:
                    if record.offset >= ends[tp]:
                        continue
                    person = record.key.decode()
                    latest[person] = None if record.value is None else (
                        PERSON_KEYS.adapter.validate_json(record.value).key)
                if records and records[-1].offset + 1 >= ends[tp]:
                    remaining.discard(tp)
    finally:
        await consumer.stop()
    hash_key = f"{settings.namespace or 'vd'}:person-keys"
    async with redis.pipeline(transaction=False) as pipe:
        for person, key in latest.items():
            if key is None:
                pipe.hdel(hash_key, person)
            else:
                pipe.hset(hash_key, person, key)
        await pipe.execute()
    return sum(1 for key in latest.values() if key is not None)
