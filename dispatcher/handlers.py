"""Deciding dispatch commands: validate against the state, emit events, answer.

Each emitted event is applied to the state at once, so that a decision which dispatches
several requests (a freed team taking queued work) sees its own earlier choices. A command
is checked completely before its first event: a rejected command changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar
from uuid import NAMESPACE_URL, uuid5

from dispatcher.lifecycle import Action, IllegalTransition, check
from dispatcher.matching import Match, choose_team
from dispatcher.policy import DispatchPolicy
from dispatcher.review import applicable_rule, review_by
from dispatcher.roster import (
    Problem,
    crew_problem,
    people_problem,
    team_change_problem,
    team_changes,
    volunteer_change_problem,
    volunteer_changes,
)
from dispatcher.state import DispatchState
from schemas import commands as cmd
from schemas import events as ev
from schemas.base import SYSTEM, Command, Event
from schemas.commands import ServiceCheck, VolunteerHours
from schemas.common import Channel, RequestStatus, Role, ancestors, area_level, within
from schemas.decision import Decision, Refused, Stamp
from schemas.views import RequestView, TeamView

E = TypeVar("E", bound=Event)


def _check(problem: Problem | None) -> None:
    if problem is not None:
        raise Refused(problem.kind, problem.code, problem.message, **problem.details)


class _Decider:
    def __init__(self, state: DispatchState, command: Command, now: datetime,
                 policy: DispatchPolicy) -> None:
        self.state = state
        self.policy = policy
        self.now = now
        self.stamp = Stamp(command, now)
        self.events: list[Event] = []

    def emit(self, kind: type[E], **fields: Any) -> E:
        event = self.stamp.event(kind, **fields)
        self.state.evolve(event)
        self.events.append(event)
        return event

    def done(self, **body: Any) -> Decision:
        return self.stamp.accepted(self.events, **body)

    # -- shared steps -------------------------------------------------------------------

    def request(self, request_id: str) -> RequestView:
        request = self.state.requests.get(request_id)
        if request is None:
            raise Refused("not_found", "request_not_found", f"no request {request_id}")
        if not within(request.area, self.stamp.cause.actor.scope):
            raise Refused("not_found", "not_found", "no such request")
        return request

    def in_scope(self, areas: Sequence[str]) -> None:
        """The owner holds to the actor's scope too: the gateway's check read a view that
        may lag behind the owner's state."""
        scope = self.stamp.cause.actor.scope
        outside = [a for a in areas if not within(a, scope)]
        if outside:
            raise Refused("forbidden", "out_of_scope", "this area is outside your scope",
                          areas=outside, scope=scope)

    def transition(self, request: RequestView, action: Action) -> None:
        try:
            check(request.status, action)
        except IllegalTransition as e:
            raise Refused(
                "conflict", "illegal_transition", str(e),
                status=request.status.value, action=action.value,
            ) from e

    def route(self, request: RequestView) -> None:
        """Dispatch to the best team, or queue it, or escalate it."""
        if request.refusals >= self.policy.max_refusals:
            self.escalate(request, "too_many_refusals")
            return
        found = choose_team(
            request.area, request.service_type, self.state.index, self.state.teams,
            self.state.areas, excluded=request.excluded_teams,
            preferred=request.preferred_team_id,
        )
        if isinstance(found, Match):
            self.dispatch(request, found.team_id, level=found.level, km=found.distance_km)
        elif found.all_busy:
            wait = self.policy.wait_window(request.urgency, request.priority)
            self.emit(ev.RequestQueued, request_id=request.request_id,
                      wait_until=self.now + wait)
        else:
            self.escalate(request, "no_eligible_team")

    def escalate(self, request: RequestView, reason: ev.EscalationReason) -> None:
        """Office staff must step in: the event names the request's area and resident, so
        the stalled case it opens does too."""
        self.emit(ev.RequestEscalated, request_id=request.request_id, reason=reason,
                  refusals=request.refusals, area=request.area,
                  resident_id=request.resident_id)

    def dispatch(self, request: RequestView, team_id: str, *, level: int | None,
                 km: float | None, manual: bool = False) -> None:
        accept_by = self.now + self.policy.accept_window(request.urgency, request.priority)
        before = self.policy.accept_reminder(request.urgency, request.priority)
        self.emit(
            ev.RequestDispatched, request_id=request.request_id, team_id=team_id,
            attempt=request.attempt + 1, accept_by=accept_by,
            manual=manual, level=level, distance_km=None if km is None else round(km, 3),
            remind_at=None if before is None else accept_by - before,
        )

    def drain_queue(self) -> None:
        """Capacity was freed: give queued requests to teams that can now take them."""
        for request in self.state.queue_in_order():
            found = choose_team(
                request.area, request.service_type, self.state.index, self.state.teams,
                self.state.areas, excluded=request.excluded_teams,
                preferred=request.preferred_team_id,
            )
            if isinstance(found, Match):
                self.dispatch(request, found.team_id, level=found.level, km=found.distance_km)

    def leader_of_assigned(self, request: RequestView, actor_subject: str) -> str:
        """The request's team, if the actor leads it or is one of its deputies."""
        team_id = request.team_id
        if team_id is None or not self.state.teams[team_id].acts_for(actor_subject):
            raise Refused("forbidden", "not_assigned_leader",
                          "only the leader (or a deputy) of the team the request is "
                          "assigned to may do this")
        return team_id

    def owner(self, request: RequestView, command: Command) -> None:
        actor = command.actor
        if actor.role is Role.RESIDENT and actor.subject == request.resident_id:
            return
        raise Refused("forbidden", "not_owner", "only the resident who ordered it may do this")

    def status(self, request_id: str) -> Decision:
        request = self.state.requests[request_id]
        return self.done(request_id=request_id, status=request.status.value,
                         team_id=request.team_id)


