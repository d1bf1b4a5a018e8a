"""`vdispatch demo`: seed the demo district through the HTTP API, then print who can log in.

Seeding goes through the public API with Idempotency-Keys, exactly as a client would, so a
demo that is stopped half-way and started again finishes the job without doubling anything.
A few orders are taken through the loop so that the board, the leaders' inboxes and the
volunteers' points are not empty.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from gateway.auth import issue_token
from gateway.config import GatewayConfig
from gateway.http import BUS, CONFIG, SEALER
from gateway.personal import Sealer
from runtime.admin import Send, open_demo_account
from runtime.demo_care import seed_care
from runtime.demo_civic import seed_village
from runtime.demo_district import DemoDistrict, build_demo_district
from runtime.demo_wishes import seed_wishes
from schemas.accounts import Grant
from schemas.common import Role

AccountChannel = Callable[[], AbstractAsyncContextManager[tuple[Send, Sealer]]]

log = logging.getLogger("vdispatch.demo")

STAFF_ID = "S001"
TOWN_STAFF_ID = "S002"
TOWN = "430511001"
KIOSK_ID = "K001"
PAGES = {"staff": "/staff", "town": "/staff", "leader": "/leader", "resident": "/resident",
         "volunteer": "/volunteer", "kiosk": "/kiosk"}
DEMO_PASSWORD = "beita-demo"  # noqa: S105  printed for everyone to try: demo data only
DEMO_PHONES = {"staff": "13907390001", "town": "13907390002", "leader": "13907390003",
               "volunteer": "13907390004"}
"""Outside the 1380739 block the demo residents' numbers come from."""
RETRIES_MAX = 240
RETRY_PAUSE_S = 0.5


