"""Shared test support: a platform started as real processes, and an HTTP client per role.

Scenario, fault and browser tests only talk to a platform through this: a base URL and the
secret that signs tokens. That is what lets the same scenario suite run against the
embedded mode and the scaled mode unchanged.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from gateway.auth import issue_token
from schemas.common import Role

REPO = Path(__file__).resolve().parent.parent
VDISPATCH = str(Path(sys.executable).parent / "vdispatch")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]
    raw: bytes = b""

    @property
    def text(self) -> str:
        return self.raw.decode("utf-8", errors="replace")

    @property
    def error_code(self) -> str | None:
        if isinstance(self.body, dict) and isinstance(self.body.get("error"), dict):
            code: str = self.body["error"]["code"]
            return code
        return None


@dataclass
class Client:
    """Calls the API as one person (or anonymously, with token None)."""

    session: aiohttp.ClientSession
    base_url: str
    token: str | None

    def _headers(self, key: str | None, extra: dict[str, str] | None) -> dict[str, str]:
        headers = dict(extra or {})
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        if key is not None:
            headers["Idempotency-Key"] = key
        return headers

    async def request(self, method: str, path: str, body: Any = None, *, key: str | None = None,
                      raw: bytes | None = None, headers: dict[str, str] | None = None) -> Reply:
        kwargs: dict[str, Any] = {"headers": self._headers(key, headers)}
        if raw is not None:
            kwargs["data"] = raw
            kwargs["headers"].setdefault("Content-Type", "application/json")
        elif body is not None:
            kwargs["json"] = body
        async with self.session.request(method, self.base_url + path, **kwargs) as response:
            data = await response.read()
            text = data.decode(response.charset or "utf-8", errors="replace")
            try:
                parsed: Any = json.loads(text) if text else None
            except ValueError:
                parsed = text
            return Reply(response.status, parsed, dict(response.headers), data)

    async def open_stream(self, path: str) -> Reply:
        """Open a server-sent event stream, take the status and the first message, close."""
        async with self.session.get(self.base_url + path,
                                    headers=self._headers(None, None)) as response:
            first = b""
            if response.status == 200:
                while not first.rstrip().endswith(b"}"):
                    line = await asyncio.wait_for(response.content.readline(), 10)
                    if line.startswith(b"data: "):
                        first = line
            return Reply(response.status, first.decode(), dict(response.headers))

    async def get(self, path: str, **kw: Any) -> Reply:
        return await self.request("GET", path, **kw)

    async def post(self, path: str, body: Any = None, **kw: Any) -> Reply:
        return await self.request("POST", path, body if body is not None else {}, **kw)


@dataclass
class Platform:
    """A running platform, whatever its mode."""

    base_url: str
    secret: str
    mode: str
    session: aiohttp.ClientSession
    env: dict[str, str] = field(default_factory=dict)
    raw_log: Callable[[str, str, bytes], Awaitable[None]] | None = None
    """Puts bytes straight onto a topic of the platform's log, past the gateway (as a client
    of another version, or an operator's slip, might)."""
    kept: Callable[[], Awaitable[bytes]] | None = None
    """Every byte the platform keeps: its data dir's files, or its topics and Redis keys."""
    printed: Callable[[], str] | None = None
    """What the platform's processes have printed (the console outbox's messages)."""

    async def code_sent_to(self, phone: str, after: int = 0) -> str:
        """The newest one-time code the console outbox printed for a phone, after `after`
        such lines (so a test asking for a second code gets the second)."""
        assert self.printed is not None
        pattern = re.compile(rf"^\[outbox\] sms to {phone}: .*?([0-9]{{6}})", re.MULTILINE)

        async def found() -> str | None:
            assert self.printed is not None
            codes = pattern.findall(self.printed())
            return codes[-1] if len(codes) > after else None

        code: str = await eventually(found, timeout_s=20)
        return code

    def codes_sent_to(self, phone: str) -> int:
        assert self.printed is not None
        return len(re.findall(rf"^\[outbox\] sms to {phone}: ", self.printed(), re.MULTILINE))

    def token(self, role: Role | str, subject: str, ttl_s: int = 3600,
              scope: str | None = None) -> str:
        """A signed token; staff's `scope` is an area code (None: every area)."""
        return issue_token(self.secret, Role(role), subject, datetime.now(UTC), ttl_s,
                           scope=scope)

    def as_(self, role: Role | str, subject: str, scope: str | None = None) -> Client:
        return Client(self.session, self.base_url, self.token(role, subject, scope=scope))

    def anonymous(self) -> Client:
        return Client(self.session, self.base_url, None)

    def with_token(self, token: str) -> Client:
        return Client(self.session, self.base_url, token)


async def eventually(check: Callable[[], Awaitable[Any]], timeout_s: float = 10.0,
                     interval_s: float = 0.05) -> Any:
    """Poll `check` until it returns something truthy; fail with its last value."""
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval_s)
    raise AssertionError(f"condition not met within {timeout_s}s; last value: {last!r}")


