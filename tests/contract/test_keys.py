"""The key store port (`gateway.ports.KeyStore`, DESIGN §9 crypto-shredding): one suite over
the embedded SQLite key file and the scaled mode's Redis with its compacted key topic.

Proves, for each: a key is made once, whoever asks first — callers at the same moment get
the same key; keys are read back for many persons at once; only asked-for keys are made; an
erased key is gone for good, and a key made afterwards for the same person is a new one.
For the SQLite file: the erased key's bytes are nowhere in the data dir. For Redis: its
durable copy is on the topic, so a flushed Redis gets every key back from it, an erased
one excepted (its tombstone is the topic's last word on it).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis
from services import Services

from gateway.ports import KeyStore
from runtime.kafka_bus import KafkaCommandBus
from runtime.redis_keys import RedisKeys, restore
from runtime.redis_store import RedisStore
from runtime.settings import Settings
from runtime.sqlite_keys import SQLiteKeys
from runtime.topics_tool import create


def everything_in(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.iterdir())


class KeyStoreContract:
    async def test_a_key_is_made_once_whoever_asks_first(self, keys: KeyStore) -> None:
        assert await keys.keys_of(["R1"]) == {}
        together = await asyncio.gather(*(keys.keys_of(["R1"], create=True) for _ in range(5)))
        assert len({found["R1"] for found in together}) == 1
        assert len(together[0]["R1"]) == 32
        assert await keys.keys_of(["R1", "R2"]) == {"R1": together[0]["R1"]}

    async def test_many_keys_at_once(self, keys: KeyStore) -> None:
        made = await keys.keys_of([f"R{n}" for n in range(20)], create=True)
        assert len(made) == 20 and len(set(made.values())) == 20
        assert await keys.keys_of([f"R{n}" for n in range(0, 20, 5)]) == {
            f"R{n}": made[f"R{n}"] for n in range(0, 20, 5)}
        assert await keys.keys_of([]) == {}

    async def test_an_erased_key_is_gone_for_good(self, keys: KeyStore) -> None:
        first = (await keys.keys_of(["R1"], create=True))["R1"]
        assert await keys.destroy("R1") is True
        assert await keys.keys_of(["R1"]) == {}
        assert await keys.destroy("R1") is False
        again = (await keys.keys_of(["R1"], create=True))["R1"]
        assert again != first


    async def test_erasures_one_right_after_another_all_succeed(self, keys: KeyStore) -> None:
        """A resident and their account are erased together (a second rewrite of Redis's
        append-only file is asked for while the first still runs)."""
        people = [f"E{n}" for n in range(4)]
        await keys.keys_of(people, create=True)
        assert [await keys.destroy(p) for p in people] == [True] * 4
        assert await keys.keys_of(people) == {}


class TestSQLiteKeys(KeyStoreContract):
    @pytest.fixture
    def keys(self, tmp_path: Path) -> KeyStore:
        return SQLiteKeys(tmp_path / "keys.sqlite3")

    async def test_an_erased_key_leaves_no_copy_in_the_data_dir(self, tmp_path: Path) -> None:
        keys = SQLiteKeys(tmp_path / "keys.sqlite3")
        made = await keys.keys_of(["R1", "R2"], create=True)
        await keys.destroy("R1")
        keys.close()
        stored = everything_in(tmp_path)
        assert made["R1"] not in stored and made["R2"] in stored


@pytest.mark.kafka
class TestRedisKeys(KeyStoreContract):
    @pytest.fixture
    async def scaled(self, scaled_services: Services) -> AsyncIterator[tuple[Settings, Redis,
                                                                            KafkaCommandBus]]:
        settings = Settings(mode="kafka", kafka_bootstrap=scaled_services.kafka_bootstrap,
                            redis_url=scaled_services.redis_url,
                            namespace=f"k{uuid.uuid4().hex[:10]}")
        await asyncio.to_thread(create, settings)
        redis = Redis.from_url(settings.redis_url)
        bus = KafkaCommandBus(settings, RedisStore(redis, settings.namespace, 60))
        await bus.start()
        yield settings, redis, bus
        await bus.stop()
        await redis.aclose()

    @pytest.fixture
    def keys(self, scaled: tuple[Settings, Redis, KafkaCommandBus]) -> KeyStore:
        settings, redis, bus = scaled
        return RedisKeys(redis, settings.namespace, bus.publish_key)

    async def test_a_flushed_redis_gets_every_key_back_but_the_erased(
        self, scaled: tuple[Settings, Redis, KafkaCommandBus]
    ) -> None:
        settings, redis, bus = scaled
        keys = RedisKeys(redis, settings.namespace, bus.publish_key)
        made = await keys.keys_of(["R1", "R2", "R3"], create=True)
        await keys.destroy("R2")
        await redis.delete(keys.hash)
        assert await keys.keys_of(["R1", "R2", "R3"]) == {}
        assert await restore(settings, redis) == 2
        assert await keys.keys_of(["R1", "R2", "R3"]) == {"R1": made["R1"], "R3": made["R3"]}
