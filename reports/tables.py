"""The hours report as a table: ledger entries grouped by a key (area, service type, team, month)
into hours, verified hours, services, activities and active volunteers (DESIGN §10).

Counts are net of corrections, netted out where the credit was counted: reversing a whole credit
takes its hours out of its row, and a service, activity or volunteer left with no hours there is
no longer counted. Totals are tabulated over the entries themselves, not summed from the rows,
because one volunteer may be active in several rows.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from schemas.views import LedgerEntry

KeyOf = Callable[[LedgerEntry], tuple[str, str] | None]
"""A row's key and label for an entry, or None to leave the entry out of the report."""

REPORT_ZONE = ZoneInfo("Asia/Shanghai")
"""Months are the office's months: an hour at 23:30 on 31 March in China belongs to March."""

HOUR_KINDS = frozenset({"credit", "correction"})
TOTAL_KEY, TOTAL_LABEL = "total", "合计"
UNSPECIFIED_KEY, UNSPECIFIED_LABEL = "unspecified", "未注明"
"""The row of entries without the grouped field (a wish has no service type, a volunteer may
serve without a team): their hours are kept, so every report of one period has the same totals."""

CSV_HEADER = ("key", "label", "hours", "verified_hours", "services", "activities", "volunteers")
XLSX_HEADER = ("键", "名称", "时长", "已核验时长", "服务", "活动", "志愿者")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A cell starting so is run as a formula by spreadsheets (CSV injection): it gets a quote."""

XML_ILLEGAL: re.Pattern[str] = ILLEGAL_CHARACTERS_RE
"""Control characters XML cannot hold: openpyxl refuses a cell with one."""

SHEET_TITLE_MAX = 31
SHEET_TITLE_FORBIDDEN = str.maketrans({c: "_" for c in "[]:*?/\\"})


@dataclass(frozen=True)
class ReportRow:
    """One group of the report; hours rounded to two decimals."""

    key: str
    label: str
    hours: float
    verified_hours: float
    services: int
    activities: int
    volunteers: int

    def as_dict(self) -> dict[str, str | float | int]:
        return asdict(self)


@dataclass
class _Group:
    """Running sums of one row, net per service, activity and volunteer."""

    label: str
    hours: float = 0.0
    verified_hours: float = 0.0
    per_request: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    per_activity: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    per_volunteer: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))

    def add(self, hours: float, counted: LedgerEntry) -> None:
        """Add `hours` to what `counted` (a credit, or the credit a correction reverses) is for."""
        self.hours += hours
        if counted.request_id is not None:
            self.per_request[counted.request_id] += hours
        if counted.activity_id is not None:
            self.per_activity[counted.activity_id] += hours
        if counted.verified:
            self.verified_hours += hours
            self.per_volunteer[counted.volunteer_id] += hours

    def row(self, key: str) -> ReportRow:
        return ReportRow(
            key=key,
            label=self.label,
            hours=_round(self.hours),
            verified_hours=_round(self.verified_hours),
            services=_positive(self.per_request),
            activities=_positive(self.per_activity),
            volunteers=_positive(self.per_volunteer),
        )


def _round(hours: float) -> float:
    # + 0.0 turns the -0.0 of a fully reversed row into 0.0
    return round(hours, 2) + 0.0


def _positive(net: Mapping[str, float]) -> int:
    """How many keep hours after corrections, judged at the report's precision (so a credit
    reversed in float arithmetic to 1e-17 counts as gone)."""
    return sum(1 for hours in net.values() if _round(hours) > 0)


def tabulate(entries: Iterable[LedgerEntry], key_of: KeyOf) -> tuple[list[ReportRow], ReportRow]:
    """The rows sorted by key and the totals of every entry kept; redemptions are not hours.

    A correction whose credit is among `entries` is counted as that credit: in its row (its
    month, even when corrected later) and against its service, activity and volunteer, which
    the correction entry may not name. Without its credit, a correction stands on its own facts.
    """
    hour_entries = [entry for entry in entries if entry.kind in HOUR_KINDS]
    credits = {entry.entry_id: entry for entry in hour_entries if entry.kind == "credit"}
    groups: dict[str, _Group] = {}
    totals = _Group(TOTAL_LABEL)
    for entry in hour_entries:
        counted = credits.get(entry.corrects, entry) if entry.corrects else entry
        keyed = key_of(counted)
        if keyed is None:
            continue
        key, label = keyed
        groups.setdefault(key, _Group(label)).add(entry.hours, counted)
        totals.add(entry.hours, counted)
    rows = [groups[key].row(key) for key in sorted(groups)]
    return rows, totals.row(TOTAL_KEY)


def by_month(zone: ZoneInfo = REPORT_ZONE) -> KeyOf:
    """Calendar months in the office's time zone, by when an entry was posted: key 2026-03,
    label 2026年3月."""

    def key_of(entry: LedgerEntry) -> tuple[str, str]:
        local = entry.at.astimezone(zone)
        return f"{local.year:04d}-{local.month:02d}", f"{local.year}年{local.month}月"

    return key_of


def by_service_type(labels: Mapping[str, str]) -> KeyOf:
    """Service types, named by `labels` (the code itself when a type has no name there)."""

    def key_of(entry: LedgerEntry) -> tuple[str, str]:
        return _labelled(entry.service_type, labels)

    return key_of


def by_team(labels: Mapping[str, str]) -> KeyOf:
    """Teams, named by `labels` (the id itself when a team has no name there)."""

    def key_of(entry: LedgerEntry) -> tuple[str, str]:
        return _labelled(entry.team_id, labels)

    return key_of


def _labelled(code: str | None, labels: Mapping[str, str]) -> tuple[str, str]:
    if not code:
        return UNSPECIFIED_KEY, UNSPECIFIED_LABEL
    return code, labels.get(code, code)


def by_area(root: str, children: Mapping[str, str], *, root_label: str = "") -> KeyOf:
    """One step down the area tree: each entry under `root` goes to the child area (code →
    name in `children`) whose code is the longest prefix of its area. Entries at the root
    itself, or under it but in no listed child, form the root's own row (本级); entries
    outside the root are left out, as they are outside the caller's scope."""
    row_of = area_rows(root, children, root_label=root_label)

    def key_of(entry: LedgerEntry) -> tuple[str, str] | None:
        return row_of(entry.area)

    return key_of


