"""Deciding care-plan commands: a new plan's first visit falls due at once; each period that
ends closes its visit (missed unless its request was completed, and a missed one opens a
case) and opens the next one's. A visit whose request is cancelled is missed at once (and
opens its case): it will not happen in its period. A visit is a request the plan sends the
dispatcher as a follow-up command, named after the plan and the period, so a period never
has two visits.

Periods that ended while nobody turned them (the platform was stopped for longer than a
period) are recorded as missed without a request or a case: nobody should be sent to a
visit whose time is gone, and one case says it for the plan. At most `CATCH_UP_MAX` of them
are recorded per turn."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from care import rules
from care.rules import CarePolicy
from care.state import CareState
from schemas import care as cp
from schemas import cases
from schemas import commands as cmd
from schemas.base import SYSTEM, Command, Event
from schemas.care import CarePlanView
from schemas.common import Channel
from schemas.decision import Decision, Refused, Stamp

CATCH_UP_MAX = 24
VISIT_DETAILS = "定期上门探访（关爱计划）"
"""What a visit's request says: the platform's own words, not the resident's."""


def decide_care(state: CareState, command: Command, now: datetime, policy: CarePolicy
                ) -> Decision:
    assert isinstance(command, cp.CareCommand)
    stamp = Stamp(command, now)
    try:
        if isinstance(command, cp.CreatePlan):
            return _create(state, command, stamp, policy)
        assert isinstance(command, cp.EndPlan | cp.TurnPeriod | cp.RecordVisit)
        plan = state.plans.get(command.plan_id)
        if plan is None:
            raise Refused("not_found", "not_found", "no such care plan")
        if isinstance(command, cp.EndPlan):
            if plan.status != "active":
                raise Refused("conflict", "plan_ended", "the plan has ended")
            event = _emit(state, stamp, cp.PlanEnded, plan.plan_id, reason=command.reason)
            return _answer(stamp, state, plan.plan_id, [event])
        if isinstance(command, cp.TurnPeriod):
            return _turn(state, plan, command, stamp, policy)
        return _record(state, plan, command, stamp)
    except Refused as e:
        return stamp.rejected(e.kind, e.code, e.message, **e.details)


def _emit(state: CareState, stamp: Stamp, event_type: type[cp.CareEvent], plan_id: str,
          **fields: Any) -> Event:
    event = stamp.event(event_type, county=stamp.cause.partition_key, plan_id=plan_id,
                        **fields)
    state.evolve(event)
    return event


def _answer(stamp: Stamp, state: CareState, plan_id: str, events: list[Event],
            commands: list[Command] | None = None) -> Decision:
    plan = state.plans[plan_id]
    return stamp.accepted(events, commands or [], plan_id=plan_id, status=plan.status,
                          period=plan.period, period_ends_at=plan.period_ends_at.isoformat())


def _create(state: CareState, c: cp.CreatePlan, stamp: Stamp, policy: CarePolicy
            ) -> Decision:
    if c.plan_id in state.plans:
        raise Refused("conflict", "plan_exists", f"care plan {c.plan_id} exists")
    if not c.area.startswith(c.county):
        raise Refused("invalid", "area_outside_county", "the area is not in this county",
                      field="area")
    twin = next((p for p in state.plans_of(c.resident_id)
                 if p.status == "active" and p.service_type == c.service_type), None)
    if twin is not None:
        raise Refused("conflict", "already_planned", "the resident has an active plan of "
                      f"this service type: {twin.plan_id}", plan_id=twin.plan_id)
    events = [_emit(state, stamp, cp.PlanCreated, c.plan_id, resident_id=c.resident_id,
                    area=c.area, address=c.address, service_type=c.service_type,
                    cadence=c.cadence, team_id=c.team_id, notes=c.notes,
                    priority=c.priority)]
    follow: list[Command] = []
    _open_visit(state, state.plans[c.plan_id], 0, stamp, policy, events, follow)
    return _answer(stamp, state, c.plan_id, events, follow)