class Seeder:
    def __init__(self, base_url: str, config: GatewayConfig) -> None:
        self.base_url = base_url
        self.config = config
        self.session = aiohttp.ClientSession()

    def token(self, role: Role, subject: str) -> str:
        return issue_token(self.config.keys, role, subject, datetime.now(UTC), 30 * 24 * 3600)

    async def post(self, role: Role, subject: str, path: str, body: dict[str, Any] | None,
                   key: str) -> tuple[int, dict[str, Any]]:
        """POST with an Idempotency-Key. A 202 (the owner has not answered yet, e.g. while
        the scaled mode's workers rebalance) or a 503 (the log is briefly unavailable) is
        asked again with the same key, which answers with the first outcome once there is
        one, so nothing is done twice."""
        headers = {"Authorization": f"Bearer {self.token(role, subject)}",
                   "Idempotency-Key": f"demo:{key}"}
        for _ in range(RETRIES_MAX):
            async with self.session.post(self.base_url + path, json=body or {},
                                         headers=headers) as response:
                if response.status not in (202, 503):
                    return response.status, await response.json()
            await asyncio.sleep(RETRY_PAUSE_S)
        raise RuntimeError(f"demo seeding got no answer to {path} after {RETRIES_MAX} tries")

    async def get(self, role: Role, subject: str, path: str) -> dict[str, Any]:
        """GET, asked again while the platform is briefly unavailable."""
        headers = {"Authorization": f"Bearer {self.token(role, subject)}"}
        for _ in range(RETRIES_MAX):
            async with self.session.get(self.base_url + path, headers=headers) as response:
                if response.status != 503:
                    body: dict[str, Any] = await response.json()
                    if response.status >= 400:
                        raise RuntimeError(f"demo seeding could not read {path}: "
                                           f"{json.dumps(body)[:300]}")
                    return body
            await asyncio.sleep(RETRY_PAUSE_S)
        raise RuntimeError(f"demo seeding got no answer to {path} after {RETRIES_MAX} tries")

    async def wait_ready(self, timeout_s: float) -> None:
        """Until the gateway answers its health check."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            try:
                async with self.session.get(self.base_url + "/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"no platform answers at {self.base_url}")
            await asyncio.sleep(0.1)

    async def close(self) -> None:
        await self.session.close()


async def seed(seeder: Seeder, district: DemoDistrict) -> dict[str, str]:
    """Register the district and walk a few orders through the loop; return demo subjects."""
    staff = (Role.STAFF, STAFF_ID)
    for body in district.areas:
        await _must(seeder.post(*staff, "/api/v1/areas", body, f"area:{body['code']}"))
    for body in district.teams:
        await _must(seeder.post(*staff, "/api/v1/teams", body, f"team:{body['team_id']}"))
    for body in district.volunteers:
        await _must(seeder.post(*staff, "/api/v1/volunteers", body,
                                f"volunteer:{body['volunteer_id']}"))
    for body in district.catalog:
        await _must(seeder.post(*staff, "/api/v1/catalog", body, f"gift:{body['item_id']}"))
    for body in profiles(district):
        await _must(seeder.post(*staff, "/api/v1/residents", body,
                                f"resident:{body['resident_id']}"))

    leaders = {str(t["team_id"]): str(t["leader_id"]) for t in district.teams}
    members: dict[str, list[str]] = {}
    for v in district.volunteers:
        members.setdefault(str(v["team_id"]), []).append(str(v["volunteer_id"]))
    contacts = {str(r["resident_id"]): r for r in district.residents}
    hours_of: dict[str, float] = {}
    subjects = {"resident": str(district.residents[0]["resident_id"])}
    orders = district.sample_requests
    past = [(n, orders[n % len(orders)], district.residents[(n * 7) % len(district.residents)])
            for n in range(HISTORY_ORDERS)]
    for n, order, resident in past:
        body = _order_body({**order, "resident_id": resident["resident_id"],
                            "area": resident["area"], "address": resident["address"]},
                           contacts)
        await _journey(seeder, f"past:{n}", body, leaders, members, hours_of, stage=3,
                       rating=5 - n % 2, dispute=DISPUTE if n == DISPUTED_ORDER else None)
    for n, order in enumerate(orders):
        team_leader = await _journey(seeder, f"order:{n}", _order_body(order, contacts),
                                     leaders, members, hours_of, stage=n % 3, rating=5)
        if n % 3 == 0 and team_leader is not None:
            subjects.setdefault("leader", team_leader)
    subjects.setdefault("leader", leaders[str(district.teams[0]["team_id"])])
    subjects["volunteer"] = max(sorted(hours_of), key=lambda v: hours_of[v])
    await _certificate(seeder, subjects["volunteer"])
    await _activities(seeder, district, datetime.now(UTC))

    async def staff_post(path: str, body: dict[str, Any] | None, key: str) -> Any:
        return await _must(seeder.post(*staff, path, body, key))

    await seed_village(staff_post, datetime.now(UTC))

    async def post_as(role: Role, subject: str, path: str, body: dict[str, Any] | None,
                      key: str) -> dict[str, Any]:
        return (await _must(seeder.post(role, subject, path, body, key)))[1]

    async def get_as(role: Role, subject: str, path: str) -> dict[str, Any]:
        return await seeder.get(role, subject, path)

    await seed_care(post_as, get_as, STAFF_ID, profiles(district), leaders, members)
    await seed_wishes(post_as, STAFF_ID, district.residents,
                      [str(v["volunteer_id"]) for v in district.volunteers],
                      subjects["resident"], subjects["volunteer"])
    subjects["resident_phone"] = str(contacts[subjects["resident"]]["phone"])
    subjects["resident_name"] = str(contacts[subjects["resident"]]["name"])
    return subjects


async def open_demo_accounts(channel: AccountChannel, secret: str,
                             subjects: dict[str, str]) -> None:
    """A phone and a password for one demo user of each role, county and town staff."""
    users = [
        ("staff", "区文明实践中心", Grant(role=Role.STAFF, subject=STAFF_ID, scope="430511")),
        ("town", "新滩镇街道实践所", Grant(role=Role.STAFF, subject=TOWN_STAFF_ID, scope=TOWN)),
        ("leader", "队长", Grant(role=Role.LEADER, subject=subjects["leader"])),
        ("volunteer", "志愿者", Grant(role=Role.VOLUNTEER, subject=subjects["volunteer"])),
    ]
    async with channel() as (send, sealer):
        for name, title, grant in users:
            await open_demo_account(send, sealer, secret, DEMO_PHONES[name], title, grant,
                                    DEMO_PASSWORD)
        await open_demo_account(send, sealer, secret, subjects["resident_phone"],
                                subjects["resident_name"],
                                Grant(role=Role.RESIDENT, subject=subjects["resident"]),
                                DEMO_PASSWORD)


def profiles(district: DemoDistrict) -> list[dict[str, object]]:
    """The district's residents as the office knows them: birth years and circumstances
    drawn from a generator of their own, so the district's other draws stay as they are."""
    rng = random.Random(f"profiles:{PROFILE_SEED}")  # noqa: S311 - demo data, not cryptography
    found = []
    for resident in district.residents:
        elder = rng.random() < 0.75
        tags = [tag for tag, share in PROFILE_TAGS if rng.random() < share] if elder else []
        found.append({**resident, "birth_year": rng.randint(1932, 1958) if elder
                      else rng.randint(1960, 2000), "tags": tags})
    return found


