"""Input from outside that once broke the gateway is refused with a clear error and writes
nothing: JSON nested without end, numbers in other scripts' digits, a token subject with a
trailing newline, and a look at somebody else's command."""

from __future__ import annotations

import logging
from urllib.parse import quote

import jwt
import pytest
from inprocess import SECRET, Gateway

from schemas.common import Role
from schemas.topics import DISPATCH_COMMANDS


def commands_in_log(gateway: Gateway) -> int:
    count: int = gateway.platform.log.count(DISPATCH_COMMANDS.name)
    return count


@pytest.mark.parametrize("depth", [9, 1000, 30_000])
async def test_json_nested_too_deeply_is_400_without_a_traceback(
    gateway: Gateway, depth: int, caplog: pytest.LogCaptureFixture
) -> None:
    raw = b'{"code": "430511", "name": "x", "lat": ' + b"[" * depth + b"]" * depth + b"}"
    with caplog.at_level(logging.ERROR):
        status, body = await gateway.call("POST", "/api/v1/areas", Role.STAFF, "S1", raw=raw)
    assert (status, body["error"]["code"]) == (400, "too_deep")
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert commands_in_log(gateway) == 0


@pytest.mark.parametrize("limit", ["²", "١٢", "１２", "5\n", " 5", "-1", "0", "1e3",
                                   "99999999999999999999"])
async def test_a_limit_that_is_not_plain_ascii_digits_in_range_is_400(
    gateway: Gateway, limit: str
) -> None:
    status, body = await gateway.call("GET", f"/api/v1/requests?limit={quote(limit)}", Role.STAFF,
                                      "S1")
    assert (status, body["error"]["code"]) == (400, "bad_limit")


@pytest.mark.parametrize("code", ["４３０５１１", "٤٣٠٥١١", "43051１", "430511\n", "४३०५११"])
async def test_area_codes_in_other_digits_are_422_naming_the_code(
    gateway: Gateway, code: str
) -> None:
    status, body = await gateway.call("POST", "/api/v1/areas", Role.STAFF, "S1",
                                      {"code": code, "name": "x"})
    assert status == 422
    assert [d["field"] for d in body["error"]["details"]] == ["code"]
    assert commands_in_log(gateway) == 0


@pytest.mark.parametrize("subject", ["S1\n", "S1\r\n", "S1 ", "S\u00a01"])
async def test_a_token_whose_subject_has_trailing_or_odd_whitespace_is_401(
    gateway: Gateway, subject: str
) -> None:
    token = jwt.encode({"iss": "vdispatch", "sub": subject, "role": "staff", "iat": 0,
                        "exp": 4_000_000_000}, SECRET, algorithm="HS256")
    response = await gateway.client.get("/api/v1/live",
                                        headers={"Authorization": f"Bearer {token}"})
    assert response.status == 401


async def test_only_the_sender_reads_a_commands_answer(gateway: Gateway) -> None:
    status, _ = await gateway.call("POST", "/api/v1/areas", Role.STAFF, "S1",
                                   {"code": "430511", "name": "北塔区"}, key="area-1")
    assert status == 201
    [record] = gateway.platform.log.read([DISPATCH_COMMANDS.name], 0, 10)
    path = f"/api/v1/commands/{record.message_id}"
    status, body = await gateway.call("GET", path, Role.STAFF, "S1")
    assert (status, body["status"]) == (200, "done")
    for role, subject in ((Role.STAFF, "S2"), (Role.RESIDENT, "S1"), (Role.KIOSK, "K1")):
        status, body = await gateway.call("GET", path, role, subject)
        assert (status, body["error"]["code"]) == (404, "not_found"), (role, subject)
