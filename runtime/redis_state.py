"""Derived state of the scaled mode in Redis.

Keys are laid out for Redis Cluster: everything one owner changes in one step shares a hash
tag — `{c:<county>}` for the directory and requests, `{v:<volunteer>}` for an account,
`{i:<item>}` for a gift — so the rows it changed and the marker "this command is applied"
are written by one script call (atomic, one hash slot); a worker's batch sends every
aggregate's call in one pipelined round trip. Outcomes, fingerprints and registries are single
keys, written after that step and rewritten whenever a redelivered command finds its marker.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from pydantic import TypeAdapter
from redis.asyncio import Redis
from redis.exceptions import NoScriptError

from schemas.base import CommandOutcome, LogMessage
from schemas.topics import BY_NAME, COMMAND_OUTCOMES, encode, topic_of
from schemas.views import (
    AccountView,
    AreaView,
    CatalogItemView,
    LiveSnapshot,
    Notification,
    RequestView,
    TeamView,
    VolunteerView,
)

ROWS: dict[str, TypeAdapter[Any]] = {
    "areas": TypeAdapter(AreaView),
    "teams": TypeAdapter(TeamView),
    "volunteers": TypeAdapter(VolunteerView),
    "requests": TypeAdapter(RequestView),
    "leaders": TypeAdapter(str),
    "tasks": TypeAdapter(tuple[str, ...]),
    "residents": TypeAdapter(tuple[str, ...]),
    "accounts": TypeAdapter(AccountView),
    "items": TypeAdapter(CatalogItemView),
}
FAMILY_TAG = {"county": "c", "volunteer": "v", "item": "i"}

# One aggregate's step, atomically: its changed rows (HSET) and applied markers (SET with a
# TTL). KEYS are the row hashes, then the markers; ARGV[1] is the markers' TTL, ARGV[2] the
# number of hashes, then per hash its field count and field/value pairs, then one value per
# marker. A script rather than MULTI so that many aggregates' steps share one pipelined
# round trip while each stays atomic and within one hash slot (Redis Cluster).
COMMIT_LUA = """
local ttl = tonumber(ARGV[1])
local hashes = tonumber(ARGV[2])
local at = 3
for i = 1, hashes do
  local n = tonumber(ARGV[at])
  at = at + 1
  for _ = 1, n do
    redis.call('HSET', KEYS[i], ARGV[at], ARGV[at + 1])
    at = at + 2
  end
end
for i = hashes + 1, #KEYS do
  redis.call('SET', KEYS[i], ARGV[at], 'EX', ttl)
  at = at + 1
