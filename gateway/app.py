"""The gateway's app factory: routes, middlewares and the ports of a run mode."""

from __future__ import annotations

import asyncio
from importlib import metadata

from aiohttp import web

from gateway import (  # noqa: F401  (their routes join ROUTES as they are imported)
    activities,
    audit_trail,
    care,
    cases,
    catalog,
    certificates,
    hours,
    households,
    people,
    reports,
    residents,
    review_rules,
    roster,
    wishes,
)
from gateway.config import GatewayConfig
from gateway.errors import errors_middleware
from gateway.http import BUS, CONFIG, HEALTH, LIMITS, OPENAPI, SEALER, SESSIONS, VIEWS, bind
from gateway.metrics import METRICS, Metrics, metrics_middleware
from gateway.openapi import build_openapi
from gateway.pages import add_pages
from gateway.personal import Sealer
from gateway.ports import CommandBus, HealthCheck, KeyStore, RateLimits, Views
from gateway.routes import ROUTES
from gateway.sessions import Revocations
from gateway.stream import CLOSING, close_streams

__all__ = ["ROUTES", "create_app", "version"]
"""`ROUTES` here is the whole table: every module of routes has been imported."""


def version() -> str:
    try:
        return metadata.version("vdispatch")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def create_app(config: GatewayConfig, bus: CommandBus, views: Views, health: HealthCheck,
               limits: RateLimits, keys: KeyStore, metrics: Metrics | None = None
               ) -> web.Application:
    app = web.Application(
        middlewares=[metrics_middleware, errors_middleware],
        client_max_size=config.body_limit_bytes,
    )
    app[CONFIG] = config
    app[BUS] = bus
    app[VIEWS] = views
    app[HEALTH] = health
    app[LIMITS] = limits
    app[SEALER] = Sealer(keys)
    app[SESSIONS] = Revocations(config.revocation_cache_s)
    app[METRICS] = metrics or Metrics()
    app[OPENAPI] = build_openapi(ROUTES, version())
    app[CLOSING] = asyncio.Event()
    app.on_shutdown.append(close_streams)
    for r in ROUTES:
        app.router.add_route(r.method, r.path, bind(r))
    add_pages(app)
    return app
