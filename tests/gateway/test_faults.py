"""Faults inside one embedded platform, seen from its HTTP API.

Proves: a full disk is answered 503 with Retry-After (never 500) and `/healthz` says 503 until
the disk has room again, after which every order answered 201 or 202 is there and dispatched
once and nothing was dead-lettered; a background task that fails is started again, counted in
`/metrics`, and the work it does goes on; a command the rules cannot handle is set aside alone,
answered `internal_error`, without folding the owner's history again, and the others go on.
How: the app from the factory in process; the log is given a size limit (SQLite's
`max_page_count`, the same refusal a full disk gives) that the test lifts to give room, and
faults are injected by replacing one log read or one rule for a while.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from harness import Reply, eventually
from inprocess import AiohttpClient, Gateway, settings_for

from dispatcher import handlers
from runtime.bootstrap import embedded_app
from schemas import commands as cmd
from schemas.common import Role
from schemas.topics import DISPATCH_COMMANDS, DISPATCH_EVENTS

ORDER = {"service_type": "groceries", "area": "430511001001001", "address": "1栋",
         "details": "请代买米和青菜" * 20}


async def health(gateway: Gateway) -> Reply:
    return await gateway.reply("GET", "/healthz")


async def test_a_full_disk_is_503_until_it_has_room_and_loses_nothing(
    aiohttp_client: AiohttpClient, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path, log_max_bytes=400_000, outcome_wait_s=0.5,
                            orders_per_hour_max=0)
    app = embedded_app(settings, settle=False)
    gateway = Gateway(await aiohttp_client(app), app)
    await gateway.seed()
    answered: list[str] = []
    statuses: Counter[int] = Counter()
    for n in range(2000):
        reply = await gateway.reply("POST", "/api/v1/requests", Role.RESIDENT, f"R{n % 50}",
                                    ORDER, key=f"order-{n}")
        statuses[reply.status] += 1
        if reply.status in (201, 202):
            answered.append(f"order-{n}")
        if reply.status == 503:
            assert reply.body["error"]["code"] == "unavailable"
            assert int(reply.headers["Retry-After"]) > 0
        if statuses[503] >= 10:
            break
    assert set(statuses) <= {201, 202, 503}, statuses
    assert statuses[503] >= 10, "the log never filled up"
    sick = await health(gateway)
    assert sick.status == 503 and int(sick.headers["Retry-After"]) > 0
    assert "log" in sick.body["problems"] or any(
        p.startswith("owner:") for p in sick.body["problems"]), sick.body

    gateway.platform.log._writer.execute("PRAGMA max_page_count=1073741823")  # room again

    async def healthy() -> bool:
        return (await health(gateway)).status == 200

    await eventually(healthy, timeout_s=15)
    for key in answered:
        again = await gateway.reply("POST", "/api/v1/requests", Role.RESIDENT,
                                    reply_subject(key), ORDER, key=key)
        assert again.status == 201, (key, again.body)
        request_id = again.body["request_id"]
        status, request = await gateway.call("GET", f"/api/v1/requests/{request_id}",
                                             Role.STAFF, "S1")
        assert status == 200 and request["status"] == "dispatched", request
        dispatched = [h for h in request["history"] if h["event"] == "RequestDispatched"]
        assert len(dispatched) == 1
    assert (await health(gateway)).body["dead_letters"] == 0


def reply_subject(key: str) -> str:
    return f"R{int(key.removeprefix('order-')) % 50}"


def fail_reads_of(gateway: Gateway, monkeypatch: pytest.MonkeyPatch, topic: str,
                  times: int) -> list[int]:
    """The next `times` reads of the log that include `topic` raise a disk error."""
    log = gateway.platform.log
    read = log.read
    failed: list[int] = []

    def failing(topics: Any, after: int, limit: int) -> Any:
        if topic in topics and len(failed) < times:
            failed.append(after)
            raise sqlite3.OperationalError("disk I/O error")
        return read(topics, after, limit)

    monkeypatch.setattr(log, "read", failing)
    return failed


async def restarts(gateway: Gateway, task: str) -> float:
    metrics = (await gateway.reply("GET", "/metrics")).body
    for line in metrics.splitlines():
        if line.startswith(f'vd_task_restarts_total{{task="{task}"}}'):
            return float(line.split()[-1])
    return 0.0


async def test_background_tasks_that_fail_are_started_again_and_counted(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    await gateway.seed()
    failed = fail_reads_of(gateway, monkeypatch, DISPATCH_EVENTS.name, 4)
    commands_failed = fail_reads_of(gateway, monkeypatch, DISPATCH_COMMANDS.name, 2)
    status, made = await gateway.call("POST", "/api/v1/requests", Role.RESIDENT, "R1", ORDER)
    assert status in (201, 202), made

    async def all_failed() -> bool:
        return len(commands_failed) == 2 and len(failed) == 4

    await eventually(all_failed, timeout_s=15)

    async def served() -> bool:
        requests = (await gateway.call("GET", "/api/v1/requests", Role.RESIDENT, "R1"))[1]
        return bool(requests["requests"]) and requests["requests"][0]["status"] == "dispatched"

    await eventually(served, timeout_s=15)
    request_id = (await gateway.call("GET", "/api/v1/requests", Role.RESIDENT, "R1")
                  )[1]["requests"][0]["request_id"]
    path = f"/api/v1/requests/{request_id}"
    assert (await gateway.call("POST", path + "/accept", Role.LEADER, "L1"))[0] == 200
    assert (await gateway.call("POST", path + "/complete", Role.LEADER, "L1", {
        "volunteers": [{"volunteer_id": "V1", "hours": 2}]}))[0] == 200
    assert (await gateway.call("POST", path + "/review", Role.RESIDENT, "R1",
                               {"rating": 5}))[0] == 200

    async def credited() -> bool:
        status, points = await gateway.call("GET", "/api/v1/volunteers/V1/points",
                                            Role.STAFF, "S1")
        return status == 200 and points["balance"] == 2

    await eventually(credited, timeout_s=15)
    for task in ("dispatcher", "credits", "projections"):
        assert await restarts(gateway, task) >= 1, task

    async def healthy() -> bool:
        return (await health(gateway)).status == 200

    await eventually(healthy, timeout_s=15)


async def test_a_command_the_rules_cannot_handle_is_set_aside_alone(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    await gateway.seed()
    folded_again: list[object] = []

    def scan(*args: object, **kwargs: object) -> Any:
        folded_again.append(args)
        return iter(())

    monkeypatch.setattr(gateway.platform.log, "scan", scan)
    register = handlers.HANDLERS[cmd.RegisterArea]

    def buggy(decider: Any, command: cmd.RegisterArea) -> Any:
        if command.name == "有毒":
            raise RuntimeError("a bug in the rules")
        return register(decider, command)

    monkeypatch.setitem(handlers.HANDLERS, cmd.RegisterArea, buggy)  # type: ignore[misc]
    names = ["好一", "有毒", "好二", "好三"]
    replies = await asyncio.gather(*(
        gateway.call("POST", "/api/v1/areas", Role.STAFF, "S1",
                     {"code": f"430511{n + 2:03d}", "name": name})
        for n, name in enumerate(names)))
    by_name = dict(zip(names, replies, strict=True))
    assert by_name["有毒"][0] == 409
    assert by_name["有毒"][1]["error"]["code"] == "internal_error"
    assert by_name["有毒"][1]["error"]["details"]["dead_letter"]
    assert [by_name[n][0] for n in ("好一", "好二", "好三")] == [201, 201, 201]
    assert folded_again == [], "the owner's history was not folded again"

    async def counted() -> bool:
        reply = await health(gateway)
        return reply.status == 200 and reply.body["dead_letters"] == 1

    await eventually(counted, timeout_s=10)