# -- one function per command --------------------------------------------------------------


def _register_area(d: _Decider, c: cmd.RegisterArea) -> Decision:
    d.in_scope([c.code])
    if c.code in d.state.areas:
        raise Refused("conflict", "area_exists", f"area {c.code} is already registered")
    parent = next((a for a in ancestors(c.code)[1:] if a in d.state.areas), None)
    d.emit(ev.AreaRegistered, code=c.code, name=c.name, lat=c.lat, lon=c.lon, parent=parent)
    return d.done(code=c.code, name=c.name, parent=parent, level=area_level(c.code))


def _register_team(d: _Decider, c: cmd.RegisterTeam) -> Decision:
    d.in_scope(c.areas)
    if c.team_id in d.state.teams:
        raise Refused("conflict", "team_exists", f"team {c.team_id} is already registered")
    unknown = [a for a in c.areas if a not in d.state.areas]
    if unknown:
        raise Refused("invalid", "unknown_area", "teams may only cover registered areas",
                      field="areas", areas=unknown)
    fields = c.model_dump(include={"team_id", "name", "leader_id", "service_types", "areas",
                                   "capacity", "deputies", "active"})
    _check(people_problem(TeamView(**fields, county=c.county), d.state.team_of_leader,
                          d.state.volunteers))
    d.emit(ev.TeamRegistered, **fields)
    d.drain_queue()
    return d.done(team_id=c.team_id)


def _register_volunteer(d: _Decider, c: cmd.RegisterVolunteer) -> Decision:
    if c.volunteer_id in d.state.volunteers:
        raise Refused("conflict", "volunteer_exists",
                      f"volunteer {c.volunteer_id} is already registered")
    if c.team_id not in d.state.teams:
        raise Refused("invalid", "unknown_team", f"no team {c.team_id}", field="team_id")
    d.in_scope(d.state.teams[c.team_id].areas[:1])
    d.emit(ev.VolunteerRegistered, volunteer_id=c.volunteer_id, name=c.name,
           team_id=c.team_id, team_county=c.team_county, skills=c.skills, phone=c.phone,
           active=c.active)
    return d.done(volunteer_id=c.volunteer_id, team_id=c.team_id)


