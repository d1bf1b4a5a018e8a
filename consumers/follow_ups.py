"""What the dispatch events set going elsewhere: the points of a confirmed service (one
credit per volunteer, for the ledger) and the cases the platform opens by itself (a request
escalated to the office, a disputed service). Pure; the relay of each mode hands every
dispatch event to it and sends what it answers."""

from __future__ import annotations

from cases.follow_ups import cases_for
from consumers.ledger.handlers import credits_for
from schemas.base import Command, Event


def follow_ups(event: Event) -> list[Command]:
    return credits_for(event) + cases_for(event)
