"""The demo district of 北塔区 is deterministic and satisfies the rules the platform enforces.

What these tests prove, for several seeds:
- the same seed gives the same district (and a different seed a different one);
- area codes are digit strings of 6/9/12/15 digits inside county 430511, unique, and every
  area's parent (its longest proper prefix among the 6/9/12-digit cut points) is registered
  before it, the county first;
- coordinates, where present, are floats around Shaoyang and near the parent's (closer the
  lower the level); only hamlets may lack them, and most have them;
- team, leader, volunteer, item and resident ids are unique; every team area is a registered
  area starting with 430511; every team offers 1-4 known service types, capacity 3-12;
- every volunteer's team exists;
- every service type except ``other`` is offered by a team covering the whole county, or by
  teams covering every town, so any request can be matched;
- counts are in the intended ranges; residents live in registered areas; sample requests use
  valid service types and urgencies and are placed in their resident's area;
- every body is JSON-serialisable.
"""

from __future__ import annotations

import json
import re

import pytest

from runtime.demo_district import DemoDistrict, build_demo_district

SERVICE_TYPES = {
    "groceries", "meal_delivery", "cleaning", "bathing", "health_check", "companionship",
    "escort", "repair", "tutoring", "legal_aid", "psych_support", "outreach", "civility", "other",
}
COUNTY = "430511"
SEEDS = [511, 0, 1, 2024, 99991]


def _str(value: object) -> str:
    assert isinstance(value, str)
    return value


def _strs(value: object) -> list[str]:
    assert isinstance(value, list)
    return [_str(item) for item in value]


def _parent(code: str) -> str | None:
    cuts = [cut for cut in (6, 9, 12) if cut < len(code)]
    return code[: cuts[-1]] if cuts else None


@pytest.fixture(params=SEEDS)
def district(request: pytest.FixtureRequest) -> DemoDistrict:
    seed = request.param
    assert isinstance(seed, int)
    return build_demo_district(seed)


def test_same_seed_same_district() -> None:
    assert build_demo_district(511) == build_demo_district(511)
    assert build_demo_district() == build_demo_district(511)
    assert build_demo_district(7) == build_demo_district(7)


def test_different_seed_different_district() -> None:
    assert build_demo_district(511) != build_demo_district(512)


def test_area_codes_shape_and_parent_order(district: DemoDistrict) -> None:
    seen: set[str] = set()
    assert _str(district.areas[0]["code"]) == COUNTY
    for area in district.areas:
        code = _str(area["code"])
        assert code.isdigit() and code.isascii()
        assert len(code) in (6, 9, 12, 15)
        assert code.startswith(COUNTY)
        assert _str(area["name"])
        assert code not in seen, f"duplicate area {code}"
        parent = _parent(code)
        if parent is None:
            assert code == COUNTY
        else:
            assert parent in seen, f"{code} listed before its parent {parent}"
        seen.add(code)


def test_area_coordinates(district: DemoDistrict) -> None:
    by_code = {_str(area["code"]): area for area in district.areas}
    hamlets_without = 0
    for code, area in by_code.items():
        if "lat" not in area:
            assert "lon" not in area
            assert len(code) == 15, f"only hamlets may lack coordinates: {code}"
            hamlets_without += 1
            continue
        lat, lon = area["lat"], area["lon"]
        assert isinstance(lat, float) and isinstance(lon, float)
        assert 27.23 <= lat <= 27.30 and 111.40 <= lon <= 111.47
        parent = _parent(code)
        if parent is not None and "lat" in by_code[parent]:
            p_lat, p_lon = by_code[parent]["lat"], by_code[parent]["lon"]
            assert isinstance(p_lat, float) and isinstance(p_lon, float)
            limit = {9: 0.05, 12: 0.015, 15: 0.008}[len(code)]
            assert abs(lat - p_lat) < limit and abs(lon - p_lon) < limit
    hamlets = [code for code in by_code if len(code) == 15]
    assert hamlets_without <= len(hamlets) // 2, "most hamlets have coordinates"


def test_area_counts(district: DemoDistrict) -> None:
    codes = [_str(area["code"]) for area in district.areas]
    towns = [code for code in codes if len(code) == 9]
    villages = [code for code in codes if len(code) == 12]
    hamlets = [code for code in codes if len(code) == 15]
    assert 80 <= len(codes) <= 130
    assert 4 <= len(towns) <= 6
    for town in towns:
        assert 4 <= sum(village.startswith(town) for village in villages) <= 6
    for village in villages:
        assert 2 <= sum(hamlet.startswith(village) for hamlet in hamlets) <= 4
    names = {_str(area["name"]) for area in district.areas}
    assert any(name.endswith("社区") for name in names)
    assert any(name.endswith("村") for name in names)


