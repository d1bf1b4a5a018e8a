"""The notification outbox (DESIGN §9): one-time codes and notices leave the platform through
a sender.

A code enters the log sealed, as part of the account's `CodeIssued` event; the outbox opens
it and hands it to the configured sender: `console` prints one line per message at once
(`[outbox] sms to PHONE: TEXT`, the delivery channel of a platform without an SMS gateway,
never a log line), `webhook` POSTs `{channel, to, text}` as JSON to a URL (the seam for an
SMS gateway or a WeChat service account). A refused send is retried with backoff up to
`retries_max` times, counted in `/metrics`, then set aside with a warning that names no
phone and a record staff read (`GET /api/v1/outbox/failures`, the phone masked); a code
already expired is not sent at all.

Notices are texted to whoever has a phone on an account holding the recipient's grant (the
accounts owner keeps `role:subject` → account): a team's leader and deputies hear of a new
task, a resident of their request's progress, a volunteer of the points they earned, in the
words of their in-app inbox (which has every notice, texted or not), and the team is reminded
when its accept deadline is near. The recipients come
from the views at the time of the event, so this needs no state of its own; a notice of an
event older than `fresh_s` (a first start over a long log, a consumer resuming far back) is
not texted.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol
from uuid import NAMESPACE_URL, uuid5

import aiohttp
from prometheus_client import CollectorRegistry, Counter

from consumers.notifications.inbox import NEW_TASK, REMINDER, STATUS_TEXT, status_notice
from gateway.masking import mask_phone
from gateway.personal import ERASED, Sealer
from gateway.ports import FAILED_SENDS, KeyStore, Views
from runtime.health import Backoff
from runtime.ports import Store
from schemas import events as ev
from schemas.accounts import CodeIssued, PersonAccount
from schemas.common import Role
from schemas.views import Notification

log = logging.getLogger("vdispatch.outbox")
WEBHOOK_TIMEOUT_S = 10.0


class SendFailed(Exception):
    pass


class Sender(Protocol):
    async def send(self, channel: str, to: str, text: str) -> None:
        """Deliver one message; raise `SendFailed` when the channel refuses it."""


class ConsoleSender:
    async def send(self, channel: str, to: str, text: str) -> None:
        sys.stdout.write(f"[outbox] {channel} to {to}: {text}\n")
        sys.stdout.flush()


class WebhookSender:
    def __init__(self, url: str) -> None:
        self.url = url

    async def send(self, channel: str, to: str, text: str) -> None:
        timeout = aiohttp.ClientTimeout(total=WEBHOOK_TIMEOUT_S)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as http, http.post(
                    self.url, json={"channel": channel, "to": to, "text": text}) as reply:
                if reply.status >= 300:
                    raise SendFailed(f"the webhook answered {reply.status}")
        except (aiohttp.ClientError, TimeoutError) as e:
            raise SendFailed(f"the webhook did not answer: {e!r}") from e


def sender_for(kind: str, webhook_url: str) -> Sender:
    if kind == "webhook":
        if not webhook_url:
            raise ValueError("VD_OUTBOX_SENDER=webhook needs VD_OUTBOX_WEBHOOK_URL")
        return WebhookSender(webhook_url)
    return ConsoleSender()


def code_text(code: str, minutes: int) -> str:
    return f"【志愿服务】您的验证码是 {code}，{minutes} 分钟内有效。请勿告诉他人。"


class Outbox:
    def __init__(self, sender: Sender, keys: KeyStore, clock: Callable[[], datetime],
                 retries_max: int, registry: CollectorRegistry | None = None,
                 fresh_s: float = 600.0, store: Store | None = None,
                 failures_kept: int = 100) -> None:
        self.fresh_s = fresh_s
        self.store = store
        self.failures_kept = failures_kept
        self.sent = Counter("vd_outbox_messages", "Messages the outbox handed to its sender, "
                            "by result", ["result"], registry=registry or CollectorRegistry())
        self.sender = sender
        self.sealer = Sealer(keys)
        self.clock = clock
        self.retries_max = retries_max

    async def deliver(self, event: object) -> None:
        """Send the one-time code an account event carries."""
        if not isinstance(event, CodeIssued):
            return
        now = self.clock()
        if event.expires_at <= now:
            return
        opened = await self.sealer.opened([event.account_id])
        phone = opened.open(event.account_id, "phone", event.phone)
        code = opened.open(event.account_id, "code", event.code)
        if not phone or not code or ERASED in (phone, code):
            return
        minutes = max(1, round((event.expires_at - now).total_seconds() / 60))
        await self._send(str(event.event_id), phone, code_text(code, minutes),
                         event.expires_at)

    async def notify(self, event: object, views: Views) -> None:
        """Text the notices an event of the flow makes, to those with a phone."""
        if not isinstance(event, ev.RequestEvent | ev.PointsCredited):
            return
        now = self.clock()
        if (now - event.occurred_at).total_seconds() > self.fresh_s:
            return
        for role, subject, text in await notices_for(event, views):
            account = await views.contact(role, subject)
            phone = await self._phone_of(account)
            if phone is not None:
                await self._send(f"{event.event_id}:{subject}", phone, f"【志愿服务】{text}",
                                 now + timedelta(seconds=self.fresh_s))

    async def _phone_of(self, account: PersonAccount | None) -> str | None:
        if account is None or not account.opened or account.phone is None:
            return None
        opened = await self.sealer.opened([account.account_id])
        phone = opened.open(account.account_id, "phone", account.phone)
        return None if not phone or phone == ERASED else phone

    async def _send(self, message: str, phone: str, text: str, until: datetime) -> None:
        """Hand one message to the sender, retried with backoff while it is worth it."""
        backoff = Backoff(first_s=0.5, max_s=30.0)
        reason = ""
        for attempt in range(self.retries_max + 1):
            try:
                await self.sender.send("sms", phone, text)
                self.sent.labels("sent").inc()
                return
            except SendFailed as e:
                reason = str(e)
                self.sent.labels("failed").inc()
                log.warning("the outbox could not send message %s (try %d): %s",
                            message, attempt + 1, e)
                if self.clock() >= until:
                    break
                await backoff.wait()
        self.sent.labels("set_aside").inc()
        log.warning("the outbox set message %s aside", message)
        if self.store is not None:
            to = mask_phone(phone) or "?"
            await self.store.notify([Notification(
                notification_id=uuid5(NAMESPACE_URL, f"set-aside:{message}"), at=self.clock(),
                recipient=FAILED_SENDS, kind="send_failed",
                text_zh=f"短信未能送达 {to}：{reason}", text_en=f"A text to {to} failed: {reason}",
            )], self.failures_kept)


async def notices_for(event: ev.RequestEvent | ev.PointsCredited, views: Views
                      ) -> list[tuple[Role, str, str]]:
    """Who hears of an event, as which role, and what they read (the inbox's words)."""
    if isinstance(event, ev.PointsCredited):
        return [(Role.VOLUNTEER, event.volunteer_id,
                 f"服务时长 {event.hours:g} 小时，获得 {event.points} 积分")]
    found: list[tuple[Role, str, str]] = []
    if isinstance(event, ev.RequestDispatched | ev.AcceptReminderDue):
        team = await views.team(event.team_id)
        words = NEW_TASK if isinstance(event, ev.RequestDispatched) else REMINDER
        if team is not None:
            found += [(Role.LEADER, person, words[0])
                      for person in (team.leader_id, *team.deputies)]
    if isinstance(event, ev.RequestEvent) and type(event).__name__ in STATUS_TEXT:
        request = await views.request(event.request_id)
        if request is not None:
            found.append((Role.RESIDENT, request.resident_id, status_notice(event)[0]))
    return found
