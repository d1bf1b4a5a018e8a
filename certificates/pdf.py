"""The volunteer service certificate (志愿服务证明) as an A4 PDF, drawn with reportlab.

民政部令第67号 asks whoever records the service to certify it ("谁记录谁证明"): the certificate
names the issuing office, the holder, the period, the total and verified hours and each entry, and
carries a serial and a QR code of its public verification URL, so a paper copy can be checked
against the platform. The CJK font is embedded (subset) so the PDF reads the same everywhere and
its Chinese text can be extracted back (search, screen readers, the tests).

Pure apart from reading the font file: the caller passes the document and the font, and gets the
bytes. The same document renders to the same bytes (reportlab's invariant mode), so a PDF served
twice is byte-identical.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from hashlib import sha256
from itertools import groupby
from pathlib import Path
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import segno
from reportlab.graphics.shapes import Drawing, Rect
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

FONT_LOCATIONS: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
)
"""Where Debian and Ubuntu put the CJK fonts with TrueType outlines, tried in order.

Noto Sans CJK (`fonts-noto-cjk`) is not among them: its collection has PostScript (CFF)
outlines, which reportlab cannot embed; `find_cjk_font` says so if `VD_CJK_FONT` names it.
"""

FONT_PACKAGE = "fonts-wqy-microhei"

DISPLAY_ZONE = ZoneInfo("Asia/Shanghai")
"""Issue and revocation moments are printed as China dates, as the office reads them."""

STAR_LABELS = ("无", "一星", "二星", "三星", "四星", "五星")

MARGIN = 18 * mm
LINE_COLUMNS_MM = (20, 30, 18, 42, 12, 38, 14)
"""Date, place, service type, title, hours, organiser, verified: 174 mm, A4 within margins."""

QR_SIZE = 32 * mm
REVOKED_RED = colors.Color(0.75, 0.05, 0.05)


class FontMissing(Exception):
    """No usable CJK font: a certificate without one would print empty boxes for every name."""


@dataclass(frozen=True)
class CertificateLine:
    """One service or activity on the certificate, as the volunteer's record lists it."""

    day: date
    place: str
    service_type: str
    title: str
    hours: float
    organiser: str
    verified: bool


@dataclass(frozen=True)
class CertificateDocument:
    """Everything the certificate attests; `period_from` None means since registration."""

    serial: str
    holder_name: str
    volunteer_id: str
    issuer: str
    period_from: date | None
    period_to: date
    issued_at: datetime
    hours: float
    verified_hours: float
    star_level: int
    lines: tuple[CertificateLine, ...]
    verify_url: str
    revoked_at: datetime | None = None
    revoke_reason: str = ""


def find_cjk_font(env_value: str | None = None) -> Path:
    """The font for certificates: `env_value` (the `VD_CJK_FONT` setting) when given, else the
    first of `FONT_LOCATIONS` present. Called at start-up, it turns a missing font into a clear
    message then rather than a failure at the first certificate."""
    if env_value:
        path = Path(env_value)
        if not path.is_file():
            raise FontMissing(
                f"VD_CJK_FONT names {path}, which is not a file; set it to a TrueType CJK font "
                f"(.ttf or .ttc) or install the Debian package {FONT_PACKAGE}"
            )
        if _has_postscript_outlines(path):
            raise FontMissing(
                f"VD_CJK_FONT names {path}, whose PostScript (CFF) outlines cannot be embedded; "
                f"use a TrueType CJK font such as the Debian package {FONT_PACKAGE}"
            )
        return path
    for path in FONT_LOCATIONS:
        if path.is_file():
            return path
    raise FontMissing(
        f"no CJK font for certificates: install the Debian package {FONT_PACKAGE} "
        "or set VD_CJK_FONT to a TrueType CJK font (.ttf or .ttc)"
    )


def _has_postscript_outlines(path: Path) -> bool:
    """Whether the font (or a collection's first font) is OpenType CFF ('OTTO')."""
    with path.open("rb") as font:
        header = font.read(16)
        if header[:4] == b"ttcf" and len(header) == 16:
            font.seek(int.from_bytes(header[12:16], "big"))
            header = font.read(4)
    return header[:4] == b"OTTO"


def render_certificate(doc: CertificateDocument, font_path: Path) -> bytes:
    """The certificate as PDF bytes, the font at `font_path` embedded."""
    if not 0 <= doc.star_level < len(STAR_LABELS):
        raise ValueError(f"star level must be 0 to 5, not {doc.star_level}")
    styles = _styles(_register_font(font_path))
    buffer = io.BytesIO()
    template = BaseDocTemplate(
        buffer,
        pagesize=A4,
        title=f"志愿服务证明 {doc.serial}",
        author=doc.issuer,
        subject=f"{doc.holder_name} {doc.volunteer_id}",
        invariant=True,
    )
    body = Frame(MARGIN, MARGIN, A4[0] - 2 * MARGIN, A4[1] - 2 * MARGIN, leftPadding=0,
                 rightPadding=0, topPadding=0, bottomPadding=0)
    # decorated at the end of each page, so the revoked mark lies over the tables' backgrounds
    template.addPageTemplates([PageTemplate(frames=[body],
                                            onPageEnd=_page_decoration(doc, styles.font))])
    template.build(list(_story(doc, styles)))
    return buffer.getvalue()


