"""A fold of every dispatch event into what the office's live board shows.

Only codes, types, statuses and times are kept: the board never holds a resident's name,
phone or address, so it cannot leak them.

Bounded by design (DESIGN §8): a request is tracked while it is open and for
`closed_window_s` after it closed (completed, reviewed or cancelled), then forgotten — its
counts stay. Overdue and escalated requests come from indexes ordered by due time and by
time of escalation, so a snapshot costs the same whatever the backlog.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict, deque
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sortedcontainers import SortedList

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
LISTED_MAX = 200
"""Overdue and escalated requests shown, the most pressing first."""
OPEN = {RequestStatus.SUBMITTED, RequestStatus.IN_REVIEW, RequestStatus.DISPATCHED,
        RequestStatus.ACCEPTED, RequestStatus.ESCALATED}
CLOSED = {RequestStatus.COMPLETED, RequestStatus.REVIEWED, RequestStatus.CANCELLED}


class _Tracked:
    __slots__ = (
        "accepted_at",
        "area",
        "closed_at",
        "dispatched_at",
        "due",
        "reason",
        "request_id",
        "service_type",
        "since",
        "status",
        "submitted_at",
        "team_id",
        "urgency",
    )

    def __init__(self, e: ev.RequestSubmitted) -> None:
        self.request_id = e.request_id
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
        self.closed_at: datetime | None = None


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
    def __init__(self, recent_max: int = 50, closed_window_s: float = 24 * 3600) -> None:
        self.closed_window = timedelta(seconds=closed_window_s)
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
        self.by_due: SortedList[tuple[datetime, str]] = SortedList()
        self.escalated: SortedList[tuple[datetime, str]] = SortedList()
        self.closing: deque[tuple[datetime, str]] = deque()
        self.dead_letters = 0
        self.events = 0

    # -- folding -----------------------------------------------------------------------

    def evolve(self, event: Event) -> None:
        """Fold one event; `position` counts every message folded, in every mode."""
        self.position += 1
        self.events += 1
        if isinstance(event, ev.AreaRegistered):
            self.area_names[event.code] = event.name
        elif isinstance(event, ev.TeamRegistered):
            self.teams[event.team_id] = _Team(event)
        elif isinstance(event, ev.TeamChanged) and event.team_id in self.teams:
            team = self.teams[event.team_id]
            team.name = event.name or team.name
            team.capacity = event.capacity or team.capacity
        elif isinstance(event, ev.RequestEvent):
            self._request(event)
            self.forget_closed(event.occurred_at)

    def forget_closed(self, now: datetime) -> None:
        """Stop tracking requests closed longer than the window ago (their counts stay)."""
        while self.closing and self.closing[0][0] + self.closed_window <= now:
            closed_at, request_id = self.closing.popleft()
            tracked = self.requests.get(request_id)
            if tracked is not None and tracked.closed_at == closed_at:
                del self.requests[request_id]

    def _request(self, e: ev.RequestEvent) -> None:
        if isinstance(e, ev.RequestSubmitted):
            tracked = self.requests[e.request_id] = _Tracked(e)
            self._enter(tracked, RequestStatus.SUBMITTED, e.occurred_at, first=True)
            self._remember(e, tracked)
            return
        tracked_or_none = self.requests.get(e.request_id)
        if tracked_or_none is None:
            if isinstance(e, ev.RequestReviewed):
                self._reviewed_after_forgotten(e)
            return
        tracked = tracked_or_none
        at = e.occurred_at
        if isinstance(e, ev.RequestHeldForReview):
            self._enter(tracked, RequestStatus.IN_REVIEW, at)
        elif isinstance(e, ev.RequestApproved | ev.RequestQueued):
            self._enter(tracked, RequestStatus.SUBMITTED, at)
            if isinstance(e, ev.RequestQueued):
                self._due(e.request_id, tracked, e.wait_until)
        elif isinstance(e, ev.RequestDispatched):
            if tracked.team_id is not None and tracked.team_id in self.teams:
                self.teams[tracked.team_id].load -= 1
            if tracked.dispatched_at is None:
                tracked.dispatched_at = at
                self._time("dispatch", at, tracked.submitted_at)
            tracked.team_id = e.team_id
            self._due(e.request_id, tracked, e.accept_by)
            self._team(e.team_id, load=1)
            self._enter(tracked, RequestStatus.DISPATCHED, at)
        elif isinstance(e, ev.RequestAccepted):
            tracked.accepted_at = at
            if tracked.dispatched_at is not None:
                self._time("accept", at, tracked.dispatched_at)
            self._due(e.request_id, tracked, e.complete_by)
            self._team(e.team_id, accepted=1)
            self._enter(tracked, RequestStatus.ACCEPTED, at)
        elif isinstance(e, ev.RequestDeclined | ev.AcceptDeadlinePassed):
            self._team(e.team_id, load=-1, refused=1)
            tracked.team_id = None
            self._due(e.request_id, tracked, None)
            self._enter(tracked, RequestStatus.SUBMITTED, at)
        elif isinstance(e, ev.RequestEscalated):
            tracked.reason = e.reason
            self._due(e.request_id, tracked, None)
            self._enter(tracked, RequestStatus.ESCALATED, at)
        elif isinstance(e, ev.RequestCancelled):
            if tracked.team_id is not None and tracked.status in OPEN:
                self._team(tracked.team_id, load=-1)
            self._due(e.request_id, tracked, None)
            self._enter(tracked, RequestStatus.CANCELLED, at)
        elif isinstance(e, ev.RequestCompleted):
            self._team(e.team_id, load=-1, completed=1)
            self._time("complete", at, tracked.accepted_at or tracked.submitted_at)
            self._due(e.request_id, tracked, None)
            self._enter(tracked, RequestStatus.COMPLETED, at)
        elif isinstance(e, ev.RequestReviewed):
            self._team(e.team_id, rating_sum=e.rating, rating_count=1)
            self._enter(tracked, RequestStatus.REVIEWED, at)
        self._remember(e, tracked)

    def _reviewed_after_forgotten(self, e: ev.RequestReviewed) -> None:
        """A review long after completion: the request is no longer tracked, but the event
        names its area and type, so the counts move as if it were."""
        if e.area is None or e.service_type is None:
            return
        self._count(e.area, e.service_type, RequestStatus.COMPLETED, -1)
        self._count(e.area, e.service_type, RequestStatus.REVIEWED, +1)
        self._reach(RequestStatus.REVIEWED, e.occurred_at)
        self._team(e.team_id, rating_sum=e.rating, rating_count=1)

    def _due(self, request_id: str, t: _Tracked, due: datetime | None) -> None:
        if t.due is not None:
            self.by_due.discard((t.due, request_id))
        t.due = due
        if due is not None:
            self.by_due.add((due, request_id))

    def _enter(self, t: _Tracked, status: RequestStatus, at: datetime, first: bool = False) -> None:
        if not first:
            self._count(t.area, t.service_type, t.status, -1)
        self._count(t.area, t.service_type, status, +1)
        if status is not t.status or first:
            self._reach(status, at)
        request_id = t.request_id
        if t.status is RequestStatus.ESCALATED and not first:
            self.escalated.discard((t.since, request_id))
        if status is RequestStatus.ESCALATED:
            self.escalated.add((at, request_id))
        t.status = status
        t.since = at
        if status in CLOSED:
            t.closed_at = at
            self.closing.append((at, request_id))

    def _reach(self, status: RequestStatus, at: datetime) -> None:
        self.reached[status] += 1
        if self._is_today(at):
            self.reached_today[status] += 1

    def _count(self, area: str, service_type: ServiceType, status: RequestStatus,
               delta: int) -> None:
        self.current[status] += delta
        for code in ancestors(area):
            self.by_area[code][status.value] += delta
        self.by_type[service_type.value][status.value] += delta

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
        self.timings[stage].append(TimingPoint.model_construct(
            at=at, seconds=(at - since).total_seconds()))

    def _remember(self, e: ev.RequestEvent, t: _Tracked) -> None:
        """Built without validation: every field is the board's own, already valid."""
        self.recent.append(LiveEvent.model_construct(
            at=e.occurred_at, type=type(e).__name__, request_id=e.request_id, area=t.area,
            service_type=t.service_type.value, team_id=t.team_id, status=t.status,
        ))

    def note_dead_letter(self) -> None:
        self.position += 1
        self.dead_letters += 1

    # -- reading -----------------------------------------------------------------------

    def snapshot(self, now: datetime) -> LiveSnapshot:
        if self.today is not None and now.astimezone(LOCAL_ZONE).date() > self.today:
            self.today = now.astimezone(LOCAL_ZONE).date()
            self.reached_today.clear()
        self.forget_closed(now)
        overdue: list[LiveRequest] = []
        for due, request_id in self.by_due:
            if due >= now or len(overdue) == LISTED_MAX:
                break
            overdue.append(self._live(request_id, self.requests[request_id]))
        escalated = [self._live(request_id, self.requests[request_id])
                     for _, request_id in self.escalated.islice(0, LISTED_MAX)]
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
            overdue=tuple(overdue),
            escalated=tuple(escalated),
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