def _asked(command: cmd.ChangeTeam | cmd.ChangeVolunteer, names: tuple[str, ...]
           ) -> dict[str, object]:
    return {n: getattr(command, n) for n in names if getattr(command, n) is not None}


def _change_team(d: _Decider, c: cmd.ChangeTeam) -> Decision:
    """Only the fields that differ become the event (none: nothing is written). A team made
    inactive keeps the tasks it has and gets no new ones; a capacity below the load is kept,
    and the team gets nothing more until its load is below it."""
    team = d.state.teams.get(c.team_id)
    if team is None:
        raise Refused("not_found", "team_not_found", f"no team {c.team_id}")
    changes = team_changes(team, _asked(c, ev.TEAM_FIELDS))
    after = team.model_copy(update=changes)
    _check(team_change_problem(team, after, d.state.areas, d.state.team_of_leader,
                               d.state.volunteers))
    if changes:
        d.emit(ev.TeamChanged, team_id=c.team_id, team_county=team.county, **changes)
        d.drain_queue()
    return d.done(team_id=c.team_id, changed=sorted(changes))


def _change_volunteer(d: _Decider, c: cmd.ChangeVolunteer) -> Decision:
    volunteer = d.state.volunteers.get(c.volunteer_id)
    if volunteer is None:
        raise Refused("not_found", "volunteer_not_found", f"no volunteer {c.volunteer_id}")
    changes = volunteer_changes(volunteer, _asked(c, ev.VOLUNTEER_FIELDS))
    after = volunteer.model_copy(update=changes)
    _check(volunteer_change_problem(volunteer, after, d.state.teams, d.state.team_of_leader))
    if changes:
        moved = {"from_team_id": volunteer.team_id} if "team_id" in changes else {}
        d.emit(ev.VolunteerChanged, volunteer_id=c.volunteer_id,
               team_county=volunteer.county, **changes, **moved)
    return d.done(volunteer_id=c.volunteer_id, team_id=after.team_id, changed=sorted(changes))


def _submit(d: _Decider, c: cmd.SubmitRequest) -> Decision:
    if c.request_id in d.state.requests:
        raise Refused("conflict", "request_exists", f"request {c.request_id} exists")
    if c.area not in d.state.areas:
        raise Refused("invalid", "unknown_area", f"area {c.area} is not registered",
                      field="area")
    on_behalf = c.actor.role in (Role.STAFF, Role.SYSTEM) and c.resident_id is not None
    if not on_behalf and (c.resident_id not in (None, c.actor.subject)
                          or c.channel is not Channel.APP):
        raise Refused("forbidden", "forbidden", "only staff order on a resident's behalf")
    if on_behalf and not within(c.area, c.actor.scope):
        raise Refused("forbidden", "out_of_scope", "this area is outside your scope",
                      area=c.area)
    d.emit(ev.RequestSubmitted, request_id=c.request_id,
           resident_id=c.resident_id if on_behalf and c.resident_id else c.actor.subject,
           service_type=c.service_type, area=c.area, address=c.address, details=c.details,
           urgency=c.urgency, contact_name=c.contact_name, contact_phone=c.contact_phone,
           channel=c.channel, priority=c.priority, plan_id=c.plan_id,
           preferred_team_id=c.preferred_team_id)
    # A care plan's visit was decided by the office when it made the plan: never held again.
    rule = None if c.plan_id else applicable_rule(d.state.review_rules, c.area, c.service_type)
    held, deadline = review_by(rule, d.policy.review_required and not c.plan_id, d.now)
    if held:
        d.emit(ev.RequestHeldForReview, request_id=c.request_id, review_by=deadline)
    else:
        d.route(d.state.requests[c.request_id])
    return d.status(c.request_id)


def _set_review_rule(d: _Decider, c: cmd.SetReviewRule) -> Decision:
    """A rule for a registered area of the actor's scope; it bears on orders submitted from
    now on (those already held stay held until approved)."""
    d.in_scope([c.area])
    if c.area not in d.state.areas:
        raise Refused("invalid", "unknown_area", f"area {c.area} is not registered",
                      field="area")
    d.emit(ev.ReviewRuleSet, area=c.area, service_type=c.service_type, required=c.required,
           sla_s=c.sla_s)
    return d.done(area=c.area)


