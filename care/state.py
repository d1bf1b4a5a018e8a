"""A county's care plans and their visits: a row per plan, ranked by start under every level
of the resident's area and under the resident; a row per visit, ranked by the start of its
period under every level of its area (what the visits report reads); and each visit's
request, so a completed request finds its visit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from schemas import care as cp
from schemas.base import Event
from schemas.care import CarePlanView, VisitView, visit_key
from schemas.common import ancestors
from schemas.records import Journal, Ranking, Records

PLANS = "care_plans"
VISITS = "visits"


def plans_in(area: str | None) -> str:
    return f"plans:{area or 'all'}"


def plans_of(resident_id: str) -> str:
    return f"plans-of:{resident_id}"


def visits_in(area: str | None) -> str:
    return f"visits:{area or 'all'}"


class CareState:
    def __init__(self) -> None:
        self.plans: Records[CarePlanView] = Records()
        self.visits: Records[VisitView] = Records()
        self.ranks = Ranking()
        self.by_request: dict[str, str] = {}
        """Planned visits by their request id: the visit's key."""

    def collections(self) -> dict[str, Records[Any]]:
        return {PLANS: self.plans, VISITS: self.visits}

    def journals(self) -> dict[str, Journal[Any]]:
        return {}

    def ranking(self) -> Ranking:
        return self.ranks

    def restore(self, rows: dict[str, dict[str, Any]]) -> None:
        for key, plan in rows.get(PLANS, {}).items():
            self.plans.load(key, plan)
        for key, visit in rows.get(VISITS, {}).items():
            self.visits.load(key, visit)
            if visit.status == "planned":
                self.by_request[visit.request_id] = key

    def turning(self, now: datetime) -> list[CarePlanView]:
        """Active plans whose current period has ended."""
        return [plan for plan_id in sorted(self.plans)
                if (plan := self.plans[plan_id]).status == "active"
                and plan.period_ends_at <= now]

    def plans_of(self, resident_id: str) -> list[CarePlanView]:
        return [plan for plan_id in self.plans
                if (plan := self.plans[plan_id]).resident_id == resident_id]

    def current_visit(self, plan: CarePlanView) -> VisitView | None:
        return self.visits.get(visit_key(plan.plan_id, plan.period))

    def evolve(self, event: Event) -> None:
        if not isinstance(event, cp.CareEvent):
            return
        if isinstance(event, cp.PlanCreated):
            plan = CarePlanView(
                plan_id=event.plan_id, county=event.county, resident_id=event.resident_id,
                area=event.area, address=event.address, service_type=event.service_type,
                cadence=event.cadence, team_id=event.team_id, notes=event.notes,
                priority=event.priority, created_by=event.actor, started_at=event.occurred_at,
                seq=len(self.plans) + 1, period_ends_at=event.occurred_at)
            score = plan.started_at.timestamp()
            for place in (None, *ancestors(plan.area)):
                self.ranks.rank(plans_in(place), plan.plan_id, score)
            self.ranks.rank(plans_of(plan.resident_id), plan.plan_id, score)
            self.plans.put(plan.plan_id, plan)
            return
        plan = self.plans[event.plan_id]
        if isinstance(event, cp.PlanEnded):
            self.plans.put(plan.plan_id, plan.model_copy(update={
                "status": "ended", "ended_at": event.occurred_at, "end_reason": event.reason}))
        elif isinstance(event, cp.VisitOpened):
            visit = VisitView(plan_id=plan.plan_id, period=event.period, area=plan.area,
                              resident_id=plan.resident_id, request_id=event.request_id,
                              starts_at=event.starts_at, ends_at=event.ends_at)
            for place in (None, *ancestors(plan.area)):
                self.ranks.rank(visits_in(place), visit.key, visit.starts_at.timestamp())
            self.visits.put(visit.key, visit)
            self.by_request[visit.request_id] = visit.key
            self.plans.put(plan.plan_id, plan.model_copy(update={
                "period": event.period, "period_ends_at": event.ends_at,
                "planned": plan.planned + 1}))
        elif isinstance(event, cp.VisitDone | cp.VisitMissed):
            key = visit_key(plan.plan_id, event.period)
            done = isinstance(event, cp.VisitDone)
            self.visits.put(key, self.visits[key].model_copy(update={
                "status": "done" if done else "missed",
                "done_at": event.occurred_at if done else None}))
            self.by_request.pop(event.request_id, None)
            self.plans.put(plan.plan_id, plan.model_copy(update={
                "done": plan.done + done, "missed": plan.missed + (not done)}))
