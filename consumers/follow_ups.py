"""What the dispatch events set going elsewhere: the points of a confirmed service (one
credit per volunteer, for the ledger), the cases the platform opens by itself (a request
escalated to the office, a disputed service) and a care plan's visit done. Pure; the relay
of each mode hands every dispatch event to it and sends what it answers."""

from __future__ import annotations

from care.follow_ups import visits_for
from cases.follow_ups import cases_for
from consumers.ledger.handlers import credits_for
from schemas.base import Command, Event


def follow_ups(event: Event) -> list[Command]:
    return credits_for(event) + cases_for(event) + visits_for(event)
