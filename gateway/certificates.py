"""Certificates of service (DESIGN §10): issued by staff from the record, drawn as a PDF,
verified by anyone at /verify/{serial}, revoked by staff."""

from __future__ import annotations

import asyncio
import html
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from aiohttp import web

from certificates.pdf import (
    CertificateDocument,
    CertificateLine,
    FontMissing,
    find_cjk_font,
    render_certificate,
)
from certificates.record import day_of
from certificates.serials import SERIAL_PATTERN, new_serial
from flags.rules import LOCAL
from gateway.errors import ApiError
from gateway.hours import volunteer_record
from gateway.http import Call, answer, execute
from gateway.masking import mask_name
from gateway.routes import COMMAND_ERRORS, IN_SCOPE, SERVICE_TYPES, _known_volunteer, route
from schemas import api_certificates as api
from schemas.certificates import CertificateView, IssueCertificate, RevokeCertificate
from schemas.common import Role, area_level, county_of
from schemas.views import LedgerEntry

SERIAL_TRIES = 3
"""A fresh serial is drawn again if one is taken (one chance in 10^11 a try)."""
OFFICE_SUFFIX = ("新时代文明实践中心", "新时代文明实践所", "新时代文明实践站", "新时代文明实践站")
"""The office of each level of the area tree: the county's centre, the town's institute, the
village's (and hamlet's) station."""
SERVICE_TYPE_NAMES = {t["code"]: t["name_zh"] for t in SERVICE_TYPES}


@cache
def _font(configured: str) -> Path:
    return find_cjk_font(configured or None)


def _verify_url(call: Call, serial: str) -> str:
    return f"{call.public_base}/verify/{serial}"


async def _issuer(call: Call, volunteer_area: str) -> str:
    """The issuing office: the staff's own (its area's name and level), or the county's for
    staff of every area."""
    code = call.who.scope or county_of(volunteer_area)
    area = await call.views.area(code)
    name = area.name if area is not None else code
    return f"{name}{OFFICE_SUFFIX[area_level(code)]}"


def _out(certificate: CertificateView) -> api.CertificateOut:
    return api.CertificateOut(
        serial=certificate.serial, volunteer_id=certificate.volunteer_id,
        pdf_url=f"/api/v1/certificates/{certificate.serial}.pdf", issuer=certificate.issuer,
        issued_at=certificate.issued_at,
        period={"from": certificate.period_from, "to": certificate.period_to},
        hours=certificate.hours, verified_hours=certificate.verified_hours,
        star_level=certificate.star_level, revoked_at=certificate.revoked_at,
        revoke_reason=certificate.revoke_reason)


@route("POST", "/api/v1/volunteers/{volunteer_id}/certificates", "Issue a certificate of "
       "service (志愿服务证明) from the volunteer's record: `from`/`to` are days (both "
       "included); without `from` it covers everything up to `to`, without `to` up to "
       "today (China time). It attests the posted hours of the period (held ones are not "
       "attested), names the staff's office as issuer, and gets a serial "
       "COUNTY-YEAR-XXXXXXXX; 201 `{serial, pdf_url}`" + IN_SCOPE,
       roles=(Role.STAFF,), body=api.CertificateIn, answer=api.CertificateOut, status=201,
       errors=COMMAND_ERRORS, tag="hours")
async def issue_certificate(call: Call) -> web.StreamResponse:
    volunteer_id = call.match("volunteer_id")
    body: api.CertificateIn = call.body
    today = call.config.clock().astimezone(LOCAL).date()
    end = body.to or today
    if body.from_ is not None and body.from_ > end:
        raise ApiError(422, "invalid", "from must not be after to", [{"field": "from"}])
    volunteer = await _known_volunteer(call, volunteer_id)
    team = await call.views.team(volunteer.team_id)
    area = team.areas[0] if team is not None else county_of(call.who.scope or "")
    call.area = area
    record, _ = await volunteer_record(call, volunteer_id, body.from_, end)
    posted = [e for e in record.entries if e.status == "posted"]
    issuer = await _issuer(call, area)
    county = county_of(area)
    out = None
    for _ in range(SERIAL_TRIES):
        serial = new_serial(county, call.config.clock().astimezone(LOCAL).year)
        command = IssueCertificate(
            **call.envelope(), county=county, serial=serial, volunteer_id=volunteer_id,
            area=area, issuer=issuer, period_from=body.from_, period_to=end,
            hours=record.totals.hours, verified_hours=record.totals.verified_hours,
            star_level=record.star_level, entry_ids=tuple(e.entry_id for e in posted))
        try:
            out = await execute(call, command)
            break
        except ApiError as e:
            if e.code != "serial_exists":
                raise
    if out is None:
        raise ApiError(409, "serial_exists", "no free serial was drawn; try again")
    if isinstance(out, web.Response):
        return out
    result: dict[str, Any] = dict(out.result or {})
    return answer(api.CertificateIssuedOut(
        serial=result["certificate"]["serial"],
        pdf_url=f"/api/v1/certificates/{result['certificate']['serial']}.pdf"), 201)


