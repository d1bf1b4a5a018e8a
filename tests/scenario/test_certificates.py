"""Certificates of service (DESIGN §10), through the HTTP API in both modes: staff issue one
from the record, its PDF reads back (CJK text embedded, the serial, the totals), anyone
verifies it with the name masked, and after a revocation the verification says so and the
PDF still opens for its holder, marked revoked."""

from __future__ import annotations

import io
import re

from harness import Platform, make_district
from journeys import balance_reaches, served
from pypdf import PdfReader

from schemas.common import Role

SERIAL = re.compile(r"[0-9]{6}-[0-9]{4}-[2-9A-HJKMNP-Z]{8}")


def text_of(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


async def test_a_certificate_is_issued_verified_and_revoked(platform: Platform) -> None:
    district = await make_district(platform)
    volunteer = district.teams["hamlet"].volunteers[0]
    await served(platform, district, "R-cert1", [(volunteer, 3)])
    await served(platform, district, "R-cert2", [(volunteer, 2)])
    await balance_reaches(platform, volunteer, 5)

    path = f"/api/v1/volunteers/{volunteer}/certificates"
    r = await district.staff.post(path, {"from": "2026-12-31", "to": "2026-01-01"})
    assert (r.status, r.error_code) == (422, "invalid")
    r = await district.staff.post(path, {})
    assert r.status == 201, r.body
    serial = r.body["serial"]
    assert SERIAL.fullmatch(serial) and serial.startswith(district.county + "-")
    assert r.body["pdf_url"] == f"/api/v1/certificates/{serial}.pdf"

    me = platform.as_(Role.VOLUNTEER, volunteer)
    listed = (await me.get(path)).body["certificates"]
    assert [(c["serial"], c["hours"], c["verified_hours"]) for c in listed] == [
        (serial, 5.0, 0.0)]
    assert listed[0]["issuer"] == "测试区新时代文明实践中心"

    pdf = await me.request("GET", r.body["pdf_url"])
    assert pdf.status == 200 and pdf.headers["Content-Type"] == "application/pdf"
    text = text_of(pdf.raw)
    assert serial in text and "志愿服务证明" in text and "一号小区" in text
    assert "测试区新时代文明实践中心" in text and "志愿者11" in text
    other = platform.as_(Role.VOLUNTEER, district.teams["hamlet"].volunteers[1])
    assert (await other.request("GET", r.body["pdf_url"])).status == 404

    public = platform.anonymous()
    verified = await public.request("GET", f"/verify/{serial}",
                                    headers={"Accept": "application/json"})
    assert verified.status == 200, verified.body
    assert verified.body["valid"] is True and verified.body["hours"] == 5.0
    assert verified.body["holder_masked"].startswith("志") and "11" not in \
        verified.body["holder_masked"]
    assert verified.body["period"] == {"from": None, "to": verified.body["period"]["to"]}
    page = await public.request("GET", f"/verify/{serial}")
    assert page.status == 200 and "有效" in page.text and "志愿者11" not in page.text

    far = platform.as_(Role.STAFF, "S-far", scope=district.far_village)
    r = await far.post(f"/api/v1/certificates/{serial}/revoke", {"reason": "错发"})
    assert (r.status, r.error_code) == (404, "not_found")
    r = await district.staff.post(f"/api/v1/certificates/{serial}/revoke", {"reason": "时长有误"})
    assert r.status == 200, r.body
    assert r.body["revoked_at"] is not None and r.body["revoke_reason"] == "时长有误"
    r = await district.staff.post(f"/api/v1/certificates/{serial}/revoke", {"reason": "again"})
    assert (r.status, r.error_code) == (409, "already_revoked")
    verified = await public.request("GET", f"/verify/{serial}",
                                    headers={"Accept": "application/json"})
    assert verified.body["valid"] is False and verified.body["revoked_at"] is not None
    assert "已撤销" in (await public.request("GET", f"/verify/{serial}")).text
    assert "已撤销" in text_of((await me.request("GET", f"/api/v1/certificates/{serial}.pdf")).raw)


async def test_an_unknown_serial_is_404(platform: Platform) -> None:
    public = platform.anonymous()
    r = await public.request("GET", "/verify/430511-2026-22222222",
                             headers={"Accept": "application/json"})
    assert (r.status, r.error_code) == (404, "not_found")
    page = await public.request("GET", "/verify/<script>alert(1)</script>")
    assert page.status == 404 and "<script>" not in page.text
