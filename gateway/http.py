"""The route table, and the steps every route shares: authenticate, parse, send, answer.

Routes are declared with their roles, body and answer models; the same table builds the
aiohttp router and the OpenAPI document, so the document cannot drift from the code.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID, uuid4

from aiohttp import web
from pydantic import BaseModel, ValidationError

from gateway.auth import BadToken, Principal, verify_token
from gateway.config import GatewayConfig
from gateway.errors import ApiError, validation_details
from gateway.personal import Sealer
from gateway.ports import CommandBus, HealthCheck, RateLimits, Views
from gateway.sessions import Revocations
from schemas.api import PendingOut
from schemas.audit import RecordAudit
from schemas.base import Actor, Command, CommandOutcome
from schemas.common import Role, county_of, within

B = TypeVar("B", bound=BaseModel)
AUDIT_LOG = logging.getLogger("vdispatch.audit")

CONFIG = web.AppKey("config", GatewayConfig)
BUS = web.AppKey("bus", CommandBus)
VIEWS = web.AppKey("views", Views)
HEALTH = web.AppKey("health", HealthCheck)
LIMITS = web.AppKey("limits", RateLimits)
SEALER = web.AppKey("sealer", Sealer)
OPENAPI = web.AppKey("openapi", dict[str, Any])
SESSIONS = web.AppKey("sessions", Revocations)
PASSWORD_FREE = frozenset({"/api/v1/auth/password", "/api/v1/me"})
"""What a session opened with a one-time password may call until the password is changed."""

KIND_STATUS = {"invalid": 422, "not_found": 404, "forbidden": 403, "conflict": 409}
IDEMPOTENCY_KEY_MAX = 200
AREA_CODE = re.compile(r"[0-9]{6}(?:[0-9]{3}){0,3}")
JSON_DEPTH_MAX = 8
"""No body of the contract nests deeper than 3; anything much deeper is not a client of it."""


@dataclass
class Call:
    """One HTTP call as a route handler sees it."""

    request: web.Request
    principal: Principal | None
    body: Any = None
    area: str | None = None
    """The area of the object the call acts on, as its scope check saw it (for the audit)."""
    read_of: tuple[str, str] | None = None
    """A staff read of someone's contact details: (object kind, id), to audit."""

    @property
    def config(self) -> GatewayConfig:
        return self.request.app[CONFIG]

    @property
    def views(self) -> Views:
        return self.request.app[VIEWS]

    @property
    def bus(self) -> CommandBus:
        return self.request.app[BUS]

    @property
    def sealer(self) -> Sealer:
        return self.request.app[SEALER]

    @property
    def limits(self) -> RateLimits:
        return self.request.app[LIMITS]

    async def limit(self, rule: str, key: str, limit: int, window_s: int) -> None:
        """Count an attempt against a limit; over it, 429 with Retry-After (0: no limit)."""
        if limit <= 0:
            return
        retry_after_s = await self.request.app[LIMITS].hit(rule, key, limit, window_s)
        if retry_after_s is not None:
            raise ApiError(429, "too_many_requests", "too many attempts; try again later",
                           {"rule": rule, "limit": limit, "window_s": window_s,
                            "retry_after_s": int(retry_after_s)},
                           headers={"Retry-After": str(int(retry_after_s))})

    @property
    def who(self) -> Principal:
        assert self.principal is not None
        return self.principal

    def sees(self, area: str) -> bool:
        """Whether the caller's scope contains an area (only staff have a scope)."""
        return within(area, self.who.scope)

    def visible(self, area: str, kind: str = "object") -> None:
        """Outside the caller's scope an object is answered as if it did not exist."""
        self.area = area
        if not self.sees(area):
            raise ApiError(404, "not_found", f"no such {kind}")

    def creates_in(self, area: str) -> None:
        """Naming an area outside the scope in a creation is 403, before it is looked up."""
        self.area = area
        if not self.sees(area):
            raise ApiError(403, "out_of_scope", "this area is outside your scope",
                           {"area": area, "scope": self.who.scope})

    async def registers_in(self, area: str) -> None:
        """A registration's area: in the caller's scope (403) and registered (422)."""
        self.creates_in(area)
        if await self.views.area(area) is None:
            raise ApiError(422, "unknown_area", f"no area {area}", {"field": "area"})

    def listed_area(self) -> str | None:
        """A list's `?area=`, or the caller's scope: an area code within the scope."""
        area = self.request.query.get("area") or self.who.scope
        if area is not None:
            if not AREA_CODE.fullmatch(area):
                raise ApiError(400, "bad_area", "area must be an area code")
            self.creates_in(area)
        return area

    @property
    def public_base(self) -> str:
        """The platform's address as people reach it, for links a phone opens (a QR code):
        `VD_PUBLIC_URL`, else the address this call came to."""
        return self.config.public_url.rstrip("/") or str(self.request.url.origin())

    @property
    def actor(self) -> Actor:
        return Actor(role=self.who.role, subject=self.who.subject, scope=self.who.scope)

    def match(self, name: str) -> str:
        return self.request.match_info[name]

    @functools.cached_property
    def command_id(self) -> UUID:
        """From the Idempotency-Key (the same key gives the same command), else a new one.

        Keyed by the secret, the caller and the route, so one caller cannot guess another's.
        """
        key = self.request.headers.get("Idempotency-Key")
        if key is None:
            return uuid4()
        if not key or len(key) > IDEMPOTENCY_KEY_MAX or not key.isprintable():
            raise ApiError(400, "bad_idempotency_key",
                           f"Idempotency-Key must be 1-{IDEMPOTENCY_KEY_MAX} printable characters")
        who = self.who
        scope = f"{who.role}|{who.subject}|{self.request.method}|{self.request.path}|{key}"
        digest = hmac.new(self.config.secret.encode(), scope.encode(), hashlib.sha256).digest()
        return UUID(bytes=digest[:16], version=5)

    def envelope(self) -> dict[str, Any]:
        command_id = self.command_id
        return {
            "command_id": command_id,
            "occurred_at": self.config.clock(),
            "correlation_id": command_id,
            "actor": self.actor,
            "fingerprint": self.fingerprint(),
        }

    def fingerprint(self) -> str:
        body = self.body.model_dump(mode="json") if isinstance(self.body, BaseModel) else None
        raw = json.dumps([self.request.path, body], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(raw.encode()).hexdigest()

    def redeem_code(self, command_id: UUID) -> str:
        """An 8-digit redeem code derived from the command that issues it (a retried
        command gives the same code), keyed by the secret so no one can foresee it."""
        seed = hmac.new(self.config.secret.encode(), command_id.bytes, hashlib.sha256).digest()
        return f"{int.from_bytes(seed[:8], 'big') % 10**8:08d}"

    def code_hash(self, volunteer_id: str, code: str) -> str:
        """Redeem codes travel and rest only as keyed hashes."""
        message = f"redeem|{volunteer_id}|{code}".encode()
        return hmac.new(self.config.secret.encode(), message, hashlib.sha256).hexdigest()


Handler = Callable[[Call], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    summary: str
    roles: frozenset[str] | None
    body: type[BaseModel] | None = None
    answer: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    tag: str = "platform"
    query: tuple[tuple[str, str], ...] = field(default=())
    content_type: str = "application/json"


def depth_of(data: object) -> int:
    """How deeply a parsed JSON value nests (an object of scalars is 1), without recursion."""
    deepest, level = 0, [(data, 1)]
    while level:
        value, depth = level.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth)
            children = value.values() if isinstance(value, dict) else value
            level.extend((child, depth + 1) for child in children)
    return deepest


def authenticate(request: web.Request) -> Principal:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "unauthorized", "a bearer token is required",
                       headers={"WWW-Authenticate": 'Bearer realm="vdispatch"'})
    try:
        return verify_token(request.app[CONFIG].keys, token.strip())
    except BadToken as e:
        raise ApiError(401, "unauthorized", "the token is invalid or expired",
                       headers={"WWW-Authenticate": 'Bearer error="invalid_token"'}) from e


