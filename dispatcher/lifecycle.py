"""The request lifecycle as a table of legal transitions.

submitted → (in_review) → dispatched → accepted → completed → reviewed, with the side exits
cancelled, declined/timed out (back to be dispatched again) and escalated. An accepted
request whose service window passed may be reassigned by the office to another team (the
handler checks the window; the table only knows the status).
"""

from __future__ import annotations

from enum import StrEnum

from schemas.common import RequestStatus as S


class Action(StrEnum):
    APPROVE = "approve"
    DISPATCH = "dispatch"
    REASSIGN = "reassign"
    ACCEPT = "accept"
    DECLINE = "decline"
    EXPIRE = "expire"
    ESCALATE = "escalate"
    CANCEL = "cancel"
    COMPLETE = "complete"
    REVIEW = "review"
    CONFIRM = "confirm"
    CHECK = "check"


OPEN = frozenset({S.SUBMITTED, S.IN_REVIEW, S.DISPATCHED, S.ACCEPTED, S.ESCALATED})

ALLOWED: dict[Action, frozenset[S]] = {
    Action.APPROVE: frozenset({S.IN_REVIEW}),
    Action.DISPATCH: frozenset({S.SUBMITTED, S.IN_REVIEW, S.DISPATCHED, S.ESCALATED}),
    Action.REASSIGN: frozenset({S.ACCEPTED}),
    Action.ACCEPT: frozenset({S.DISPATCHED}),
    Action.DECLINE: frozenset({S.DISPATCHED}),
    Action.EXPIRE: frozenset({S.DISPATCHED, S.SUBMITTED}),
    Action.ESCALATE: frozenset({S.SUBMITTED}),
    Action.CANCEL: OPEN,
    Action.COMPLETE: frozenset({S.ACCEPTED}),
    Action.REVIEW: frozenset({S.COMPLETED}),
    Action.CONFIRM: frozenset({S.COMPLETED, S.REVIEWED}),
    Action.CHECK: frozenset({S.ACCEPTED}),
}

WHY_NOT: dict[Action, str] = {
    Action.APPROVE: "only a request waiting for the office's review can be approved",
    Action.DISPATCH: "only a request not yet accepted can be dispatched",
    Action.REASSIGN: "only an accepted request whose service window has passed can be "
                     "given to another team",
    Action.ACCEPT: "only a dispatched request can be accepted",
    Action.DECLINE: "only a dispatched request can be declined",
    Action.EXPIRE: "the request no longer waits on this deadline",
    Action.ESCALATE: "only an unassigned request can be escalated",
    Action.CANCEL: "a request can be cancelled only before it is completed",
    Action.COMPLETE: "only an accepted request can be completed",
    Action.REVIEW: "only a completed request can be reviewed, and only once",
    Action.CONFIRM: "only a completed request can be confirmed",
    Action.CHECK: "volunteers are checked in and out of an accepted request only",
}


class IllegalTransition(Exception):
    def __init__(self, status: S, action: Action) -> None:
        why = WHY_NOT[action]
        super().__init__(f"cannot {action.value} a request that is {status.value}: {why}")
        self.status = status
        self.action = action


def check(status: S, action: Action) -> None:
    """Raise IllegalTransition unless `action` may be taken in `status`."""
    if status not in ALLOWED[action]:
        raise IllegalTransition(status, action)


def is_open(status: S) -> bool:
    return status in OPEN
