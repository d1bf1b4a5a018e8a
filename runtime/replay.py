"""Derived state folded from the log from its beginning, then written to a store: the
embedded platform's start-up and `vdispatch rebuild` in both modes.

The owners' aggregates come from folding the event topics with the same `evolve` the owners
use while deciding; the live board and inboxes from the live projector's fold. Where the log
can hand a command to its owner again after it was applied (Kafka: a consumer resumes from
its last committed offset, which may lag the outputs), the markers are rebuilt too, by
grouping every produced message by the command that caused it, and the kept answers from the
outcome topic. The rows are written in the same steps the host writes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from runtime.ports import LogReader, Owner, Step, Store
from runtime.projections import LiveProjector
from schemas.base import Command, CommandOutcome, DeadLetter, Event, LogMessage
from schemas.topics import COMMAND_OUTCOMES, DEAD_LETTERS, Topic

WRITE_BATCH = 500
"""Aggregates written per store round trip."""
Progress = Callable[[int], None]


class Replay:
    def __init__(self, owners: Sequence[Owner], projector: LiveProjector | None,
                 markers: bool) -> None:
        self.owners = {o.family.event_topic.name: o for o in owners}
        self.projector = projector
        self.markers = markers
        self.outputs: dict[UUID, list[LogMessage]] = defaultdict(list)
        self.owner_of: dict[UUID, tuple[Owner, str]] = {}
        self.outcomes: list[CommandOutcome] = []
        self.folded = 0

    def topics(self) -> list[Topic]:
        """What to read: the event topics, the dead letters, and for markers the command
        and outcome topics too."""
        topics = [o.family.event_topic for o in self.owners.values()] + [DEAD_LETTERS]
        if self.markers:
            topics += [o.family.command_topic for o in self.owners.values()]
            topics.append(COMMAND_OUTCOMES)
        return topics

    def fold(self, topic: Topic, message: Any) -> None:
        self.folded += 1
        if isinstance(message, CommandOutcome):
            self.outcomes.append(message)
            return
        if isinstance(message, DeadLetter):
            if self.projector is not None:
                self.projector.fold(message)
            return
        cause = message.causation_id
        if self.markers and cause is not None:
            self.outputs[cause].append(message)
        if isinstance(message, Command):
            return
        assert isinstance(message, Event)
        owner = self.owners[topic.name]
        owner.evolve(message)
        if self.projector is not None and owner.family.on_board:
            self.projector.fold(message)
        if self.markers and cause is not None:
            self.owner_of.setdefault(cause, (owner, message.partition_key))

    async def run(self, log: LogReader, progress: Progress | None = None) -> int:
        """Fold everything the log holds now; the number of messages folded."""
        async for topic, message in log.scan(self.topics()):
            self.fold(topic, message)
            if progress is not None and self.folded % 1000 == 0:
                progress(self.folded)
        return self.folded

    async def write(self, store: Store, publish_outcomes: Callable[[list[CommandOutcome]], Any]
                    | None = None) -> dict[str, int]:
        """Every aggregate's rows, journals and rankings, with the markers of the commands it
        applied, one atomic step per aggregate; then the live board and the inboxes. The
        owners were folded from nothing, so what they changed is all there is: the steps are
        drained from them as the host drains a batch."""
        steps: dict[str, Step] = {}
        registrations: list[tuple[str, str]] = []
        for owner in self.owners.values():
            family = owner.family
            for key in owner.held():
                step = steps.setdefault(family.tag(key), Step(family.tag(key)))
                step.take(owner.state_of(key))
                if family.listed:
                    registrations.append((family.name, key))
        for cause, (owner, key) in self.owner_of.items():
            steps[owner.family.tag(key)].markers[cause] = self.outputs[cause]
        ordered = list(steps.values())
        for at in range(0, max(len(ordered), len(registrations)), WRITE_BATCH):
            await store.commit(ordered[at:at + WRITE_BATCH], registrations[at:at + WRITE_BATCH])
        if publish_outcomes is not None:
            await publish_outcomes(self.outcomes)
        if self.projector is not None:
            await self.projector.save(force=True)
        return {f"{o.family.name}_aggregates": len(o.held()) for o in self.owners.values()} | {
            "markers": len(self.owner_of), "outcomes": len(self.outcomes)}
