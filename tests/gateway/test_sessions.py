"""Signing in, in process (DESIGN §9): a code reaches the phone through the outbox, a
resident signs up with it, signs in with the password or another code, refreshes (each
refresh token good once; one used twice signs the session out), signs out (its access
tokens stop at once), and staff created with a one-time password must change it first.
Wrong credentials are 401 `bad_credentials` alike, and too many of them 429.
How: the embedded app in process, its outbox's sender replaced by one that records."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
from harness import Reply, eventually
from inprocess import SECRET, AiohttpClient, Gateway, settings_for

from runtime.bootstrap import embedded_app
from runtime.cli import main
from schemas.common import Role

PHONE = "13800138000"


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    async def send(self, channel: str, to: str, text: str) -> None:
        self.sent.append((channel, to, text))


@pytest.fixture
async def gateway(aiohttp_client: AiohttpClient, tmp_path: Path) -> Gateway:
    app = embedded_app(settings_for(tmp_path, revocation_cache_s=0, signin_failures_max=3,
                                    codes_per_hour_max=0), settle=False)
    gateway = Gateway(await aiohttp_client(app), app)
    gateway.platform.outbox.sender = Recorder()
    await gateway.seed()
    return gateway


def outbox(gateway: Gateway) -> Recorder:
    sender = gateway.platform.outbox.sender
    assert isinstance(sender, Recorder)
    return sender


async def post(gateway: Gateway, path: str, body: Any, token: str | None = None) -> Reply:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    response = await gateway.client.post(path, json=body, headers=headers)
    text = await response.text()
    return Reply(response.status, await response.json() if text else text,
                 dict(response.headers))


async def get(gateway: Gateway, path: str, token: str) -> Reply:
    response = await gateway.client.get(path, headers={"Authorization": f"Bearer {token}"})
    return Reply(response.status, await response.json(), dict(response.headers))


async def code_for(gateway: Gateway, phone: str) -> str:
    before = len(outbox(gateway).sent)
    reply = await post(gateway, "/api/v1/auth/codes", {"phone": phone})
    assert reply.status == 202, reply.body

    async def arrived() -> list[tuple[str, str, str]]:
        return outbox(gateway).sent[before:]

    [(channel, to, text)] = await eventually(arrived)
    assert (channel, to) == ("sms", phone)
    found = re.search(r"[0-9]{6}", text)
    assert found is not None
    return found.group()


async def test_a_resident_signs_up_signs_in_refreshes_and_signs_out(gateway: Gateway) -> None:
    code = await code_for(gateway, PHONE)
    up = await post(gateway, "/api/v1/auth/sign-up", {
        "phone": PHONE, "code": code, "name": "王阿姨", "area": "430511001001001",
        "address": "3栋2单元", "password": "correct horse"})
    assert up.status == 201, up.body
    assert up.body["role"] == "resident" and up.body["roles"][0]["role"] == "resident"
    resident = up.body["subject"]
    me = await get(gateway, "/api/v1/me", up.body["access_token"])
    assert me.status == 200 and me.body["name"] == "王阿姨" and me.body["subject"] == resident
    profile = await get(gateway, f"/api/v1/residents/{resident}", up.body["access_token"])
    assert profile.status == 200 and profile.body["address"] == "3栋2单元"
    assert profile.body["registered_by"] == "self" and profile.body["phone"] == PHONE
    again = await post(gateway, "/api/v1/auth/sign-up", {
        "phone": PHONE, "code": code, "name": "王阿姨", "area": "430511001001001",
        "address": "3栋2单元"})
    assert again.status == 401 and again.body["error"]["code"] == "bad_credentials"

    signed = await post(gateway, "/api/v1/auth/sign-in",
                        {"phone": PHONE, "password": "correct horse"})
    assert signed.status == 200 and signed.body["subject"] == resident
    order = await post(gateway, "/api/v1/requests", {
        "service_type": "groceries", "area": "430511001001001", "address": "3栋2单元",
        "details": "买米"}, signed.body["access_token"])
    assert order.status == 201, order.body

    first = signed.body["refresh_token"]
    turned = await post(gateway, "/api/v1/auth/refresh", {"refresh_token": first})
    assert turned.status == 200 and turned.body["refresh_token"] != first
    reused = await post(gateway, "/api/v1/auth/refresh", {"refresh_token": first})
    assert reused.status == 401 and reused.body["error"]["code"] == "refresh_reused"
    dead = await get(gateway, "/api/v1/me", turned.body["access_token"])
    assert dead.status == 401, "a reused refresh token signs its whole session out"
    stale = await post(gateway, "/api/v1/auth/refresh",
                       {"refresh_token": turned.body["refresh_token"]})
    assert stale.status == 401

    by_code = await post(gateway, "/api/v1/auth/sign-in",
                         {"phone": PHONE, "code": await code_for(gateway, PHONE)})
    assert by_code.status == 200, by_code.body
    access = by_code.body["access_token"]
    assert (await get(gateway, "/api/v1/me", access)).status == 200
    out = await post(gateway, "/api/v1/auth/sign-out",
                     {"refresh_token": by_code.body["refresh_token"]})
    assert out.status == 204
    assert (await get(gateway, "/api/v1/me", access)).status == 401
    assert (await post(gateway, "/api/v1/auth/refresh",
                       {"refresh_token": by_code.body["refresh_token"]})).status == 401


async def test_wrong_credentials_are_alike_and_limited(gateway: Gateway) -> None:
    code = await code_for(gateway, PHONE)
    assert (await post(gateway, "/api/v1/auth/sign-up", {
        "phone": PHONE, "code": code, "name": "李", "area": "430511001001001",
        "address": "1栋", "password": "a good password"})).status == 201
    wrong = await post(gateway, "/api/v1/auth/sign-in",
                       {"phone": PHONE, "password": "not it at all"})
    unknown = await post(gateway, "/api/v1/auth/sign-in",
                         {"phone": "13900000000", "password": "not it at all"})
    assert wrong.status == unknown.status == 401
    assert wrong.body == unknown.body
    bad_code = await post(gateway, "/api/v1/auth/sign-in", {"phone": PHONE, "code": "000000"})
    assert bad_code.status == 401 and bad_code.body == wrong.body
    assert (await post(gateway, "/api/v1/auth/sign-in",
                       {"phone": PHONE, "password": "third time"})).status == 401
    limited = await post(gateway, "/api/v1/auth/sign-in",
                         {"phone": PHONE, "password": "a good password"})
    assert limited.status == 429 and int(limited.headers["Retry-After"]) > 0
    both = await post(gateway, "/api/v1/auth/sign-in",
                      {"phone": PHONE, "password": "x", "code": "123456"})
    assert both.status == 422


async def test_staff_sign_in_with_a_one_time_password_and_must_change_it(
    gateway: Gateway
) -> None:
    status, created = await gateway.call("POST", "/api/v1/staff", Role.STAFF, "S-seed", {
        "staff_id": "S-town", "name": "街道干部", "phone": "13700137000",
        "scope": "430511001"})
    assert status == 201, created
    password = created["one_time_password"]
    signed = await post(gateway, "/api/v1/auth/sign-in",
                        {"phone": "13700137000", "password": password})
    assert signed.status == 200, signed.body
    assert signed.body["password_change_required"] is True
    assert signed.body["scope"] == "430511001" and signed.body["role"] == "staff"
    token = signed.body["access_token"]
    blocked = await get(gateway, "/api/v1/teams", token)
    assert blocked.status == 403 and blocked.body["error"]["code"] == "password_change_required"
    changed = await post(gateway, "/api/v1/auth/password", {"new_password": "town hall 2026"},
                         token)
    assert changed.status == 204, changed.body
    fresh = await post(gateway, "/api/v1/auth/refresh",
                       {"refresh_token": signed.body["refresh_token"]})
    assert fresh.status == 200 and fresh.body["password_change_required"] is False
    assert (await get(gateway, "/api/v1/teams", fresh.body["access_token"])).status == 200
    old = await post(gateway, "/api/v1/auth/sign-in",
                     {"phone": "13700137000", "password": password})
    assert old.status == 401
    outside = await post(gateway, "/api/v1/staff", {
        "staff_id": "S-other", "name": "别处", "phone": "13700137001", "scope": "430502"},
        fresh.body["access_token"])
    assert outside.status == 403 and outside.body["error"]["code"] == "out_of_scope"


async def test_the_first_staff_account_comes_from_the_command_line(
    aiohttp_client: AiohttpClient, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VD_SECRET", SECRET)
    assert await asyncio.to_thread(main, [
        "admin", "create-staff", "--id", "S001", "--name", "区中心", "--phone", "13600136000",
        "--scope", "430511", "--data-dir", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    [password] = re.findall(r"^password: (\S+)$", printed, re.MULTILINE)
    assert main(["admin", "create-staff", "--id", "S002", "--name", "x", "--phone", "123",
                 "--scope", "430511", "--data-dir", str(tmp_path)]) == 2
    app = embedded_app(settings_for(tmp_path), settle=False)
    gateway = Gateway(await aiohttp_client(app), app)

    async def signed_in() -> Reply | None:
        reply = await post(gateway, "/api/v1/auth/sign-in",
                           {"phone": "13600136000", "password": password})
        return reply if reply.status == 200 else None

    signed = await eventually(signed_in)
    assert signed.body["subject"] == "S001" and signed.body["scope"] == "430511"
    assert signed.body["password_change_required"] is True


async def test_a_kiosk_signs_in_with_its_device_key_until_it_is_revoked(
    gateway: Gateway
) -> None:
    status, kiosk = await gateway.call("POST", "/api/v1/kiosks", Role.STAFF, "S-seed", {
        "kiosk_id": "K-town", "name": "街道兑换机", "area": "430511001"})
    assert status == 201, kiosk
    key = kiosk["device_key"]
    wrong = await post(gateway, "/api/v1/auth/device",
                       {"kiosk_id": "K-town", "device_key": "x" * 32})
    assert wrong.status == 401 and wrong.body["error"]["code"] == "bad_credentials"
    signed = await post(gateway, "/api/v1/auth/device", {"kiosk_id": "K-town", "device_key": key})
    assert signed.status == 200, signed.body
    assert (signed.body["role"], signed.body["subject"], signed.body["scope"]) == (
        "kiosk", "K-town", "430511001")
    token = signed.body["access_token"]
    assert (await get(gateway, "/api/v1/catalog", token)).status == 200
    status, body = await gateway.call("POST", "/api/v1/kiosks/K-none/revoke", Role.STAFF,
                                      "S-seed")
    assert status == 404, body
    status, body = await gateway.call("POST", "/api/v1/kiosks/K-town/revoke", Role.STAFF,
                                      "S-seed")
    assert status == 204, body
    assert (await get(gateway, "/api/v1/catalog", token)).status == 401
    again = await post(gateway, "/api/v1/auth/device", {"kiosk_id": "K-town", "device_key": key})
    assert again.status == 401
    status, body = await gateway.call("POST", "/api/v1/kiosks", Role.STAFF, "S-seed", {
        "kiosk_id": "K-town", "name": "又一台", "area": "430511001"})
    assert status == 409 and body["error"]["code"] == "account_closed"


async def test_registrations_with_a_phone_give_its_account_their_roles(
    gateway: Gateway
) -> None:
    phone = "13512345678"
    status, body = await gateway.call("POST", "/api/v1/volunteers", Role.STAFF, "S-seed", {
        "volunteer_id": "V-phone", "name": "小赵", "team_id": "T1", "phone": phone})
    assert status == 201, body
    status, body = await gateway.call("POST", "/api/v1/teams", Role.STAFF, "S-seed", {
        "team_id": "T-phone", "name": "二队", "leader_id": "L-phone",
        "service_types": ["repair"], "areas": ["430511001"], "capacity": 3,
        "leader_phone": phone, "leader_name": "小赵"})
    assert status == 201, body
    signed = await post(gateway, "/api/v1/auth/sign-in",
                        {"phone": phone, "code": await code_for(gateway, phone)})
    assert signed.status == 200, signed.body
    assert {(g["role"], g["subject"]) for g in signed.body["roles"]} == {
        ("volunteer", "V-phone"), ("leader", "L-phone")}
    assert signed.body["role"] == "volunteer"
    leader = await post(gateway, "/api/v1/auth/sign-in",
                        {"phone": phone, "code": await code_for(gateway, phone),
                         "role": "leader"})
    assert leader.status == 200 and leader.body["subject"] == "L-phone"
    inbox = await get(gateway, "/api/v1/tasks", leader.body["access_token"])
    assert inbox.status == 200, inbox.body
    staff = await post(gateway, "/api/v1/auth/sign-in",
                       {"phone": phone, "code": await code_for(gateway, phone),
                        "role": "staff"})
    assert staff.status == 403 and staff.body["error"]["code"] == "role_not_held"
