"""`vdispatch rebuild`: derived state folded from the log, from scratch, with a progress bar —
the same `Replay` in both modes.

Embedded, derived state lives in the process and is rebuilt at every start; this command
folds the log into a fresh store, checks the ledger's invariants on the result and prints a
summary, so an operator can verify a data dir before serving it. Scaled, it drops the
platform's keys in Redis and writes them again from the topics (workers stopped: they keep
aggregates in memory), markers and kept answers included, and the persons' data keys from
their compacted topic.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from tqdm import tqdm

from consumers.ledger.owner import LedgerOwner, StockOwner
from dispatcher.owner import DispatchOwner
from runtime.embedded import owners_of, utcnow
from runtime.memory_store import MemoryStore
from runtime.ports import LogReader, Owner, Store
from runtime.projections import LiveProjector
from runtime.replay import Replay
from runtime.settings import Settings
from schemas.base import CommandOutcome
from schemas.views import AccountView, LedgerEntry


def check_invariants(owners: Sequence[Owner]) -> list[str]:
    problems: list[str] = []
    for owner in owners:
        if isinstance(owner, LedgerOwner):
            for state in owner.accounts.values():
                for account in state.accounts.values():
                    problems += _account_problems(account,
                                                  state.entries_of(account.volunteer_id))
        elif isinstance(owner, StockOwner):
            problems += [f"{item.item_id}: negative stock" for state in owner.items.values()
                         for item in state.items.values() if item.stock < 0]
        elif isinstance(owner, DispatchOwner):
            for county in owner.counties.values():
                for team in county.teams.values():
                    if not 0 <= team.load <= team.capacity:
                        problems.append(
                            f"{team.team_id}: load {team.load} outside 0..{team.capacity}")
    return problems


def _account_problems(account: AccountView, entries: list[LedgerEntry]) -> list[str]:
    problems = []
    folded = sum(e.points for e in entries)
    if folded != account.balance:
        problems.append(f"{account.volunteer_id}: balance {account.balance} != {folded}")
    if account.balance < 0 or account.available < 0:
        problems.append(f"{account.volunteer_id}: negative balance")
    hours = [e.hours for e in entries if e.kind == "credit"]
    if abs(sum(hours) - account.lifetime_hours) > 1e-6:
        problems.append(f"{account.volunteer_id}: lifetime hours differ from credits")
    return problems


async def rebuild(settings: Settings) -> int:
    owners = owners_of(settings)
    reader: LogReader
    store: Store
    if settings.mode == "kafka":
        from redis.asyncio import Redis

        from runtime.kafka_log import KafkaLogReader
        from runtime.redis_store import RedisStore

        redis_store = RedisStore(Redis.from_url(settings.redis_url), settings.namespace,
                                 settings.marker_ttl_s)
        store, reader = redis_store, KafkaLogReader(settings)
    else:
        from runtime.sqlite_log import SQLiteLog, SQLiteLogReader

        log = SQLiteLog(settings.data_dir / "log.sqlite3", settings.sqlite_synchronous)
        store, reader = MemoryStore(settings.marker_ttl_s), SQLiteLogReader(log)
    projector = LiveProjector(store, utcnow, settings.live_recent_max,
                              settings.notifications_max, settings.live_closed_window_s)
    replay = Replay(owners, projector, markers=settings.mode == "kafka")
    total = await reader.total(replay.topics())
    with tqdm(total=total, unit="msg", file=sys.stderr, desc="replaying the log") as bar:
        folded = await replay.run(reader, lambda n: bar.update(n - bar.n))
        bar.update(folded - bar.n)
    dropped = await store.drop_all()
    restored_keys = None
    if settings.mode == "kafka":
        from runtime.redis_keys import restore

        restored_keys = await restore(settings, redis_store.redis)

    async def keep(outcomes: list[CommandOutcome]) -> None:
        if settings.mode == "kafka":
            await redis_store.announce(outcomes, publish=False)

    written = await replay.write(store, keep)
    if restored_keys is not None:
        written["person_keys"] = restored_keys
    problems = check_invariants(owners)
    summary = {"mode": settings.mode, "replayed": folded, "dropped_keys": dropped, **written,
               **_totals(owners), "problems": problems}
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    if settings.mode == "kafka":
        await redis_store.redis.aclose()
    else:
        log.close()
    return 1 if problems else 0


def _totals(owners: Sequence[Owner]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for owner in owners:
        if isinstance(owner, DispatchOwner):
            counties = owner.counties.values()
            totals |= {"counties": len(counties),
                       "areas": sum(len(c.areas) for c in counties),
                       "teams": sum(len(c.teams) for c in counties),
                       "volunteers": sum(len(c.volunteers) for c in counties),
                       "requests": sum(len(c.requests) for c in counties)}
        elif isinstance(owner, LedgerOwner):
            accounts = [a for s in owner.accounts.values() for a in s.accounts.values()]
            totals |= {"accounts": len(accounts),
                       "points_outstanding": sum(a.balance for a in accounts)}
        elif isinstance(owner, StockOwner):
            totals["catalog_items"] = len(owner.items)
    return totals
