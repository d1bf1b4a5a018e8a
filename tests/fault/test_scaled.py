"""The scaled mode under faults, on a real broker and Redis with every part a process.

- Every step of a journey is in the topics, as valid events in order per key (read back
  with kafka-python, as any other consumer of the platform would); `scripts/topics create`
  run again creates nothing, and `scripts/topics show` lists every topic and the lag.
- Two dispatcher workers share the partitions; one is SIGKILLed mid-stream: the survivor
  takes its partitions over, no request is lost, none is accepted twice; started again, the
  killed worker takes its share back and the journeys go on.
- Two gateways share the workers: a journey whose steps alternate between them gets every
  answer at the gateway that was asked.
- Redis is flushed under the ledger; `vdispatch rebuild` replays the topics and every
  balance, request and gift comes back identical.
"""

from __future__ import annotations

import asyncio
import functools
import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis
from harness import REPO, District, Platform, ServerProcess, eventually, make_district
from journeys import balance_reaches, served
from kafka import KafkaConsumer, TopicPartition
from services import ScaledPlatform, Services, scaled_platform

from schemas.common import Role
from schemas.topics import CATALOGUE, DISPATCH_COMMANDS, DISPATCH_EVENTS, LEDGER_EVENTS

SECRET = "scaled-fault-secret-0123456789-0123456789"
FAST = {"VD_KAFKA_SESSION_TIMEOUT_S": "6"}
OWNS = re.compile(r"dispatcher owns partitions \[([\d, ]*)\]")
pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def read_topic(bootstrap: str, topic: str, partitions: int) -> list[tuple[int, str, Any]]:
    """Every record of a topic as (partition, key, decoded message), in offset order."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                             consumer_timeout_ms=3000)
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    consumer.assign(tps)
    consumer.seek_to_beginning(*tps)
    ends = consumer.end_offsets(tps)
    found = []
    try:
        for record in consumer:
            found.append((record.partition, record.key.decode(), record.value))
            if all(consumer.position(tp) >= ends[tp] for tp in tps):
                break
    finally:
        consumer.close()
    return found


async def test_every_step_of_a_journey_is_in_the_topics_in_order(
    scaled_services: Services, tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    scaled, platform = await scaled_platform(scaled_services, tmp_path, http, SECRET, {},
                                             "reader")
    try:
        district = await make_district(platform)
        volunteer = district.teams["hamlet"].volunteers[0]
        request_id = await served(platform, district, "R-read", [(volunteer, 2)])
        await balance_reaches(platform, volunteer, 2)
    finally:
        scaled.stop()
    name = f"{scaled.namespace}.{DISPATCH_EVENTS.name}"
    records = await asyncio.to_thread(read_topic, scaled_services.kafka_bootstrap, name,
                                      DISPATCH_EVENTS.partitions)
    journey = []
    for partition, key, raw in records:
        event = DISPATCH_EVENTS.adapter.validate_json(raw)
        assert key == event.partition_key
        if getattr(event, "request_id", None) == request_id:
            journey.append((partition, type(event).__name__))
    assert [e for _, e in journey] == ["RequestSubmitted", "RequestDispatched",
                                       "RequestAccepted", "RequestCompleted",
                                       "RequestReviewed", "ServiceConfirmed"]
    assert len({p for p, _ in journey}) == 1, "one county, one partition, one order"
    name = f"{scaled.namespace}.{LEDGER_EVENTS.name}"
    ledger = await asyncio.to_thread(read_topic, scaled_services.kafka_bootstrap, name,
                                     LEDGER_EVENTS.partitions)
    credits = [LEDGER_EVENTS.adapter.validate_json(raw) for _, key, raw in ledger
               if key == volunteer]
    assert [type(c).__name__ for c in credits] == ["PointsCredited"]
    assert credits[0].request_id == request_id and credits[0].points == 2

    again = await asyncio.to_thread(topics_tool, scaled, "create")
    assert again["created"] == [], "a second run creates nothing"
    names = {f"{scaled.namespace}.{t.name}": t for t in CATALOGUE}
    assert set(again["existing"]) == set(names)
    shown = await asyncio.to_thread(topics_tool, scaled, "show")
    for topic in shown["topics"]:
        assert topic["exists"] and topic["partitions"] == names[topic["name"]].partitions
    counts = {t["name"]: t["messages"] for t in shown["topics"]}
    assert counts[f"{scaled.namespace}.{DISPATCH_EVENTS.name}"] >= len(journey)
    lag = shown["consumer_lag"]
    assert f"{scaled.namespace}-dispatcher" in lag, lag
    assert all(n >= 0 for group in lag.values() for n in group.values())


def topics_tool(scaled: ScaledPlatform, action: str) -> dict[str, Any]:
    """`scripts/topics ACTION` in the platform's namespace, as an operator runs it."""
    done = subprocess.run([str(REPO / "scripts" / "topics"), action],
                          env={**os.environ, **scaled.env, "VD_PYTHON": sys.executable},
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


async def _journey(platform: Platform, district: District, n: int,
                   acknowledged: set[str]) -> str:
    """Order → accept → complete → review, retried with the same keys until answered."""
    rng = random.Random(n)

    async def post(role: Role, subject: str, path: str, body: dict[str, Any],
                   key: str) -> dict[str, Any]:
        client = platform.as_(role, subject)
        for _ in range(400):
            try:
                reply = await client.post(path, body, key=key)
            except (aiohttp.ClientError, TimeoutError):
                await asyncio.sleep(0.25)
                continue
            if reply.status in (200, 201):
                answer: dict[str, Any] = reply.body
                return answer
            assert reply.status in (202, 503), (path, reply.status, reply.body)
            await asyncio.sleep(0.25)
        raise AssertionError(f"{path} never answered")

    resident = f"R-two-{n}"
    made = await post(Role.RESIDENT, resident, "/api/v1/requests", {
        "service_type": "groceries", "area": district.hamlet, "address": f"{n}栋"},
        f"{district.county}-order-{n}")
    request_id: str = made["request_id"]
    acknowledged.add(request_id)
    team = next(t for t in district.teams.values() if t.team_id == made["team_id"])
    path = f"/api/v1/requests/{request_id}"
    await post(Role.LEADER, team.leader_id, path + "/accept", {}, f"{request_id}-accept")
    crew = [{"volunteer_id": rng.choice(team.volunteers), "hours": 1}]
    await post(Role.LEADER, team.leader_id, path + "/complete", {"volunteers": crew},
               f"{request_id}-complete")
    await post(Role.RESIDENT, resident, path + "/review", {"rating": 5}, f"{request_id}-review")
    return request_id


async def _reached(done: list[str], count: int) -> bool:
    return len(done) >= count


def _owned(worker: ServerProcess) -> set[int] | None:
    """The partitions a dispatcher said it owns after its latest rebalance."""
    said = OWNS.findall(worker.log_path.read_text())
    return {int(p) for p in said[-1].split(",") if p.strip()} if said else None


async def _shared(workers: list[ServerProcess]) -> bool:
    """The rebalance has settled: each worker owns some partitions, none owned twice."""
    owned = [_owned(w) for w in workers]
    if any(not o for o in owned):
        return False
    mine = [o for o in owned if o]
    return (sum(len(o) for o in mine) == DISPATCH_COMMANDS.partitions
            and set().union(*mine) == set(range(DISPATCH_COMMANDS.partitions)))


async def test_a_killed_dispatcher_hands_its_partitions_to_the_survivor(
    scaled_services: Services, tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    scaled, platform = await scaled_platform(scaled_services, tmp_path, http, SECRET, FAST,
                                             "two")
    try:
        districts = [await make_district(platform) for _ in range(6)]
        second = scaled.add_worker("dispatcher", "dispatcher-2")
        pair = [scaled.workers["dispatcher"], second]
        await eventually(functools.partial(_shared, pair), timeout_s=90, interval_s=0.25)
        acknowledged: set[str] = set()
        done: list[str] = []
        jobs = [(d, n) for n in range(8) for d in districts]
        queue: asyncio.Queue[tuple[District, int]] = asyncio.Queue()
        for job in jobs:
            queue.put_nowait(job)

        async def worker() -> None:
            while not queue.empty():
                district, n = queue.get_nowait()
                done.append(await _journey(platform, district, n, acknowledged))

        tasks = [asyncio.create_task(worker()) for _ in range(8)]
        await eventually(functools.partial(_reached, done, len(jobs) // 4), timeout_s=120,
                         interval_s=0.05)
        assert len(done) < len(jobs)
        second.kill()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=240)
        assert len(done) == len(jobs)
        staff = platform.as_(Role.STAFF, "S-two")
        for request_id in acknowledged:
            seen = await staff.get(f"/api/v1/requests/{request_id}")
            assert seen.status == 200, f"acknowledged {request_id} was lost"
            events = [h["event"] for h in seen.body["history"]]
            assert events.count("RequestAccepted") == 1, events
            assert events.count("ServiceConfirmed") == 1, events
        survivor = scaled.workers["dispatcher"].log_path.read_text()
        assert "owns partitions [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]" in survivor

        # Started again, the killed worker rejoins and takes its share back; journeys on
        # every county go on, nothing lost, nothing doubled.
        again = scaled.add_worker("dispatcher", "dispatcher-2-again")
        await eventually(functools.partial(_shared, [scaled.workers["dispatcher"], again]),
                         timeout_s=90, interval_s=0.25)
        later = [await _journey(platform, d, 100 + n, acknowledged)
                 for n, d in enumerate(districts)]
        for request_id in later:
            events = [h["event"] for h in
                      (await staff.get(f"/api/v1/requests/{request_id}")).body["history"]]
            assert events.count("RequestAccepted") == 1, events
            assert events.count("ServiceConfirmed") == 1, events
    finally:
        scaled.stop()


def flush_namespace(url: str, namespace: str) -> int:
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"{namespace}:*"))
    return int(client.delete(*keys)) if keys else 0


