"""People sign in (DESIGN §9), the same in both modes, as real processes: a code sent
through the outbox (the console sender's line in the platform's output) signs a resident up;
their token orders; a refresh token rotates and a reused one signs the session out; sign-out
stops the session's access tokens at once; staff created by staff sign in with a one-time
password and may do nothing else until they change it; a second code within 30 s is 429; a
leader registered with a phone is texted each new task."""

from __future__ import annotations

import secrets

from harness import Platform, eventually, make_district

from schemas.common import Role


def new_phone() -> str:
    return f"137{secrets.randbelow(10**8):08d}"


async def test_a_resident_signs_up_orders_refreshes_and_signs_out(platform: Platform) -> None:
    district = await make_district(platform)
    anyone = platform.anonymous()
    phone = new_phone()
    sent = await anyone.post("/api/v1/auth/codes", {"phone": phone})
    assert sent.status == 202 and sent.body["sent_to"] != phone
    code = await platform.code_sent_to(phone)
    up = await anyone.post("/api/v1/auth/sign-up", {
        "phone": phone, "code": code, "name": "赵奶奶", "area": district.hamlet,
        "address": "5栋101", "password": "my own password"})
    assert up.status == 201, up.body
    resident = platform.with_token(up.body["access_token"])
    me = await resident.get("/api/v1/me")
    assert me.body["name"] == "赵奶奶" and me.body["role"] == "resident"
    order = await resident.post("/api/v1/requests", {
        "service_type": "groceries", "area": district.hamlet, "address": "5栋101"})
    assert order.status == 201, order.body
    mine = await resident.get("/api/v1/requests")
    assert [r["request_id"] for r in mine.body["requests"]] == [order.body["request_id"]]

    signed = await anyone.post("/api/v1/auth/sign-in",
                               {"phone": phone, "password": "my own password"})
    assert signed.status == 200 and signed.body["subject"] == up.body["subject"]
    turned = await anyone.post("/api/v1/auth/refresh",
                               {"refresh_token": signed.body["refresh_token"]})
    assert turned.status == 200
    reused = await anyone.post("/api/v1/auth/refresh",
                               {"refresh_token": signed.body["refresh_token"]})
    assert (reused.status, reused.error_code) == (401, "refresh_reused")
    gone = await platform.with_token(turned.body["access_token"]).get("/api/v1/me")
    assert gone.status == 401

    out = await anyone.post("/api/v1/auth/sign-out", {"refresh_token": up.body["refresh_token"]})
    assert out.status == 204
    assert (await resident.get("/api/v1/me")).status == 401
    wrong = await anyone.post("/api/v1/auth/sign-in", {"phone": phone, "password": "nope nope"})
    assert (wrong.status, wrong.error_code) == (401, "bad_credentials")


async def test_staff_change_their_one_time_password_before_anything_else(
    platform: Platform
) -> None:
    district = await make_district(platform)
    phone = new_phone()
    made = await district.staff.post("/api/v1/staff", {
        "staff_id": f"S{district.county}-t", "name": "街道站", "phone": phone,
        "scope": district.town})
    assert made.status == 201, made.body
    anyone = platform.anonymous()
    signed = await anyone.post("/api/v1/auth/sign-in",
                               {"phone": phone, "password": made.body["one_time_password"]})
    assert signed.status == 200 and signed.body["password_change_required"] is True
    assert signed.body["scope"] == district.town
    first = platform.with_token(signed.body["access_token"])
    blocked = await first.get("/api/v1/live")
    assert (blocked.status, blocked.error_code) == (403, "password_change_required")
    changed = await first.post("/api/v1/auth/password", {"new_password": "a station's own"})
    assert changed.status == 204, changed.body
    fresh = await anyone.post("/api/v1/auth/refresh",
                              {"refresh_token": signed.body["refresh_token"]})
    assert fresh.status == 200 and fresh.body["password_change_required"] is False
    staff = platform.with_token(fresh.body["access_token"])
    assert (await staff.get("/api/v1/live")).status == 200
    assert (await staff.get("/api/v1/me")).body["scope"] == district.town


async def test_codes_are_limited_per_phone(platform: Platform) -> None:
    phone = new_phone()
    anyone = platform.anonymous()
    assert (await anyone.post("/api/v1/auth/codes", {"phone": phone})).status == 202
    again = await anyone.post("/api/v1/auth/codes", {"phone": phone})
    assert (again.status, again.error_code) == (429, "too_many_requests")
    assert 1 <= int(again.headers["Retry-After"]) <= 30


async def test_a_leader_with_a_phone_is_texted_a_new_task(platform: Platform) -> None:
    district = await make_district(platform)
    phone = new_phone()
    team_id = f"T{district.county}-texted"
    made = await district.staff.post("/api/v1/teams", {
        "team_id": team_id, "name": "短信队", "leader_id": f"L{district.county}-texted",
        "service_types": ["legal_aid"], "areas": [district.far_village], "capacity": 3,
        "leader_phone": phone, "leader_name": "钱队长"})
    assert made.status == 201, made.body
    order = await platform.as_(Role.RESIDENT, f"R{district.county}-t").post(
        "/api/v1/requests", {"service_type": "legal_aid", "area": district.far_village,
                             "address": "村口"})
    assert order.status == 201 and order.body["team_id"] == team_id, order.body
    assert platform.printed is not None

    async def texted() -> bool:
        assert platform.printed is not None
        return f"[outbox] sms to {phone}: 【志愿服务】有新的派单任务" in platform.printed()

    await eventually(texted, timeout_s=20)


async def test_a_team_slow_to_accept_is_reminded_in_its_inbox_and_by_text(
    quick_platform: Platform,
) -> None:
    platform = quick_platform
    district = await make_district(platform)
    phone = new_phone()
    leader_id = f"L{district.county}-slow"
    made = await district.staff.post("/api/v1/teams", {
        "team_id": f"T{district.county}-slow", "name": "慢队", "leader_id": leader_id,
        "service_types": ["legal_aid"], "areas": [district.far_village], "capacity": 3,
        "leader_phone": phone, "leader_name": "孙队长"})
    assert made.status == 201, made.body
    order = await platform.as_(Role.RESIDENT, f"R{district.county}-s").post(
        "/api/v1/requests", {"service_type": "legal_aid", "area": district.far_village,
                             "address": "村委会"})
    assert order.status == 201, order.body
    leader = platform.as_(Role.LEADER, leader_id)

    async def reminded() -> bool:
        notes = (await leader.get("/api/v1/notifications")).body["notifications"]
        assert platform.printed is not None
        return any(n["kind"] == "accept_reminder" for n in notes) and (
            f"[outbox] sms to {phone}: 【志愿服务】派单任务即将超时" in platform.printed())

    await eventually(reminded, timeout_s=20)
    history = (await district.staff.get(
        f"/api/v1/requests/{order.body['request_id']}")).body["history"]
    assert "AcceptReminderDue" not in [h["event"] for h in history]
