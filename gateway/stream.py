"""The live stream (server-sent events) of the office's board.

Each message is a whole snapshot, sent at most once per `live_coalesce_s` and only when the
flow moved, so a busy platform costs the stream a bounded rate and a client that reconnects
(with Last-Event-ID or not) is complete again with the very next message: no gaps, no doubles.
The flow moves with every event, and also with the clock alone: a request passes its service
window without any event, and must show up in the overdue list all the same.
"""

from __future__ import annotations

import asyncio
import contextlib

from aiohttp import web

from gateway.http import Call
from schemas.views import LiveSnapshot

HEARTBEAT_S = 15.0
POLL_S = 1.0
RETRY_MS = 2000
CLOSING = web.AppKey("streams_closing", asyncio.Event)


async def close_streams(app: web.Application) -> None:
    """On shutdown, end every open stream at once instead of waiting for its heartbeat."""
    app[CLOSING].set()


def moved(snapshot: LiveSnapshot) -> tuple[object, ...]:
    """What a client must see change: new events, a request newly overdue, a dead letter."""
    return (snapshot.position, snapshot.dead_letters,
            tuple(r.request_id for r in snapshot.overdue))


async def live_stream(call: Call) -> web.StreamResponse:
    response = web.StreamResponse(headers={
        "Content-Type": "text/event-stream; charset=utf-8",
        "Cache-Control": "no-cache, no-transform",
        "X-Accel-Buffering": "no",
    })
    await response.prepare(call.request)
    await response.write(f"retry: {RETRY_MS}\n\n".encode())
    views, config, scope = call.views, call.config, call.who.scope
    closing = call.request.app[CLOSING]
    transport = call.request.transport
    sent: tuple[object, ...] = ()
    position = -1
    quiet_s = 0.0
    with contextlib.suppress(ConnectionResetError, asyncio.CancelledError):
        while not closing.is_set() and transport is not None and not transport.is_closing():
            snapshot = await views.live(config.clock(), scope)
            now_moved = moved(snapshot)
            if now_moved != sent:
                body = snapshot.model_dump_json()
                await response.write(
                    f"id: {snapshot.position}\nevent: snapshot\ndata: {body}\n\n".encode())
                sent, position = now_moved, snapshot.position
                quiet_s = 0.0
                await asyncio.sleep(config.live_coalesce_s)
                continue
            await views.live_moved(position, POLL_S, scope)
            quiet_s += POLL_S
            if quiet_s >= HEARTBEAT_S:
                await response.write(b": keep-alive\n\n")
                quiet_s = 0.0
    return response
