"""Review rules (审单, DESIGN §11) in both modes, through HTTP: staff hold one village's
grocery orders for review with a one-second SLA while a hamlet of it is exempt; the held
order records its deadline, shows on the board's overdue list with reason `review_sla` once
the SLA passes, and leaves it when staff approve it and it is dispatched. Rules are set only
in registered areas of the caller's scope, and listed for an area with those bearing on it.
"""

from __future__ import annotations

from typing import Any

from harness import Platform, eventually, make_district

from schemas.common import Role


async def test_a_rule_holds_a_villages_orders_and_an_overdue_review_is_on_the_board(
        platform: Platform) -> None:
    district = await make_district(platform)
    staff = district.staff
    rule = await staff.post("/api/v1/review-rules", {
        "area": district.village, "service_type": "groceries", "required": True, "sla_s": 1})
    assert rule.status == 201, rule.body
    assert (rule.body["area"], rule.body["service_type"], rule.body["required"],
            rule.body["sla_s"]) == (district.village, "groceries", True, 1)
    exempt = await staff.post("/api/v1/review-rules", {
        "area": district.other_hamlet, "required": False})
    assert exempt.status == 201, exempt.body
    listed = await staff.get(f"/api/v1/review-rules?area={district.village}")
    assert [(r["area"], r["service_type"]) for r in listed.body["rules"]] == [
        (district.village, "groceries"), (district.other_hamlet, None)]
    beside = await staff.get(f"/api/v1/review-rules?area={district.far_village}")
    assert beside.body["rules"] == []

    resident = platform.as_(Role.RESIDENT, f"R{district.county}-held")
    order = {"service_type": "groceries", "area": district.hamlet, "address": "1栋"}
    held = await resident.post("/api/v1/requests", order)
    assert held.body["status"] == "in_review", held.body
    cleaning = await resident.post("/api/v1/requests", {**order, "service_type": "cleaning"})
    assert cleaning.body["status"] == "dispatched", cleaning.body
    beside_hamlet = await resident.post("/api/v1/requests", {**order,
                                                             "area": district.other_hamlet})
    assert beside_hamlet.body["status"] == "dispatched", beside_hamlet.body
    request_id = held.body["request_id"]
    seen = await staff.get(f"/api/v1/requests/{request_id}")
    assert seen.body["review_by"] is not None

    board = platform.as_(Role.STAFF, f"S{district.county}-board", scope=district.county)

    async def overdue_review() -> dict[str, Any] | None:
        body = (await board.get("/api/v1/live")).body
        return next((r for r in body["overdue"] if r["request_id"] == request_id), None)

    item = await eventually(overdue_review)
    assert (item["status"], item["reason"]) == ("in_review", "review_sla")

    approved = await staff.post(f"/api/v1/requests/{request_id}/approve", {})
    assert approved.body["status"] == "dispatched", approved.body

    async def left_the_review_list() -> bool:
        item = await overdue_review()
        return item is None or item["reason"] != "review_sla"

    await eventually(left_the_review_list)


async def test_rules_are_set_in_registered_areas_of_the_scope(platform: Platform) -> None:
    district = await make_district(platform)
    town = platform.as_(Role.STAFF, f"S{district.county}-town", scope=district.town)
    outside = await town.post("/api/v1/review-rules", {"area": district.far_village,
                                                       "required": True})
    assert (outside.status, outside.error_code) == (403, "out_of_scope")
    unknown = await town.post("/api/v1/review-rules", {"area": district.town + "009",
                                                       "required": True})
    assert (unknown.status, unknown.error_code) == (422, "unknown_area")
    assert (await town.get("/api/v1/review-rules?area=12")).status == 400
    assert (await platform.as_(Role.STAFF, "S-everywhere").get(
        "/api/v1/review-rules")).status == 400
    made = await town.post("/api/v1/review-rules", {"area": district.town, "required": True,
                                                    "sla_s": 3600})
    assert made.status == 201 and made.body["set_by"] == f"S{district.county}-town"
    again = await town.post("/api/v1/review-rules", {"area": district.town,
                                                     "required": False})
    assert again.status == 201 and again.body["sla_s"] is None
    listed = await town.get("/api/v1/review-rules")
    assert [(r["area"], r["required"]) for r in listed.body["rules"]] == [
        (district.town, False)]
