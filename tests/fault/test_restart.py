"""Crash safety of the embedded mode: SIGKILL the process mid-stream, twice, restart it on the
same data dir, and let clients retry with their Idempotency-Keys.

Proves: nothing acknowledged is lost (every request a client got 201 for exists), nothing is
applied twice (no request accepted twice, every volunteer's balance equals exactly the hours
of the reviewed services that named them), and `vdispatch rebuild` finds the ledger sound.
"""

from __future__ import annotations

import asyncio
import functools
import os
import random
import subprocess
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from harness import VDISPATCH, Platform, ServerProcess, eventually, make_district

from schemas.common import Role

SECRET = "fault-secret-0123456789-0123456789-abcdef"
JOURNEYS = 200
CONCURRENCY = 8


class Flaky:
    """Retries a call with its Idempotency-Key until the platform answers."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.acknowledged: set[str] = set()

    async def post(self, role: Role, subject: str, path: str, body: dict[str, Any],
                   key: str) -> dict[str, Any]:
        client = self.platform.as_(role, subject)
        for _ in range(600):
            try:
                reply = await client.post(path, body, key=key)
            except (TimeoutError, aiohttp.ClientError):
                await asyncio.sleep(0.1)
                continue
            if reply.status in (200, 201):
                answer: dict[str, Any] = reply.body
                return answer
            if reply.status in (202, 503):
                await asyncio.sleep(0.1)
                continue
            raise AssertionError(f"{path} answered {reply.status}: {reply.body}")
        raise AssertionError(f"{path} never answered")


async def journey(flaky: Flaky, n: int, district: Any, hours: dict[str, float]) -> str:
    rng = random.Random(n)
    resident = f"R-crash-{n}"
    made = await flaky.post(Role.RESIDENT, resident, "/api/v1/requests", {
        "service_type": "groceries", "area": district.hamlet, "address": f"{n}栋"},
        key=f"order-{n}")
    request_id: str = made["request_id"]
    flaky.acknowledged.add(request_id)
    team = next(t for t in district.teams.values() if t.team_id == made["team_id"])
    path = f"/api/v1/requests/{request_id}"
    await flaky.post(Role.LEADER, team.leader_id, path + "/accept", {}, key=f"accept-{n}")
    crew = rng.sample(team.volunteers, 2)
    shares = [rng.choice((1, 2, 3)) for _ in crew]
    await flaky.post(Role.LEADER, team.leader_id, path + "/complete",
                     {"volunteers": [{"volunteer_id": v, "hours": h}
                                     for v, h in zip(crew, shares, strict=True)]},
                     key=f"complete-{n}")
    await flaky.post(Role.RESIDENT, resident, path + "/review", {"rating": 4},
                     key=f"review-{n}")
    for v, h in zip(crew, shares, strict=True):
        hours[v] = hours.get(v, 0) + h
    return request_id


async def _reached(done: list[str], share: float) -> bool:
    return len(done) >= share * JOURNEYS


@pytest.mark.slow
async def test_sigkill_mid_stream_loses_nothing_and_doubles_nothing(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    server = ServerProcess(tmp_path / "data", {"VD_SECRET": SECRET}, log_name="crash")
    server.start()
    await server.wait_ready()
    platform = Platform(server.base_url, SECRET, "embedded", http)
    district = await make_district(platform)
    for team in district.teams.values():
        assert team.team_id
    flaky = Flaky(platform)
    hours: dict[str, float] = {}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(JOURNEYS):
        queue.put_nowait(n)
    done: list[str] = []

    async def worker() -> None:
        while not queue.empty():
            done.append(await journey(flaky, queue.get_nowait(), district, hours))

    workers = [asyncio.create_task(worker()) for _ in range(CONCURRENCY)]
    for share in (0.25, 0.6):
        await eventually(functools.partial(_reached, done, share), timeout_s=60,
                         interval_s=0.01)
        assert len(done) < JOURNEYS, "the kill must land while journeys are in flight"
        server.kill()
        await asyncio.sleep(0.3)
        server.start()
        await server.wait_ready()
    await asyncio.wait_for(asyncio.gather(*workers), timeout=180)
    assert len(done) == JOURNEYS

    staff = platform.as_(Role.STAFF, "S-check")
    for request_id in flaky.acknowledged:
        seen = await staff.get(f"/api/v1/requests/{request_id}")
        assert seen.status == 200, f"acknowledged {request_id} was lost"
        events = [h["event"] for h in seen.body["history"]]
        assert events.count("RequestAccepted") == 1
        assert events.count("ServiceConfirmed") == 1
        assert seen.body["status"] == "reviewed"

    for volunteer_id, expected in hours.items():
        # a busy volunteer's hours beyond a day's maximum are held by a flag, not lost
        async def recorded(volunteer_id: str = volunteer_id, expected: float = expected) -> Any:
            r = await staff.get(f"/api/v1/volunteers/{volunteer_id}/record")
            totals = r.body["totals"]
            return r.body if totals["hours"] + totals["held_hours"] == expected else None

        record = await eventually(recorded, timeout_s=20)
        points = (await staff.get(f"/api/v1/volunteers/{volunteer_id}/points")).body
        assert points["lifetime_hours"] == points["balance"] == record["totals"]["hours"]
        ids = [e["request_id"] for e in record["entries"]]
        assert len(set(ids)) == len(ids), "a service credited or held twice"
    tasks = await platform.as_(Role.LEADER, district.teams["hamlet"].leader_id).get(
        "/api/v1/tasks")
    assert tasks.body["team"]["load"] == 0

    server.stop()
    env = {**os.environ, "VD_DATA_DIR": str(server.data_dir), "VD_SECRET": SECRET}
    rebuilt = await asyncio.to_thread(
        subprocess.run, [VDISPATCH, "rebuild"], env=env, capture_output=True, text=True,
        timeout=120, check=False)
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert '"problems": []' in rebuilt.stdout


async def test_an_accept_deadline_survives_a_crash(tmp_path: Path,
                                                   http: aiohttp.ClientSession) -> None:
    """The deadline passes while the process is down; after the restart it still fires."""
    env = {"VD_SECRET": SECRET, "VD_ACCEPT_WINDOW_S": "2", "VD_TIMER_TICK_S": "0.1"}
    server = ServerProcess(tmp_path / "data", env, log_name="deadline")
    server.start()
    await server.wait_ready()
    platform = Platform(server.base_url, SECRET, "embedded", http)
    district = await make_district(platform)
    made = await platform.as_(Role.RESIDENT, "R-dl").post("/api/v1/requests", {
        "service_type": "groceries", "area": district.hamlet, "address": "1栋"})
    assert made.body["team_id"] == district.teams["hamlet"].team_id
    server.kill()
    await asyncio.sleep(2.5)
    server.start()
    await server.wait_ready()
    staff = platform.as_(Role.STAFF, "S-dl")

    async def moved_on() -> Any:
        r = await staff.get(f"/api/v1/requests/{made.body['request_id']}")
        events = [h["event"] for h in r.body["history"]]
        return events if "AcceptDeadlinePassed" in events else None

    events = await eventually(moved_on, timeout_s=10)
    assert events[:4] == ["RequestSubmitted", "RequestDispatched", "AcceptDeadlinePassed",
                          "RequestDispatched"]
    server.stop()
