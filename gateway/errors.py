"""One error shape for every failure: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from pydantic import ValidationError

from gateway.ports import Unavailable

log = logging.getLogger("vdispatch.gateway")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: Any = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers or {}


def error_response(status: int, code: str, message: str, details: Any = None,
                   headers: dict[str, str] | None = None) -> web.Response:
    body = {"error": {"code": code, "message": message, "details": details}}
    return web.json_response(body, status=status, headers=headers,
                             dumps=lambda o: json.dumps(o, ensure_ascii=False, default=str))


def validation_details(error: ValidationError) -> list[dict[str, Any]]:
    """Each invalid field by its path, with pydantic's message; input values are not echoed."""
    return [
        {"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"],
         "type": e["type"]}
        for e in error.errors(include_url=False, include_input=False)
    ]


STATUS_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
    422: "invalid", 429: "too_many_requests", 503: "unavailable",
}


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as e:
        return error_response(e.status, e.code, e.message, e.details, e.headers)
    except ValidationError as e:
        return error_response(422, "invalid", "some fields are invalid", validation_details(e))
    except Unavailable as e:
        return error_response(503, "unavailable", "the platform cannot take this now; retry",
                              {"reason": str(e)}, {"Retry-After": str(e.retry_after_s)})
    except web.HTTPRequestEntityTooLarge as e:
        return error_response(413, "too_large", "the body is too large", {"detail": e.text})
    except web.HTTPException as e:
        if e.status < 400:
            raise
        code = STATUS_CODES.get(e.status, "http_error")
        return error_response(e.status, code, e.reason, headers=_allow(e))
    except Exception:
        log.exception("unhandled error on %s %r", request.method, request.rel_url.path)
        return error_response(500, "internal_error", "something went wrong on our side")


def _allow(e: web.HTTPException) -> dict[str, str] | None:
    allow = e.headers.get("Allow")
    return {"Allow": allow} if allow else None
