"""Review rules (审单, DESIGN §11): the most specific rule wins, the platform setting decides
where none applies, a held order records its review deadline, and past it the board lists
it as overdue with reason `review_sla` until it is approved.

How: hypothesis draws rule sets over a small area tree and an order, and checks the chosen
rule against a brute-force search for the most specific applicable one; a `County` driver
sets rules and submits orders through the real dispatcher; its events are folded by the
real live flow at chosen moments.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from unit.builders import (
    COUNTY,
    HAMLET_A1A,
    HAMLET_A1B,
    STAFF,
    T0,
    TOWN_A,
    VILLAGE_A1,
    VILLAGE_B1,
    County,
    approve,
    envelope,
    rid,
    submit,
)
from unit.test_dispatch_handlers import set_up

from consumers.live.flow import LiveFlow
from dispatcher.policy import DispatchPolicy
from dispatcher.review import applicable_rule, review_by, rule_key
from schemas import commands as cmd
from schemas.base import Actor
from schemas.common import RequestStatus, Role, ServiceType, within
from schemas.views import ReviewRuleView

AREAS = (COUNTY, TOWN_A, VILLAGE_A1, HAMLET_A1A, VILLAGE_B1, "430511002")
TYPES = (ServiceType.GROCERIES, ServiceType.CLEANING)
rule_sets = st.lists(st.tuples(st.sampled_from(AREAS), st.sampled_from((None, *TYPES)),
                               st.booleans()), max_size=12)


def rules_of(drawn: list[tuple[str, ServiceType | None, bool]]
             ) -> dict[str, ReviewRuleView]:
    return {rule_key(area, kind): ReviewRuleView(area=area, service_type=kind,
                                                 required=required, set_at=T0, set_by="S")
            for area, kind, required in drawn}


def specificity(rule: ReviewRuleView) -> tuple[int, bool]:
    return len(rule.area), rule.service_type is not None


@given(rule_sets, st.sampled_from(AREAS), st.sampled_from(TYPES))
def test_the_most_specific_applicable_rule_wins(
        drawn: list[tuple[str, ServiceType | None, bool]], area: str,
        kind: ServiceType) -> None:
    rules = rules_of(drawn)
    applicable = [r for r in rules.values()
                  if within(area, r.area) and r.service_type in (None, kind)]
    chosen = applicable_rule(rules, area, kind)
    if not applicable:
        assert chosen is None
        return
    assert chosen in applicable
    assert specificity(chosen) == max(specificity(r) for r in applicable)


@given(rule_sets, st.sampled_from(AREAS), st.sampled_from(TYPES), st.booleans())
def test_the_platform_setting_decides_only_where_no_rule_applies(
        drawn: list[tuple[str, ServiceType | None, bool]], area: str, kind: ServiceType,
        by_default: bool) -> None:
    chosen = applicable_rule(rules_of(drawn), area, kind)
    held, _ = review_by(chosen, by_default, T0)
    assert held == (by_default if chosen is None else chosen.required)


def set_rule(area: str, required: bool, service_type: ServiceType | None = None,
             sla_s: int | None = None, by: Actor = STAFF) -> cmd.SetReviewRule:
    return cmd.SetReviewRule(**envelope(by, T0), area=area, service_type=service_type,
                             required=required, sla_s=sla_s)


def test_a_rule_holds_the_orders_of_one_village_and_type_with_a_deadline() -> None:
    county = set_up()
    county.ok(set_rule(VILLAGE_A1, True, ServiceType.GROCERIES, sla_s=600))
    county.ok(set_rule(HAMLET_A1A, False))
    county.ok(submit(rid(1), HAMLET_A1B))
    county.ok(submit(rid(2), HAMLET_A1A))
    county.ok(submit(rid(3), HAMLET_A1B, ServiceType.CLEANING))
    held = county.state.requests[rid(1)]
    assert held.status is RequestStatus.IN_REVIEW
    assert held.review_by == T0 + timedelta(seconds=600)
    assert county.state.requests[rid(2)].status is RequestStatus.DISPATCHED
    assert county.state.requests[rid(3)].status is RequestStatus.DISPATCHED
    county.ok(approve(rid(1)))
    assert county.state.requests[rid(1)].status is RequestStatus.DISPATCHED


def test_an_exempting_rule_beats_the_platform_setting() -> None:
    county = set_up(DispatchPolicy(review_required=True))
    county.ok(set_rule(TOWN_A, False))
    county.ok(submit(rid(1), HAMLET_A1A))
    county.ok(submit(rid(2), VILLAGE_B1))
    assert county.state.requests[rid(1)].status is RequestStatus.DISPATCHED
    assert county.state.requests[rid(2)].status is RequestStatus.IN_REVIEW
    assert county.state.requests[rid(2)].review_by is None


def test_a_rule_is_set_only_in_a_registered_area_of_the_scope() -> None:
    county = set_up()
    town_staff = Actor(role=Role.STAFF, subject="S-town", scope=TOWN_A)
    assert county.refused(set_rule(VILLAGE_B1, True, by=town_staff)).code == "out_of_scope"
    assert county.refused(set_rule("430511001009", True, by=town_staff)).code == (
        "unknown_area")
    county.ok(set_rule(VILLAGE_A1, True, by=town_staff))
    county.ok(set_rule(VILLAGE_A1, False, by=town_staff))
    [rule] = county.state.review_rules.values()
    assert (rule.area, rule.required, rule.set_by) == (VILLAGE_A1, False, "S-town")


def board_at(county: County, at: datetime) -> LiveFlow:
    flow = LiveFlow()
    for event in county.events:
        flow.evolve(event)
    flow.snapshot(at)
    return flow


def test_a_held_order_past_its_review_sla_is_overdue_until_approved() -> None:
    county = set_up()
    county.ok(set_rule(VILLAGE_A1, True, sla_s=600))
    county.ok(submit(rid(1), HAMLET_A1A))
    before = board_at(county, T0).snapshot(T0 + timedelta(seconds=599))
    assert before.overdue == ()
    after = board_at(county, T0).snapshot(T0 + timedelta(seconds=601))
    assert [(r.request_id, r.status, r.reason) for r in after.overdue] == [
        (rid(1), RequestStatus.IN_REVIEW, "review_sla")]
    county.ok(approve(rid(1), at=T0 + timedelta(seconds=700)))
    approved = board_at(county, T0).snapshot(T0 + timedelta(seconds=701))
    assert all(r.reason != "review_sla" for r in approved.overdue)
    assert rid(1) not in {r.request_id for r in approved.overdue}


@given(st.integers(1, 10**6), st.integers(0, 10**6))
def test_a_deadline_is_submission_plus_the_sla(sla_s: int, offset_s: int) -> None:
    rule = ReviewRuleView(area=COUNTY, required=True, sla_s=sla_s, set_at=T0, set_by="S")
    at = T0 + timedelta(seconds=offset_s)
    assert review_by(rule, False, at) == (True, at + timedelta(seconds=sla_s))