async def _visible_certificate(call: Call, serial: str) -> CertificateView:
    """The certificate, to its holder and to staff in scope; to others it does not exist."""
    found = await call.views.certificate(serial) if SERIAL_PATTERN.fullmatch(serial) else None
    if found is None:
        raise ApiError(404, "not_found", "no such certificate")
    who = call.who
    if who.role is Role.VOLUNTEER and who.subject != found.volunteer_id:
        raise ApiError(404, "not_found", "no such certificate")
    if who.role is Role.STAFF:
        call.visible(found.area, "certificate")
    return found


@route("GET", "/api/v1/volunteers/{volunteer_id}/certificates", "The certificates issued to "
       "a volunteer, newest first: to the volunteer themself and to staff in scope",
       roles=(Role.VOLUNTEER, Role.STAFF), answer=api.CertificateListOut,
       errors=(401, 403, 404), tag="hours")
async def list_certificates(call: Call) -> web.StreamResponse:
    volunteer_id = call.match("volunteer_id")
    if call.who.role is Role.VOLUNTEER and call.who.subject != volunteer_id:
        raise ApiError(403, "forbidden", "volunteers may see only their own certificates")
    volunteer = await _known_volunteer(call, volunteer_id)
    team = await call.views.team(volunteer.team_id)
    if team is None:
        return answer(api.CertificateListOut(certificates=[]))
    found = await call.views.certificates(volunteer_id, team.county,
                                          call.config.page_size_max)
    return answer(api.CertificateListOut(certificates=[_out(c) for c in found]))


async def _document(call: Call, certificate: CertificateView) -> CertificateDocument:
    volunteer = await call.views.volunteer(certificate.volunteer_id)
    attested = set(certificate.entry_ids)
    entries = [e for e in await call.views.entries(certificate.volunteer_id,
                                                   len(attested) + 1000)
               if e.entry_id in attested]
    places = {a.code: a.name for a in await call.views.areas(county_of(certificate.area))}
    return CertificateDocument(
        serial=certificate.serial, holder_name=volunteer.name if volunteer else "",
        volunteer_id=certificate.volunteer_id, issuer=certificate.issuer,
        period_from=certificate.period_from, period_to=certificate.period_to,
        issued_at=certificate.issued_at, hours=certificate.hours,
        verified_hours=certificate.verified_hours, star_level=certificate.star_level,
        lines=tuple(_line(e, places) for e in sorted(entries, key=lambda e: (day_of(e), e.at))),
        verify_url=_verify_url(call, certificate.serial), revoked_at=certificate.revoked_at,
        revoke_reason=certificate.revoke_reason or "")


def _line(entry: LedgerEntry, places: dict[str, str]) -> CertificateLine:
    return CertificateLine(
        day=day_of(entry), place=places.get(entry.area or "", entry.area or ""),
        service_type=SERVICE_TYPE_NAMES.get(entry.service_type or "", entry.service_type or ""),
        title=entry.title or ("更正：" + (entry.reason or "") if entry.kind == "correction"
                              else ""),
        hours=entry.hours, organiser=entry.organiser or "", verified=bool(entry.verified))


@route("GET", "/api/v1/certificates/{serial}.pdf", "The certificate as a PDF (CJK font "
       "embedded, QR code of its verification URL); a revoked one still opens for its "
       "holder and says it is revoked. To its holder and to staff in scope (others: 404); "
       "503 `certificate_font_missing` when the platform has no CJK font",
       roles=(Role.VOLUNTEER, Role.STAFF), answer=None, errors=(401, 403, 404, 503),
       tag="hours", content_type="application/pdf")
async def certificate_pdf(call: Call) -> web.StreamResponse:
    certificate = await _visible_certificate(call, call.match("serial"))
    document = await _document(call, certificate)
    try:
        font = _font(call.config.cjk_font)
    except FontMissing as e:
        raise ApiError(503, "certificate_font_missing", str(e),
                       headers={"Retry-After": "3600"}) from e
    pdf = await asyncio.to_thread(render_certificate, document, font)
    return web.Response(body=pdf, content_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{certificate.serial}.pdf"',
        "Cache-Control": "private, no-store"})