class ServerProcess:
    """`vdispatch serve` (or any vdispatch command) as a child process on a free port."""

    def __init__(self, data_dir: Path, env: dict[str, str], args: list[str] | None = None,
                 log_name: str = "serve") -> None:
        self.port = free_port()
        self.data_dir = data_dir
        self.args = args or ["serve"]
        self.env = {**os.environ, "VD_PORT": str(self.port), "VD_DATA_DIR": str(data_dir),
                    "VD_HOST": "127.0.0.1", **env}
        self.log_path = data_dir.parent / f"{data_dir.name}-{log_name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [VDISPATCH, *self.args], env=self.env, stdout=log, stderr=subprocess.STDOUT,
            cwd=REPO,
        )

    async def wait_ready(self, timeout_s: float = 30.0) -> None:
        deadline = time.monotonic() + timeout_s
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                assert self.process is not None
                if self.process.poll() is not None:
                    raise RuntimeError(f"server exited early; see {self.log_path}:\n"
                                       + self.log_path.read_text()[-3000:])
                try:
                    async with session.get(self.base_url + "/healthz") as r:
                        if r.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise TimeoutError(f"server not ready in {timeout_s}s; see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL: no chance to flush or say goodbye."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


_used_counties: set[str] = set()


def unique_county(rng: Any = None) -> str:
    """A county code no other test of this session uses, so tests share a platform safely."""
    import random

    rng = rng or random.Random()
    while True:
        code = f"{rng.randrange(100000, 999999)}"
        if code not in _used_counties:
            _used_counties.add(code)
            return code


@dataclass
class Team:
    team_id: str
    leader_id: str
    volunteers: list[str]


@dataclass
class District:
    """A small district of one county, registered through the API for one test.

    county C ─ town C001 ─ village C001001 ─ hamlets C001001001, C001001002
             │          └ village C001002
             └ town C002 ─ village C002001
    Teams, most local first: `hamlet` (groceries), `village` (groceries, cleaning),
    `town` (groceries, cleaning, companionship), `county` (every type but other).
    """

    county: str
    staff: Client
    teams: dict[str, Team]

    @property
    def town(self) -> str:
        return self.county + "001"

    @property
    def village(self) -> str:
        return self.county + "001001"

    @property
    def hamlet(self) -> str:
        return self.county + "001001001"

    @property
    def other_hamlet(self) -> str:
        return self.county + "001001002"

    @property
    def far_village(self) -> str:
        return self.county + "002001"


TEAM_SHAPES: dict[str, tuple[str, list[str], int]] = {
    "hamlet": ("001001001", ["groceries"], 2),
    "village": ("001001", ["groceries", "cleaning"], 3),
    "town": ("001", ["groceries", "cleaning", "companionship"], 5),
    "county": ("", ["groceries", "cleaning", "companionship", "bathing", "meal_delivery",
                    "health_check", "escort", "repair", "tutoring", "legal_aid",
                    "psych_support", "outreach", "civility"], 10),
}


async def make_district(platform: Platform, staff_id: str = "S-test") -> District:
    staff = platform.as_(Role.STAFF, staff_id)
    county = unique_county()
    areas = [
        (county, "测试区", 27.26, 111.44),
        (county + "001", "测试街道", 27.25, 111.43),
        (county + "001001", "测试社区", 27.251, 111.431),
        (county + "001001001", "一号小区", 27.2512, 111.4312),
        (county + "001001002", "二号小区", 27.2530, 111.4330),
        (county + "001002", "河东社区", 27.255, 111.435),
        (county + "002", "测试镇", 27.28, 111.45),
        (county + "002001", "远山村", 27.285, 111.455),
    ]
    for code, name, lat, lon in areas:
        r = await staff.post("/api/v1/areas", {"code": code, "name": name, "lat": lat, "lon": lon})
        assert r.status == 201, r.body
    teams: dict[str, Team] = {}
    for n, (level, (suffix, types, capacity)) in enumerate(TEAM_SHAPES.items(), start=1):
        team_id, leader_id = f"T{county}-{level}", f"L{county}-{n}"
        r = await staff.post("/api/v1/teams", {
            "team_id": team_id, "name": f"{level} team", "leader_id": leader_id,
            "service_types": types, "areas": [county + suffix], "capacity": capacity,
        })
        assert r.status == 201, r.body
        volunteers = []
        for k in range(1, 4):
            volunteer_id = f"V{county}-{n}{k}"
            r = await staff.post("/api/v1/volunteers", {
                "volunteer_id": volunteer_id, "name": f"志愿者{n}{k}", "team_id": team_id})
            assert r.status == 201, r.body
            volunteers.append(volunteer_id)
        teams[level] = Team(team_id, leader_id, volunteers)
    return District(county, staff, teams)


def sqlite_raw_log(data_dir: Path) -> Callable[[str, str, bytes], Awaitable[None]]:
    """`Platform.raw_log` of an embedded platform: a row of its own in the SQLite log."""
    import sqlite3
    import uuid

    async def put(topic: str, key: str, body: bytes) -> None:
        db = sqlite3.connect(data_dir / "log.sqlite3", timeout=10)
        try:
            db.execute("INSERT INTO messages (topic, key, message_id, type, body) "
                       "VALUES (?, ?, ?, ?, ?)", (topic, key, str(uuid.uuid4()), "?", body))
            db.commit()
        finally:
            db.close()

    return put


def data_dir_bytes(data_dir: Path) -> Callable[[], Awaitable[bytes]]:
    """`Platform.kept` of an embedded platform: every file of its data dir."""

    async def kept() -> bytes:
        return await asyncio.to_thread(
            lambda: b"".join(p.read_bytes() for p in sorted(data_dir.rglob("*"))
                             if p.is_file()))

    return kept