def _approve(d: _Decider, c: cmd.ApproveRequest) -> Decision:
    d.transition(d.request(c.request_id), Action.APPROVE)
    d.emit(ev.RequestApproved, request_id=c.request_id)
    d.route(d.state.requests[c.request_id])
    return d.status(c.request_id)


def _cancel(d: _Decider, c: cmd.CancelRequest) -> Decision:
    request = d.request(c.request_id)
    if c.actor.role is not Role.STAFF:
        d.owner(request, c)
    d.transition(request, Action.CANCEL)
    d.emit(ev.RequestCancelled, request_id=c.request_id, reason=c.reason,
           by_role=c.actor.role, team_id=request.team_id, plan_id=request.plan_id)
    if request.team_id is not None:
        d.drain_queue()
    return d.status(c.request_id)


def _accept(d: _Decider, c: cmd.AcceptRequest) -> Decision:
    request = d.request(c.request_id)
    team_id = d.leader_of_assigned(request, c.actor.subject)
    d.transition(request, Action.ACCEPT)
    d.emit(ev.RequestAccepted, request_id=c.request_id, team_id=team_id,
           attempt=request.attempt,
           complete_by=d.now + d.policy.complete_window(request.urgency,
                                                        request.priority),
           service_code=c.service_code)
    return d.status(c.request_id)


def _crew_check(d: _Decider, c: cmd.CrewCheck) -> Decision:
    """Check volunteers in on arrival or out when done: the leader must hold the resident's
    code, which only the resident (and staff) see, so a check says the volunteer was there."""
    request = d.request(c.request_id)
    team_id = d.leader_of_assigned(request, c.actor.subject)
    d.transition(request, Action.CHECK)
    if request.service_code is None or c.code != request.service_code:
        raise Refused("invalid", "bad_code", "this is not the resident's service code",
                      field="code")
    _check(crew_problem(team_id, list(c.volunteer_ids), d.state.volunteers))
    checks = {check.volunteer_id: check for check in request.checks}
    if isinstance(c, cmd.CheckInVolunteers):
        again = [v for v in c.volunteer_ids if v in checks]
        if again:
            raise Refused("conflict", "already_checked_in", "already checked in",
                          volunteer_ids=again)
        d.emit(ev.VolunteersCheckedIn, request_id=c.request_id, team_id=team_id,
               volunteer_ids=c.volunteer_ids)
    else:
        absent = [v for v in c.volunteer_ids if v not in checks]
        if absent:
            raise Refused("conflict", "not_checked_in", "not checked in", volunteer_ids=absent)
        left = [v for v in c.volunteer_ids if checks[v].checked_out_at is not None]
        if left:
            raise Refused("conflict", "already_checked_out", "already checked out",
                          volunteer_ids=left)
        d.emit(ev.VolunteersCheckedOut, request_id=c.request_id, team_id=team_id,
               volunteer_ids=c.volunteer_ids)
    return d.status(c.request_id)


def _decline(d: _Decider, c: cmd.DeclineRequest) -> Decision:
    request = d.request(c.request_id)
    team_id = d.leader_of_assigned(request, c.actor.subject)
    d.transition(request, Action.DECLINE)
    d.emit(ev.RequestDeclined, request_id=c.request_id, team_id=team_id,
           attempt=request.attempt, reason=c.reason)
    d.route(d.state.requests[c.request_id])
    d.drain_queue()
    return d.status(c.request_id)


def _expire(d: _Decider, c: cmd.ExpireDeadline) -> Decision:
    """A stale timer (the request moved on) is answered with the status and changes nothing."""
    request = d.request(c.request_id)
    if (request.status is RequestStatus.DISPATCHED and request.remind_at == c.due_at
            and request.team_id is not None):
        d.emit(ev.AcceptReminderDue, request_id=c.request_id, team_id=request.team_id,
               accept_by=request.accept_by)
    elif request.status is RequestStatus.DISPATCHED and request.accept_by == c.due_at:
        assert request.team_id is not None
        d.emit(ev.AcceptDeadlinePassed, request_id=c.request_id, team_id=request.team_id,
               attempt=request.attempt)
        d.route(d.state.requests[c.request_id])
        d.drain_queue()
    elif request.status is RequestStatus.SUBMITTED and request.wait_until == c.due_at:
        d.escalate(request, "all_teams_busy")
    return d.status(c.request_id)