def _open_visit(state: CareState, plan: CarePlanView, period: int, stamp: Stamp,
                policy: CarePolicy, events: list[Event], follow: list[Command]) -> None:
    starts, ends = rules.period_bounds(plan.started_at, plan.cadence, period, policy)
    request_id = rules.visit_request_id(plan.county, plan.plan_id, period)
    events.append(_emit(state, stamp, cp.VisitOpened, plan.plan_id, period=period,
                        request_id=request_id, starts_at=starts, ends_at=ends))
    if ends <= stamp.now:
        events.append(_emit(state, stamp, cp.VisitMissed, plan.plan_id, period=period,
                            request_id=request_id))
        return
    follow.append(stamp.command(
        cmd.SubmitRequest, request_id=request_id, service_type=plan.service_type,
        area=plan.area, address=plan.address, details=VISIT_DETAILS,
        resident_id=plan.resident_id, channel=Channel.VISIT, plan_id=plan.plan_id,
        preferred_team_id=plan.team_id, priority=plan.priority))


def _turn(state: CareState, plan: CarePlanView, c: cp.TurnPeriod, stamp: Stamp,
          policy: CarePolicy) -> Decision:
    """Close the ended period and open the next: a timer command for a period already
    turned changes nothing."""
    if plan.status != "active" or c.period != plan.period or stamp.now < plan.period_ends_at:
        return _answer(stamp, state, plan.plan_id, [])
    events: list[Event] = []
    follow: list[Command] = []
    visit = state.current_visit(plan)
    if visit is not None and visit.status == "planned":
        events.append(_emit(state, stamp, cp.VisitMissed, plan.plan_id, period=visit.period,
                            request_id=visit.request_id))
        follow.append(_missed_case(stamp, plan, visit.period))
    for _ in range(CATCH_UP_MAX):
        _open_visit(state, state.plans[plan.plan_id], state.plans[plan.plan_id].period + 1,
                    stamp, policy, events, follow)
        if state.plans[plan.plan_id].period_ends_at > stamp.now:
            break
    return _answer(stamp, state, plan.plan_id, events, follow)


def _missed_case(stamp: Stamp, plan: CarePlanView, period: int) -> Command:
    named = uuid5(NAMESPACE_URL, f"missed:{plan.plan_id}:{period}")
    case_id = f"C{plan.county}-{named.hex[:16]}"
    return stamp.command(
        cases.OpenCase, county=plan.county, case_id=case_id, area=plan.area,
        kind="missed_visit", subject="关爱探访未按期完成",
        details=f"关爱计划 {plan.plan_id} 第 {period + 1} 期的探访没有在期限内完成",
        resident_id=plan.resident_id, plan_id=plan.plan_id,
        request_id=rules.visit_request_id(plan.county, plan.plan_id, period))


def _record(state: CareState, plan: CarePlanView, c: cp.RecordVisit, stamp: Stamp
            ) -> Decision:
    key = state.by_request.get(c.request_id)
    visit = state.visits.get(key) if key is not None else None
    if visit is None or visit.plan_id != plan.plan_id or visit.status != "planned":
        return _answer(stamp, state, plan.plan_id, [])
    if not c.done:
        event = _emit(state, stamp, cp.VisitMissed, plan.plan_id, period=visit.period,
                      request_id=c.request_id)
        return _answer(stamp, state, plan.plan_id, [event],
                       [_missed_case(stamp, plan, visit.period)])
    event = _emit(state, stamp, cp.VisitDone, plan.plan_id, period=visit.period,
                  request_id=c.request_id)
    return _answer(stamp, state, plan.plan_id, [event])


def timer_commands(state: CareState, now: datetime) -> list[Command]:
    """A turn for every active plan whose period has ended; the id names the plan and the
    period, so one fired twice is applied once."""
    out: list[Command] = []
    for plan in state.turning(now):
        command_id = uuid5(NAMESPACE_URL, f"care-turn:{plan.plan_id}:{plan.period}")
        out.append(cp.TurnPeriod(
            command_id=command_id, occurred_at=now, correlation_id=command_id, actor=SYSTEM,
            county=plan.county, plan_id=plan.plan_id, period=plan.period))
    return out
