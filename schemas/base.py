"""The envelope every command and event carries, and the outcome an owner answers with."""

from __future__ import annotations

from typing import Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue

from schemas.common import AreaCode, Identifier, Role

SCHEMA_VERSION = 1


class Frozen(BaseModel):
    """Immutable and strict about unknown fields: data enters only through these models."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Actor(Frozen):
    role: Role
    subject: Identifier
    scope: AreaCode | None = Field(None, description="A staff member's scope; none: all areas")


SYSTEM = Actor(role=Role.SYSTEM, subject="platform")


class Message(Frozen):
    """Envelope fields: who caused what, when, and in which journey (correlation)."""

    schema_version: int = SCHEMA_VERSION
    occurred_at: AwareDatetime
    correlation_id: UUID
    causation_id: UUID | None = None
    actor: Actor

    @property
    def message_id(self) -> UUID:
        raise NotImplementedError

    @property
    def partition_key(self) -> str:
        """The aggregate that owns this message; the log keeps order per key."""
        raise NotImplementedError


class Command(Message):
    command_id: UUID
    fingerprint: str = Field("", description="Hash of the client's body, to spot a reused key")

    @property
    def message_id(self) -> UUID:
        return self.command_id


class Event(Message):
    event_id: UUID

    @property
    def message_id(self) -> UUID:
        return self.event_id


RejectionKind = Literal["invalid", "not_found", "forbidden", "conflict"]


class Rejection(Frozen):
    """Why an owner refused a command; the gateway maps `kind` to an HTTP status."""

    kind: RejectionKind
    code: str
    message: str
    details: dict[str, JsonValue] = Field(default_factory=dict)


class CommandOutcome(Frozen):
    """The owner's answer to one command, published so the waiting gateway can reply."""

    type: Literal["CommandOutcome"] = "CommandOutcome"
    schema_version: int = SCHEMA_VERSION
    command_id: UUID
    occurred_at: AwareDatetime
    result: dict[str, JsonValue] | None = None
    rejection: Rejection | None = None
    actor: Actor | None = Field(None, description="Who sent the command answered: only they "
                                "may read the answer")
    fingerprint: str = Field("", description="The answered command's fingerprint: a caller "
                             "whose command has the same id and another fingerprint reused "
                             "an Idempotency-Key")

    @property
    def ok(self) -> bool:
        return self.rejection is None

    @property
    def message_id(self) -> UUID:
        return self.command_id

    @property
    def partition_key(self) -> str:
        return str(self.command_id)


class DeadLetter(Frozen):
    """A message a worker could not handle after bounded retries: kept, shown, never lost."""

    type: Literal["DeadLetter"] = "DeadLetter"
    schema_version: int = SCHEMA_VERSION
    letter_id: UUID
    occurred_at: AwareDatetime
    consumer: str
    topic: str
    failed_message_id: str
    message_type: str
    reason: str
    body: str

    @property
    def message_id(self) -> UUID:
        return self.letter_id

    @property
    def partition_key(self) -> str:
        return self.consumer


LogMessage = Message | CommandOutcome | DeadLetter


class PersonKey(Frozen):
    """A person's data key on the scaled mode's compacted key topic (never in a log kept
    forever); the key is 32 random bytes, base64."""

    type: Literal["PersonKey"] = "PersonKey"
    person: str
    key: str
