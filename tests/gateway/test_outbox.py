"""The outbox's senders (DESIGN §9): the console sender prints one line per message at once;
the webhook sender POSTs `{channel, to, text}` and a refused send is retried with backoff
until the webhook takes it (counted by result), and given up after the bound; an expired
code is not sent at all; notices of the flow are texted to the leader and the resident who
have a phone on an account. How: an `Outbox` over a key store in a temporary dir, a webhook
served by aiohttp on loopback that refuses the first tries, and the embedded app in process
with a recording sender."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from harness import eventually
from inprocess import AiohttpClient, Gateway, settings_for
from prometheus_client import CollectorRegistry

from gateway.personal import Sealer
from runtime.bootstrap import embedded_app
from runtime.outbox import ConsoleSender, Outbox, SendFailed, WebhookSender
from runtime.sqlite_keys import SQLiteKeys
from schemas.accounts import CodeIssued
from schemas.base import SYSTEM
from schemas.common import Role

ACCOUNT = "p00112233445566778899aabb"


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    async def send(self, channel: str, to: str, text: str) -> None:
        self.sent.append((channel, to, text))


async def code_event(keys: SQLiteKeys, expires_in_s: float = 300) -> CodeIssued:
    sealed = await Sealer(keys).seal(ACCOUNT, {"phone": "13800000000", "code": "246810"})
    now = datetime.now(UTC)
    event_id = uuid4()
    return CodeIssued(event_id=event_id, occurred_at=now, correlation_id=event_id,
                      actor=SYSTEM, account_id=ACCOUNT, code_hash="0" * 64,
                      code=sealed["code"] or "", phone=sealed["phone"] or "",
                      expires_at=now + timedelta(seconds=expires_in_s))


def counted(registry: CollectorRegistry, result: str) -> float:
    return registry.get_sample_value("vd_outbox_messages_total", {"result": result}) or 0.0


async def test_the_console_prints_one_line_per_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keys = SQLiteKeys(tmp_path / "keys.sqlite3")
    outbox = Outbox(ConsoleSender(), keys, lambda: datetime.now(UTC), 0)
    await outbox.deliver(await code_event(keys))
    await outbox.deliver(await code_event(keys, expires_in_s=-1))
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("[outbox] sms to 13800000000: ")
    assert "246810" in lines[0]


async def test_the_webhook_is_retried_until_it_takes_the_message(tmp_path: Path) -> None:
    received: list[dict[str, Any]] = []
    refusals = [503, 500]

    async def hook(request: web.Request) -> web.Response:
        if refusals:
            return web.Response(status=refusals.pop(0))
        received.append(await request.json())
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/sms", hook)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        keys = SQLiteKeys(tmp_path / "keys.sqlite3")
        registry = CollectorRegistry()
        outbox = Outbox(WebhookSender(str(server.make_url("/sms"))), keys,
                        lambda: datetime.now(UTC), 5, registry)
        await outbox.deliver(await code_event(keys))
        assert received == [{"channel": "sms", "to": "13800000000",
                             "text": received[0]["text"]}]
        assert "246810" in received[0]["text"]
        assert (counted(registry, "failed"), counted(registry, "sent")) == (2, 1)

        refusals.extend([500] * 3)
        other = CollectorRegistry()
        stubborn = Outbox(WebhookSender(str(server.make_url("/sms"))), keys,
                          lambda: datetime.now(UTC), 1, other)
        await stubborn.deliver(await code_event(keys))
        assert counted(other, "set_aside") == 1 and len(received) == 1
    finally:
        await server.close()


async def test_notices_are_texted_to_those_with_a_phone(
    aiohttp_client: AiohttpClient, tmp_path: Path
) -> None:
    app = embedded_app(settings_for(tmp_path, codes_per_hour_max=0), settle=False)
    gateway = Gateway(await aiohttp_client(app), app)
    recorder = Recorder()
    gateway.platform.outbox.sender = recorder
    await gateway.seed()
    leader_phone, resident_phone = "13611112222", "13633334444"
    status, body = await gateway.call("POST", "/api/v1/teams", Role.STAFF, "S1", {
        "team_id": "T-near", "name": "近邻队", "leader_id": "L-near",
        "service_types": ["repair"], "areas": ["430511001001001"], "capacity": 5,
        "leader_phone": leader_phone, "leader_name": "张队长"})
    assert status == 201, body
    status, body = await gateway.call("POST", "/api/v1/residents", Role.STAFF, "S1", {
        "resident_id": "R-text", "name": "孙奶奶", "phone": resident_phone,
        "area": "430511001001001", "address": "1栋"})
    assert status == 201, body
    status, body = await gateway.call("POST", "/api/v1/requests", Role.STAFF, "S1", {
        "service_type": "repair", "area": "430511001001001", "address": "1栋",
        "resident_id": "R-text", "channel": "phone"})
    assert status == 201 and body["team_id"] == "T-near", body
    accepted = await gateway.call("POST", f"/api/v1/requests/{body['request_id']}/accept",
                                  Role.LEADER, "L-near")
    assert accepted[0] == 200

    async def texted() -> list[tuple[str, str]] | None:
        sent = [(to, text) for _, to, text in recorder.sent]
        wanted = [s for s in sent if s[0] in (leader_phone, resident_phone)]
        return wanted if len(wanted) >= 3 else None

    sent = await eventually(texted)
    assert (leader_phone, "【志愿服务】有新的派单任务，请及时接单") in sent
    assert (resident_phone, "【志愿服务】您的需求已派单给志愿服务队") in sent
    request = await gateway.call("GET", f"/api/v1/requests/{body['request_id']}", Role.STAFF,
                                 "S1")
    code = request[1]["service_code"]
    accepted_text = f"【志愿服务】志愿服务队已接单。服务码 {code}：志愿者上门和离开时请告诉队长"
    assert (resident_phone, accepted_text) in sent, "a resident with a phone hears the code"
    assert all(to != "13800000000" for to, _ in sent), "nobody without a phone is texted"


class Refusing:
    async def send(self, channel: str, to: str, text: str) -> None:
        raise SendFailed("the gateway answered 502")


async def test_a_send_set_aside_is_listed_for_staff_with_the_phone_masked(
    aiohttp_client: AiohttpClient, tmp_path: Path
) -> None:
    app = embedded_app(settings_for(tmp_path, outbox_retries_max=0), settle=False)
    gateway = Gateway(await aiohttp_client(app), app)
    gateway.platform.outbox.sender = Refusing()
    response = await gateway.client.post("/api/v1/auth/codes", json={"phone": "13655556666"})
    assert response.status == 202

    async def listed() -> list[dict[str, Any]] | None:
        status, body = await gateway.call("GET", "/api/v1/outbox/failures", Role.STAFF, "S1")
        assert status == 200, body
        return body["notifications"] or None

    [failure] = await eventually(listed)
    assert failure["kind"] == "send_failed" and "502" in failure["text_zh"]
    assert "13655556666" not in str(failure) and "6666" in failure["text_zh"]
    status, _ = await gateway.call("GET", "/api/v1/outbox/failures", Role.RESIDENT, "R1")
    assert status == 403
