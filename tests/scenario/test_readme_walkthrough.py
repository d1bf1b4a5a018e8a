"""The README's walk through the loop, step by step, on the demo district of each mode.

The embedded mode is started with `vdispatch demo`, the scaled mode is seeded with `vdispatch
seed` into its gateway; the tokens are the ones those commands print, the leader's token the
one `vdispatch token` prints. Each step asserts what the README shows (the team the order goes
to, its leader, the volunteer who earns points, the gift), so the README cannot drift away
from what a new user meets.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from harness import VDISPATCH, Client, ServerProcess, eventually
from services import Services, scaled_platform

SECRET = "walkthrough-secret-not-for-production-0123456789"
TOKEN_LINE = re.compile(r"TOKEN_([A-Z]+)=(\S+)")
ORDER = {"service_type": "groceries", "area": "430511002003001",
         "address": "资园社区3栋2单元101", "details": "居家隔离，请代买米和青菜",
         "urgency": "urgent"}
TEAM, LEADER, CREW, VOLUNTEER, GIFT = "T029", "L029", "V0353", "V0085", "towel"


CREDENTIALS_LINE = re.compile(r"^  ([a-z]+) +\S+ +phone ([0-9]{11})  password (\S+)",
                              re.MULTILINE)


def printed_tokens(text: str) -> dict[str, str]:
    return {name.lower(): token for name, token in TOKEN_LINE.findall(text)}


async def sign_in_as_printed(session: aiohttp.ClientSession, base_url: str,
                             text: str) -> dict[str, str]:
    """Every demo user signs in with the phone and password printed for them; their
    access tokens by name, or nothing while the accounts are still being opened."""
    signed = {}
    anyone = Client(session, base_url, None)
    for name, phone, password in CREDENTIALS_LINE.findall(text):
        reply = await anyone.post("/api/v1/auth/sign-in", {"phone": phone, "password": password})
        if reply.status != 200:
            return {}
        signed[name] = reply.body["access_token"]
    assert set(signed) == {"staff", "town", "leader", "volunteer", "resident"}
    town = await Client(session, base_url, signed["town"]).get("/api/v1/me")
    assert town.body["scope"] == "430511001" and town.body["role"] == "staff"
    known = await Client(session, base_url, signed["staff"]).get("/api/v1/residents?limit=50")
    assert len(known.body["residents"]) == 20, "the demo district's residents have profiles"
    village = await Client(session, base_url, signed["staff"]).get(
        "/api/v1/households?area=430511001201")
    households = village.body["households"]
    assert len(households) == 8 and all(x["balance"] > 0 for x in households), (
        "the demo village's households are scored for last month")
    wall = await Client(session, base_url, signed["staff"]).get("/api/v1/wishes?limit=50")
    statuses = sorted(x["status"] for x in wall.body["wishes"])
    assert statuses == sorted(["fulfilled"] * 7 + ["done"] * 2 + ["claimed"] * 2
                              + ["withdrawn"] + ["open"] * 3), "the demo's wish wall"
    own = await Client(session, base_url, signed["resident"]).get("/api/v1/wishes")
    assert sorted(x["status"] for x in own.body["wishes"]) == ["done", "open"]
    held = await Client(session, base_url, signed["volunteer"]).get("/api/v1/wishes?mine=true")
    assert [x["status"] for x in held.body["wishes"]] == ["claimed"]
    await care_and_cases(Client(session, base_url, signed["staff"]))
    return signed


async def care_and_cases(staff: Client) -> None:
    """The demo's care plans with a visit done and two called off (missed, each a case), and
    the cases residents and staff opened."""
    plans = (await staff.get("/api/v1/care-plans?limit=50")).body["plans"]
    assert len(plans) >= 4 and all(p["planned"] >= 1 for p in plans), plans

    async def settled() -> dict[str, int] | None:
        found = (await staff.get("/api/v1/cases?limit=100")).body["cases"]
        kinds: dict[str, int] = {}
        for case in found:
            kinds[case["kind"]] = kinds.get(case["kind"], 0) + 1
        return kinds if kinds.get("missed_visit", 0) >= 2 else None

    kinds = await eventually(settled, timeout_s=30)
    assert kinds["complaint"] >= 2 and kinds["other"] >= 1, kinds

    async def served() -> list[dict[str, Any]] | None:
        found = (await staff.get("/api/v1/care-plans?limit=50")).body["plans"]
        return found if sum(p["done"] for p in found) >= 2 else None

    plans = await eventually(served, timeout_s=30)
    assert sum(p["missed"] for p in plans) == 2, plans


def leader_token(env: dict[str, str]) -> str:
    done = subprocess.run([VDISPATCH, "token", "--role", "leader", "--subject", LEADER],
                          env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=60, check=True)
    return done.stdout.strip()


async def walk(session: aiohttp.ClientSession, base_url: str, tokens: dict[str, str],
               leader: str) -> None:
    def as_(token: str) -> Client:
        return Client(session, base_url, token)

    resident, staff, kiosk = as_(tokens["resident"]), as_(tokens["staff"]), as_(tokens["kiosk"])
    volunteer = as_(tokens["volunteer"])
    made = await resident.post("/api/v1/requests", ORDER)
    assert made.status == 201, made.body
    assert made.body["status"] == "dispatched" and made.body["team_id"] == TEAM
    path = f"/api/v1/requests/{made.body['request_id']}"
    seen = await resident.get(path)
    assert seen.status == 200 and seen.body["history"][0]["event"] == "RequestSubmitted"

    inbox = await as_(leader).get("/api/v1/tasks")
    assert made.body["request_id"] in [t["request_id"] for t in inbox.body["tasks"]]
    assert CREW in [v["volunteer_id"] for v in inbox.body["volunteers"]]
    for step, body, status in (
        ("/accept", {}, "accepted"),
        ("/complete", {"volunteers": [{"volunteer_id": CREW, "hours": 2}]}, "completed"),
    ):
        reply = await as_(leader).post(path + step, body)
        assert reply.status == 200 and reply.body["status"] == status, reply.body
    reviewed = await resident.post(path + "/review", {"rating": 5, "comment": "谢谢"})
    assert reviewed.status == 200 and reviewed.body["status"] == "reviewed", reviewed.body

    async def crew_points() -> Any:
        points = await staff.get(f"/api/v1/volunteers/{CREW}/points")
        return points.body["balance"] == 2 and points.body["lifetime_hours"] == 2

    await eventually(crew_points, timeout_s=30)
    before = (await volunteer.get(f"/api/v1/volunteers/{VOLUNTEER}/points")).body
    code = await volunteer.post(f"/api/v1/volunteers/{VOLUNTEER}/redeem-code")
    assert code.status == 200 and re.fullmatch(r"\d{8}", code.body["code"]), code.body
    catalog = await kiosk.get("/api/v1/catalog")
    towel = next(i for i in catalog.body["items"] if i["item_id"] == GIFT)
    redeemed = await kiosk.post("/api/v1/redemptions", {
        "volunteer_id": VOLUNTEER, "item_id": GIFT, "code": code.body["code"]})
    assert redeemed.status == 201, redeemed.body
    assert redeemed.body["status"] == "completed"
    assert redeemed.body["balance"] == before["balance"] - towel["points"]
    again = await volunteer.post(f"/api/v1/volunteers/{VOLUNTEER}/redeem-code")
    refused = await kiosk.post("/api/v1/redemptions", {
        "volunteer_id": VOLUNTEER, "item_id": GIFT, "code": again.body["code"]})
    assert refused.status == 409 and refused.body["error"]["code"] == "quarter_used"
    live = await staff.get("/api/v1/live")
    assert live.status == 200 and live.body["events"] > 0


async def test_the_readme_walkthrough_on_the_embedded_demo(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    env = {"VD_SECRET": SECRET}
    demo = ServerProcess(tmp_path / "demo", env, ["demo"], log_name="demo")
    demo.start()
    try:
        await demo.wait_ready()

        async def welcomed() -> dict[str, str]:
            return printed_tokens(demo.log_path.read_text())

        tokens = await eventually(welcomed, timeout_s=120, interval_s=0.2)
        assert f"volunteer {VOLUNTEER}" in demo.log_path.read_text()
        async def signed_in_embedded() -> dict[str, str]:
            return await sign_in_as_printed(http, demo.base_url, demo.log_path.read_text())

        signed = await eventually(signed_in_embedded)
        leader = await asyncio.to_thread(leader_token, {**env, "VD_DATA_DIR": str(demo.data_dir)})
        await walk(http, demo.base_url, {**tokens, "resident": signed["resident"]}, leader)
    finally:
        demo.stop()


@pytest.mark.kafka
async def test_the_readme_walkthrough_on_a_seeded_scaled_platform(
    scaled_services: Services, tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    scaled, platform = await scaled_platform(scaled_services, tmp_path, http, SECRET, {},
                                             "seeded")
    try:
        seeded = await asyncio.to_thread(scaled.run, "seed", "--url", platform.base_url)
        assert seeded.returncode == 0, seeded.stderr[-3000:]
        tokens = printed_tokens(seeded.stdout)
        assert set(tokens) == {"staff", "town", "leader", "resident", "volunteer", "kiosk"}
        assert f"volunteer {VOLUNTEER}" in seeded.stdout

        async def signed_in() -> dict[str, str]:
            return await sign_in_as_printed(http, platform.base_url, seeded.stdout)

        signed = await eventually(signed_in, timeout_s=30)
        leader = await asyncio.to_thread(leader_token, scaled.env)
        await walk(http, platform.base_url, {**tokens, "resident": signed["resident"]}, leader)
    finally:
        scaled.stop()