async def test_redis_flushed_under_the_ledger_is_rebuilt_identical(
    scaled_services: Services, tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    scaled, platform = await scaled_platform(scaled_services, tmp_path, http, SECRET, {},
                                             "flush")
    try:
        district = await make_district(platform)
        staff = platform.as_(Role.STAFF, "S-flush")
        hamlet = district.teams["hamlet"].volunteers
        ids = [await served(platform, district, f"R-f{n}", [(hamlet[n % 3], 1 + n % 2)])
               for n in range(6)]
        item = f"flask-{district.county}"
        await staff.post("/api/v1/catalog", {"item_id": item, "name": "保温杯", "points": 1,
                                             "stock": 9})
        await balance_reaches(platform, hamlet[0], 3)
        code = (await platform.as_(Role.VOLUNTEER, hamlet[0]).post(
            f"/api/v1/volunteers/{hamlet[0]}/redeem-code")).body["code"]
        redeemed = await platform.as_(Role.KIOSK, "K-flush").post(
            "/api/v1/redemptions", {"volunteer_id": hamlet[0], "item_id": item, "code": code})
        assert redeemed.status == 201

        async def picture() -> Any:
            points = [(await staff.get(f"/api/v1/volunteers/{v}/points")).body for v in hamlet]
            requests = [(await staff.get(f"/api/v1/requests/{r}")).body for r in ids]
            catalog = (await staff.get("/api/v1/catalog")).body
            return points, requests, catalog

        await asyncio.sleep(2)
        before = await picture()
        # Redis loses everything under the running workers; the operator stops them and
        # rebuilds from the topics.
        flushed = await asyncio.to_thread(flush_namespace, scaled_services.redis_url,
                                          scaled.namespace)
        assert flushed > 0
        assert (await staff.get(f"/api/v1/volunteers/{hamlet[0]}/points")).status == 404
        for worker in scaled.workers.values():
            worker.stop()
        rebuilt = await asyncio.to_thread(scaled.run, "rebuild")
        assert rebuilt.returncode == 0, rebuilt.stderr[-2000:]
        assert await picture() == before
        for worker in scaled.workers.values():
            worker.start()
        await scaled.ready(platform)
        await served(platform, district, "R-after", [(hamlet[1], 2)])
        previous = next(p for p in before[0] if p["volunteer_id"] == hamlet[1])
        after = await balance_reaches(platform, hamlet[1], previous["balance"] + 2)
        assert len(after["entries"]) == len(previous["entries"]) + 1
    finally:
        scaled.stop()


async def test_two_gateways_each_answer_their_own_callers(
    scaled_services: Services, tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    scaled, one = await scaled_platform(scaled_services, tmp_path, http, SECRET, {}, "pair")
    other = ServerProcess(tmp_path / "pair-gateway-2", scaled.env, ["gateway"],
                          log_name="gateway-2")
    other.start()
    try:
        await other.wait_ready()
        two = Platform(other.base_url, SECRET, "kafka", http)
        district = await make_district(one)
        team = district.teams["hamlet"]
        made = await two.as_(Role.RESIDENT, "R-pair").post("/api/v1/requests", {
            "service_type": "groceries", "area": district.hamlet, "address": "8栋"})
        assert made.status == 201 and made.body["team_id"] == team.team_id, made.body
        path = f"/api/v1/requests/{made.body['request_id']}"
        steps = [
            (one, Role.LEADER, team.leader_id, "/accept", {}, "accepted"),
            (two, Role.LEADER, team.leader_id, "/complete",
             {"volunteers": [{"volunteer_id": team.volunteers[0], "hours": 1}]}, "completed"),
            (one, Role.RESIDENT, "R-pair", "/review", {"rating": 4}, "reviewed"),
        ]
        for gateway, role, subject, step, body, status in steps:
            reply = await gateway.as_(role, subject).post(path + step, body)
            assert reply.status == 200 and reply.body["status"] == status, reply.body
        for gateway in (one, two):
            seen = await gateway.as_(Role.STAFF, "S-pair").get(path)
            assert seen.body["status"] == "reviewed"
    finally:
        other.stop()
        scaled.stop()