def _register_font(font_path: Path) -> str:
    """reportlab keeps fonts in a process-wide registry: one name per font file, registered once."""
    name = "CJK-" + sha256(str(font_path.resolve()).encode()).hexdigest()[:12]
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, str(font_path), subfontIndex=0))
    return name


@dataclass(frozen=True)
class _Styles:
    """The paragraph styles of one rendering, all in the embedded CJK font."""

    font: str
    title: ParagraphStyle
    subtitle: ParagraphStyle
    body: ParagraphStyle
    heading: ParagraphStyle
    cell: ParagraphStyle
    number: ParagraphStyle
    small: ParagraphStyle
    revoked: ParagraphStyle
    revoked_detail: ParagraphStyle


def _styles(font: str) -> _Styles:
    body = ParagraphStyle("body", fontName=font, fontSize=11, leading=17, wordWrap="CJK")
    cell = ParagraphStyle("cell", fontName=font, fontSize=8.5, leading=11, wordWrap="CJK")
    return _Styles(
        font=font,
        title=ParagraphStyle("title", fontName=font, fontSize=24, leading=30,
                             alignment=TA_CENTER, spaceAfter=4),
        subtitle=ParagraphStyle("subtitle", fontName=font, fontSize=10, leading=14,
                                alignment=TA_CENTER, textColor=colors.grey),
        body=body,
        heading=ParagraphStyle("heading", fontName=font, fontSize=13, leading=18,
                               spaceBefore=8, spaceAfter=4),
        cell=cell,
        number=ParagraphStyle("number", parent=cell, alignment=TA_RIGHT),
        small=ParagraphStyle("small", fontName=font, fontSize=9, leading=13, wordWrap="CJK",
                             textColor=colors.dimgrey),
        revoked=ParagraphStyle("revoked", fontName=font, fontSize=22, leading=28,
                               alignment=TA_CENTER, textColor=REVOKED_RED),
        revoked_detail=ParagraphStyle("revoked_detail", parent=body, alignment=TA_CENTER,
                                      textColor=REVOKED_RED),
    )


def _story(doc: CertificateDocument, styles: _Styles) -> Iterator[Flowable]:
    if doc.revoked_at is not None:
        yield _revoked_box(doc.revoked_at, doc.revoke_reason, styles)
        yield Spacer(1, 6 * mm)
    yield Paragraph("志愿服务证明", styles.title)
    yield Paragraph("Volunteer Service Certificate", styles.subtitle)
    yield Spacer(1, 6 * mm)
    yield Paragraph(
        f"兹证明 {_text(doc.holder_name)}（志愿者编号 {_text(doc.volunteer_id)}）"
        f"{_period_text(doc)}参加志愿服务，经本单位记录，情况如下。",
        styles.body,
    )
    yield Spacer(1, 3 * mm)
    yield _summary_table(doc, styles)
    yield Paragraph("服务记录", styles.heading)
    if doc.lines:
        yield _lines_table(doc.lines, styles)
    else:
        yield Paragraph("本期间无服务记录。", styles.body)
    yield Spacer(1, 8 * mm)
    yield _closing_block(doc, styles)


def _revoked_box(revoked_at: datetime, reason: str, styles: _Styles) -> Table:
    detail = f"撤销日期 {_local_date_text(revoked_at)}"
    if reason:
        detail += f"　原因：{_text(reason)}"
    box = Table(
        [[Paragraph("已撤销 REVOKED", styles.revoked)],
         [Paragraph(detail + "。本证明已失效。", styles.revoked_detail)]],
        colWidths=[A4[0] - 2 * MARGIN],
    )
    box.setStyle(TableStyle([
        ("BOX", (0, 0), (-1, -1), 2, REVOKED_RED),
        ("TOPPADDING", (0, 0), (-1, -1), 6),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
    ]))
    return box


def _summary_table(doc: CertificateDocument, styles: _Styles) -> Table:
    rows = [
        ("姓名", doc.holder_name),
        ("志愿者编号", doc.volunteer_id),
        ("服务期间", _period_span(doc)),
        ("累计服务时长", f"{_hours_text(doc.hours)} 小时"),
        ("其中已核验时长", f"{_hours_text(doc.verified_hours)} 小时"),
        ("星级", STAR_LABELS[doc.star_level]),
    ]
    table = Table(
        [[Paragraph(label, styles.body), Paragraph(_text(value), styles.body)]
         for label, value in rows],
        colWidths=[40 * mm, A4[0] - 2 * MARGIN - 40 * mm],
    )
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
        ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    return table


