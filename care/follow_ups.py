"""A care plan's visit is done when its request is completed, and missed when it is called
off: one dispatch event in, the command for the care-plans owner out (named after the
event, so a relayed event counts once). Pure."""

from __future__ import annotations

from uuid import uuid5

from schemas import care as cp
from schemas import events as ev
from schemas.base import SYSTEM, Command, Event


def visits_for(event: Event) -> list[Command]:
    if not isinstance(event, ev.RequestCompleted | ev.RequestCancelled) or event.plan_id is None:
        return []
    command_id = uuid5(event.event_id, "visit")
    return [cp.RecordVisit(
        command_id=command_id, occurred_at=event.occurred_at,
        correlation_id=event.correlation_id, causation_id=event.event_id, actor=SYSTEM,
        county=event.county, plan_id=event.plan_id, request_id=event.request_id,
        done=isinstance(event, ev.RequestCompleted))]
