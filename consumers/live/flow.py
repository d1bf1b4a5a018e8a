"""A fold of every dispatch event into what the office's live board shows.

Only codes, types, statuses and times are kept: the board never holds a resident's name,
phone or address, so it cannot leak them.

Bounded by design (DESIGN §8): a request is tracked while it is open and for
`closed_window_s` after it closed (completed, reviewed or cancelled), then forgotten — its
counts stay. Overdue and escalated requests come from indexes ordered by due time and by
time of escalation, so a snapshot costs the same whatever the backlog.

Scoped by design (DESIGN §9): staff see the board of their scope only. The fold keeps a board
for the whole platform and one for every area that has requests or teams, at every level of
the tree (county, town, village, hamlet); an event moves the boards of its area's levels, at
most five, so a scope's snapshot is a look-up of its board — never a scan of the requests or
a filter of the whole board, which would cost the platform's size on every read. A board
holds its counts, durations, pressing lists, recent events and the teams based in it (a
team's base area is the first of its areas); `by_area` is one sorted map whose codes under a
scope are a contiguous range. Memory grows with the areas, not the requests: each board
keeps at most `recent_max` events and, per stage, `TIMING_SAMPLES_MAX` durations at the
county and above, `LOCAL_SAMPLES_MAX` below (its lists share their objects with the enclosing
boards). Only boards that moved are built and saved again (`changed_boards`).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict, deque
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sortedcontainers import SortedDict, SortedList

from consumers.live.programmes import ProgrammeFold
from schemas import care as cp
from schemas import cases as cs
from schemas import events as ev
from schemas import flags as fl
from schemas import wishes as w
from schemas.base import Event
from schemas.common import COUNTY_CODE_LENGTH, RequestStatus, ServiceType, Urgency, ancestors
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
EVERY_AREA = ""
"""The key of the whole platform's board: staff without a scope see it."""
STAGES = ("dispatch", "accept", "complete")
TIMING_SAMPLES_MAX = 2000
LOCAL_SAMPLES_MAX = 100
"""Durations a board below the county keeps per stage: its percentiles are of the latest."""
CHARTED_MAX = 200
AFTER_DIGITS = ":"
"""The character after every digit: codes under a prefix sort before prefix + this."""
LISTED_MAX = 200
"""Overdue and escalated requests shown, the most pressing first."""
REVIEW_SLA = "review_sla"
"""The reason of a held order past its review rule's SLA on the overdue list (DESIGN §11)."""
OPEN = {RequestStatus.SUBMITTED, RequestStatus.IN_REVIEW, RequestStatus.DISPATCHED,
        RequestStatus.ACCEPTED, RequestStatus.ESCALATED}
CLOSED = {RequestStatus.COMPLETED, RequestStatus.REVIEWED, RequestStatus.CANCELLED}


class _Tracked:
    __slots__ = (
        "accepted_at",
        "area",
        "boards",
        "closed_at",
        "dispatched_at",
        "due",
        "priority",
        "reason",
        "request_id",
        "service_type",
        "since",
        "status",
        "submitted_at",
        "team_id",
        "urgency",
    )

    def __init__(self, e: ev.RequestSubmitted, boards: list[str]) -> None:
        self.request_id = e.request_id
        self.area = e.area
        self.boards = boards
        self.service_type = e.service_type
        self.urgency = e.urgency
        self.priority = e.priority
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
    __slots__ = ("accepted", "boards", "capacity", "completed", "load", "name", "rating_count",
                 "rating_sum", "refused")

    def __init__(self, e: ev.TeamRegistered, boards: list[str]) -> None:
        self.name = e.name
        self.capacity = e.capacity
        self.boards = boards
        self.load = 0
        self.completed = 0
        self.accepted = 0
        self.refused = 0
        self.rating_sum = 0
        self.rating_count = 0


class _Board:
    """One scope's share of the flow: the whole platform's, or an area's with everything
    below it. The objects in its lists are shared with the enclosing boards."""

    __slots__ = ("by_due", "by_type", "current", "escalated", "events", "reached",
                 "reached_today", "recent", "teams", "timings")

    def __init__(self, recent_max: int, samples_max: int) -> None:
        self.reached: Counter[RequestStatus] = Counter()
        self.reached_today: Counter[RequestStatus] = Counter()
        self.current: Counter[RequestStatus] = Counter()
        self.by_type: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.timings: dict[str, deque[TimingPoint]] = {
            name: deque(maxlen=samples_max) for name in STAGES}
        self.recent: deque[LiveEvent] = deque(maxlen=recent_max)
        self.by_due: SortedList[tuple[datetime, str]] = SortedList()
        self.escalated: SortedList[tuple[datetime, str]] = SortedList()
        self.teams: dict[str, _Team] = {}
        self.events = 0


