"""`vdispatch rebuild`: derived state from the log, from scratch, with a progress bar.

In the embedded mode derived state lives in the process and is rebuilt at every start; this
command folds the log into fresh state, checks the ledger's invariants on the result and
prints a summary, so an operator can verify a data dir before serving it.
"""

from __future__ import annotations

import json
import sys

from tqdm import tqdm

from runtime.embedded import EmbeddedPlatform
from runtime.settings import Settings


def check_invariants(platform: EmbeddedPlatform) -> list[str]:
    problems: list[str] = []
    for account in platform.ledger.state.accounts.values():
        folded = sum(e.points for e in account.entries)
        if folded != account.balance:
            problems.append(f"{account.volunteer_id}: balance {account.balance} != {folded}")
        if account.balance < 0 or account.available < 0:
            problems.append(f"{account.volunteer_id}: negative balance")
        hours = [e.hours for e in account.entries if e.kind == "credit"]
        if abs(sum(hours) - account.lifetime_hours) > 1e-6:
            problems.append(f"{account.volunteer_id}: lifetime hours differ from credits")
    problems += [f"{item.item_id}: negative stock" for item in
                 platform.stock.state.items.values() if item.stock < 0]
    for county in platform.dispatcher.counties.values():
        for team in county.teams.values():
            if not 0 <= team.load <= team.capacity:
                problems.append(f"{team.team_id}: load {team.load} outside 0..{team.capacity}")
    return problems


async def rebuild(settings: Settings) -> int:
    if settings.mode == "kafka":
        from runtime.kafka_rebuild import rebuild_redis

        return await rebuild_redis(settings)
    platform = EmbeddedPlatform(settings)
    head = platform.log.head()
    with tqdm(total=head, unit="msg", file=sys.stderr, desc="replaying the log") as bar:
        def progress(position: int, total: int) -> None:
            bar.update(position - bar.n)

        folded = platform.recover(progress)
        bar.update(head - bar.n)
    problems = check_invariants(platform)
    counties = platform.dispatcher.counties.values()
    summary = {
        "events": folded,
        "counties": len(counties),
        "areas": sum(len(c.areas) for c in counties),
        "teams": sum(len(c.teams) for c in counties),
        "volunteers": sum(len(c.volunteers) for c in counties),
        "requests": sum(len(c.requests) for c in counties),
        "accounts": len(platform.ledger.state.accounts),
        "points_outstanding": sum(a.balance for a in platform.ledger.state.accounts.values()),
        "catalog_items": len(platform.stock.state.items),
        "problems": problems,
    }
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    platform.log.close()
    return 1 if problems else 0
