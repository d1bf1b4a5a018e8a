"""The hours report (DESIGN §10) through the HTTP API in both modes: by area down the tree,
by service type, team and month; net of corrections; in the caller's scope; as JSON, CSV and
XLSX."""

from __future__ import annotations

import csv
import io
from typing import Any

from harness import Client, Platform, eventually, make_district
from journeys import balance_reaches, served
from openpyxl import load_workbook

from schemas.common import Role


async def report(staff: Client, query: str) -> dict[str, Any]:
    r = await staff.get(f"/api/v1/reports/hours?{query}")
    assert r.status == 200, r.body
    body: dict[str, Any] = r.body
    return body


async def test_hours_by_area_type_team_and_month(platform: Platform) -> None:
    district = await make_district(platform)
    hamlet = district.teams["hamlet"]
    await served(platform, district, "R-rep1", [(hamlet.volunteers[0], 3),
                                                (hamlet.volunteers[1], 1)])
    await served(platform, district, "R-rep2", [(hamlet.volunteers[0], 2)])
    await balance_reaches(platform, hamlet.volunteers[0], 5)
    await balance_reaches(platform, hamlet.volunteers[1], 1)
    staff = district.staff
    county = f"area={district.county}"

    by_area = await report(staff, county)
    assert by_area["totals"]["hours"] == 6.0 and by_area["totals"]["services"] == 2
    assert [(r["key"], r["label"], r["hours"]) for r in by_area["rows"]] == [
        (district.town, "测试街道", 6.0)]
    assert by_area["totals"]["volunteers"] == 0, "no verified hours: nobody active"
    down = await report(staff, f"area={district.village}")
    assert [(r["key"], r["hours"]) for r in down["rows"]] == [(district.hamlet, 6.0)]
    types = await report(staff, county + "&group_by=service_type")
    assert [(r["key"], r["label"]) for r in types["rows"]] == [("groceries", "代买物资")]
    teams = await report(staff, county + "&group_by=team")
    assert [(r["key"], r["label"]) for r in teams["rows"]] == [(hamlet.team_id, "hamlet team")]
    months = await report(staff, county + "&group_by=month")
    assert len(months["rows"]) == 1 and months["rows"][0]["hours"] == 6.0
    later = await report(staff, county + "&from=2099-01-01")
    assert later["rows"] == [] and later["totals"]["hours"] == 0

    far = platform.as_(Role.STAFF, "S-far", scope=district.far_village)
    assert (await report(far, "group_by=area"))["totals"]["hours"] == 0
    r = await far.get(f"/api/v1/reports/hours?area={district.hamlet}")
    assert (r.status, r.error_code) == (403, "out_of_scope")
    r = await staff.get("/api/v1/reports/hours?group_by=colour")
    assert (r.status, r.error_code) == (400, "bad_group_by")

    points = (await staff.get(f"/api/v1/volunteers/{hamlet.volunteers[0]}/points")).body
    entry = next(e for e in points["entries"] if e["hours"] == 2.0)
    r = await staff.post(f"/api/v1/volunteers/{hamlet.volunteers[0]}/corrections",
                         {"entry_id": entry["entry_id"], "reason": "未上门"})
    assert r.status == 201, r.body

    async def netted() -> dict[str, Any] | None:
        body = await report(staff, county)
        return body if body["totals"]["hours"] == 4.0 else None

    corrected = await eventually(netted)
    assert corrected["totals"]["services"] == 1

    text = (await staff.get(f"/api/v1/reports/hours?{county}&format=csv")).text
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == ["key", "label", "hours", "verified_hours", "services", "activities",
                        "volunteers"]
    assert lines[1][:3] == [district.town, "测试街道", "4.0"]
    sheet = await staff.get(f"/api/v1/reports/hours?{county}&format=xlsx")
    assert sheet.headers["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    workbook = load_workbook(io.BytesIO(sheet.raw))
    values = [[c.value for c in row] for row in workbook.active.iter_rows()]
    assert any(district.town in row for row in values)
