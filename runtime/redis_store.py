"""The store of the scaled mode, in Redis (`runtime.ports.Store`, and what the Kafka mode
adds: answers for waiting gateways and the workers' heartbeats).

Keys are laid out for Redis Cluster: everything one owner changes in one step shares a hash
tag — `{c:<county>}` for the directory and requests, `{v:<volunteer>}` for an account,
`{i:<item>}` for a gift — so the rows it changed and the markers "this command is applied"
are written by one script call (atomic, one hash slot); a worker's batch sends every
aggregate's call in one pipelined round trip. Every Redis error leaves as `StoreUnavailable`.
"""

from __future__ import annotations

import asyncio
import functools
import json
import time
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, ParamSpec, TypeVar
from uuid import UUID

from pydantic import TypeAdapter
from redis.asyncio import Redis
from redis.exceptions import NoScriptError, RedisError
from redis.typing import EncodableT, FieldT

from runtime.ports import Step, Unavailable
from schemas.accounts import PersonAccount
from schemas.activities import ActivityView
from schemas.audit import AuditRecord
from schemas.base import CommandOutcome, LogMessage
from schemas.care import CarePlanView, VisitView
from schemas.cases import CaseView
from schemas.certificates import CertificateView
from schemas.flags import FlagView
from schemas.households import CivicEntry, CivicItemView, CivicRuleView, HouseholdView
from schemas.residents import ResidentProfile
from schemas.topics import BY_NAME, COMMAND_OUTCOMES, encode, topic_of
from schemas.views import (
    AccountView,
    AreaView,
    CatalogItemView,
    HeldCredit,
    HistoryItem,
    LedgerEntry,
    LiveSnapshot,
    Notification,
    RequestView,
    ReviewRuleView,
    TeamChange,
    TeamView,
    VolunteerView,
)
from schemas.wishes import WishView

ROWS: dict[str, TypeAdapter[Any]] = {
    "areas": TypeAdapter(AreaView),
    "teams": TypeAdapter(TeamView),
    "volunteers": TypeAdapter(VolunteerView),
    "requests": TypeAdapter(RequestView),
    "leaders": TypeAdapter(str),
    "tasks": TypeAdapter(tuple[str, ...]),
    "residents": TypeAdapter(tuple[str, ...]),
    "members": TypeAdapter(tuple[str, ...]),
    "review_rules": TypeAdapter(ReviewRuleView),
    "accounts": TypeAdapter(AccountView),
    "entries": TypeAdapter(LedgerEntry),
    "items": TypeAdapter(CatalogItemView),
    "person_accounts": TypeAdapter(PersonAccount),
    "contacts": TypeAdapter(str),
    "audit": TypeAdapter(AuditRecord),
    "profiles": TypeAdapter(ResidentProfile),
    "held": TypeAdapter(HeldCredit),
    "flags": TypeAdapter(FlagView),
    "certificates": TypeAdapter(CertificateView),
    "activities": TypeAdapter(ActivityView),
    "wishes": TypeAdapter(WishView),
    "households": TypeAdapter(HouseholdView),
    "civic_rules": TypeAdapter(CivicRuleView),
    "civic_items": TypeAdapter(CivicItemView),
    "cases": TypeAdapter(CaseView),
    "care_plans": TypeAdapter(CarePlanView),
    "visits": TypeAdapter(VisitView),
    "offices": TypeAdapter(bool),
}
LIVE_POLL_S = 0.2
LIVE_AT = "at"
"""The field of the boards' hash holding the time of the latest save (no area code)."""
HEARTBEAT_TTL_S = 10

JOURNALS: dict[str, TypeAdapter[Any]] = {
    "history": TypeAdapter(HistoryItem),
    "team_history": TypeAdapter(TeamChange),
    "civic_entries": TypeAdapter(CivicEntry),
}

