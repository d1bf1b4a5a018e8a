"""A county's cases: one row each, ranked by opening time under every level of its area and
under its resident, so the lists an office or a resident reads are pages of one ranking; the
county's offices (scopes with staff); and the open cases by deadline, for the timer."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from schemas import cases as c
from schemas.base import Event
from schemas.cases import CaseStep, CaseView
from schemas.common import ancestors
from schemas.records import Journal, Ranking, Records

CASES = "cases"
OFFICES = "offices"


def cases_in(area: str | None) -> str:
    """The ranking of the cases opened in an area (None: in the whole county)."""
    return f"cases:{area or 'all'}"


def cases_of(resident_id: str) -> str:
    """The ranking of one resident's cases."""
    return f"cases-of:{resident_id}"


class CasesState:
    def __init__(self) -> None:
        self.cases: Records[CaseView] = Records()
        self.offices: Records[bool] = Records()
        self.ranks = Ranking()

    def collections(self) -> dict[str, Records[Any]]:
        return {CASES: self.cases, OFFICES: self.offices}

    def journals(self) -> dict[str, Journal[Any]]:
        return {}

    def ranking(self) -> Ranking:
        return self.ranks

    def restore(self, rows: dict[str, dict[str, Any]]) -> None:
        for key, case in rows.get(CASES, {}).items():
            self.cases.load(key, case)
        for key, held in rows.get(OFFICES, {}).items():
            self.offices.load(key, held)

    def due(self, now: datetime) -> list[CaseView]:
        """Open cases whose deadline has passed and that are not yet marked for it."""
        return [case for case_id in sorted(self.cases)
                if (case := self.cases[case_id]).status == "open" and case.due_at <= now
                and not (case.overdue and case.owner_scope == case.county)]

    def evolve(self, event: Event) -> None:
        if isinstance(event, c.OfficeRegistered):
            self.offices.put(event.scope, True)
            return
        if not isinstance(event, c.CaseEvent):
            return
        if isinstance(event, c.CaseOpened):
            case = CaseView(
                case_id=event.case_id, county=event.county, area=event.area, kind=event.kind,
                subject=event.subject, details=event.details, resident_id=event.resident_id,
                request_id=event.request_id, plan_id=event.plan_id, opened_by=event.actor,
                opened_at=event.occurred_at, seq=len(self.cases) + 1,
                owner_scope=event.owner_scope, due_at=event.due_at)
            score = case.opened_at.timestamp()
            for place in (None, *ancestors(case.area)):
                self.ranks.rank(cases_in(place), case.case_id, score)
            if case.resident_id is not None:
                self.ranks.rank(cases_of(case.resident_id), case.case_id, score)
            self.cases.put(case.case_id, case)
            return
        assert isinstance(event, c.StepRecorded | c.CaseClosed | c.DeadlinePassed)
        before = self.cases[event.case_id]
        self.cases.put(before.case_id, changed(before, event))


def changed(case: CaseView, event: c.StepRecorded | c.CaseClosed | c.DeadlinePassed
            ) -> CaseView:
    at = event.occurred_at
    if isinstance(event, c.StepRecorded):
        step = CaseStep(kind=event.kind, note=event.note, at=at, by=event.actor)
        return case.model_copy(update={"steps": (*case.steps, step)})
    if isinstance(event, c.CaseClosed):
        return case.model_copy(update={
            "status": "closed", "resolution": event.resolution,
            "resident_satisfied": event.resident_satisfied, "closed_at": at,
            "closed_by": event.actor})
    return case.model_copy(update={
        "owner_scope": event.owner_scope, "due_at": event.due_at,
        "escalations": event.escalations, "overdue": True})
