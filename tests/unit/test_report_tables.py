"""The hours report counts posted hours net of corrections, in rows and totals that agree.

How: hypothesis draws ledgers of credits (services and activities, verified or not, across areas,
types, teams and three months), partial or whole reversing corrections of some of them, and
redemptions, in any order. Properties: the totals are the net hours of the entries kept; rows
partition the totals for every grouping; adding a credit with its whole reversal changes no count;
the CSV and XLSX forms read back to the same table. Hand-picked cases pin the key helpers (China
months, the longest area prefix, the root's own row) and the formula guard.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from reports.tables import (
    CSV_HEADER,
    XLSX_HEADER,
    KeyOf,
    ReportRow,
    by_area,
    by_month,
    by_service_type,
    by_team,
    tabulate,
    to_csv,
    to_xlsx,
)
from schemas.views import LedgerEntry

T0 = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
COUNTY = "430511"
TOWN_A, TOWN_B = "430511001", "430511002"
VILLAGE_A1 = "430511001001"
OUTSIDE = "430502001"
TOWNS = {TOWN_A: "东塔街道", TOWN_B: "状元洲街道"}
TYPES = {"groceries": "代购", "companionship": "陪伴"}
TEAMS = {"T1": "东塔志愿队", "T2": "洲上志愿队"}


def credit(
    hours: float = 2.0,
    *,
    volunteer: str = "V1",
    request: str | None = "R1",
    activity: str | None = None,
    verified: bool | None = True,
    area: str | None = VILLAGE_A1,
    service_type: str | None = "groceries",
    team: str | None = "T1",
    at: datetime = T0,
) -> LedgerEntry:
    source: Literal["service", "activity"] = "activity" if activity else "service"
    return LedgerEntry(
        entry_id=uuid4(), volunteer_id=volunteer, kind="credit", points=int(hours * 10),
        hours=hours, at=at, request_id=request, activity_id=activity,
        source_event_ids=(uuid4(),), source=source, verified=verified, area=area,
        service_type=service_type, team_id=team,
    )


def correction_of(entry: LedgerEntry, hours: float | None = None,
                  after: timedelta = timedelta(days=1)) -> LedgerEntry:
    """A reversing entry as the ledger writes it: the facts and flag of the entry it corrects
    but not its request, negative hours (all of them unless `hours` says how many)."""
    taken = entry.hours if hours is None else hours
    return entry.model_copy(update={
        "entry_id": uuid4(), "kind": "correction", "source": "correction", "request_id": None,
        "hours": -taken, "points": -int(taken * 10), "at": entry.at + after,
        "corrects": entry.entry_id, "source_event_ids": (uuid4(),), "reason": "记录有误",
    })


def redemption(volunteer: str = "V1", at: datetime = T0) -> LedgerEntry:
    return LedgerEntry(entry_id=uuid4(), volunteer_id=volunteer, kind="redemption",
                       points=-50, at=at, redemption_id="D1", item_id="rice",
                       source_event_ids=(uuid4(),))


@st.composite
def credits(draw: st.DrawFn) -> LedgerEntry:
    work = draw(st.one_of(
        st.sampled_from(["R1", "R2", "R3", "R4", "R5"]).map(lambda r: {"request": r}),
        st.sampled_from(["A1", "A2", "A3"]).map(lambda a: {"request": None, "activity": a}),
    ))
    return credit(
        draw(st.integers(1, 16)) * 0.5,
        volunteer=draw(st.sampled_from(["V1", "V2", "V3", "V4"])),
        verified=draw(st.sampled_from([True, False, None])),
        area=draw(st.sampled_from([COUNTY, TOWN_A, VILLAGE_A1, TOWN_B, "430511003", OUTSIDE])),
        service_type=draw(st.sampled_from(["groceries", "companionship", "repairs", None])),
        team=draw(st.sampled_from(["T1", "T2", None])),
        at=T0 + timedelta(minutes=draw(st.integers(0, 90 * 24 * 60))),
        **work,
    )


@st.composite
def ledgers(draw: st.DrawFn) -> list[LedgerEntry]:
    posted = draw(st.lists(credits(), max_size=25))
    entries = list(posted)
    for entry in posted:
        halves = draw(st.integers(0, int(entry.hours * 2)))
        if halves:
            after = timedelta(hours=draw(st.integers(1, 40 * 24)))
            entries.append(correction_of(entry, halves * 0.5, after))
    entries += [redemption(at=T0 + timedelta(days=n))
                for n in draw(st.lists(st.integers(0, 90), max_size=3))]
    return draw(st.permutations(entries))


GROUPINGS: dict[str, KeyOf] = {
    "month": by_month(),
    "service_type": by_service_type(TYPES),
    "team": by_team(TEAMS),
    "area": by_area(COUNTY, TOWNS, root_label="北塔区"),
}


def hour_entries(entries: Iterable[LedgerEntry]) -> list[LedgerEntry]:
    return [entry for entry in entries if entry.kind != "redemption"]


@given(ledgers())
def test_the_totals_are_the_net_hours_of_the_entries_kept(entries: list[LedgerEntry]) -> None:
    kept = [e for e in hour_entries(entries) if e.area and e.area.startswith(COUNTY)]
    _, totals = tabulate(entries, by_area(COUNTY, TOWNS))
    assert totals.key == "total" and totals.label == "合计"
    assert totals.hours == round(sum(e.hours for e in kept), 2)
    assert totals.verified_hours == round(sum(e.hours for e in kept if e.verified), 2)


@given(ledgers(), st.sampled_from(sorted(GROUPINGS)))
def test_rows_partition_the_totals(entries: list[LedgerEntry], grouping: str) -> None:
    rows, totals = tabulate(entries, GROUPINGS[grouping])
    assert [row.key for row in rows] == sorted({row.key for row in rows})
    assert round(sum(row.hours for row in rows), 2) == totals.hours
    assert round(sum(row.verified_hours for row in rows), 2) == totals.verified_hours
    # a service, activity or volunteer with hours overall has hours in at least one row
    assert sum(row.services for row in rows) >= totals.services
    assert sum(row.activities for row in rows) >= totals.activities
    assert sum(row.volunteers for row in rows) >= totals.volunteers


@given(ledgers(), credits(), st.sampled_from(sorted(GROUPINGS)))
def test_a_credit_with_its_whole_reversal_changes_no_count(
    entries: list[LedgerEntry], posted: LedgerEntry, grouping: str
) -> None:
    before_rows, before = tabulate(entries, GROUPINGS[grouping])
    after_rows, after = tabulate([*entries, posted, correction_of(posted)], GROUPINGS[grouping])
    assert after == before
    new_keys = {row.key for row in after_rows} - {row.key for row in before_rows}
    assert [row for row in after_rows if row.key not in new_keys] == before_rows
    for row in after_rows:
        if row.key in new_keys:
            assert (row.hours, row.services, row.activities, row.volunteers) == (0, 0, 0, 0)


def test_a_whole_reversal_takes_out_the_only_service_and_its_volunteer() -> None:
    kept = credit(1.5, volunteer="V2", request="R2")
    reversed_ = credit(2.0, volunteer="V1", request="R1")
    rows, totals = tabulate([kept, reversed_, correction_of(reversed_)], by_team(TEAMS))
    assert totals == ReportRow("total", "合计", 1.5, 1.5, 1, 0, 1)
    assert rows == [ReportRow("T1", "东塔志愿队", 1.5, 1.5, 1, 0, 1)]


def test_a_partial_correction_keeps_the_service_and_subtracts_its_hours() -> None:
    posted = credit(3.0)
    _, totals = tabulate([posted, correction_of(posted, 1.0)], by_team(TEAMS))
    assert (totals.hours, totals.verified_hours, totals.services, totals.volunteers) == (
        2.0, 2.0, 1, 1)


def test_a_correction_nets_out_in_the_month_of_its_credit() -> None:
    march = credit(3.0, at=datetime(2026, 3, 20, tzinfo=UTC))
    late = correction_of(march, 3.0, after=timedelta(days=30))
    rows, totals = tabulate([march, late], by_month())
    assert rows == [ReportRow("2026-03", "2026年3月", 0.0, 0.0, 0, 0, 0)]
    assert totals == ReportRow("total", "合计", 0.0, 0.0, 0, 0, 0)


def test_a_correction_without_its_credit_stands_on_its_own_facts() -> None:
    late = correction_of(credit(1.5, at=datetime(2026, 3, 20, tzinfo=UTC)), after=timedelta(
        days=30))
    rows, _ = tabulate([late], by_month())
    assert rows == [ReportRow("2026-04", "2026年4月", -1.5, -1.5, 0, 0, 0)]


def test_unverified_hours_count_but_their_volunteer_is_not_active() -> None:
    _, totals = tabulate([credit(2.0, verified=False, request=None, activity="A1"),
                          credit(1.0, verified=None, volunteer="V2", request="R9")],
                         by_team(TEAMS))
    assert totals == ReportRow("total", "合计", 3.0, 0.0, 1, 1, 0)


def test_redemptions_are_not_hours() -> None:
    april = datetime(2026, 4, 10, tzinfo=UTC)
    rows, totals = tabulate([credit(2.0), redemption(at=april)], by_month())
    assert [row.key for row in rows] == ["2026-03"]
    assert totals.hours == 2.0


def test_months_are_china_months() -> None:
    key_of = by_month()
    late_march_in_china = datetime(2026, 3, 31, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
    early_april_in_china = datetime(2026, 3, 31, 16, 30, tzinfo=UTC)  # 00:30 in Shanghai
    assert key_of(credit(at=late_march_in_china)) == ("2026-03", "2026年3月")
    assert key_of(credit(at=early_april_in_china)) == ("2026-04", "2026年4月")
    assert by_month(ZoneInfo("UTC"))(credit(at=early_april_in_china)) == ("2026-03", "2026年3月")


def test_areas_go_to_the_longest_listed_child_under_the_root() -> None:
    key_of = by_area(COUNTY, {**TOWNS, VILLAGE_A1: "资江社区"}, root_label="北塔区")
    assert key_of(credit(area="430511001001001")) == (VILLAGE_A1, "资江社区")
    assert key_of(credit(area="430511001002")) == (TOWN_A, "东塔街道")
    assert key_of(credit(area=TOWN_B)) == (TOWN_B, "状元洲街道")
    assert key_of(credit(area=COUNTY)) == (COUNTY, "北塔区本级")
    assert key_of(credit(area="430511003001")) == (COUNTY, "北塔区本级")
    assert key_of(credit(area=OUTSIDE)) is None
    assert key_of(credit(area=None)) is None
    assert by_area(TOWN_A, {})(credit(area=TOWN_A)) == (TOWN_A, "本级")


def test_types_and_teams_are_named_and_the_unnamed_kept() -> None:
    assert by_service_type(TYPES)(credit(service_type="groceries")) == ("groceries", "代购")
    assert by_service_type(TYPES)(credit(service_type="repairs")) == ("repairs", "repairs")
    assert by_service_type(TYPES)(credit(service_type=None)) == ("unspecified", "未注明")
    assert by_team(TEAMS)(credit(team="T2")) == ("T2", "洲上志愿队")
    assert by_team(TEAMS)(credit(team=None)) == ("unspecified", "未注明")


def test_a_row_reads_as_the_json_of_the_report() -> None:
    row = ReportRow("2026-03", "2026年3月", 1.5, 1.0, 1, 0, 1)
    assert row.as_dict() == {"key": "2026-03", "label": "2026年3月", "hours": 1.5,
                             "verified_hours": 1.0, "services": 1, "activities": 0,
                             "volunteers": 1}
    assert tuple(row.as_dict()) == CSV_HEADER


labels = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
printable = st.text(st.characters(codec="utf-8", exclude_categories=["Cc"]), max_size=12)


def report_rows(names: st.SearchStrategy[str]) -> st.SearchStrategy[ReportRow]:
    return st.builds(
        ReportRow, key=names, label=names,
        hours=st.integers(-100, 10_000).map(lambda n: n * 0.25),
        verified_hours=st.integers(0, 10_000).map(lambda n: n * 0.25),
        services=st.integers(0, 500), activities=st.integers(0, 500),
        volunteers=st.integers(0, 500),
    )


def guarded(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def as_cells(row: ReportRow) -> list[Any]:
    return [row.key, row.label, row.hours, row.verified_hours, row.services, row.activities,
            row.volunteers]


@given(st.lists(report_rows(labels), max_size=8), report_rows(labels))
def test_the_csv_reads_back_the_same_table(rows: list[ReportRow], totals: ReportRow) -> None:
    lines = list(csv.reader(io.StringIO(to_csv(rows, totals), newline="")))
    assert tuple(lines[0]) == CSV_HEADER
    assert len(lines) == len(rows) + 2
    for line, row in zip(lines[1:], [*rows, totals], strict=True):
        assert line[:2] == [guarded(row.key), guarded(row.label)]
        assert [float(line[2]), float(line[3])] == [row.hours, row.verified_hours]
        assert [int(cell) for cell in line[4:]] == [row.services, row.activities, row.volunteers]


def test_the_csv_disarms_formulas_in_names() -> None:
    rows = [ReportRow("T9", '=HYPERLINK("http://evil.example","点我")', 1.0, 1.0, 1, 0, 1),
            ReportRow("T8", "-2+3", 1.0, 1.0, 1, 0, 1)]
    text = to_csv(rows, ReportRow("total", "合计", 2.0, 2.0, 2, 0, 2))
    labels_read = [line[1] for line in csv.reader(io.StringIO(text))][1:3]
    assert labels_read == ["'" + rows[0].label, "'-2+3"]


@given(st.lists(report_rows(printable), max_size=8), report_rows(printable))
def test_the_xlsx_opens_with_a_header_the_rows_and_the_totals(
    rows: list[ReportRow], totals: ReportRow
) -> None:
    workbook = load_workbook(io.BytesIO(to_xlsx(rows, totals, "北塔区 时长 2026/03")))
    sheet = workbook.active
    read = [list(line) for line in sheet.iter_rows(values_only=True)]
    assert tuple(read[0]) == XLSX_HEADER
    expected = [as_cells(row) for row in [*rows, totals]]
    # openpyxl reads an empty string cell back as None
    assert [[cell if cell is not None else "" for cell in line] for line in read[1:]] == expected
    assert sheet.cell(row=1, column=1).font.b
    assert sheet.cell(row=len(read), column=1).font.b


def test_the_xlsx_keeps_formulas_in_names_as_text() -> None:
    name = '=HYPERLINK("http://evil.example","点我")'
    data = to_xlsx([ReportRow("T9", name, 1.0, 1.0, 1, 0, 1)],
                   ReportRow("total", "合计", 1.0, 1.0, 1, 0, 1), "报表")
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.cell(row=2, column=2).value == name
    assert sheet.cell(row=2, column=2).data_type == "s"


def test_the_xlsx_drops_control_characters_xml_cannot_hold() -> None:
    data = to_xlsx([ReportRow("T\x01", "东塔\x0b志愿队", 1.0, 1.0, 1, 0, 1)],
                   ReportRow("total", "合计", 1.0, 1.0, 1, 0, 1), "报表")
    sheet = load_workbook(io.BytesIO(data)).active
    assert [sheet.cell(row=2, column=1).value, sheet.cell(row=2, column=2).value] == [
        "T", "东塔志愿队"]


@pytest.mark.parametrize("title", ["", "a" * 40, "[报表]:*?/\\"])
def test_any_title_makes_a_valid_sheet(title: str) -> None:
    data = to_xlsx([], ReportRow("total", "合计", 0.0, 0.0, 0, 0, 0), title)
    assert load_workbook(io.BytesIO(data)).active.max_row == 2