# One aggregate's step, atomically: its changed rows (HSET), what it appended to its lists
# (RPUSH), how it moved in its rankings (ZADD, or ZREM for "-"), and its applied markers
# (SET with a TTL). ARGV[1] is the markers' TTL; then per key of KEYS an operation letter,
# a count, and that many arguments (pairs for hashes and rankings). A script rather than
# MULTI so that many aggregates' steps share one pipelined round trip while each stays
# atomic and within one hash slot (Redis Cluster).
COMMIT_LUA = """
local ttl = tonumber(ARGV[1])
local at = 2
for i = 1, #KEYS do
  local op = ARGV[at]
  local n = tonumber(ARGV[at + 1])
  at = at + 2
  if op == 'h' then
    for _ = 1, n do
      redis.call('HSET', KEYS[i], ARGV[at], ARGV[at + 1])
      at = at + 2
    end
  elseif op == 'l' then
    for _ = 1, n do
      redis.call('RPUSH', KEYS[i], ARGV[at])
      at = at + 1
    end
  elseif op == 'z' then
    for _ = 1, n do
      if ARGV[at + 1] == '-' then
        redis.call('ZREM', KEYS[i], ARGV[at])
      else
        redis.call('ZADD', KEYS[i], ARGV[at + 1], ARGV[at])
      end
      at = at + 2
    end
  else
    redis.call('SET', KEYS[i], ARGV[at], 'EX', ttl)
    at = at + 1
  end
end
return #KEYS
"""

P = ParamSpec("P")
T = TypeVar("T")


class StoreUnavailable(Unavailable):
    """Redis did not answer, or refused: the caller waits and tries again."""


