"""The dispatcher's state for the counties it owns: a fold of the dispatch events.

`evolve` is the only code that changes it, both while deciding (each new event is applied
at once, so later choices in the same decision see it) and while replaying the log.
"""

from __future__ import annotations

import heapq
from datetime import datetime
from typing import Any, cast

from dispatcher.matching import TeamIndex
from dispatcher.review import rule_key
from schemas import events as ev
from schemas.base import Event
from schemas.commands import ServiceCheck
from schemas.common import COUNTY_CODE_LENGTH, RequestStatus, Role, Urgency, ancestors
from schemas.records import Journal, Ranking, Records
from schemas.views import (
    AreaView,
    HistoryItem,
    RequestView,
    ReviewRuleView,
    TeamChange,
    TeamView,
    VolunteerView,
)

REQUESTS = "requests"
"""The ranking of every request of the county by time of submission; `status:<status>`
ranks those in one status the same way, and `area:<code>:` before either name does so for
the requests of a town, village or hamlet (a staff member's scope, a filter by area): a page
of an area costs the same as a page of the county, whatever the county holds."""
REVIEW_RULES = "review_rules"
"""The county's review rules (审单), keyed by area and service type (`dispatcher.review`)."""
VOLUNTEERS = "volunteers"
"""The ranking of every volunteer of the county by time of registration;
`volunteers:<area>` ranks those whose team is based in or below an area (what a staff
member of that scope sees), `team:<team_id>` those of one team."""


def request_index(area: str | None = None, status: str | None = None) -> str:
    """The ranking of the requests in an area (None or a county: the whole county's), of
    those in one status if given."""
    name = REQUESTS if status is None else f"status:{status}"
    if area is None or len(area) == COUNTY_CODE_LENGTH:
        return name
    return f"area:{area}:{name}"



def volunteers_in(area: str) -> str:
    return f"{VOLUNTEERS}:{area}"


def members_of(team_id: str) -> str:
    return f"team:{team_id}"


def _change_of(event: ev.TeamRegistered | ev.TeamChanged) -> TeamChange:
    fields = (set(ev.TEAM_FIELDS) if isinstance(event, ev.TeamRegistered)
              else set(event.changes()))
    return TeamChange(at=event.occurred_at, event=type(event).__name__,
                      actor_role=event.actor.role, actor_id=event.actor.subject,
                      changed=event.model_dump(mode="json", include=fields))

STATUS_AFTER: dict[type[Event], RequestStatus] = {
    ev.RequestSubmitted: RequestStatus.SUBMITTED,
    ev.RequestHeldForReview: RequestStatus.IN_REVIEW,
    ev.RequestApproved: RequestStatus.SUBMITTED,
    ev.RequestDispatched: RequestStatus.DISPATCHED,
    ev.RequestQueued: RequestStatus.SUBMITTED,
    ev.RequestAccepted: RequestStatus.ACCEPTED,
    ev.RequestDeclined: RequestStatus.SUBMITTED,
    ev.AcceptDeadlinePassed: RequestStatus.SUBMITTED,
    ev.RequestEscalated: RequestStatus.ESCALATED,
    ev.RequestCancelled: RequestStatus.CANCELLED,
    ev.RequestCompleted: RequestStatus.COMPLETED,
    ev.RequestReviewed: RequestStatus.REVIEWED,
}


def _team_named(event: Event) -> str | None:
    """The team an event names, if its type has that field (a look-up of the class's fields:
    a missing attribute of a pydantic model is costly to ask for)."""
    if "team_id" in type(event).model_fields:
        team_id: str | None = event.team_id  # type: ignore[attr-defined]
        return team_id
    return None