def area_rows(root: str, children: Mapping[str, str], *, root_label: str = ""
              ) -> Callable[[str | None], tuple[str, str] | None]:
    """The row of an area code one step down the tree from `root`, as `by_area` has it."""
    codes = sorted((code for code in children if code.startswith(root) and code != root),
                   key=len, reverse=True)
    own_row = (root, f"{root_label}本级" if root_label else "本级")

    def row_of(area: str | None) -> tuple[str, str] | None:
        if area is None or not area.startswith(root):
            return None
        for code in codes:
            if area.startswith(code):
                return code, children[code]
        return own_row

    return row_of


Cell = str | float | int
Line = Sequence[Cell]


def to_csv(rows: Iterable[ReportRow], totals: ReportRow) -> str:
    """RFC 4180 CSV with a header of the JSON keys and the totals as the last line."""
    return csv_table(CSV_HEADER, [_cells(row) for row in [*rows, totals]])


def to_xlsx(rows: Iterable[ReportRow], totals: ReportRow, title: str) -> bytes:
    """The report as an XLSX workbook of one sheet: bold header, the rows, a bold totals row."""
    return xlsx_table(XLSX_HEADER, [_cells(row) for row in [*rows, totals]], title,
                      decimals=(2, 3))


def _cells(row: ReportRow) -> Line:
    return (row.key, row.label, row.hours, row.verified_hours, row.services, row.activities,
            row.volunteers)


def csv_table(header: Sequence[str], lines: Iterable[Line]) -> str:
    """Any report's lines (the last its totals) as RFC 4180 CSV under a header; text cells
    are made inert."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for line in lines:
        writer.writerow([_inert(cell) if isinstance(cell, str) else cell for cell in line])
    return out.getvalue()


def _inert(text: str) -> str:
    """Text a spreadsheet will show, never evaluate."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def xlsx_table(header: Sequence[str], lines: Sequence[Line], title: str,
               decimals: Sequence[int] = ()) -> bytes:
    """Any report's lines as an XLSX workbook of one sheet: bold header, the lines, the last
    (its totals) bold; text cells are text, never formulas, and the `decimals` columns (by
    index) show two decimals."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title.translate(SHEET_TITLE_FORBIDDEN)[:SHEET_TITLE_MAX] or "report"
    workbook.properties.title = title
    sheet.append(tuple(header))
    for line in lines:
        sheet.append([_printable(cell) if isinstance(cell, str) else cell for cell in line])
    bold = Font(bold=True)
    for cell in (*sheet[1], *sheet[sheet.max_row]):
        cell.font = bold
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                # openpyxl writes a string starting with '=' as a formula; these are names
                cell.data_type = "s"
        for index in decimals:
            row[index].number_format = "0.00"
    sheet.freeze_panes = "A2"
    for index, column in enumerate(sheet.iter_cols(), start=1):
        width = max(_display_width(str(cell.value)) for cell in column)
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _printable(text: str) -> str:
    """XML cannot hold most control characters; a stray one in a name must not fail the export."""
    return XML_ILLEGAL.sub("", text)


def _display_width(text: str) -> int:
    """Column width in Latin characters: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)
