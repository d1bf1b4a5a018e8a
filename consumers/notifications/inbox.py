"""A fold of events into notifications for each person's inbox: leaders hear of new tasks,
residents of their request's progress, volunteers of the points they earned.

The fold keeps only what it needs to address a notification (a team's leader, an open
request's resident); the inboxes themselves live in the store, each bounded there.
"""

from __future__ import annotations

from uuid import UUID, uuid5

from schemas import events as ev
from schemas.base import Event
from schemas.views import Notification

STATUS_TEXT = {
    "RequestDispatched": ("您的需求已派单给志愿服务队", "Your request was dispatched to a team"),
    "RequestAccepted": ("志愿服务队已接单", "A team accepted your request"),
    "RequestCompleted": ("服务已完成，请评价", "The service is done: please review it"),
    "RequestEscalated": ("您的需求已转交文明实践中心处理", "Your request was passed to the office"),
    "RequestCancelled": ("您的需求已取消", "Your request was cancelled"),
}


NEW_TASK = ("有新的派单任务，请及时接单", "A new task was dispatched to your team")
REMINDER = ("派单任务即将超时，请尽快接单", "A task will time out soon: please accept it")
LAST_NOTICE = ("RequestCompleted", "RequestCancelled")
"""After these a resident hears nothing more of the request: its address is dropped."""


def status_notice(event: ev.RequestEvent) -> tuple[str, str]:
    """What a resident reads of a step of their request: once accepted, the service code
    the leader checks the volunteers in and out with."""
    zh, en = STATUS_TEXT[type(event).__name__]
    if isinstance(event, ev.RequestAccepted) and event.service_code:
        zh += f"。服务码 {event.service_code}：志愿者上门和离开时请告诉队长"
        en += (f". Service code {event.service_code}: tell the team leader when the "
               "volunteers arrive and leave")
    return zh, en


class Inboxes:
    def __init__(self) -> None:
        self.fresh: list[Notification] = []
        self.people_of_team: dict[str, tuple[str, ...]] = {}
        """Who hears of a team's new tasks: its leader and deputies."""
        self.resident_of_request: dict[str, str] = {}

    def drain_fresh(self) -> list[Notification]:
        """Notifications made since the last drain."""
        fresh, self.fresh = self.fresh, []
        return fresh

    def evolve(self, event: Event) -> None:
        if isinstance(event, ev.TeamRegistered):
            self.people_of_team[event.team_id] = (event.leader_id, *event.deputies)
        elif isinstance(event, ev.TeamChanged) and event.team_id in self.people_of_team:
            leader, *deputies = self.people_of_team[event.team_id]
            self.people_of_team[event.team_id] = (
                event.leader_id or leader,
                *(deputies if event.deputies is None else event.deputies))
        elif isinstance(event, ev.RequestSubmitted):
            self.resident_of_request[event.request_id] = event.resident_id
        if isinstance(event, ev.RequestDispatched):
            for n, person in enumerate(self.people_of_team.get(event.team_id, ())):
                self._send(event, person, "new_task", event.request_id,
                           NEW_TASK[0], NEW_TASK[1],
                           None if n == 0 else uuid5(event.event_id, person))
        if isinstance(event, ev.AcceptReminderDue):
            for n, person in enumerate(self.people_of_team.get(event.team_id, ())):
                self._send(event, person, "accept_reminder", event.request_id,
                           REMINDER[0], REMINDER[1],
                           None if n == 0 else uuid5(event.event_id, person))
        if isinstance(event, ev.RequestEvent) and type(event).__name__ in STATUS_TEXT:
            resident = self.resident_of_request.get(event.request_id)
            if resident is not None:
                zh, en = status_notice(event)
                self._send(event, resident, "request_status", event.request_id, zh, en)
            if type(event).__name__ in LAST_NOTICE:
                self.resident_of_request.pop(event.request_id, None)
        if isinstance(event, ev.PointsCredited):
            self._send(event, event.volunteer_id, "points_credited", event.request_id,
                       f"服务时长 {event.hours:g} 小时，获得 {event.points} 积分",
                       f"{event.hours:g} hours of service earned {event.points} points")

    def _send(self, event: Event, recipient: str, kind: str, request_id: str | None,
              zh: str, en: str, notification_id: UUID | None = None) -> None:
        """One notification; its id is the event's unless several people hear of it."""
        self.fresh.append(Notification.model_construct(
            notification_id=notification_id or event.event_id, at=event.occurred_at,
            recipient=recipient, kind=kind,
            request_id=request_id, text_zh=zh, text_en=en,
        ))
