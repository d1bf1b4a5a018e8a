"""Deciding activity commands: check against the county's activities, emit events, answer;
closing also sends each volunteer's credit to the ledger as a follow-up command.

The time a command speaks of is its `occurred_at`: when the gateway took the call (and, for
a check-in, checked the code), however late the owner gets to it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from activities.rules import ActivityPolicy, Book, BookRefused, approve, cancel, hours_for, sign_up
from activities.state import ActivitiesState
from schemas import activities as act
from schemas import commands as cmd
from schemas.activities import LENGTH_MAX, ActivityCredit, ActivityView
from schemas.base import SYSTEM, Command, Event, RejectionKind
from schemas.common import county_of
from schemas.decision import Decision, Refused, Stamp


def entry_id_for(activity_id: str, volunteer_id: str) -> UUID:
    """One ledger entry per volunteer per activity, however often it is closed or relayed."""
    return uuid5(NAMESPACE_URL, f"activity:{activity_id}:{volunteer_id}")


def book_of(activity: ActivityView) -> Book:
    return Book(activity.slots, activity.approval, activity.confirmed, activity.waiting,
                activity.pending)


def decide_activity(state: ActivitiesState, command: Command, now: datetime,
                    policy: ActivityPolicy) -> Decision:
    assert isinstance(command, act.ActivityCommand)
    stamp = Stamp(command, now)
    try:
        if isinstance(command, act.PublishActivity):
            return _publish(state, command, stamp)
        activity = state.activities.get(command.activity_id)
        if activity is None:
            raise Refused("not_found", "not_found", "no such activity")
        if activity.status == "closed":
            raise Refused("conflict", "already_closed" if isinstance(
                command, act.CloseActivity) else "closed", "the activity is closed")
        if isinstance(command, act.CloseActivity):
            return _close(state, activity, command, stamp, policy)
        if isinstance(command, act.CheckIn | act.CheckOut):
            return _attend(state, activity, command, stamp, policy)
        return _book(state, activity, command, stamp)
    except Refused as e:
        return stamp.rejected(e.kind, e.code, e.message, **e.details)
    except BookRefused as e:
        kind: RejectionKind = "not_found" if e.code == "not_signed_up" else "conflict"
        return stamp.rejected(kind, e.code, e.message)


def _emit(state: ActivitiesState, stamp: Stamp, kind: type[act.ActivityEvent],
          activity_id: str, **fields: Any) -> Event:
    event = stamp.event(kind, county=stamp.cause.partition_key, activity_id=activity_id,
                        **fields)
    state.evolve(event)
    return event


def _publish(state: ActivitiesState, c: act.PublishActivity, stamp: Stamp) -> Decision:
    if c.activity_id in state.activities:
        raise Refused("conflict", "activity_exists", f"activity {c.activity_id} exists")
    if county_of(c.area) != c.county:
        raise Refused("invalid", "area_outside_county", "the area is not in this county",
                      field="area")
    if c.ends_at <= c.starts_at or c.ends_at - c.starts_at > LENGTH_MAX:
        raise Refused("invalid", "bad_interval", "an activity ends after it starts, within "
                      "24 hours", field="ends_at")
    if c.ends_at <= c.occurred_at:
        raise Refused("invalid", "ends_in_past", "an activity is published before its end",
                      field="ends_at")
    event = _emit(state, stamp, act.ActivityPublished, c.activity_id, title=c.title,
                  service_type=c.service_type, area=c.area, starts_at=c.starts_at,
                  ends_at=c.ends_at, slots=c.slots, team_id=c.team_id, approval=c.approval,
                  organiser=c.organiser)
    return stamp.accepted([event], activity_id=c.activity_id, status="open")


def _book(state: ActivitiesState, activity: ActivityView, c: Command, stamp: Stamp
          ) -> Decision:
    book = book_of(activity)
    if isinstance(c, act.SignUp):
        if c.occurred_at >= activity.ends_at:
            raise Refused("conflict", "signup_closed", "sign-up closes at the activity's end")
        _, status = sign_up(book, c.volunteer_id)
        event = _emit(state, stamp, act.VolunteerSignedUp, activity.activity_id,
                      volunteer_id=c.volunteer_id, status=status)
        return stamp.accepted([event], activity_id=activity.activity_id,
                              volunteer_id=c.volunteer_id, status=status)
    if isinstance(c, act.CancelSignUp):
        if activity.attended(c.volunteer_id) is not None:
            raise Refused("conflict", "checked_in", "a volunteer checked in stays on the "
                          "activity; check out instead")
        _, promoted = cancel(book, c.volunteer_id)
        event = _emit(state, stamp, act.SignUpCancelled, activity.activity_id,
                      volunteer_id=c.volunteer_id, promoted=promoted)
        return stamp.accepted([event], activity_id=activity.activity_id,
                              volunteer_id=c.volunteer_id, status="cancelled",
                              promoted=promoted)
    assert isinstance(c, act.ApproveSignUp)
    _, status = approve(book, c.volunteer_id)
    event = _emit(state, stamp, act.SignUpApproved, activity.activity_id,
                  volunteer_id=c.volunteer_id, status=status)
    return stamp.accepted([event], activity_id=activity.activity_id,
                          volunteer_id=c.volunteer_id, status=status)


def _attend(state: ActivitiesState, activity: ActivityView, c: act.CheckIn | act.CheckOut,
            stamp: Stamp, policy: ActivityPolicy) -> Decision:
    at = c.occurred_at
    found = activity.attended(c.volunteer_id)
    if isinstance(c, act.CheckIn):
        if c.volunteer_id not in activity.confirmed:
            raise Refused("invalid", "not_signed_up", "check-in is for confirmed sign-ups "
                          "only", field="volunteer_id")
        if found is not None:
            return _attended(stamp, found, [])
        opens_at = activity.starts_at - timedelta(seconds=policy.check_in_early_s)
        if not opens_at <= at <= activity.ends_at:
            raise Refused("conflict", "check_in_closed", "check-in is open from 30 minutes "
                          "before the start until the end", opens_at=opens_at.isoformat(),
                          ends_at=activity.ends_at.isoformat())
        event = _emit(state, stamp, act.VolunteerCheckedIn, activity.activity_id,
                      volunteer_id=c.volunteer_id, at=at)
    else:
        if found is None:
            raise Refused("invalid", "not_checked_in", "check in first",
                          field="volunteer_id")
        if found.checked_out_at is not None:
            return _attended(stamp, found, [])
        event = _emit(state, stamp, act.VolunteerCheckedOut, activity.activity_id,
                      volunteer_id=c.volunteer_id, at=max(at, found.checked_in_at))
    after = state.activities[activity.activity_id].attended(c.volunteer_id)
    assert after is not None
    return _attended(stamp, after, [event])


def _attended(stamp: Stamp, attendance: act.Attendance, events: list[Event]) -> Decision:
    """A check-in or check-out answers with the volunteer's times; a repeat (a phone that
    retried) answers the first times and changes nothing."""
    out = attendance.checked_out_at
    return stamp.accepted(events, volunteer_id=attendance.volunteer_id,
                          checked_in_at=attendance.checked_in_at.isoformat(),
                          checked_out_at=None if out is None else out.isoformat())


def _close(state: ActivitiesState, activity: ActivityView, c: act.CloseActivity,
           stamp: Stamp, policy: ActivityPolicy) -> Decision:
    if c.occurred_at < activity.starts_at:
        raise Refused("conflict", "not_started", "an activity closes after its start",
                      starts_at=activity.starts_at.isoformat())
    credits = tuple(
        hours_for(policy, a.volunteer_id, activity.starts_at, activity.ends_at,
                  a.checked_in_at, a.checked_out_at)
        for a in activity.attendance)
    closed = _emit(state, stamp, act.ActivityClosed, activity.activity_id,
                   automatic=c.automatic, credits=credits)
    follow = [_credit(stamp, activity, credit, closed.event_id)
              for credit in credits if credit.hours > 0]
    return stamp.accepted(
        [closed], follow, activity_id=activity.activity_id, status="closed",
        credited=[{"volunteer_id": k.volunteer_id, "hours": k.hours}
                  for k in credits if k.hours > 0 and k.flag is None],
        flagged=[{"volunteer_id": k.volunteer_id, "hours": k.hours, "kind": k.flag}
                 for k in credits if k.flag is not None],
        uncredited=[{"volunteer_id": k.volunteer_id, "reason": k.reason}
                    for k in credits if k.hours == 0 and k.flag is None])


FLAG_DETAILS = {
    "no_checkout": "no check-out: counted until the activity's scheduled end",
    "late_checkout": "checked out more than the grace after the activity's end",
}


def _credit(stamp: Stamp, activity: ActivityView, credit: ActivityCredit,
            closed_event_id: UUID) -> Command:
    raised = () if credit.flag is None else (
        cmd.RaisedFlag(kind=credit.flag, detail=FLAG_DETAILS[credit.flag]),)
    return stamp.command(
        cmd.CreditPoints, volunteer_id=credit.volunteer_id,
        entry_id=entry_id_for(activity.activity_id, credit.volunteer_id), request_id=None,
        hours=credit.hours, source_event_ids=(closed_event_id,), raised=raised,
        facts=cmd.CreditFacts(
            source="activity", verified=True, activity_id=activity.activity_id,
            started_at=credit.started_at, ended_at=credit.ended_at, area=activity.area,
            service_type=activity.service_type, team_id=activity.team_id,
            title=activity.title, organiser=activity.organiser or None))


def timer_commands(state: ActivitiesState, now: datetime, policy: ActivityPolicy
                   ) -> list[Command]:
    """A close for every open activity `autoclose_s` past its end; the id is the
    activity's, so a close fired twice is applied once."""
    out: list[Command] = []
    for activity in state.due(now, policy.autoclose_s):
        command_id = uuid5(NAMESPACE_URL, f"autoclose:{activity.activity_id}")
        out.append(act.CloseActivity(
            command_id=command_id, occurred_at=now, correlation_id=command_id, actor=SYSTEM,
            county=activity.county, activity_id=activity.activity_id, automatic=True))
    return out
