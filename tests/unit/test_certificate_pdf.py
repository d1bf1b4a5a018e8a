"""Certificates carry readable, unguessable serials and render as PDFs that say what they attest.

How: serials are checked by hypothesis over counties and years (a new serial parses back to its
parts and matches the pattern) and the alphabet is checked for look-alike characters. The PDF is
rendered with the system's CJK font and read back with pypdf: the text must contain the serial,
the holder, the issuer, the hours and a Chinese place (which proves the font's ToUnicode map is
there), 60 entries must run over more than one page, and the font must be embedded (a /FontFile2
in its descriptor), so the certificate prints the same on a machine without that font.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader

from certificates.pdf import (
    CertificateDocument,
    CertificateLine,
    FontMissing,
    find_cjk_font,
    render_certificate,
)
from certificates.serials import (
    SERIAL_ALPHABET,
    SERIAL_PATTERN,
    SerialParts,
    new_serial,
    parse_serial,
)

counties = st.from_regex(r"\d{6}", fullmatch=True)
years = st.integers(min_value=1000, max_value=9999)


@given(counties, years)
def test_a_new_serial_parses_back_to_its_county_and_year(county: str, year: int) -> None:
    serial = new_serial(county, year)
    parts = parse_serial(serial)
    assert parts is not None
    assert (parts.county, parts.year) == (county, year)
    assert serial == f"{parts.county}-{parts.year}-{parts.random}"


@given(counties, years)
def test_every_new_serial_matches_the_pattern(county: str, year: int) -> None:
    assert SERIAL_PATTERN.fullmatch(new_serial(county, year))


def test_the_alphabet_has_no_look_alike_characters() -> None:
    assert not set("0O1IL") & set(SERIAL_ALPHABET)
    assert len(set(SERIAL_ALPHABET)) == len(SERIAL_ALPHABET)


def test_the_example_of_the_design_parses() -> None:
    assert parse_serial("430511-2026-7KQ2M9XD") == SerialParts("430511", 2026, "7KQ2M9XD")


@pytest.mark.parametrize("text", [
    "", "430511-2026-7KQ2M9X", "430511-2026-7KQ2M9XDD", "43051-2026-7KQ2M9XD",
    "430511-26-7KQ2M9XD", "430511-2026-7KQ2M9X0", "430511-2026-7kq2m9xd",
    " 430511-2026-7KQ2M9XD", "430511-2026-7KQ2M9XD/../x",
])
def test_a_malformed_serial_does_not_parse(text: str) -> None:
    assert parse_serial(text) is None


@pytest.mark.parametrize(("county", "year"), [("43051", 2026), ("43051A", 2026),
                                               ("430511", 999), ("430511", 10000)])
def test_a_serial_needs_a_six_digit_county_and_a_four_digit_year(county: str, year: int) -> None:
    with pytest.raises(ValueError):
        new_serial(county, year)


def test_serials_do_not_repeat() -> None:
    assert len({new_serial("430511", 2026) for _ in range(1000)}) == 1000


# --- the PDF -------------------------------------------------------------------------------

SERIAL = "430511-2026-7KQ2M9XD"
PLACES = ("资江社区活动中心", "新滩社区居委会", "洲上村文化广场")


def sixty_lines() -> tuple[CertificateLine, ...]:
    return tuple(
        CertificateLine(
            day=date(2026, 1, 1) + timedelta(days=i),
            place=PLACES[i % 3],
            service_type="助老" if i % 2 else "文明实践",
            title=f"第{i + 1}次 陪伴老人读报与健康讲座",
            hours=1.5,
            organiser="东塔街道新时代文明实践所",
            verified=i % 4 != 0,
        )
        for i in range(60)
    )


@pytest.fixture(scope="module")
def font() -> Path:
    try:
        return find_cjk_font()
    except FontMissing as missing:
        pytest.skip(str(missing))


@pytest.fixture(scope="module")
def document() -> CertificateDocument:
    return CertificateDocument(
        serial=SERIAL,
        holder_name="张晓燕",
        volunteer_id="V-0042",
        issuer="北塔区新时代文明实践中心",
        period_from=date(2026, 1, 1),
        period_to=date(2026, 3, 31),
        issued_at=datetime(2026, 4, 1, 2, 30, tzinfo=UTC),
        hours=90.0,
        verified_hours=67.5,
        star_level=0,
        lines=sixty_lines(),
        verify_url=f"https://vd.example.org/verify/{SERIAL}",
    )


@pytest.fixture(scope="module")
def pdf(document: CertificateDocument, font: Path) -> bytes:
    return render_certificate(document, font)


def text_of(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_the_certificate_reads_back_what_it_attests(pdf: bytes) -> None:
    text = text_of(pdf)
    for expected in ("志愿服务证明", SERIAL, "张晓燕", "V-0042", "北塔区新时代文明实践中心",
                     "90 小时", "67.5 小时", "资江社区活动中心", "2026年1月1日", "2026年3月31日",
                     "2026年4月1日", "未核验", "✓", f"https://vd.example.org/verify/{SERIAL}"):
        assert expected in text, expected


def test_sixty_entries_run_over_more_than_one_page_with_every_entry_shown(pdf: bytes) -> None:
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) > 1
    text = text_of(pdf)
    assert "第1次" in text and "第60次" in text
    pages_with_entries = [page.extract_text() for page in reader.pages
                          if "陪伴老人读报" in page.extract_text()]
    assert len(pages_with_entries) > 1
    assert all("组织单位" in page for page in pages_with_entries)  # the header repeats


def fonts_of(page: Any) -> list[Any]:
    """The font dictionaries a page uses (pypdf's objects are loosely typed)."""
    resources: Any = page["/Resources"].get_object()
    return [font.get_object() for font in resources["/Font"].values()]


def is_embedded(font: Any) -> bool:
    descendants = font.get("/DescendantFonts")
    described = descendants[0].get_object() if descendants else font
    descriptor = described.get("/FontDescriptor")
    return descriptor is not None and "/FontFile2" in descriptor.get_object()


def test_the_cjk_font_is_embedded_in_every_page(pdf: bytes) -> None:
    for page in PdfReader(io.BytesIO(pdf)).pages:
        assert any(is_embedded(font) for font in fonts_of(page))


def test_the_same_document_renders_to_the_same_bytes(
    document: CertificateDocument, font: Path, pdf: bytes
) -> None:
    assert render_certificate(document, font) == pdf


def test_a_revoked_certificate_says_so_with_its_date_and_reason(
    document: CertificateDocument, font: Path
) -> None:
    revoked = replace(document, revoked_at=datetime(2026, 4, 20, 17, 0, tzinfo=UTC),
                      revoke_reason="时长记录有误")
    reader = PdfReader(io.BytesIO(render_certificate(revoked, font)))
    first = reader.pages[0].extract_text()
    assert "已撤销" in first and "REVOKED" in first
    assert "2026年4月21日" in first  # 17:00 UTC is the next morning in China
    assert "时长记录有误" in first
    assert all("已撤销" in page.extract_text() for page in reader.pages)


def test_a_certificate_since_registration_and_without_entries_still_renders(
    document: CertificateDocument, font: Path
) -> None:
    since = replace(document, period_from=None, lines=(), star_level=3,
                    holder_name="李<明>&子")
    text = text_of(render_certificate(since, font))
    assert "自注册起" in text
    assert "三星" in text
    assert "李<明>&子" in text
    assert "本期间无服务记录" in text


def test_a_star_level_beyond_five_is_refused(document: CertificateDocument, font: Path) -> None:
    with pytest.raises(ValueError):
        render_certificate(replace(document, star_level=6), font)


def test_an_explicit_font_is_used_as_given(font: Path) -> None:
    assert find_cjk_font(str(font)) == font


def test_a_missing_explicit_font_names_the_package_to_install(tmp_path: Path) -> None:
    with pytest.raises(FontMissing, match="fonts-wqy-microhei"):
        find_cjk_font(str(tmp_path / "no-such-font.ttc"))


def test_a_font_with_postscript_outlines_is_refused_before_any_certificate(
    tmp_path: Path,
) -> None:
    collection = tmp_path / "cff.ttc"
    collection.write_bytes(b"ttcf" + b"\x00\x01\x00\x00" + b"\x00\x00\x00\x01"
                           + (16).to_bytes(4, "big") + b"OTTO" + b"\x00" * 12)
    with pytest.raises(FontMissing, match="PostScript"):
        find_cjk_font(str(collection))
