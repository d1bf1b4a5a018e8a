"""Audit records (DESIGN §9): every staff write, and every staff read of a person's contact
details, recorded by the gateway as a command to the audit owner of the object's county."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from schemas.base import Command, Event, Frozen
from schemas.common import AreaCode, Identifier, Role

AuditKey = Annotated[str, Field(pattern=r"^([0-9]{6}|all)$",
                                description="The county of the object's area; `all` when "
                                            "the object has no area")]
Action = Annotated[str, Field(min_length=1, max_length=120)]


class AuditRecord(Frozen):
    audit_id: UUID
    at: AwareDatetime
    actor_id: Identifier
    actor_role: Role
    actor_scope: AreaCode | None = None
    action: Action
    object_kind: Annotated[str, Field(max_length=40)]
    object_id: Annotated[str, Field(max_length=80)] = ""
    area: AreaCode | None = None


class RecordAudit(Command):
    type: Literal["RecordAudit"] = "RecordAudit"
    county: AuditKey
    audit_id: UUID
    action: Action
    object_kind: Annotated[str, Field(max_length=40)]
    object_id: Annotated[str, Field(max_length=80)] = ""
    area: AreaCode | None = None

    @property
    def partition_key(self) -> str:
        return self.county


class AuditRecorded(Event):
    type: Literal["AuditRecorded"] = "AuditRecorded"
    county: AuditKey
    record: AuditRecord

    @property
    def partition_key(self) -> str:
        return self.county


AnyAuditCommand = Annotated[RecordAudit, Field(discriminator="type")]
AnyAuditEvent = Annotated[AuditRecorded, Field(discriminator="type")]