PROFILE_SEED = 511
PROFILE_TAGS = (("living_alone", 0.35), ("empty_nest", 0.25), ("low_income", 0.15),
                ("care_dependent", 0.1), ("disability", 0.06), ("extreme_hardship", 0.04))
HISTORY_ORDERS = 36
CREW_HOURS = (3.0, 2.5, 2.0)
DISPUTED_ORDER = 4
DISPUTE = "只来了一位志愿者，不到一小时就走了"
"""One past order's resident disputes the hours, so the staff's flag list is not empty."""


async def _certificate(seeder: Seeder, volunteer_id: str) -> None:
    """Once the volunteer's credits are in the ledger, staff issue them a certificate."""
    staff = (Role.STAFF, STAFF_ID)
    for _ in range(RETRIES_MAX):
        record = await seeder.get(*staff, f"/api/v1/volunteers/{volunteer_id}/record")
        points = await seeder.get(*staff, f"/api/v1/volunteers/{volunteer_id}/points")
        if record["totals"]["hours"] > 0 and points["balance"] > 0:
            break
        await asyncio.sleep(RETRY_PAUSE_S)
    await _must(seeder.post(*staff, f"/api/v1/volunteers/{volunteer_id}/certificates", {},
                            f"certificate:{volunteer_id}"))


def _order_body(order: dict[str, object], contacts: dict[str, dict[str, object]]
                ) -> dict[str, object]:
    resident = contacts[str(order["resident_id"])]
    body = {k: v for k, v in order.items() if k != "resident_id"}
    return {**body, "resident_id": order["resident_id"], "contact_name": resident["name"],
            "contact_phone": resident["phone"]}


async def _journey(seeder: Seeder, key: str, body: dict[str, object], leaders: dict[str, str],
                   members: dict[str, list[str]], hours_of: dict[str, float], stage: int,
                   rating: int, dispute: str | None = None) -> str | None:
    """Order, then go as far as `stage`: 0 dispatched, 1 accepted, 2 completed, 3 reviewed."""
    resident = str(body.pop("resident_id"))
    _, made = await _must(seeder.post(Role.RESIDENT, resident, "/api/v1/requests", body,
                                      f"{key}:order"))
    team_id = made.get("team_id")
    if team_id is None:
        return None
    leader = leaders[team_id]
    path = f"/api/v1/requests/{made['request_id']}"
    if stage >= 1:
        await _must(seeder.post(Role.LEADER, leader, path + "/accept", None, f"{key}:accept"))
    if stage >= 2:
        crew = [{"volunteer_id": v, "hours": h}
                for v, h in zip(members[team_id], CREW_HOURS, strict=False)]
        await _must(seeder.post(Role.LEADER, leader, path + "/complete",
                                {"volunteers": crew}, f"{key}:complete"))
        if stage >= 3:
            for member in crew:
                volunteer = str(member["volunteer_id"])
                hours_of[volunteer] = hours_of.get(volunteer, 0.0) + float(str(member["hours"]))
    if stage >= 3:
        review: dict[str, Any] = {"rating": rating, "comment": "志愿者很热心，谢谢！"}
        if dispute is not None:
            review = {"rating": 2, "comment": "时长不对", "dispute": True,
                      "dispute_reason": dispute}
        await _must(seeder.post(Role.RESIDENT, resident, path + "/review", review,
                                f"{key}:review"))
    return leader


DEMO_ACTIVITIES = (
    ("文明交通劝导", "civility", timedelta(minutes=-30), timedelta(hours=2), 20),
    ("社区环境清扫", "cleaning", timedelta(days=1), timedelta(hours=2), 15),
    ("理论宣讲进社区", "outreach", timedelta(days=3), timedelta(hours=1, minutes=30), 30),
)
"""Activities of the demo, from the hour it is seeded: one under way (to check in at), two
to come."""