class LiveFlow:
    def __init__(self, recent_max: int = 50, closed_window_s: float = 24 * 3600) -> None:
        self.closed_window = timedelta(seconds=closed_window_s)
        self.recent_max = recent_max
        self.position = 0
        self.area_names: dict[str, str] = {}
        self.requests: dict[str, _Tracked] = {}
        self.teams: dict[str, _Team] = {}
        self.today: date | None = None
        self.by_area: SortedDict[str, Counter[str]] = SortedDict()
        self.boards: dict[str, _Board] = {
            EVERY_AREA: _Board(recent_max, TIMING_SAMPLES_MAX)}
        self.closing: deque[tuple[datetime, str]] = deque()
        self.dead_letters = 0
        self.events = 0
        self.changed: set[str] = {EVERY_AREA}
        self.checked_at: datetime | None = None
        self.programmes = ProgrammeFold(self._boards_of, self._touch)

    @property
    def root(self) -> _Board:
        return self.boards[EVERY_AREA]

    def _team_changed(self, event: ev.TeamChanged) -> None:
        """A team's new name or capacity shows on its boards; a new base area moves it
        from the old area's boards to the new one's."""
        team = self.teams[event.team_id]
        team.name = event.name or team.name
        team.capacity = event.capacity or team.capacity
        self.changed.update(team.boards)
        if event.areas and self._boards_of(event.areas[0]) != team.boards:
            for key in team.boards[1:]:
                self.boards[key].teams.pop(event.team_id, None)
            team.boards = self._boards_of(event.areas[0])
            for key in team.boards[1:]:
                self.boards[key].teams[event.team_id] = team
            self.changed.update(team.boards)

    def _boards_of(self, area: str) -> list[str]:
        """The boards an area's requests count on: the whole platform's and each enclosing
        level's (made on first use)."""
        keys = [EVERY_AREA, *ancestors(area)]
        for code in keys[1:]:
            if code not in self.boards:
                samples_max = (TIMING_SAMPLES_MAX if len(code) == COUNTY_CODE_LENGTH
                               else LOCAL_SAMPLES_MAX)
                self.boards[code] = _Board(self.recent_max, samples_max)
        return keys

    # -- folding -----------------------------------------------------------------------

    def evolve(self, event: Event) -> None:
        """Fold one event; `position` counts every message folded, in every mode."""
        self.position += 1
        self.events += 1
        self.changed.add(EVERY_AREA)
        if isinstance(event, ev.AreaRegistered):
            self.area_names[event.code] = event.name
        elif isinstance(event, ev.TeamRegistered):
            boards = self._boards_of(event.areas[0])
            team = self.teams[event.team_id] = _Team(event, boards)
            for key in boards[1:]:
                self.boards[key].teams[event.team_id] = team
                self.boards[key].events += 1
            self.changed.update(boards)
        elif isinstance(event, ev.TeamChanged) and event.team_id in self.teams:
            self._team_changed(event)
        elif isinstance(event, ev.RequestEvent):
            self._request(event)
            self.forget_closed(event.occurred_at)
        elif isinstance(event, w.WishEvent | cs.CaseEvent | cp.CareEvent | fl.FlagRaised
                        | fl.FlagDecided):
            self.programmes.evolve(event)

    def forget_closed(self, now: datetime) -> None:
        """Stop tracking requests closed longer than the window ago (their counts stay)."""
        while self.closing and self.closing[0][0] + self.closed_window <= now:
            closed_at, request_id = self.closing.popleft()
            tracked = self.requests.get(request_id)
            if tracked is not None and tracked.closed_at == closed_at:
                del self.requests[request_id]

    def _request(self, e: ev.RequestEvent) -> None:
        if isinstance(e, ev.RequestSubmitted):
            tracked = self.requests[e.request_id] = _Tracked(e, self._boards_of(e.area))
            self._touch(tracked.boards)
            self._enter(tracked, RequestStatus.SUBMITTED, e.occurred_at, first=True)
            self._remember(e, tracked)
            return
        tracked_or_none = self.requests.get(e.request_id)
        if tracked_or_none is None:
            if isinstance(e, ev.RequestReviewed):
                self._reviewed_after_forgotten(e)
            return
        tracked = tracked_or_none
        self._touch(tracked.boards)
        at = e.occurred_at
        if isinstance(e, ev.RequestHeldForReview):
            if e.review_by is not None:
                tracked.reason = REVIEW_SLA
                self._due(tracked, e.review_by)
            self._enter(tracked, RequestStatus.IN_REVIEW, at)
        elif isinstance(e, ev.RequestApproved | ev.RequestQueued):
            if tracked.reason == REVIEW_SLA:
                tracked.reason = None
            self._due(tracked, e.wait_until if isinstance(e, ev.RequestQueued) else None)
            self._enter(tracked, RequestStatus.SUBMITTED, at)
        elif isinstance(e, ev.RequestDispatched):
            if tracked.team_id is not None:
                self._team(tracked.team_id, load=-1)
            if tracked.dispatched_at is None:
                tracked.dispatched_at = at
                self._time(tracked, "dispatch", at, tracked.submitted_at)
            tracked.team_id = e.team_id
            self._due(tracked, e.accept_by)
            self._team(e.team_id, load=1)
            self._enter(tracked, RequestStatus.DISPATCHED, at)
        elif isinstance(e, ev.RequestAccepted):
            tracked.accepted_at = at
            if tracked.dispatched_at is not None:
                self._time(tracked, "accept", at, tracked.dispatched_at)
            self._due(tracked, e.complete_by)
            self._team(e.team_id, accepted=1)
            self._enter(tracked, RequestStatus.ACCEPTED, at)
        elif isinstance(e, ev.RequestDeclined | ev.AcceptDeadlinePassed):
            self._team(e.team_id, load=-1, refused=1)
            tracked.team_id = None
            self._due(tracked, None)
            self._enter(tracked, RequestStatus.SUBMITTED, at)
        elif isinstance(e, ev.RequestEscalated):
            tracked.reason = e.reason
            self._due(tracked, None)
            self._enter(tracked, RequestStatus.ESCALATED, at)
        elif isinstance(e, ev.RequestCancelled):
            if tracked.team_id is not None and tracked.status in OPEN:
                self._team(tracked.team_id, load=-1)
            self._due(tracked, None)
            self._enter(tracked, RequestStatus.CANCELLED, at)
        elif isinstance(e, ev.RequestCompleted):
            self._team(e.team_id, load=-1, completed=1)
            self._time(tracked, "complete", at, tracked.accepted_at or tracked.submitted_at)
            self._due(tracked, None)
            self._enter(tracked, RequestStatus.COMPLETED, at)
        elif isinstance(e, ev.RequestReviewed):
            self._team(e.team_id, rating_sum=e.rating, rating_count=1)
            self._enter(tracked, RequestStatus.REVIEWED, at)
        self._remember(e, tracked)

    def _touch(self, boards: list[str]) -> None:
        """An event of a request or a programme moved these boards: each counts it and is
        saved again."""
        for key in boards[1:]:
            self.boards[key].events += 1
        self.changed.update(boards)

    def _reviewed_after_forgotten(self, e: ev.RequestReviewed) -> None:
        """A review long after completion: the request is no longer tracked, but the event
        names its area and type, so the counts move as if it were."""
        if e.area is None or e.service_type is None:
            return
        boards = self._boards_of(e.area)
        self._touch(boards)
        self._count(boards, e.area, e.service_type, RequestStatus.COMPLETED, -1)
        self._count(boards, e.area, e.service_type, RequestStatus.REVIEWED, +1)
        self._reach(boards, RequestStatus.REVIEWED, e.occurred_at)
        self._team(e.team_id, rating_sum=e.rating, rating_count=1)

    def _due(self, t: _Tracked, due: datetime | None) -> None:
        for key in t.boards:
            board = self.boards[key]
            if t.due is not None:
                board.by_due.discard((t.due, t.request_id))
            if due is not None:
                board.by_due.add((due, t.request_id))
        t.due = due

    def _enter(self, t: _Tracked, status: RequestStatus, at: datetime, first: bool = False) -> None:
        if not first:
            self._count(t.boards, t.area, t.service_type, t.status, -1)
        self._count(t.boards, t.area, t.service_type, status, +1)
        if status is not t.status or first:
            self._reach(t.boards, status, at)
        request_id = t.request_id
        for key in t.boards:
            board = self.boards[key]
            if t.status is RequestStatus.ESCALATED and not first:
                board.escalated.discard((t.since, request_id))
            if status is RequestStatus.ESCALATED:
                board.escalated.add((at, request_id))
        t.status = status
        t.since = at
        if status in CLOSED:
            t.closed_at = at
            self.closing.append((at, request_id))

    def _reach(self, boards: list[str], status: RequestStatus, at: datetime) -> None:
        today = self._is_today(at)
        for key in boards:
            board = self.boards[key]
            board.reached[status] += 1
            if today:
                board.reached_today[status] += 1

    def _count(self, boards: list[str], area: str, service_type: ServiceType,
               status: RequestStatus, delta: int) -> None:
        for key in boards:
            board = self.boards[key]
            board.current[status] += delta
            board.by_type[service_type.value][status.value] += delta
        for code in boards[1:]:
            counts = self.by_area.get(code)
            if counts is None:
                counts = self.by_area[code] = Counter()
            counts[status.value] += delta

    def _is_today(self, at: datetime) -> bool:
        day = at.astimezone(LOCAL_ZONE).date()
        if self.today is None or day > self.today:
            self._new_day(day)
        return day == self.today

    def _new_day(self, day: date) -> None:
        """Today's counts start again on every board: once a day, each is saved again."""
        self.today = day
        for board in self.boards.values():
            board.reached_today.clear()
        self.changed.update(self.boards)

    def _team(self, team_id: str, **deltas: int) -> None:
        team = self.teams.get(team_id)
        if team is not None:
            for name, delta in deltas.items():
                setattr(team, name, getattr(team, name) + delta)
            self.changed.update(team.boards)

    def _time(self, t: _Tracked, stage: str, at: datetime, since: datetime) -> None:
        point = TimingPoint.model_construct(at=at, seconds=(at - since).total_seconds())
        for key in t.boards:
            self.boards[key].timings[stage].append(point)

    def _remember(self, e: ev.RequestEvent, t: _Tracked) -> None:
        """Built without validation: every field is the board's own, already valid."""
        event = LiveEvent.model_construct(
            at=e.occurred_at, type=type(e).__name__, request_id=e.request_id, area=t.area,
            service_type=t.service_type.value, team_id=t.team_id, status=t.status,
        )
        for key in t.boards:
            self.boards[key].recent.append(event)

    def note_dead_letter(self) -> None:
        self.position += 1
        self.dead_letters += 1
        self.changed.add(EVERY_AREA)

    # -- reading -----------------------------------------------------------------------

    def changed_boards(self, now: datetime) -> dict[str, LiveSnapshot]:
        """The snapshot of every board that moved since the last call: by an event, by a
        request of it falling overdue with the clock alone, or by a new day. A board that
        did not move is the same as its last snapshot, so it is not built again."""
        if self.today is not None and now.astimezone(LOCAL_ZONE).date() > self.today:
            self._new_day(now.astimezone(LOCAL_ZONE).date())
        self.forget_closed(now)
        since = self.checked_at
        if since is not None and since < now:
            for _, request_id in self.root.by_due.irange((since, ""), (now, ""),
                                                         inclusive=(True, False)):
                self.changed.update(self.requests[request_id].boards)
        self.checked_at = now
        changed, self.changed = self.changed, set()
        return {key: self.snapshot(now, key or None) for key in sorted(changed)}

    def snapshot(self, now: datetime, scope: str | None = None) -> LiveSnapshot:
        """The board of a scope (None: the whole platform): a look-up of its own counts,
        lists and teams, never a scan of the requests."""
        key = scope or EVERY_AREA
        board = self.boards.get(key)
        if board is None:
            board = _Board(0, 0)
        overdue: list[LiveRequest] = []
        for due, request_id in board.by_due:
            if due >= now or len(overdue) == LISTED_MAX:
                break
            overdue.append(self._live(request_id, self.requests[request_id]))
        escalated = [self._live(request_id, self.requests[request_id])
                     for _, request_id in board.escalated.islice(0, LISTED_MAX)]
        areas = (self.by_area.items() if scope is None else
                 ((code, self.by_area[code]) for code in self.by_area.irange(
                     scope, scope + AFTER_DIGITS, inclusive=(True, False))))
        return LiveSnapshot(
            generated_at=now,
            position=self.position,
            events=self.events if scope is None else board.events,
            funnel=tuple(
                StageCount(status=s, today=board.reached_today[s], total=board.reached[s],
                           current=board.current[s])
                for s in FUNNEL
            ),
            by_area={code: _nonzero(c) for code, c in areas if +c},
            by_service_type={k: _nonzero(c) for k, c in sorted(board.by_type.items()) if +c},
            time_to_dispatch=_percentiles(board.timings["dispatch"]),
            time_to_accept=_percentiles(board.timings["accept"]),
            time_to_complete=_percentiles(board.timings["complete"]),
            overdue=tuple(overdue),
            escalated=tuple(escalated),
            recent=tuple(reversed(board.recent)),
            teams=tuple(sorted(
                (self._standing(team_id, team)
                 for team_id, team in (self.teams if scope is None else board.teams).items()),
                key=lambda s: (-s.completed, -(s.rating or 0), s.team_id),
            )),
            timings={k: tuple(v)[-CHARTED_MAX:] for k, v in board.timings.items()},
            programmes=self.programmes.of(key),
            dead_letters=self.dead_letters if scope is None else 0,
        )

    def _live(self, request_id: str, t: _Tracked) -> LiveRequest:
        return LiveRequest(
            request_id=request_id, service_type=ServiceType(t.service_type), area=t.area,
            area_name=self.area_names.get(t.area, t.area), status=t.status,
            urgency=Urgency(t.urgency), priority=t.priority, team_id=t.team_id,
            since=t.since, due=t.due, reason=t.reason,
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