def optional_principal(request: web.Request) -> Principal | None:
    """The caller of a public route, if they sent a token (which must then be valid)."""
    if "Authorization" not in request.headers:
        return None
    return authenticate(request)


async def parse_body(request: web.Request, model: type[B]) -> B:
    if request.content_length is not None and request.content_length > (
        request.app[CONFIG].body_limit_bytes
    ):
        raise ApiError(413, "too_large", "the body is too large",
                       {"limit_bytes": request.app[CONFIG].body_limit_bytes})
    raw = await request.read()
    if not raw.strip():
        raise ApiError(400, "bad_request", "a JSON body is required")
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ApiError(400, "malformed_json", "the body is not valid JSON",
                       {"position": getattr(e, "pos", None)}) from e
    except RecursionError as e:
        raise ApiError(400, "too_deep", "the body is nested too deeply",
                       {"depth_max": JSON_DEPTH_MAX}) from e
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", "the body must be a JSON object")
    if depth_of(data) > JSON_DEPTH_MAX:
        raise ApiError(400, "too_deep", "the body is nested too deeply",
                       {"depth_max": JSON_DEPTH_MAX})
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise ApiError(422, "invalid", "some fields are invalid", validation_details(e)) from e


def bind(r: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def endpoint(request: web.Request) -> web.StreamResponse:
        principal = None
        if r.roles is not None:
            principal = authenticate(request)
            if principal.role.value not in r.roles:
                raise ApiError(403, "forbidden", "this role may not do this",
                               {"role": principal.role.value, "allowed": sorted(r.roles)})
            if not await request.app[SESSIONS].is_open(request.app[VIEWS], principal,
                                                       request.app[CONFIG].clock()):
                raise ApiError(401, "unauthorized", "the session has ended: sign in again",
                               headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
            if principal.must_change_password and r.path not in PASSWORD_FREE:
                raise ApiError(403, "password_change_required",
                               "change the one-time password first (POST /api/v1/auth/password)")
        call = Call(request, principal)
        if r.body is not None:
            call.body = await parse_body(request, r.body)
        response = await r.handler(call)
        if principal is not None and principal.role is Role.STAFF and response.status < 400 and (
                r.method != "GET" or call.read_of is not None):
            await audit(call, r)
        return response
    endpoint.__name__ = r.handler.__name__
    return endpoint


def answer(model: BaseModel, status: int = 200) -> web.Response:
    return web.Response(
        body=model.model_dump_json().encode(), status=status, content_type="application/json"
    )


def rejection_error(outcome: CommandOutcome) -> ApiError:
    assert outcome.rejection is not None
    r = outcome.rejection
    return ApiError(KIND_STATUS[r.kind], r.code, r.message, r.details or None)


CommandBuilder = Callable[[], Awaitable[Command]]


async def execute(call: Call, build: Command | CommandBuilder) -> CommandOutcome | web.Response:
    """Send a command to its owner and wait briefly for the answer.

    A retry with the same Idempotency-Key gets the first answer before any check runs again
    (the world may have moved on since). Every answer names the fingerprint of the command it
    answers, so the same key with a different body is refused however close together the two
    calls come: the log takes one command per id, and the other caller hears an answer that
    is not for its body. Without an answer in time the caller gets 202 and a URL to poll.
    """
    bus = call.bus
    outcome = None
    if "Idempotency-Key" in call.request.headers:
        outcome = await bus.outcome(call.command_id, 0)
    if outcome is None:
        command = build if isinstance(build, Command) else await build()
        await bus.send(command)
        outcome = await bus.outcome(command.command_id, call.config.outcome_wait_s)
    if outcome is None:
        pending = PendingOut(command_id=call.command_id,
                             status_url=f"/api/v1/commands/{call.command_id}")
        return answer(pending, 202)
    if outcome.fingerprint != call.fingerprint():
        raise ApiError(422, "idempotency_key_reused",
                       "this Idempotency-Key was used with a different request")
    if not outcome.ok:
        raise rejection_error(outcome)
    return outcome


def _object_of(call: Call, r: Route) -> tuple[str, str]:
    """What a call acted on: the kind from the path, the id from the path or the body."""
    if call.read_of is not None:
        return call.read_of
    kind = r.path.removeprefix("/api/v1/").split("/")[0].removesuffix("s")
    if call.request.match_info:
        return kind, next(iter(call.request.match_info.values()))[:80]
    if isinstance(call.body, BaseModel):
        for name, value in call.body.model_dump().items():
            if name.endswith(("_id", "code")) and isinstance(value, str):
                return kind, value[:80]
    return kind, ""


async def audit(call: Call, r: Route) -> None:
    """Record a staff write or a read of contact details (DESIGN §9). The answer is sent
    whatever becomes of the record: the write it records has happened; an unavailable log
    is logged and counted, never turned into a failed call."""
    kind, object_id = _object_of(call, r)
    area = call.area
    scope = call.who.scope
    county = county_of(area) if area else county_of(scope) if scope else "all"
    command_id = uuid4()
    action = f"{'read' if call.read_of else r.method} {r.path}"[:120]
    command = RecordAudit(command_id=command_id, occurred_at=call.config.clock(),
                          correlation_id=command_id, actor=call.actor, county=county,
                          audit_id=command_id, action=action, object_kind=kind[:40],
                          object_id=object_id, area=area)
    try:
        await call.bus.send(command)
    except Exception:
        AUDIT_LOG.exception("an audit record could not be written (%s)", action)