async def _activities(seeder: Seeder, district: DemoDistrict, now: datetime) -> None:
    """Publish the demo's activities in the county's first town. Their ids and times are
    those of the hour, so a seed started again within it repeats nothing."""
    hour = now.replace(minute=0, second=0, microsecond=0)
    area = str(district.areas[1]["code"])
    for n, (title, service_type, start, length, slots) in enumerate(DEMO_ACTIVITIES, 1):
        activity_id = f"A{hour:%Y%m%d%H}-{n}"
        starts_at = hour + start
        await _must(seeder.post(Role.STAFF, STAFF_ID, "/api/v1/activities", {
            "activity_id": activity_id, "title": title, "service_type": service_type,
            "area": area, "starts_at": starts_at.isoformat(),
            "ends_at": (starts_at + length).isoformat(), "slots": slots},
            f"activity:{activity_id}"))


async def _must(call: Any) -> tuple[int, dict[str, Any]]:
    status, body = await call
    if status >= 400:
        raise RuntimeError(f"demo seeding failed with {status}: {json.dumps(body)[:500]}")
    return status, body


def print_welcome(base_url: str, config: GatewayConfig, subjects: dict[str, str]) -> None:
    people = {
        "staff": (Role.STAFF, STAFF_ID, "430511"), "town": (Role.STAFF, TOWN_STAFF_ID, TOWN),
        "leader": (Role.LEADER, subjects["leader"], None),
        "resident": (Role.RESIDENT, subjects["resident"], None),
        "volunteer": (Role.VOLUNTEER, subjects["volunteer"], None),
        "kiosk": (Role.KIOSK, KIOSK_ID, None),
    }
    phones = {**DEMO_PHONES, "resident": subjects.get("resident_phone", "")}
    now = datetime.now(UTC)
    lines = [f"\n  北塔区 demo district is ready on {base_url}", "",
             f"  sign in at {base_url}/login with a phone and the password {DEMO_PASSWORD}:"]
    for name in ("staff", "town", "leader", "volunteer", "resident"):
        role, subject, scope = people[name]
        where = f"  (scope {scope})" if scope else ""
        lines.append(f"  {name:<9} {subject:<6} phone {phones[name]}  password "
                     f"{DEMO_PASSWORD}{where}")
    lines += ["", "  or open a page with a token (operators' tokens, 30 days):"]
    for name, (role, subject, scope) in people.items():
        token = issue_token(config.keys, role, subject, now, 30 * 24 * 3600, scope=scope)
        lines.append(f"  {name:<9} {subject:<6} TOKEN_{name.upper()}={token}")
        if name in PAGES:
            lines.append(f"            page: {base_url}{PAGES[name]}#token={token}")
    lines += ["", f"  API: {base_url}/openapi.json   health: {base_url}/healthz", ""]
    print("\n".join(lines), flush=True)


async def seed_running(base_url: str, config: GatewayConfig, channel: AccountChannel,
                       ready_timeout_s: float = 30.0, marker: Path | None = None) -> None:
    """Seed the demo district into the platform answering at `base_url` (either mode) and
    print who can log in. `marker` remembers a finished seeding across restarts. The demo
    users' accounts go through `channel` (past the API: nobody can sign in yet)."""
    remembered = None if marker is None else await asyncio.to_thread(_remembered, marker)
    if remembered is not None:
        subjects = remembered
    else:
        seeder = Seeder(base_url, config)
        try:
            await seeder.wait_ready(ready_timeout_s)
            print("  seeding the demo district ...", file=sys.stderr, flush=True)
            subjects = await seed(seeder, build_demo_district())
            await open_demo_accounts(channel, config.secret, subjects)
        finally:
            await seeder.close()
        if marker is not None:
            await asyncio.to_thread(marker.write_text, json.dumps(subjects))
    print_welcome(base_url, config, subjects)


def _remembered(marker: Path) -> dict[str, str] | None:
    return dict(json.loads(marker.read_text())) if marker.exists() else None


async def seed_in_background(app: web.Application) -> AsyncIterator[None]:
    """Seed in the background once the server is listening (a cleanup context)."""
    from runtime.bootstrap import PLATFORM

    settings = app[PLATFORM].settings
    base_url = f"http://{settings.host}:{settings.port}"

    def report(task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("the demo could not be seeded", exc_info=task.exception())

    @asynccontextmanager
    async def in_process() -> AsyncIterator[tuple[Send, Sealer]]:
        yield app[BUS].send, app[SEALER]

    task = asyncio.create_task(seed_running(base_url, app[CONFIG], in_process,
                                            marker=settings.data_dir / "demo.json"))
    task.add_done_callback(report)
    yield
    task.cancel()