class DispatchState:
    def __init__(self) -> None:
        self.areas: Records[AreaView] = Records()
        self.teams: Records[TeamView] = Records()
        self.volunteers: Records[VolunteerView] = Records()
        self.requests: Records[RequestView] = Records()
        self.review_rules: Records[ReviewRuleView] = Records()
        self.team_of_leader: Records[str] = Records()
        """Who acts for which team (leaders and deputies); "" once they no longer do (rows
        are never deleted from the store)."""
        self.tasks: Records[tuple[str, ...]] = Records()
        self.by_resident: Records[tuple[str, ...]] = Records()
        self.members: Records[tuple[str, ...]] = Records()
        self.history: Journal[HistoryItem] = Journal()
        self.team_history: Journal[TeamChange] = Journal()
        self.ranks = Ranking()
        self.index = TeamIndex()
        self.queued: dict[str, None] = {}
        self._timers: list[tuple[datetime, str]] = []

    def collections(self) -> dict[str, Records[Any]]:
        """Every persisted collection by name; the rest is derived from these."""
        return {
            "areas": self.areas, "teams": self.teams, "volunteers": self.volunteers,
            "requests": self.requests, "leaders": self.team_of_leader, "tasks": self.tasks,
            "residents": self.by_resident, "members": self.members,
            REVIEW_RULES: self.review_rules,
        }

    def journals(self) -> dict[str, Journal[Any]]:
        """Each request's and each team's history: written as it happens, never read back
        by the rules."""
        return {"history": self.history, "team_history": self.team_history}

    def ranking(self) -> Ranking:
        return self.ranks

    def restore(self, rows: dict[str, dict[str, Any]]) -> None:
        """Take in rows read back from storage and derive the matching index, the queue and
        the timers from them, as folding the same events would have."""
        collections = self.collections()
        for name, found in rows.items():
            for key, value in found.items():
                collections[name].load(key, value)
        for team in rows.get("teams", {}).values():
            self.index.add(team)
        for request in rows.get("requests", {}).values():
            if request.status is RequestStatus.SUBMITTED and request.wait_until is not None:
                self.queued[request.request_id] = None
            for due_at in (request.accept_by, request.wait_until, request.confirm_by,
                           request.remind_at):
                if due_at is not None:
                    self._arm(due_at, request.request_id)

    # -- reading -----------------------------------------------------------------------

    def queue_in_order(self) -> list[RequestView]:
        """Waiting requests in the order a freed team takes them: by tier (DESIGN §11), then
        by submission time. Urgency orders requests of one tier only (urgent first): it
        shortens a request's windows, but an urgent tier-3 order never goes before a waiting
        tier-1 one, so a vulnerable resident never waits behind a lower tier."""
        waiting = [self.requests[r] for r in self.queued]
        return sorted(waiting, key=lambda r: (r.priority, r.urgency is not Urgency.URGENT,
                                              r.submitted_at, r.request_id))

    def due(self, now: datetime) -> list[tuple[RequestView, datetime]]:
        """Requests whose accept, wait or confirmation deadline has passed, with that deadline.

        Timers that no longer match their request (it moved on) are dropped here.
        """
        fired: list[tuple[RequestView, datetime]] = []
        while self._timers and self._timers[0][0] <= now:
            due_at, request_id = heapq.heappop(self._timers)
            request = self.requests[request_id]
            if due_at in (request.accept_by, request.wait_until, request.confirm_by,
                          request.remind_at):
                fired.append((request, due_at))
        return fired


    # -- changing ----------------------------------------------------------------------

    def evolve(self, event: Event) -> None:
        if isinstance(event, ev.AreaRegistered):
            self.areas.put(
                event.code,
                AreaView(
                    code=event.code, name=event.name, lat=event.lat, lon=event.lon,
                    parent=event.parent,
                ),
            )
        elif isinstance(event, ev.TeamRegistered):
            team = TeamView(
                team_id=event.team_id, name=event.name, leader_id=event.leader_id,
                service_types=event.service_types, areas=event.areas,
                capacity=event.capacity, county=event.county, deputies=event.deputies,
                active=event.active,
            )
            self.teams.put(team.team_id, team)
            self.index.add(team)
            for person in team.people:
                self.team_of_leader.put(person, team.team_id)
            self.team_history.append(team.team_id, _change_of(event))
        elif isinstance(event, ev.TeamChanged):
            self._change_team(event)
        elif isinstance(event, ev.VolunteerRegistered):
            members = self.members.get(event.team_id, ())
            self.members.put(event.team_id, tuple(sorted((*members, event.volunteer_id))))
            volunteer = VolunteerView(
                volunteer_id=event.volunteer_id, name=event.name, team_id=event.team_id,
                county=event.team_county, skills=event.skills, phone=event.phone or None,
                active=event.active, registered_at=event.occurred_at,
            )
            self.volunteers.put(event.volunteer_id, volunteer)
            self._rank_volunteer(volunteer, None)
        elif isinstance(event, ev.VolunteerChanged):
            self._change_volunteer(event)
        elif isinstance(event, ev.ReviewRuleSet):
            self.review_rules.put(rule_key(event.area, event.service_type), ReviewRuleView(
                area=event.area, service_type=event.service_type, required=event.required,
                sla_s=event.sla_s, set_at=event.occurred_at, set_by=event.actor.subject))
        elif isinstance(event, ev.RequestEvent):
            self._evolve_request(event)

    def _change_team(self, event: ev.TeamChanged) -> None:
        before = self.teams[event.team_id]
        after = before.model_copy(update=event.changes())
        self.teams.put(after.team_id, after)
        self.index.add(after)
        for person in before.people - after.people:
            self.team_of_leader.put(person, "")
        for person in after.people - before.people:
            self.team_of_leader.put(person, after.team_id)
        if after.areas[0] != before.areas[0]:
            for volunteer_id in self.members.get(after.team_id, ()):
                volunteer = self.volunteers[volunteer_id]
                self._rank_in_areas(volunteer, before.areas[0], after.areas[0])
        self.team_history.append(after.team_id, _change_of(event))

    def _change_volunteer(self, event: ev.VolunteerChanged) -> None:
        before = self.volunteers[event.volunteer_id]
        changes = event.changes()
        if "phone" in changes:
            changes["phone"] = event.phone or None
        after = before.model_copy(update=changes)
        self.volunteers.put(after.volunteer_id, after)
        if after.team_id != before.team_id:
            left = self.members.get(before.team_id, ())
            self.members.put(before.team_id, tuple(v for v in left if v != after.volunteer_id))
            joined = self.members.get(after.team_id, ())
            self.members.put(after.team_id, tuple(sorted((*joined, after.volunteer_id))))
            self._rank_volunteer(after, before)

    def _rank_volunteer(self, volunteer: VolunteerView, before: VolunteerView | None) -> None:
        """File a volunteer in the county's list, their team's, and their team's areas'."""
        score = volunteer.rank
        if before is None:
            self.ranks.rank(VOLUNTEERS, volunteer.volunteer_id, score)
        else:
            self.ranks.unrank(members_of(before.team_id), volunteer.volunteer_id)
        self.ranks.rank(members_of(volunteer.team_id), volunteer.volunteer_id, score)
        self._rank_in_areas(
            volunteer, None if before is None else self.teams[before.team_id].areas[0],
            self.teams[volunteer.team_id].areas[0])

    def _rank_in_areas(self, volunteer: VolunteerView, left: str | None, base: str) -> None:
        """Move a volunteer from the area lists of one team base to another's."""
        was_in = set() if left is None else set(ancestors(left))
        now_in = set(ancestors(base))
        for area in sorted(was_in - now_in):
            self.ranks.unrank(volunteers_in(area), volunteer.volunteer_id)
        for area in sorted(now_in - was_in):
            self.ranks.rank(volunteers_in(area), volunteer.volunteer_id,
                            volunteer.rank)

    def _evolve_request(self, event: ev.RequestEvent) -> None:
        if isinstance(event, ev.AcceptReminderDue):
            # A notice to the team, not a step of the request: no history item.
            reminded = self.requests[event.request_id]
            self.requests.put(event.request_id, reminded.model_copy(update={"remind_at": None}))
            return
        if isinstance(event, ev.RequestSubmitted):
            request = RequestView(
                request_id=event.request_id, resident_id=event.resident_id,
                service_type=event.service_type, area=event.area, address=event.address,
                details=event.details, urgency=event.urgency, priority=event.priority,
                contact_name=event.contact_name, contact_phone=event.contact_phone,
                status=RequestStatus.SUBMITTED, submitted_at=event.occurred_at,
                plan_id=event.plan_id, preferred_team_id=event.preferred_team_id,
            )
            mine = self.by_resident.get(event.resident_id, ())
            self.by_resident.put(event.resident_id, (*mine, event.request_id))
        else:
            request = self.requests[event.request_id]
        status = STATUS_AFTER.get(type(event), request.status)
        change: dict[str, object] = {"status": status}
        note = ""
        previous_team = request.team_id
        if isinstance(event, ev.RequestDispatched):
            if previous_team is not None and previous_team != event.team_id:
                self._team_delta(previous_team, load=-1)
            self._team_delta(event.team_id, load=+1, dispatched=+1)
            self.queued.pop(request.request_id, None)
            change |= {
                "team_id": event.team_id, "attempt": event.attempt,
                "accept_by": event.accept_by, "wait_until": None, "complete_by": None,
                "dispatched_at": request.dispatched_at or event.occurred_at,
                "remind_at": event.remind_at,
            }
            self._arm(event.accept_by, request.request_id)
            if event.remind_at is not None:
                self._arm(event.remind_at, request.request_id)

        elif isinstance(event, ev.RequestHeldForReview):
            change |= {"review_by": event.review_by}
        elif isinstance(event, ev.RequestQueued):
            self.queued[request.request_id] = None
            change |= {"wait_until": event.wait_until}
            self._arm(event.wait_until, request.request_id)
        elif isinstance(event, ev.RequestAccepted):
            self._team_delta(event.team_id, accepted=+1)
            change |= {
                "accept_by": None, "remind_at": None, "complete_by": event.complete_by,
                "accepted_at": event.occurred_at, "service_code": event.service_code,
            }
        elif isinstance(event, ev.VolunteersCheckedIn):
            change |= {"checks": (*request.checks, *(
                ServiceCheck(volunteer_id=v, checked_in_at=event.occurred_at)
                for v in event.volunteer_ids))}
        elif isinstance(event, ev.VolunteersCheckedOut):
            leaving = set(event.volunteer_ids)
            change |= {"checks": tuple(
                c.model_copy(update={"checked_out_at": event.occurred_at})
                if c.volunteer_id in leaving else c for c in request.checks)}
        elif isinstance(event, ev.RequestDeclined | ev.AcceptDeadlinePassed):
            declined = isinstance(event, ev.RequestDeclined)
            self._team_delta(
                event.team_id, load=-1, declined=int(declined), timed_out=int(not declined)
            )
            note = event.reason if isinstance(event, ev.RequestDeclined) else ""
            change |= {
                "team_id": None, "accept_by": None, "remind_at": None,
                "refusals": request.refusals + 1,
                "excluded_teams": (*request.excluded_teams, event.team_id),
            }
        elif isinstance(event, ev.RequestEscalated):
            self.queued.pop(request.request_id, None)
            change |= {"wait_until": None, "escalation_reason": event.reason}
            note = event.reason
        elif isinstance(event, ev.RequestCancelled):
            self.queued.pop(request.request_id, None)
            if previous_team is not None:
                self._team_delta(previous_team, load=-1)
            change |= {"accept_by": None, "remind_at": None, "wait_until": None,
                       "complete_by": None}
            note = event.reason
        elif isinstance(event, ev.RequestCompleted):
            self._team_delta(event.team_id, load=-1, completed=+1)
            change |= {
                "volunteers": event.volunteers, "completed_at": event.occurred_at,
                "confirm_by": event.confirm_by, "complete_by": None,
                "completed_event_id": event.event_id, "checks": event.checks,
            }
            if event.confirm_by is not None:
                self._arm(event.confirm_by, request.request_id)
        elif isinstance(event, ev.RequestReviewed):
            self._team_delta(event.team_id, rating_sum=event.rating, rating_count=1)
            change |= {"rating": event.rating, "comment": event.comment}
            if event.dispute:
                change |= {"dispute_reason": event.dispute_reason}
        elif isinstance(event, ev.ServiceConfirmed):
            change |= {"confirmed": True, "confirm_by": None}
        team_now = cast(str | None, change.get("team_id", request.team_id))
        item = HistoryItem.model_construct(
            at=event.occurred_at, event=type(event).__name__, status=status,
            actor_role=event.actor.role, team_id=_team_named(event) or team_now,
            note=note,
            actor_id=event.actor.subject if event.actor.role is Role.STAFF else None,
            channel=event.channel if isinstance(event, ev.RequestSubmitted) else None,
        )
        self.history.append(request.request_id, item)
        updated = request.model_copy(update=change)
        self.requests.put(request.request_id, updated)
        self._rank(request, updated, first=isinstance(event, ev.RequestSubmitted))
        self._index_task(previous_team, updated)

    def _rank(self, before: RequestView, after: RequestView, first: bool) -> None:
        """Rank the request in the county's indexes and in those of each enclosing area."""
        score, request_id = after.submitted_at.timestamp(), after.request_id
        moved = before.status is not after.status
        for area in (None, *ancestors(after.area)[:-1]):
            if first:
                self.ranks.rank(request_index(area), request_id, score)
            elif moved:
                self.ranks.unrank(request_index(area, before.status.value), request_id)
            if first or moved:
                self.ranks.rank(request_index(area, after.status.value), request_id, score)

    def _index_task(self, previous_team: str | None, request: RequestView) -> None:
        """Keep each team's inbox: the requests dispatched to it or accepted by it."""
        request_id = request.request_id
        if previous_team is not None and previous_team != request.team_id:
            left = self.tasks.get(previous_team, ())
            if request_id in left:
                self.tasks.put(previous_team, tuple(r for r in left if r != request_id))
        if request.team_id is None:
            return
        inbox = self.tasks.get(request.team_id, ())
        open_task = request.status in (RequestStatus.DISPATCHED, RequestStatus.ACCEPTED)
        if open_task and request_id not in inbox:
            self.tasks.put(request.team_id, (*inbox, request_id))
        elif not open_task and request_id in inbox:
            self.tasks.put(request.team_id, tuple(r for r in inbox if r != request_id))

    def _team_delta(self, team_id: str, **deltas: int) -> None:
        team = self.teams[team_id]
        update = {field: getattr(team, field) + delta for field, delta in deltas.items()}
        changed = team.model_copy(update=update)
        self.teams.put(team_id, changed)
        if "load" in deltas:
            self.index.update(changed)

    def _arm(self, due_at: datetime, request_id: str) -> None:
        heapq.heappush(self._timers, (due_at, request_id))