@route("POST", "/api/v1/certificates/{serial}/revoke", "Revoke a certificate, with a reason "
       "(audited): /verify then answers `valid: false`; 409 `already_revoked`" + IN_SCOPE,
       roles=(Role.STAFF,), body=api.RevokeIn, answer=api.CertificateOut,
       errors=COMMAND_ERRORS, tag="hours")
async def revoke_certificate(call: Call) -> web.StreamResponse:
    serial = call.match("serial")
    certificate = await _visible_certificate(call, serial)
    out = await execute(call, RevokeCertificate(**call.envelope(), county=serial[:6],
                                                serial=serial, reason=call.body.reason))
    if isinstance(out, web.Response):
        return out
    result: dict[str, Any] = dict(out.result or {})
    revoked_at = datetime.fromisoformat(str(result["certificate"]["revoked_at"]))
    revoked = certificate.model_copy(update={"revoked_at": revoked_at,
                                             "revoke_reason": call.body.reason})
    return answer(_out(revoked))


def _verification(certificate: CertificateView, holder: str) -> api.VerificationOut:
    return api.VerificationOut(
        serial=certificate.serial, valid=certificate.revoked_at is None,
        holder_masked=mask_name(holder) or "", hours=certificate.hours,
        verified_hours=certificate.verified_hours,
        period={"from": certificate.period_from, "to": certificate.period_to},
        issuer=certificate.issuer, issued_at=certificate.issued_at,
        revoked_at=certificate.revoked_at)


@route("GET", "/verify/{serial}", "Verify a certificate (public, no token): an HTML page, "
       "or with `Accept: application/json` `{serial, valid, holder_masked, hours, "
       "verified_hours, period, issuer, issued_at, revoked_at}`; the name keeps its first "
       "character; an unknown serial is 404, a revoked one 200 with `valid: false`; at most "
       "VD_VERIFY_PER_ADDRESS_MAX a minute from one address (429)",
       roles=None, answer=api.VerificationOut, errors=(404, 429), tag="hours")
async def verify_certificate(call: Call) -> web.StreamResponse:
    await call.limit("verify-address", call.request.remote or "?",
                     call.config.verify_per_address_max, 60)
    serial = call.match("serial")
    found = await call.views.certificate(serial) if SERIAL_PATTERN.fullmatch(serial) else None
    wants_json = "application/json" in call.request.headers.get("Accept", "")
    if found is None:
        if wants_json:
            raise ApiError(404, "not_found", "no certificate with this serial")
        return web.Response(status=404, text=_page(None, serial), content_type="text/html")
    volunteer = await call.views.volunteer(found.volunteer_id)
    verification = _verification(found, volunteer.name if volunteer else "")
    if wants_json:
        return answer(verification)
    return web.Response(text=_page(verification, serial), content_type="text/html",
                        headers={"Cache-Control": "no-store"})


def _day(value: date | None) -> str:
    return value.isoformat() if value else "自注册起"


def _page(v: api.VerificationOut | None, serial: str) -> str:
    """The verification page: server-drawn, every value escaped, readable on a phone."""
    e = html.escape
    if v is None:
        status, body = "未找到", f"<p class='bad'>没有编号为 {e(serial)} 的证明。</p>"
    else:
        status = "有效" if v.valid else "已撤销"
        revoked = ("" if v.revoked_at is None else
                   f"<tr><th>撤销时间</th><td>{e(v.revoked_at.astimezone(LOCAL).date().isoformat())}"
                   "</td></tr>")
        body = (f"<p class='{'good' if v.valid else 'bad'}'>{status}</p><table>"
                f"<tr><th>编号</th><td>{e(v.serial)}</td></tr>"
                f"<tr><th>持证人</th><td>{e(v.holder_masked)}</td></tr>"
                f"<tr><th>服务时长</th><td>{v.hours:g} 小时（已核验 {v.verified_hours:g} 小时）"
                "</td></tr>"
                f"<tr><th>期间</th><td>{e(_day(v.period['from']))} 至 {e(_day(v.period['to']))}"
                "</td></tr>"
                f"<tr><th>出具单位</th><td>{e(v.issuer)}</td></tr>"
                f"<tr><th>出具时间</th><td>"
                f"{e(v.issued_at.astimezone(LOCAL).date().isoformat())}</td></tr>"
                f"{revoked}</table>")
    return ("<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>志愿服务证明核验 · {e(status)}</title><style>"
            "body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;"
            "padding:0 1rem;color:#222}th{text-align:left;padding:.3rem 1rem .3rem 0;"
            "color:#555;font-weight:normal}td{padding:.3rem 0}.good{color:#17603a;"
            "font-size:1.5rem}.bad{color:#a11;font-size:1.5rem}</style></head><body>"
            f"<h1>志愿服务证明核验</h1>{body}</body></html>")