def _complete(d: _Decider, c: cmd.CompleteRequest) -> Decision:
    request = d.request(c.request_id)
    team_id = d.leader_of_assigned(request, c.actor.subject)
    d.transition(request, Action.COMPLETE)
    _check(crew_problem(team_id, [v.volunteer_id for v in c.volunteers], d.state.volunteers))
    checks = _closed_checks(d, request, c.volunteers)
    every_one_checked = len(checks) == len(c.volunteers)
    d.emit(ev.RequestCompleted, request_id=c.request_id, team_id=team_id,
           volunteers=c.volunteers, checks=checks, plan_id=request.plan_id,
           confirm_by=d.now + d.policy.confirm_window() if every_one_checked else None)
    d.drain_queue()
    return d.status(c.request_id)


def _closed_checks(d: _Decider, request: RequestView,
                   volunteers: Sequence[VolunteerHours]) -> tuple[ServiceCheck, ...]:
    """The named volunteers' checks, closed at completion; hours may exceed neither the
    checked time (rounded down to the step) nor the service type's cap (DESIGN §10)."""
    cap = d.policy.hours_cap(request.service_type)
    checks = {check.volunteer_id: check for check in request.checks}
    closed: list[ServiceCheck] = []
    for named in volunteers:
        if cap is not None and named.hours > cap:
            raise Refused("invalid", "hours_over_cap",
                          f"at most {cap:g} h per volunteer for this service type",
                          field="volunteers", volunteer_id=named.volunteer_id, cap_hours=cap)
        check = checks.get(named.volunteer_id)
        if check is None:
            continue
        ended = check.checked_out_at or d.now
        checked = d.policy.checked_hours(ended - check.checked_in_at)
        if named.hours > checked:
            raise Refused("invalid", "hours_exceed_elapsed",
                          f"{named.volunteer_id} was checked in for {checked:g} h only",
                          field="volunteers", volunteer_id=named.volunteer_id,
                          checked_hours=checked)
        closed.append(check.model_copy(update={"checked_out_at": ended}))
    return tuple(closed)


def _confirmation(d: _Decider, request: RequestView, by: str,
                  dispute_reason: str | None = None) -> None:
    assert request.team_id is not None and request.completed_event_id is not None
    team = d.state.teams.get(request.team_id)
    d.emit(ev.ServiceConfirmed, request_id=request.request_id, team_id=request.team_id,
           volunteers=request.volunteers, completed_event_id=request.completed_event_id,
           confirmed_by=by, checks=request.checks, resident_id=request.resident_id,
           area=request.area, service_type=request.service_type,
           team_name=team.name if team is not None else None, dispute_reason=dispute_reason)


def _review(d: _Decider, c: cmd.ReviewRequest) -> Decision:
    request = d.request(c.request_id)
    d.owner(request, c)
    d.transition(request, Action.REVIEW)
    reason = c.dispute_reason.strip()
    if c.dispute and not reason:
        raise Refused("invalid", "dispute_reason_required",
                      "say why the hours are disputed", field="dispute_reason")
    assert request.team_id is not None
    d.emit(ev.RequestReviewed, request_id=c.request_id, team_id=request.team_id,
           rating=c.rating, comment=c.comment, area=request.area,
           service_type=request.service_type, dispute=c.dispute,
           dispute_reason=reason if c.dispute else "")
    if not request.confirmed:
        _confirmation(d, d.state.requests[c.request_id], "review",
                      reason if c.dispute else None)
    return d.status(c.request_id)