def _lines_table(lines: tuple[CertificateLine, ...], styles: _Styles) -> Table:
    """The entries, the header repeated on every page the table runs over."""
    header = ["日期", "地点", "服务类型", "活动/服务", "小时", "组织单位", "核验"]
    data: list[list[Paragraph]] = [[Paragraph(name, styles.cell) for name in header]]
    for line in lines:
        data.append([
            Paragraph(line.day.isoformat(), styles.cell),
            Paragraph(_text(line.place), styles.cell),
            Paragraph(_text(line.service_type), styles.cell),
            Paragraph(_text(line.title), styles.cell),
            Paragraph(_hours_text(line.hours), styles.number),
            Paragraph(_text(line.organiser), styles.cell),
            Paragraph("✓" if line.verified else "未核验", styles.cell),
        ])
    table = Table(data, colWidths=[width * mm for width in LINE_COLUMNS_MM], repeatRows=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.whitesmoke]),
    ]))
    return table


def _closing_block(doc: CertificateDocument, styles: _Styles) -> Table:
    """Issuer, date, serial and the QR code in one table row, which never splits over pages."""
    url = _text(doc.verify_url)
    text = [
        Paragraph(f"出具单位：{_text(doc.issuer)}", styles.body),
        Paragraph(f"出具日期：{_local_date_text(doc.issued_at)}", styles.body),
        Paragraph(f"证书编号：{_text(doc.serial)}", styles.body),
        Spacer(1, 2 * mm),
        Paragraph(f"扫码或访问 {url} 核验本证明。", styles.small),
        Paragraph(f"Scan or visit {url} to verify.", styles.small),
        Paragraph("依据《志愿服务记录与证明出具办法（试行）》（民政部令第67号）出具。",
                  styles.small),
    ]
    block = Table([[text, _qr_drawing(doc.verify_url, QR_SIZE)]],
                  colWidths=[A4[0] - 2 * MARGIN - QR_SIZE - 6 * mm, QR_SIZE + 6 * mm])
    block.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ALIGN", (1, 0), (1, 0), "RIGHT"),
    ]))
    return block


def _qr_drawing(url: str, size: float) -> Drawing:
    """The QR code as vector squares from segno's matrix: sharp at any print size, no raster."""
    rows = [list(row) for row in segno.make(url, error="m").matrix_iter(border=4)]
    module = size / len(rows)
    drawing = Drawing(size, size)
    for y, row in enumerate(rows):
        x = 0
        for dark, run in groupby(row):
            length = len(list(run))
            if dark:
                drawing.add(Rect(x * module, size - (y + 1) * module, length * module, module,
                                 fillColor=colors.black, strokeColor=None, strokeWidth=0))
            x += length
    return drawing


def _page_decoration(doc: CertificateDocument, font: str) -> Callable[[Canvas, object], None]:
    """Every page carries the serial and its number, and a revoked certificate's every page
    says so across it, so no single page passes for a valid certificate."""

    def decorate(canvas: Canvas, template: object) -> None:
        canvas.saveState()
        width, height = A4
        if doc.revoked_at is not None:
            canvas.setFillColor(REVOKED_RED, alpha=0.15)
            canvas.setFont(font, 60)
            canvas.translate(width / 2, height / 2)
            canvas.rotate(40)
            canvas.drawCentredString(0, 0, "已撤销 REVOKED")
            canvas.rotate(-40)
            canvas.translate(-width / 2, -height / 2)
        canvas.setFillColor(colors.dimgrey)
        canvas.setFont(font, 8)
        canvas.drawString(MARGIN, MARGIN / 2, f"证书编号 {doc.serial}")
        canvas.drawRightString(width - MARGIN, MARGIN / 2, f"第 {canvas.getPageNumber()} 页")
        canvas.restoreState()

    return decorate


def _period_text(doc: CertificateDocument) -> str:
    if doc.period_from is None:
        return f"自注册起至 {_date_text(doc.period_to)}"
    return f"于 {_date_text(doc.period_from)} 至 {_date_text(doc.period_to)} 期间"


def _period_span(doc: CertificateDocument) -> str:
    start = "自注册起" if doc.period_from is None else _date_text(doc.period_from)
    return f"{start} 至 {_date_text(doc.period_to)}"


def _date_text(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _local_date_text(moment: datetime) -> str:
    return _date_text(moment.astimezone(DISPLAY_ZONE).date() if moment.tzinfo else moment.date())


def _hours_text(hours: float) -> str:
    """Hours as people write them: 12, 12.5, 12.25 — never 12.500000001."""
    return f"{hours:.2f}".rstrip("0").rstrip(".")


def _text(value: str) -> str:
    """Names and places go into reportlab's paragraph markup: '<' and '&' must stay text."""
    return escape(value)