def infrastructure(method: Callable[P, Coroutine[Any, Any, T]]
                   ) -> Callable[P, Coroutine[Any, Any, T]]:
    """Every Redis (or connection) error of a store call leaves as `StoreUnavailable`."""

    @functools.wraps(method)
    async def guarded(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await method(*args, **kwargs)
        except (RedisError, OSError, TimeoutError) as e:
            raise StoreUnavailable(f"the state store is not reachable: {e!r}") from e

    return guarded


class Keys:
    def __init__(self, namespace: str) -> None:
        self.ns = namespace or "vd"

    def rows(self, tag: str, collection: str) -> str:
        return f"{self.ns}:{tag}:rows:{collection}"

    def journal(self, tag: str, name: str, key: str) -> str:
        return f"{self.ns}:{tag}:journal:{name}:{key}"

    def ranking(self, tag: str, index: str) -> str:
        return f"{self.ns}:{tag}:rank:{index}"

    def applied(self, tag: str, command_id: UUID) -> str:
        return f"{self.ns}:{tag}:applied:{command_id}"

    def outcome(self, command_id: UUID) -> str:
        return f"{self.ns}:outcome:{command_id}"

    def registry(self, family: str) -> str:
        return f"{self.ns}:registry:{family}"

    def inbox(self, recipient: str) -> str:
        return f"{self.ns}:{{n:{recipient}}}:inbox"

    def heartbeat(self, role: str, worker: str) -> str:
        return f"{self.ns}:heartbeat:{role}:{worker}"

    @property
    def live(self) -> str:
        """A hash: each board's snapshot by scope ("" the whole platform's), and `at`."""
        return f"{self.ns}:live-boards"

    @property
    def outcomes_channel(self) -> str:
        return f"{self.ns}:outcomes"

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

    # -- the owners' side ------------------------------------------------------------------

    @infrastructure
    async def applied(self, markers: Sequence[tuple[str, UUID]]
                      ) -> list[list[LogMessage] | None]:
        if not markers:
            return []
        raw = await self.redis.mget([self.keys.applied(tag, c) for tag, c in markers])
        return [None if r is None else decode_outputs(r) for r in raw]

    @infrastructure
    async def load(self, tags: Sequence[str], collections: Sequence[str]
                   ) -> list[dict[str, dict[str, Any]]]:
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

    @infrastructure
    async def commit(self, steps: Sequence[Step],
                     registrations: Sequence[tuple[str, str]] = ()) -> None:
        if self._commit_sha is None:
            self._commit_sha = text(await self.redis.script_load(COMMIT_LUA))
        async with self.redis.pipeline(transaction=False) as pipe:
            for family, key in registrations:
                pipe.sadd(self.keys.registry(family), key)
            for step in steps:
                keys, args = self._step_arguments(step)
                if keys:
                    pipe.evalsha(self._commit_sha, len(keys), *keys, *args)
            try:
                await pipe.execute()
            except NoScriptError:
                self._commit_sha = None  # Redis restarted or was flushed: load it again
                raise

    def _step_arguments(self, step: Step) -> tuple[list[str], list[Any]]:
        keys: list[str] = []
        args: list[Any] = [self.marker_ttl_s]
        for name, rows in step.rows.items():
            adapter = ROWS[name]
            keys.append(self.keys.rows(step.tag, name))
            args += ("h", len(rows))
            for k, v in rows.items():
                args += (k, adapter.dump_json(v))
        for name, lists in step.appends.items():
            adapter = JOURNALS[name]
            for key, items in lists.items():
                keys.append(self.keys.journal(step.tag, name, key))
                args += ("l", len(items), *(adapter.dump_json(i) for i in items))
        for index, moves in step.ranks.items():
            keys.append(self.keys.ranking(step.tag, index))
            args += ("z", len(moves))
            for member, score in moves.items():
                args += (member, "-" if score is None else repr(score))
        for command_id, outputs in step.markers.items():
            keys.append(self.keys.applied(step.tag, command_id))
            args += ("m", 1, encode_outputs(outputs))
        return keys, args

    @infrastructure
    async def registered(self, family: str) -> list[str]:
        return sorted(text(m) for m in await self.redis.smembers(self.keys.registry(family)))

    # -- the readers' side -----------------------------------------------------------------

    @infrastructure
    async def row(self, tag: str, collection: str, key: str) -> Any | None:
        raw = await self.redis.hget(self.keys.rows(tag, collection), key)
        return None if raw is None else ROWS[collection].validate_json(raw)

    @infrastructure
    async def rows(self, tag: str, collection: str, keys: Sequence[str]) -> list[Any | None]:
        if not keys:
            return []
        raw = await self.redis.hmget(self.keys.rows(tag, collection), list(keys))
        return [None if r is None else ROWS[collection].validate_json(r) for r in raw]

    @infrastructure
    async def row_across(self, tags: Sequence[str], collection: str, key: str
                         ) -> list[Any | None]:
        if not tags:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for tag in tags:
                pipe.hget(self.keys.rows(tag, collection), key)
            found = await pipe.execute()
        return [None if r is None else ROWS[collection].validate_json(r) for r in found]

    @infrastructure
    async def all_rows(self, tags: Sequence[str], collection: str) -> list[Any]:
        if not tags:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for tag in tags:
                pipe.hvals(self.keys.rows(tag, collection))
            found = await pipe.execute()
        return [ROWS[collection].validate_json(raw) for rows in found for raw in rows]

    @infrastructure
    async def journals(self, tag: str, name: str, keys: Sequence[str], limit: int
                       ) -> list[tuple[list[Any], int]]:
        if not keys:
            return []
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.lrange(self.keys.journal(tag, name, key), 0, limit - 1)
                pipe.llen(self.keys.journal(tag, name, key))
            found = await pipe.execute()
        adapter = JOURNALS[name]
        return [([adapter.validate_json(raw) for raw in found[2 * n]], int(found[2 * n + 1]))
                for n in range(len(keys))]

    @infrastructure
    async def ranked(self, tags: Sequence[str], index: str, limit: int,
                     after: tuple[float, str] | None = None) -> list[tuple[float, str, str]]:
        """Per aggregate, the highest scores below the cursor's and the ties at it (members
        of one score come in order of their names, as they do in memory)."""
        if not tags:
            return []
        top = "+inf" if after is None else f"({after[0]!r}"
        async with self.redis.pipeline(transaction=False) as pipe:
            for tag in tags:
                key = self.keys.ranking(tag, index)
                pipe.zrevrangebyscore(key, top, "-inf", start=0, num=limit, withscores=True)
                if after is not None:
                    pipe.zrangebyscore(key, after[0], after[0], withscores=True)
            found = await pipe.execute()
        results: list[tuple[float, str, str]] = []
        step = 1 if after is None else 2
        for n, tag in enumerate(tags):
            for member, score in found[n * step]:
                results.append((float(score), text(member), tag))
            if after is not None:
                results += [(float(score), text(member), tag)
                            for member, score in found[n * step + 1]
                            if (float(score), text(member)) < after]
        results.sort(key=lambda r: (r[0], r[1]), reverse=True)
        return results[:limit]

    # -- projections -----------------------------------------------------------------------

    @infrastructure
    async def save_live(self, boards: Mapping[str, LiveSnapshot], at: datetime) -> None:
        """One HSET: the boards and the time together, so no reader sees one without the
        other."""
        fields: dict[FieldT, EncodableT] = {
            key: snapshot.model_dump_json() for key, snapshot in boards.items()}
        fields[LIVE_AT] = at.isoformat()
        await self.redis.hset(self.keys.live, mapping=fields)

    @infrastructure
    async def live(self, scope: str | None = None) -> LiveSnapshot | None:
        raw, at = await self.redis.hmget(self.keys.live, [scope or "", LIVE_AT])
        if raw is None:
            return None
        snapshot = LiveSnapshot.model_validate_json(raw)
        if at is None:
            return snapshot
        return snapshot.model_copy(update={"generated_at": datetime.fromisoformat(text(at))})

    async def live_saved(self, position: int, timeout_s: float, scope: str | None = None
                         ) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            snapshot = await self.live(scope)
            if snapshot is not None and snapshot.position != position:
                return
            await asyncio.sleep(LIVE_POLL_S)

    @infrastructure
    async def notify(self, notes: Sequence[Notification], keep: int) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for note in notes:
                key = self.keys.inbox(note.recipient)
                pipe.zadd(key, {note.model_dump_json(): note.at.timestamp()})
                pipe.zremrangebyrank(key, 0, -keep - 1)
            await pipe.execute()

    @infrastructure
    async def inbox(self, recipient: str, limit: int) -> list[Notification]:
        raw = await self.redis.zrevrange(self.keys.inbox(recipient), 0, limit - 1)
        return [Notification.model_validate_json(text(r)) for r in raw]

    @infrastructure
    async def drop_all(self) -> int:
        """Delete every key of this namespace, a SCAN page per round trip; one UNLINK per
        key, as keys of different hash slots cannot share one."""
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

    # -- answers for waiting gateways (the scaled mode's part of the bus) ----------------------

    @infrastructure
    async def announce(self, outcomes: Iterable[CommandOutcome], publish: bool = True) -> None:
        """Keep each answer for later look-ups and (unless a rebuild) tell the gateways."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for outcome in outcomes:
                body = encode(outcome)
                pipe.set(self.keys.outcome(outcome.command_id), body, ex=self.marker_ttl_s)
                if publish:
                    pipe.publish(self.keys.outcomes_channel, body)
            await pipe.execute()

    @infrastructure
    async def outcome(self, command_id: UUID) -> CommandOutcome | None:
        raw = await self.redis.get(self.keys.outcome(command_id))
        if raw is None:
            return None
        found: CommandOutcome = COMMAND_OUTCOMES.adapter.validate_json(raw)
        return found

    # -- workers' heartbeats -----------------------------------------------------------------

    @infrastructure
    async def beat(self, role: str, worker: str, report: dict[str, Any]) -> None:
        await self.redis.set(self.keys.heartbeat(role, worker), json.dumps(report),
                             ex=HEARTBEAT_TTL_S)

    @infrastructure
    async def heartbeats(self) -> list[dict[str, Any]]:
        """Every live worker's last report (a worker that stopped beating is gone)."""
        found: list[dict[str, Any]] = []
        cursor = 0
        while True:
            cursor, page = await self.redis.scan(
                cursor, match=f"{self.keys.ns}:heartbeat:*", count=1000)
            if page:
                for raw in await self.redis.mget(page):
                    if raw is not None:
                        found.append(json.loads(raw))
            if cursor == 0:
                return found
