"""What a handler returns, and the stamp that gives new events their envelope.

Event ids derive from the command id, so deciding the same command twice yields the very
same events: a redelivered command cannot create a second fact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID, uuid5

from pydantic import JsonValue

from schemas.base import Command, CommandOutcome, Event, Rejection, RejectionKind

E = TypeVar("E", bound=Event)


class Refused(Exception):
    """A handler's refusal, raised before its first event and answered as a rejection."""

    def __init__(self, kind: RejectionKind, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.kind: RejectionKind = kind
        self.code = code
        self.message = message
        self.details = details


@dataclass(frozen=True)
class Decision:
    events: tuple[Event, ...] = ()
    commands: tuple[Command, ...] = ()
    outcome: CommandOutcome | None = None


@dataclass
class Stamp:
    """Builds the events and follow-up commands that one command causes."""

    cause: Command
    now: datetime
    _count: int = field(default=0, init=False)

    def _next_id(self) -> UUID:
        self._count += 1
        return uuid5(self.cause.command_id, str(self._count))

    def event(self, kind: type[E], /, **fields: Any) -> E:
        return kind(
            event_id=self._next_id(),
            occurred_at=self.now,
            correlation_id=self.cause.correlation_id,
            causation_id=self.cause.command_id,
            actor=self.cause.actor,
            **fields,
        )

    def command(self, kind: type[Command], /, **fields: Any) -> Command:
        """A follow-up command of the same journey: it acts for the same actor and carries
        the cause's fingerprint, so the answer it leads to names the command it answers."""
        return kind(
            command_id=self._next_id(),
            occurred_at=self.now,
            correlation_id=self.cause.correlation_id,
            causation_id=self.cause.command_id,
            actor=self.cause.actor,
            fingerprint=self.cause.fingerprint,
            **fields,
        )

    def outcome(self, answer_to: UUID | None, result: dict[str, JsonValue] | None = None,
                rejection: Rejection | None = None) -> CommandOutcome:
        return CommandOutcome(
            command_id=answer_to or self.cause.command_id, occurred_at=self.now, result=result,
            rejection=rejection, actor=self.cause.actor, fingerprint=self.cause.fingerprint,
        )

    def accepted(
        self,
        events: tuple[Event, ...] | list[Event] = (),
        commands: tuple[Command, ...] | list[Command] = (),
        answer_to: UUID | None = None,
        **body: JsonValue,
    ) -> Decision:
        return Decision(tuple(events), tuple(commands), self.outcome(answer_to, result=body))

    def rejected(
        self,
        kind: RejectionKind,
        code: str,
        message: str,
        answer_to: UUID | None = None,
        events: tuple[Event, ...] | list[Event] = (),
        **details: JsonValue,
    ) -> Decision:
        rejection = Rejection(kind=kind, code=code, message=message, details=details)
        return Decision(tuple(events), (), self.outcome(answer_to, rejection=rejection))

    def pending(
        self,
        events: tuple[Event, ...] | list[Event] = (),
        commands: tuple[Command, ...] | list[Command] = (),
    ) -> Decision:
        """Accepted so far, but the answer comes from a later step of the saga."""
        return Decision(tuple(events), tuple(commands), None)
