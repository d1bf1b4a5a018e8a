"""A county's activities: one row each (its sign-up book and attendance in it), ranked by
start under every level of its area and under each volunteer signed up, so the lists an
office, a village or a volunteer reads are pages of one ranking."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from schemas import activities as act
from schemas.activities import ActivityView, Attendance
from schemas.base import Event
from schemas.common import ancestors
from schemas.records import Journal, Ranking, Records

ACTIVITIES = "activities"


def activities_in(area: str | None) -> str:
    """The ranking of the activities held in an area (None: in the whole county)."""
    return f"activities:{area or 'all'}"


def activities_of(volunteer_id: str) -> str:
    """The ranking of the activities a volunteer is signed up for (or was, till closed)."""
    return f"signed-up:{volunteer_id}"


class ActivitiesState:
    def __init__(self) -> None:
        self.activities: Records[ActivityView] = Records()
        self.ranks = Ranking()
        self.open: dict[str, datetime] = {}
        """Open activities by their end: what the activity timer looks at."""

    def collections(self) -> dict[str, Records[Any]]:
        return {ACTIVITIES: self.activities}

    def journals(self) -> dict[str, Journal[Any]]:
        return {}

    def ranking(self) -> Ranking:
        return self.ranks

    def restore(self, rows: dict[str, dict[str, Any]]) -> None:
        for key, activity in rows.get(ACTIVITIES, {}).items():
            self.activities.load(key, activity)
            if activity.status == "open":
                self.open[key] = activity.ends_at

    def due(self, now: datetime, autoclose_s: int) -> list[ActivityView]:
        """Open activities whose end lies `autoclose_s` or more in the past."""
        late = now - timedelta(seconds=autoclose_s)
        return [self.activities[a] for a, ends_at in sorted(self.open.items())
                if ends_at <= late]

    def evolve(self, event: Event) -> None:
        if not isinstance(event, act.ActivityEvent):
            return
        if isinstance(event, act.ActivityPublished):
            activity = ActivityView(
                activity_id=event.activity_id, county=event.county, title=event.title,
                service_type=event.service_type, area=event.area, starts_at=event.starts_at,
                ends_at=event.ends_at, slots=event.slots, team_id=event.team_id,
                approval=event.approval, organiser=event.organiser, created_by=event.actor,
                created_at=event.occurred_at, seq=len(self.activities) + 1)
            for place in (None, *ancestors(activity.area)):
                self.ranks.rank(activities_in(place), activity.activity_id, self._score(activity))
            self.open[activity.activity_id] = activity.ends_at
            self.activities.put(activity.activity_id, activity)
            return
        before = self.activities[event.activity_id]
        self.activities.put(event.activity_id, self._changed(before, event))

    def _changed(self, before: ActivityView, event: act.ActivityEvent) -> ActivityView:
        if isinstance(event, act.VolunteerSignedUp):
            self.ranks.rank(activities_of(event.volunteer_id), before.activity_id,
                            self._score(before))
            name: str = event.status
            return before.model_copy(update={
                name: (*getattr(before, name), event.volunteer_id)})
        if isinstance(event, act.SignUpCancelled):
            self.ranks.unrank(activities_of(event.volunteer_id), before.activity_id)
            gone = event.volunteer_id
            confirmed = tuple(v for v in before.confirmed if v != gone)
            waiting = tuple(v for v in before.waiting if v != gone)
            if event.promoted is not None:
                confirmed += (event.promoted,)
                waiting = tuple(v for v in waiting if v != event.promoted)
            return before.model_copy(update={
                "confirmed": confirmed, "waiting": waiting,
                "pending": tuple(v for v in before.pending if v != gone)})
        if isinstance(event, act.SignUpApproved):
            pending = tuple(v for v in before.pending if v != event.volunteer_id)
            return before.model_copy(update={
                "pending": pending,
                event.status: (*getattr(before, event.status), event.volunteer_id)})
        if isinstance(event, act.VolunteerCheckedIn):
            return before.model_copy(update={"attendance": (
                *before.attendance,
                Attendance(volunteer_id=event.volunteer_id, checked_in_at=event.at))})
        if isinstance(event, act.VolunteerCheckedOut):
            return before.model_copy(update={"attendance": tuple(
                a.model_copy(update={"checked_out_at": event.at})
                if a.volunteer_id == event.volunteer_id else a for a in before.attendance)})
        if isinstance(event, act.ActivityClosed):
            self.open.pop(before.activity_id, None)
            return before.model_copy(update={
                "status": "closed", "closed_at": event.occurred_at,
                "closed_automatically": event.automatic, "credits": event.credits})
        return before

    @staticmethod
    def _score(activity: ActivityView) -> float:
        return activity.starts_at.timestamp()
