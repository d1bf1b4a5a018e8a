"""The notification outbox (DESIGN §9): one-time codes leave the platform through a sender.

A code enters the log sealed, as part of the account's `CodeIssued` event; the outbox opens
it and hands it to the configured sender: `console` prints one line per message at once
(`[outbox] sms to PHONE: TEXT`, the delivery channel of a platform without an SMS gateway,
never a log line), `webhook` POSTs `{channel, to, text}` as JSON to a URL (the seam for an
SMS gateway or a WeChat service account). A refused send is retried with backoff up to
`retries_max` times, counted in `/metrics`, then set aside with a warning that names no
phone; a code already expired is not sent at all.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

import aiohttp
from prometheus_client import CollectorRegistry, Counter

from gateway.personal import ERASED, Sealer
from gateway.ports import KeyStore
from runtime.health import Backoff
from schemas.accounts import CodeIssued

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
                 retries_max: int, registry: CollectorRegistry | None = None) -> None:
        self.sent = Counter("vd_outbox_messages", "Messages the outbox handed to its sender, "
                            "by result", ["result"], registry=registry or CollectorRegistry())
        self.sender = sender
        self.sealer = Sealer(keys)
        self.clock = clock
        self.retries_max = retries_max

    async def deliver(self, event: object) -> None:
        """Send what an account event asks to send (only codes, so far)."""
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
        backoff = Backoff(first_s=0.5, max_s=30.0)
        for attempt in range(self.retries_max + 1):
            try:
                await self.sender.send("sms", phone, code_text(code, minutes))
                self.sent.labels("sent").inc()
                return
            except SendFailed as e:
                self.sent.labels("failed").inc()
                log.warning("the outbox could not send message %s (try %d): %s",
                            event.event_id, attempt + 1, e)
                if self.clock() >= event.expires_at:
                    break
                await backoff.wait()
        self.sent.labels("set_aside").inc()
        log.warning("the outbox set message %s aside", event.event_id)
