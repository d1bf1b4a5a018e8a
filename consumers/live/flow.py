"""A fold of every dispatch event into what the office's live board shows.

Only codes, types, statuses and times are kept: the board never holds a resident's name,
phone or address, so it cannot leak them.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict, deque
from datetime import date, datetime
from zoneinfo import ZoneInfo

from schemas import events as ev
from schemas.base import Event
from schemas.common import RequestStatus, ServiceType, Urgency, ancestors
from schemas.views import (
    LiveEvent,
    LiveRequest,
    LiveSnapshot,
    Percentiles,
    StageCount,
    TeamStanding,
    TimingPoint,
)

LOCAL_ZONE = ZoneInfo("Asia/Shanghai")
FUNNEL = (
    RequestStatus.SUBMITTED,
    RequestStatus.IN_REVIEW,
    RequestStatus.DISPATCHED,
    RequestStatus.ACCEPTED,
    RequestStatus.COMPLETED,
    RequestStatus.REVIEWED,
    RequestStatus.CANCELLED,
    RequestStatus.ESCALATED,
)
TIMING_SAMPLES_MAX = 2000
OPEN = {RequestStatus.SUBMITTED, RequestStatus.IN_REVIEW, RequestStatus.DISPATCHED,
        RequestStatus.ACCEPTED, RequestStatus.ESCALATED}


class _Tracked:
    __slots__ = (
        "accepted_at",
        "area",
        "dispatched_at",
        "due",
        "reason",
        "service_type",
        "since",
        "status",
        "submitted_at",
        "team_id",
        "urgency",
    )

    def __init__(self, e: ev.RequestSubmitted) -> None:
        self.area = e.area
        self.service_type = e.service_type
        self.urgency = e.urgency
        self.status = RequestStatus.SUBMITTED
        self.since = e.occurred_at
        self.submitted_at = e.occurred_at
        self.dispatched_at: datetime | None = None
        self.accepted_at: datetime | None = None
        self.due: datetime | None = None
        self.team_id: str | None = None
        self.reason: str | None = None


class _Team:
    __slots__ = ("accepted", "capacity", "completed", "load", "name", "rating_count",
                 "rating_sum", "refused")

    def __init__(self, e: ev.TeamRegistered) -> None:
        self.name = e.name
        self.capacity = e.capacity
        self.load = 0
        self.completed = 0
        self.accepted = 0
        self.refused = 0
        self.rating_sum = 0
        self.rating_count = 0


class LiveFlow:
    def __init__(self, recent_max: int = 50) -> None:
        self.position = 0
        self.area_names: dict[str, str] = {}
        self.requests: dict[str, _Tracked] = {}
        self.teams: dict[str, _Team] = {}
        self.reached: Counter[RequestStatus] = Counter()
        self.reached_today: Counter[RequestStatus] = Counter()
        self.today: date | None = None
        self.current: Counter[RequestStatus] = Counter()
        self.by_area: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.by_type: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.timings: dict[str, deque[TimingPoint]] = {
            name: deque(maxlen=TIMING_SAMPLES_MAX) for name in ("dispatch", "accept", "complete")
        }
        self.recent: deque[LiveEvent] = deque(maxlen=recent_max)
        self.dead_letters = 0
        self.events = 0

    # -- folding -----------------------------------------------------------------------

    def evolve(self, event: Event, position: int = 0) -> None:
        self.position = max(self.position, position)
        self.events += 1
        if isinstance(event, ev.AreaRegistered):
            self.area_names[event.code] = event.name
        elif isinstance(event, ev.TeamRegistered):
            self.teams[event.team_id] = _Team(event)
        elif isinstance(event, ev.RequestEvent):
            self._request(event)

    def _request(self, e: ev.RequestEvent) -> None:
        if isinstance(e, ev.RequestSubmitted):
            tracked = self.requests[e.request_id] = _Tracked(e)
            self._enter(tracked, RequestStatus.SUBMITTED, e.occurred_at, first=True)
            self._remember(e, tracked)
            return
        tracked_or_none = self.requests.get(e.request_id)
        if tracked_or_none is None:
            return
        tracked = tracked_or_none
        at = e.occurred_at
        if isinstance(e, ev.RequestHeldForReview):
            self._enter(tracked, RequestStatus.IN_REVIEW, at)
        elif isinstance(e, ev.RequestApproved | ev.RequestQueued):
            self._enter(tracked, RequestStatus.SUBMITTED, at)
            if isinstance(e, ev.RequestQueued):
                tracked.due = e.wait_until
        elif isinstance(e, ev.RequestDispatched):
            if tracked.team_id is not None and tracked.team_id in self.teams:
                self.teams[tracked.team_id].load -= 1
            if tracked.dispatched_at is None:
                tracked.dispatched_at = at
                self._time("dispatch", at, tracked.submitted_at)
            tracked.team_id = e.team_id
            tracked.due = e.accept_by
            self._team(e.team_id, load=1)
            self._enter(tracked, RequestStatus.DISPATCHED, at)
        elif isinstance(e, ev.RequestAccepted):
            tracked.accepted_at = at
            if tracked.dispatched_at is not None:
                self._time("accept", at, tracked.dispatched_at)
            tracked.due = e.complete_by
            self._team(e.team_id, accepted=1)
            self._enter(tracked, RequestStatus.ACCEPTED, at)
        elif isinstance(e, ev.RequestDeclined | ev.AcceptDeadlinePassed):
            self._team(e.team_id, load=-1, refused=1)
            tracked.team_id = None
            tracked.due = None
            self._enter(tracked, RequestStatus.SUBMITTED, at)
        elif isinstance(e, ev.RequestEscalated):
            tracked.reason = e.reason
            tracked.due = None
            self._enter(tracked, RequestStatus.ESCALATED, at)
        elif isinstance(e, ev.RequestCancelled):
            if tracked.team_id is not None and tracked.status in OPEN:
                self._team(tracked.team_id, load=-1)
            tracked.due = None
            self._enter(tracked, RequestStatus.CANCELLED, at)
        elif isinstance(e, ev.RequestCompleted):
            self._team(e.team_id, load=-1, completed=1)
            self._time("complete", at, tracked.accepted_at or tracked.submitted_at)
            tracked.due = None
            self._enter(tracked, RequestStatus.COMPLETED, at)
        elif isinstance(e, ev.RequestReviewed):
            self._team(e.team_id, rating_sum=e.rating, rating_count=1)
            self._enter(tracked, RequestStatus.REVIEWED, at)
        self._remember(e, tracked)

    def _enter(self, t: _Tracked, status: RequestStatus, at: datetime, first: bool = False) -> None:
        if not first:
            self._count(t, t.status, -1)
        self._count(t, status, +1)
        if status is not t.status or first:
            self.reached[status] += 1
            if self._is_today(at):
                self.reached_today[status] += 1
        t.status = status
        t.since = at

    def _count(self, t: _Tracked, status: RequestStatus, delta: int) -> None:
        self.current[status] += delta
        for code in ancestors(t.area):
            self.by_area[code][status.value] += delta
        self.by_type[t.service_type.value][status.value] += delta

    def _is_today(self, at: datetime) -> bool:
        day = at.astimezone(LOCAL_ZONE).date()
        if self.today is None or day > self.today:
            self.today = day
            self.reached_today.clear()
        return day == self.today

    def _team(self, team_id: str, **deltas: int) -> None:
        team = self.teams.get(team_id)
        if team is not None:
            for name, delta in deltas.items():
                setattr(team, name, getattr(team, name) + delta)

    def _time(self, stage: str, at: datetime, since: datetime) -> None:
        self.timings[stage].append(TimingPoint(at=at, seconds=(at - since).total_seconds()))

    def _remember(self, e: ev.RequestEvent, t: _Tracked) -> None:
        self.recent.append(LiveEvent(
            at=e.occurred_at, type=type(e).__name__, request_id=e.request_id, area=t.area,
            service_type=t.service_type.value, team_id=t.team_id, status=t.status,
        ))

    def note_dead_letter(self) -> None:
        self.dead_letters += 1

    # -- reading -----------------------------------------------------------------------

    def snapshot(self, now: datetime) -> LiveSnapshot:
        if self.today is not None and now.astimezone(LOCAL_ZONE).date() > self.today:
            self.today = now.astimezone(LOCAL_ZONE).date()
            self.reached_today.clear()
        overdue: list[LiveRequest] = []
        escalated: list[LiveRequest] = []
        for request_id, t in self.requests.items():
            if t.status is RequestStatus.ESCALATED:
                escalated.append(self._live(request_id, t))
            elif t.status in OPEN and t.due is not None and t.due < now:
                overdue.append(self._live(request_id, t))
        return LiveSnapshot(
            generated_at=now,
            position=self.position,
            events=self.events,
            funnel=tuple(
                StageCount(status=s, today=self.reached_today[s], total=self.reached[s],
                           current=self.current[s])
                for s in FUNNEL
            ),
            by_area={code: _nonzero(c) for code, c in sorted(self.by_area.items()) if +c},
            by_service_type={k: _nonzero(c) for k, c in sorted(self.by_type.items()) if +c},
            time_to_dispatch=_percentiles(self.timings["dispatch"]),
            time_to_accept=_percentiles(self.timings["accept"]),
            time_to_complete=_percentiles(self.timings["complete"]),
            overdue=tuple(sorted(overdue, key=lambda r: r.due or r.since)[:200]),
            escalated=tuple(sorted(escalated, key=lambda r: r.since)[:200]),
            recent=tuple(reversed(self.recent)),
            teams=tuple(sorted(
                (self._standing(team_id, team) for team_id, team in self.teams.items()),
                key=lambda s: (-s.completed, -(s.rating or 0), s.team_id),
            )),
            timings={k: tuple(v)[-200:] for k, v in self.timings.items()},
            dead_letters=self.dead_letters,
        )

    def _live(self, request_id: str, t: _Tracked) -> LiveRequest:
        return LiveRequest(
            request_id=request_id, service_type=ServiceType(t.service_type), area=t.area,
            area_name=self.area_names.get(t.area, t.area), status=t.status,
            urgency=Urgency(t.urgency), team_id=t.team_id, since=t.since, due=t.due,
            reason=t.reason,
        )

    @staticmethod
    def _standing(team_id: str, team: _Team) -> TeamStanding:
        asked = team.accepted + team.refused
        return TeamStanding(
            team_id=team_id, name=team.name, completed=team.completed,
            rating=round(team.rating_sum / team.rating_count, 2) if team.rating_count else None,
            acceptance_rate=round(team.accepted / asked, 3) if asked else None,
            load=team.load, capacity=team.capacity,
        )


def _nonzero(counts: Counter[str]) -> dict[str, int]:
    return {k: v for k, v in counts.items() if v}


def _percentiles(points: deque[TimingPoint]) -> Percentiles:
    values = sorted(p.seconds for p in points)
    if not values:
        return Percentiles(count=0, p50_s=None, p90_s=None)
    if len(values) == 1:
        return Percentiles(count=1, p50_s=values[0], p90_s=values[0])
    deciles = statistics.quantiles(values, n=10, method="inclusive")
    return Percentiles(count=len(values), p50_s=round(statistics.median(values), 3),
                       p90_s=round(deciles[8], 3))
