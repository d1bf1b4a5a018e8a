"""Deciding case commands: check against the county's cases and offices, emit events, answer.

A case opened by the platform itself (from an escalated request, a disputed service or a
missed visit) names its case after its cause, so the same cause relayed twice opens one case;
the second is answered with the first."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from cases import rules
from cases.rules import CasePolicy
from cases.state import CasesState
from schemas import cases as c
from schemas.base import SYSTEM, Command, Event
from schemas.cases import CaseView
from schemas.common import Role
from schemas.decision import Decision, Refused, Stamp

CASE_STEPS_MAX = 200
"""Steps one case records at most: a loop that long is a new case."""


def decide_case(state: CasesState, command: Command, now: datetime, policy: CasePolicy
                ) -> Decision:
    assert isinstance(command, c.CaseCommand)
    stamp = Stamp(command, now)
    try:
        if isinstance(command, c.RegisterOffice):
            return _office(state, command, stamp)
        if isinstance(command, c.OpenCase):
            return _open(state, command, stamp, policy)
        assert isinstance(command, c.RecordStep | c.CloseCase | c.PassDeadline)
        case = state.cases.get(command.case_id)
        if case is None:
            raise Refused("not_found", "not_found", "no such case")
        if isinstance(command, c.PassDeadline):
            return _deadline(state, case, command, stamp, policy)
        rules.check_can_work(case, command.actor)
        if isinstance(command, c.RecordStep):
            if len(case.steps) >= CASE_STEPS_MAX:
                raise Refused("conflict", "too_many_steps",
                              f"a case records at most {CASE_STEPS_MAX} steps")
            event = _emit(state, stamp, c.StepRecorded, case_id=case.case_id,
                          kind=command.kind, note=command.note)
            return _answer(stamp, state, case.case_id, [event])
        event = _emit(state, stamp, c.CaseClosed, case_id=case.case_id,
                      resolution=command.resolution,
                      resident_satisfied=command.resident_satisfied,
                      on_time=not case.overdue and now <= case.due_at)
        return _answer(stamp, state, case.case_id, [event])
    except Refused as e:
        return stamp.rejected(e.kind, e.code, e.message, **e.details)


def _emit(state: CasesState, stamp: Stamp, event_type: type[c.CaseEvent], **fields: Any
          ) -> Event:
    event = stamp.event(event_type, county=stamp.cause.partition_key, **fields)
    state.evolve(event)
    return event


def _answer(stamp: Stamp, state: CasesState, case_id: str, events: list[Event]) -> Decision:
    case = state.cases[case_id]
    return stamp.accepted(events, [], case_id=case_id, status=case.status,
                          owner_scope=case.owner_scope, due_at=case.due_at.isoformat(),
                          escalations=case.escalations)


def _office(state: CasesState, command: c.RegisterOffice, stamp: Stamp) -> Decision:
    if not command.scope.startswith(command.county):
        raise Refused("invalid", "area_outside_county", "the scope is not in this county",
                      field="scope")
    events = ([] if command.scope in state.offices
              else [_emit(state, stamp, c.OfficeRegistered, scope=command.scope)])
    return stamp.accepted(events, [], scope=command.scope)


def _open(state: CasesState, command: c.OpenCase, stamp: Stamp, policy: CasePolicy
          ) -> Decision:
    if command.case_id in state.cases:
        if command.actor.role is Role.SYSTEM:
            return _answer(stamp, state, command.case_id, [])
        raise Refused("conflict", "case_exists", f"case {command.case_id} exists")
    if not command.area.startswith(command.county):
        raise Refused("invalid", "area_outside_county", "the area is not in this county",
                      field="area")
    owner = rules.owner_of(command.area, state.offices)
    event = _emit(state, stamp, c.CaseOpened, case_id=command.case_id, area=command.area,
                  kind=command.kind, subject=command.subject, details=command.details,
                  resident_id=command.resident_id, request_id=command.request_id,
                  plan_id=command.plan_id, owner_scope=owner,
                  due_at=policy.deadline(command.kind, command.occurred_at))
    return _answer(stamp, state, command.case_id, [event])


def _deadline(state: CasesState, case: CaseView, command: c.PassDeadline, stamp: Stamp,
              policy: CasePolicy) -> Decision:
    """Move the case one office up with a deadline of the same length; at the county it
    stays, overdue. A timer command for a deadline already handled changes nothing."""
    if (case.status != "open" or command.escalations != case.escalations
            or stamp.now < case.due_at):
        return _answer(stamp, state, case.case_id, [])
    above = rules.next_office(case.owner_scope, state.offices)
    due_at = case.due_at if above is None else policy.deadline(case.kind, stamp.now)
    event = _emit(state, stamp, c.DeadlinePassed, case_id=case.case_id,
                  from_scope=case.owner_scope, owner_scope=above or case.owner_scope,
                  due_at=due_at, escalations=case.escalations + 1)
    return _answer(stamp, state, case.case_id, [event])


def timer_commands(state: CasesState, now: datetime) -> list[Command]:
    """A deadline command for every open case past its deadline; the id names the case and
    the deadline, so one fired twice is applied once."""
    out: list[Command] = []
    for case in state.due(now):
        command_id = uuid5(NAMESPACE_URL, f"case-deadline:{case.case_id}:{case.escalations}")
        out.append(c.PassDeadline(
            command_id=command_id, occurred_at=now, correlation_id=command_id, actor=SYSTEM,
            county=case.county, case_id=case.case_id, escalations=case.escalations))
    return out