def test_teams(district: DemoDistrict) -> None:
    registered = {_str(area["code"]) for area in district.areas}
    assert 25 <= len(district.teams) <= 35
    team_ids = [_str(team["team_id"]) for team in district.teams]
    leader_ids = [_str(team["leader_id"]) for team in district.teams]
    assert len(set(team_ids)) == len(team_ids)
    assert len(set(leader_ids)) == len(leader_ids)
    assert all(re.fullmatch(r"T\d{3}", team_id) for team_id in team_ids)
    assert all(re.fullmatch(r"L\d{3}", leader_id) for leader_id in leader_ids)
    assert len({_str(team["name"]) for team in district.teams}) == len(district.teams)
    levels: set[int] = set()
    for team in district.teams:
        areas = _strs(team["areas"])
        assert areas
        for code in areas:
            assert code in registered, f"{team['team_id']} covers unregistered {code}"
            assert code.startswith(COUNTY)
            levels.add(len(code))
        types = _strs(team["service_types"])
        assert 1 <= len(types) <= 4
        assert len(set(types)) == len(types)
        assert set(types) <= SERVICE_TYPES
        capacity = team["capacity"]
        assert isinstance(capacity, int) and 3 <= capacity <= 12
    assert levels == {6, 9, 12, 15}


def test_every_service_type_can_be_matched(district: DemoDistrict) -> None:
    towns = [_str(area["code"]) for area in district.areas if len(_str(area["code"])) == 9]
    for service_type in sorted(SERVICE_TYPES - {"other"}):
        offering = [
            set(_strs(team["areas"])) for team in district.teams
            if service_type in _strs(team["service_types"])
        ]
        whole_county = any(COUNTY in areas for areas in offering)
        every_town = all(any(town in areas for areas in offering) for town in towns)
        assert whole_county or every_town, f"no team can take {service_type} everywhere"


def test_volunteers(district: DemoDistrict) -> None:
    team_ids = {_str(team["team_id"]) for team in district.teams}
    assert 300 <= len(district.volunteers) <= 400
    ids = [_str(volunteer["volunteer_id"]) for volunteer in district.volunteers]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"V\d{4}", volunteer_id) for volunteer_id in ids)
    per_team: dict[str, int] = {}
    for volunteer in district.volunteers:
        team_id = _str(volunteer["team_id"])
        assert team_id in team_ids
        per_team[team_id] = per_team.get(team_id, 0) + 1
        name = _str(volunteer["name"])
        assert 2 <= len(name) <= 3 and all("\u4e00" <= char <= "\u9fff" for char in name)
    assert set(per_team) == team_ids, "every team has volunteers"


def test_catalog(district: DemoDistrict) -> None:
    ids = [_str(item["item_id"]) for item in district.catalog]
    assert len(set(ids)) == len(ids)
    assert 6 <= len(ids) <= 10
    assert {"towel", "toothpaste", "laundry_detergent", "vacuum_flask", "electric_blanket",
            "electric_kettle"} <= set(ids)
    for item in district.catalog:
        points, stock = item["points"], item["stock"]
        assert isinstance(points, int) and points > 0
        assert isinstance(stock, int) and 10 <= stock <= 100
        assert _str(item["name"])


def test_residents(district: DemoDistrict) -> None:
    registered = {_str(area["code"]) for area in district.areas}
    assert 15 <= len(district.residents) <= 25
    ids = [_str(resident["resident_id"]) for resident in district.residents]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"R\d{3}", resident_id) for resident_id in ids)
    phones = [_str(resident["phone"]) for resident in district.residents]
    assert len(set(phones)) == len(phones)
    for resident in district.residents:
        assert re.fullmatch(r"1\d{10}", _str(resident["phone"]))
        area = _str(resident["area"])
        assert area in registered and len(area) in (12, 15)
        assert _str(resident["address"]).startswith("邵阳市北塔区")
        assert _str(resident["name"])


def test_sample_requests(district: DemoDistrict) -> None:
    residents = {_str(r["resident_id"]): r for r in district.residents}
    assert 10 <= len(district.sample_requests) <= 14
    urgencies = [_str(request["urgency"]) for request in district.sample_requests]
    assert set(urgencies) <= {"normal", "urgent"}
    assert "urgent" in urgencies and "normal" in urgencies
    for request in district.sample_requests:
        assert _str(request["service_type"]) in SERVICE_TYPES
        resident = residents[_str(request["resident_id"])]
        assert request["area"] == resident["area"]
        assert request["address"] == resident["address"]
        assert _str(request["details"])


def test_bodies_are_json(district: DemoDistrict) -> None:
    for bodies in (district.areas, district.teams, district.volunteers, district.catalog,
                   district.residents, district.sample_requests):
        for body in bodies:
            assert json.loads(json.dumps(body, ensure_ascii=False)) == body