def _manual_dispatch(d: _Decider, c: cmd.DispatchRequest) -> Decision:
    """Staff give a request to a team by hand: one not yet accepted, or one whose team
    accepted it and let the service window pass (the office's "can't get it done" loop)."""
    request = d.request(c.request_id)
    reassign = request.status is RequestStatus.ACCEPTED
    d.transition(request, Action.REASSIGN if reassign else Action.DISPATCH)
    if reassign and (request.complete_by is None or request.complete_by > d.now):
        raise Refused("conflict", "not_overdue",
                      "an accepted request can be given to another team only once its "
                      "service window has passed",
                      complete_by=None if request.complete_by is None
                      else request.complete_by.isoformat())
    team = d.state.teams.get(c.team_id)
    if team is None or not within(team.areas[0], c.actor.scope):
        raise Refused("invalid", "unknown_team", f"no team {c.team_id}", field="team_id")
    if request.service_type not in team.service_types or not any(
        request.area.startswith(a) for a in team.areas
    ):
        raise Refused("invalid", "team_cannot_serve",
                      "the team does not offer this service in this area", field="team_id")
    if request.team_id == c.team_id:
        raise Refused("conflict", "already_dispatched", "already dispatched to that team")
    if not team.active:
        raise Refused("conflict", "team_inactive", f"team {c.team_id} takes no new work")
    if team.load >= team.capacity:
        raise Refused("conflict", "team_at_capacity", f"team {c.team_id} is at capacity",
                      load=team.load, capacity=team.capacity)
    previous = request.team_id
    d.dispatch(request, c.team_id, level=None, km=None, manual=True)
    if previous is not None:
        d.drain_queue()
    return d.status(c.request_id)


def _confirm(d: _Decider, c: cmd.ConfirmService) -> Decision:
    request = d.request(c.request_id)
    system = c.actor.role is Role.SYSTEM
    if system and (request.confirmed or request.confirm_by is None):
        return d.status(c.request_id)
    d.transition(request, Action.CONFIRM)
    if request.confirmed:
        raise Refused("conflict", "already_confirmed", "the service is already confirmed")
    _confirmation(d, request, "window" if system else "staff")
    return d.status(c.request_id)


HANDLERS: dict[type[Command], Callable[[_Decider, Any], Decision]] = {
    cmd.RegisterArea: _register_area,
    cmd.RegisterTeam: _register_team,
    cmd.RegisterVolunteer: _register_volunteer,
    cmd.ChangeTeam: _change_team,
    cmd.ChangeVolunteer: _change_volunteer,
    cmd.SetReviewRule: _set_review_rule,
    cmd.SubmitRequest: _submit,
    cmd.ApproveRequest: _approve,
    cmd.CancelRequest: _cancel,
    cmd.AcceptRequest: _accept,
    cmd.CheckInVolunteers: _crew_check,
    cmd.CheckOutVolunteers: _crew_check,
    cmd.DeclineRequest: _decline,
    cmd.ExpireDeadline: _expire,
    cmd.CompleteRequest: _complete,
    cmd.ReviewRequest: _review,
    cmd.DispatchRequest: _manual_dispatch,
    cmd.ConfirmService: _confirm,
}


def decide(state: DispatchState, command: Command, now: datetime,
           policy: DispatchPolicy) -> Decision:
    decider = _Decider(state, command, now, policy)
    try:
        return HANDLERS[type(command)](decider, command)
    except Refused as refusal:
        assert not decider.events, "a refusal must come before the first event"
        return decider.stamp.rejected(refusal.kind, refusal.code, refusal.message,
                                      **refusal.details)


def timer_commands(state: DispatchState, now: datetime) -> list[Command]:
    """Commands for every deadline that has passed; their ids make a repeat harmless."""
    out: list[Command] = []
    for request, due_at in state.due(now):
        command_id = uuid5(NAMESPACE_URL, f"timer:{request.request_id}:{due_at.isoformat()}")
        envelope = dict(command_id=command_id, occurred_at=now, correlation_id=command_id,
                        actor=SYSTEM, request_id=request.request_id)
        if due_at == request.confirm_by:
            out.append(cmd.ConfirmService(**envelope))
        else:
            out.append(cmd.ExpireDeadline(due_at=due_at, **envelope))
    return out
