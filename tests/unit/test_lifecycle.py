"""The request lifecycle's transition table allows exactly the moves of DESIGN §4.

How: the legal moves are written out here a second time, from the design rather than from the
code, and every (status, action) pair of the whole product is checked against them: a legal
pair passes `check`, every other pair raises `IllegalTransition` whose message names the
status, the action and the reason.
"""

from __future__ import annotations

import itertools

import pytest

from dispatcher.lifecycle import WHY_NOT, Action, IllegalTransition, check, is_open
from schemas.common import RequestStatus as S

LEGAL: dict[Action, set[S]] = {
    # the office's review (审核) releases a held request
    Action.APPROVE: {S.IN_REVIEW},
    # matching or staff give a not-yet-accepted request to a team, again after an escalation
    Action.DISPATCH: {S.SUBMITTED, S.IN_REVIEW, S.DISPATCHED, S.ESCALATED},
    # staff give an accepted request to another team (once its service window has passed)
    Action.REASSIGN: {S.ACCEPTED},
    Action.ACCEPT: {S.DISPATCHED},
    Action.DECLINE: {S.DISPATCHED},
    # an accept deadline (dispatched) or a wait for a free team (submitted, queued)
    Action.EXPIRE: {S.DISPATCHED, S.SUBMITTED},
    Action.ESCALATE: {S.SUBMITTED},
    # the resident may cancel any time before completion
    Action.CANCEL: {S.SUBMITTED, S.IN_REVIEW, S.DISPATCHED, S.ACCEPTED, S.ESCALATED},
    Action.COMPLETE: {S.ACCEPTED},
    Action.REVIEW: {S.COMPLETED},
    Action.CONFIRM: {S.COMPLETED, S.REVIEWED},
    # the leader checks volunteers in and out at the resident's while the task is theirs
    Action.CHECK: {S.ACCEPTED},
}

PAIRS = list(itertools.product(S, Action))
LEGAL_PAIRS = [(s, a) for s, a in PAIRS if s in LEGAL[a]]
ILLEGAL_PAIRS = [(s, a) for s, a in PAIRS if s not in LEGAL[a]]


def test_the_table_covers_every_action() -> None:
    assert set(LEGAL) == set(Action)
    assert set(WHY_NOT) == set(Action), "every refusal needs a reason"


@pytest.mark.parametrize(("status", "action"), LEGAL_PAIRS, ids=lambda v: str(v))
def test_allows_every_legal_transition(status: S, action: Action) -> None:
    check(status, action)


@pytest.mark.parametrize(("status", "action"), ILLEGAL_PAIRS, ids=lambda v: str(v))
def test_refuses_every_other_transition_naming_the_reason(status: S, action: Action) -> None:
    with pytest.raises(IllegalTransition) as raised:
        check(status, action)
    assert raised.value.status is status
    assert raised.value.action is action
    message = str(raised.value)
    assert f"cannot {action.value} a request that is {status.value}" in message
    assert WHY_NOT[action] in message


@pytest.mark.parametrize("status", [S.COMPLETED, S.REVIEWED, S.CANCELLED])
def test_nothing_moves_a_finished_request_back_into_work(status: S) -> None:
    for action in (Action.DISPATCH, Action.REASSIGN, Action.ACCEPT, Action.DECLINE, Action.CANCEL,
                   Action.COMPLETE, Action.APPROVE):
        with pytest.raises(IllegalTransition):
            check(status, action)


def test_a_request_is_open_until_completed_or_cancelled() -> None:
    assert {s for s in S if is_open(s)} == {
        S.SUBMITTED, S.IN_REVIEW, S.DISPATCHED, S.ACCEPTED, S.ESCALATED,
    }


def test_a_request_is_reviewed_only_once() -> None:
    check(S.COMPLETED, Action.REVIEW)
    with pytest.raises(IllegalTransition, match="only once"):
        check(S.REVIEWED, Action.REVIEW)