end
return #KEYS
"""


@dataclass
class Step:
    """What one aggregate's commands changed in a batch: rows, and the markers (command id →
    what it produced) to write with them."""

    tag: str
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    markers: dict[UUID, Sequence[LogMessage]] = field(default_factory=dict)

    def add(self, changes: dict[str, dict[str, Any]]) -> None:
        for name, changed in changes.items():
            if changed:
                self.rows.setdefault(name, {}).update(changed)


@dataclass(frozen=True)
class Keys:
    namespace: str

    @property
    def ns(self) -> str:
        return self.namespace or "vd"

    def tag(self, family: str, key: str) -> str:
        return f"{{{FAMILY_TAG[family]}:{key}}}"

    def rows(self, tag: str, collection: str) -> str:
        return f"{self.ns}:{tag}:rows:{collection}"

    def applied(self, tag: str, command_id: UUID) -> str:
        return f"{self.ns}:{tag}:applied:{command_id}"

    def outcome(self, command_id: UUID) -> str:
        return f"{self.ns}:outcome:{command_id}"

    def registry(self, family: str) -> str:
        return f"{self.ns}:registry:{family}"

    def inbox(self, recipient: str) -> str:
        return f"{self.ns}:{{n:{recipient}}}:inbox"

    @property
    def live(self) -> str:
        return f"{self.ns}:live"

    @property
    def live_position(self) -> str:
        return f"{self.ns}:live:position"

    @property
    def outcomes_channel(self) -> str:
        return f"{self.ns}:outcomes"

    @property
    def dead_letters(self) -> str:
        return f"{self.ns}:dead-letters"

    def pattern(self) -> str:
        return f"{self.ns}:*"


def encode_outputs(outputs: Sequence[LogMessage]) -> bytes:
    return json.dumps([
        {"topic": topic_of(m).name, "body": encode(m).decode()} for m in outputs
    ]).encode()


def text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def decode_outputs(raw: bytes | str) -> list[LogMessage]:
    return [BY_NAME[o["topic"]].adapter.validate_json(o["body"]) for o in json.loads(raw)]


class RedisStore:
    def __init__(self, redis: Redis, namespace: str, marker_ttl_s: int) -> None:
        self.redis = redis
        self.keys = Keys(namespace)
        self.marker_ttl_s = marker_ttl_s
        self._commit_sha: str | None = None

    # -- an owner's rows -------------------------------------------------------------------

    async def load(self, tag: str, collections: Iterable[str]) -> dict[str, dict[str, Any]]:
        names = list(collections)
        async with self.redis.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.hgetall(self.keys.rows(tag, name))
            found = await pipe.execute()
        return {
            name: {k.decode(): ROWS[name].validate_json(v) for k, v in rows.items()}
            for name, rows in zip(names, found, strict=True)
        }

    async def load_many(self, tags: Sequence[str], collections: Sequence[str]
                        ) -> list[dict[str, dict[str, Any]]]:
        """`load` for many aggregates in one round trip."""
        if not tags:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for tag in tags:
                for name in collections:
                    pipe.hgetall(self.keys.rows(tag, name))
            found = iter(await pipe.execute())
        return [{name: {k.decode(): ROWS[name].validate_json(v)
                        for k, v in next(found).items()} for name in collections}
                for _ in tags]

    async def applied_many(self, markers: Sequence[tuple[str, UUID]]
                           ) -> list[list[LogMessage] | None]:
        """`applied` for many commands in one round trip."""
        if not markers:
            return []
        raw = await self.redis.mget([self.keys.applied(tag, c) for tag, c in markers])
        return [None if r is None else decode_outputs(r) for r in raw]

    async def commit_steps(self, steps: Iterable[Step],
                           registrations: Iterable[tuple[str, str]] = ()) -> None:
        """Each step atomically (one script call), all of them in one round trip; new
        aggregates are added to their family's registry first."""
        if self._commit_sha is None:
            self._commit_sha = text(await self.redis.script_load(COMMIT_LUA))
        async with self.redis.pipeline(transaction=False) as pipe:
            for family, key in registrations:
                pipe.sadd(self.keys.registry(family), key)
            for step in steps:
                keys: list[str] = []
                args: list[Any] = [self.marker_ttl_s, 0]
                for name, rows in step.rows.items():
                    adapter = ROWS[name]
                    keys.append(self.keys.rows(step.tag, name))
                    args.append(len(rows))
                    for k, v in rows.items():
                        args += (k, adapter.dump_json(v))
                args[1] = len(keys)
                for command_id, outputs in step.markers.items():
                    keys.append(self.keys.applied(step.tag, command_id))
                    args.append(encode_outputs(outputs))
                if keys:
                    pipe.evalsha(self._commit_sha, len(keys), *keys, *args)
            try:
                await pipe.execute()
            except NoScriptError:
                self._commit_sha = None  # Redis restarted or was flushed: load it again
                raise

    async def registered(self, family: str) -> list[str]:
        return sorted(text(m) for m in await self.redis.smembers(self.keys.registry(family)))

    # -- outcomes and fingerprints -----------------------------------------------------------

    async def announce(self, outcomes: Iterable[CommandOutcome]) -> None:
        """Keep each outcome for later look-ups and tell the waiting gateways."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for outcome in outcomes:
                body = encode(outcome)
                pipe.set(self.keys.outcome(outcome.command_id), body, ex=self.marker_ttl_s)
                pipe.publish(self.keys.outcomes_channel, body)
            await pipe.execute()

    async def announce_quietly(self, outcomes: Iterable[CommandOutcome]) -> None:
        """Keep outcomes for look-ups without telling anyone (a rebuild)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for outcome in outcomes:
                pipe.set(self.keys.outcome(outcome.command_id), encode(outcome),
                         ex=self.marker_ttl_s)
            await pipe.execute()

    async def outcome(self, command_id: UUID) -> CommandOutcome | None:
        raw = await self.redis.get(self.keys.outcome(command_id))
        if raw is None:
            return None
        found: CommandOutcome = COMMAND_OUTCOMES.adapter.validate_json(raw)
        return found

    # -- the live board and inboxes ------------------------------------------------------------

    async def save_live(self, snapshot: LiveSnapshot) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self.keys.live, snapshot.model_dump_json())
            pipe.set(self.keys.live_position, snapshot.position)
            await pipe.execute()

    async def live(self) -> LiveSnapshot | None:
        raw = await self.redis.get(self.keys.live)
        return None if raw is None else LiveSnapshot.model_validate_json(raw)

    async def live_position(self) -> int:
        raw = await self.redis.get(self.keys.live_position)
        return int(raw or 0)

    async def notify(self, notes: Sequence[Notification], keep: int) -> None:
        """Add to inboxes; the same notification twice is one entry (ZADD of one member)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for note in notes:
                key = self.keys.inbox(note.recipient)
                pipe.zadd(key, {note.model_dump_json(): note.at.timestamp()})
                pipe.zremrangebyrank(key, 0, -keep - 1)
            await pipe.execute()

    async def inbox(self, recipient: str, limit: int) -> list[Notification]:
        raw = await self.redis.zrevrange(self.keys.inbox(recipient), 0, limit - 1)
        return [Notification.model_validate_json(text(r)) for r in raw]

    async def dead_letter(self, body: bytes) -> None:
        await self.redis.lpush(self.keys.dead_letters, body)

    async def dead_letters(self) -> int:
        return int(await self.redis.llen(self.keys.dead_letters))

    async def drop_all(self) -> int:
        """Delete every key of this namespace (rebuild starts from nothing), a SCAN page per
        round trip; one UNLINK per key, as keys of different hash slots cannot share one."""
        dropped, cursor = 0, 0
        while True:
            cursor, page = await self.redis.scan(cursor, match=self.keys.pattern(), count=1000)
            if page:
                async with self.redis.pipeline(transaction=False) as pipe:
                    for key in page:
                        pipe.unlink(key)
                    dropped += sum(int(n) for n in await pipe.execute())
            if cursor == 0:
                return dropped
