"""The audit owner: one aggregate per county, whose records are ranked by time under the
county, every enclosing area of the object, and the actor, so a page of a scope's records or
of one actor's is a page of a ranking, however long the trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from schemas.audit import AuditRecord, AuditRecorded, RecordAudit
from schemas.base import Command, Event
from schemas.common import ancestors
from schemas.decision import Decision, Stamp
from schemas.records import HeldStates, Journal, Ranking, Records
from schemas.topics import AUDIT

RECORDS = "audit"
ALL = "audit:all"


def area_index(area: str) -> str:
    return f"audit:area:{area}"


def actor_index(actor: str) -> str:
    return f"audit:actor:{actor}"


class AuditState:
    def __init__(self) -> None:
        self.records: Records[AuditRecord] = Records()
        self.ranks = Ranking()

    def collections(self) -> dict[str, Records[Any]]:
        return {RECORDS: self.records}

    def journals(self) -> dict[str, Journal[Any]]:
        return {}

    def ranking(self) -> Ranking:
        return self.ranks

    def restore(self, rows: dict[str, dict[str, Any]]) -> None:
        """Records are written once and never read back to decide: nothing to load."""

    def evolve(self, event: Event) -> None:
        if not isinstance(event, AuditRecorded):
            return
        record = event.record
        key = str(record.audit_id)
        self.records.put(key, record)
        score = record.at.timestamp()
        for index in (ALL, actor_index(record.actor_id),
                      *(area_index(a) for a in (ancestors(record.area) if record.area else ()))):
            self.ranks.rank(index, key, score)


class AuditOwner(HeldStates[AuditState]):
    name = "audit"
    family = AUDIT

    def __init__(self) -> None:
        super().__init__(AuditState)

    def decide(self, command: Command, now: datetime) -> Decision:
        assert isinstance(command, RecordAudit)
        stamp = Stamp(command, now)
        actor = command.actor
        event = stamp.event(AuditRecorded, county=command.county, record=AuditRecord(
            audit_id=command.audit_id, at=command.occurred_at, actor_id=actor.subject,
            actor_role=actor.role, actor_scope=actor.scope, action=command.action,
            object_kind=command.object_kind, object_id=command.object_id, area=command.area))
        self.evolve(event)
        return stamp.accepted([event], audit_id=str(command.audit_id))

    def evolve(self, event: Event) -> None:
        assert isinstance(event, AuditRecorded)
        self.state_of(event.county).evolve(event)

    def timers(self, now: datetime) -> list[Command]:
        return []
