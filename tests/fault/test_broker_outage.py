"""The broker goes away under a running scaled platform and comes back.

While it is down the gateway answers 503 with Retry-After (never a false 201); when it is
back, the workers and the gateway carry on by themselves, and every order a client was told
was taken (201) is there.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from harness import REPO, Platform, make_district
from services import missing_service, start_services, why_not_scaled
from services import scaled_platform as start_platform

from schemas.common import Role

SECRET = "outage-secret-0123456789-0123456789-abcdef"
pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def kafka(action: str, data_dir: Path) -> None:
    done = subprocess.run([str(REPO / "scripts" / "kafka-local"), action],
                          env={**os.environ, "VD_DATA_DIR": str(data_dir)},
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]


async def order(platform: Platform, district: Any, n: int) -> tuple[int, Any]:
    reply = await platform.as_(Role.RESIDENT, f"R-out-{n}").post("/api/v1/requests", {
        "service_type": "groceries", "area": district.hamlet, "address": f"{n}栋"},
        key=f"outage-{n}")
    return reply.status, reply


async def test_a_broker_outage_is_503_and_loses_nothing(tmp_path: Path,
                                                       http: aiohttp.ClientSession) -> None:
    why = why_not_scaled()
    if why is not None:
        missing_service("Kafka and Redis", why)
    services = await asyncio.to_thread(start_services, tmp_path / "own", True)
    env = {"VD_PRODUCE_TIMEOUT_S": "3", "VD_KAFKA_SESSION_TIMEOUT_S": "6"}
    try:
        scaled, platform = await start_platform(services, tmp_path, http, SECRET, env, "out")
        try:
            district = await make_district(platform)
            taken = set()
            for n in range(5):
                status, reply = await order(platform, district, n)
                assert status == 201
                taken.add(reply.body["request_id"])

            await asyncio.to_thread(kafka, "stop", services.data_dir)
            status, reply = await order(platform, district, 100)
            assert status == 503, reply.body
            assert reply.error_code == "unavailable" and int(reply.headers["Retry-After"]) > 0

            await asyncio.to_thread(kafka, "start", services.data_dir)
            answered: dict[int, str] = {}
            for _ in range(120):
                for n in range(100, 105):
                    if n not in answered:
                        status, reply = await order(platform, district, n)
                        if status == 201:
                            answered[n] = reply.body["request_id"]
                if len(answered) == 5:
                    break
                await asyncio.sleep(1)
            assert len(answered) == 5, "the platform did not come back by itself"
            taken |= set(answered.values())
            staff = platform.as_(Role.STAFF, "S-out")
            for request_id in taken:
                seen = await staff.get(f"/api/v1/requests/{request_id}")
                assert seen.status == 200 and seen.body["status"] == "dispatched"
        finally:
            scaled.stop()
    finally:
        services.stop()
