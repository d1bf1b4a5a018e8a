"""The `vdispatch` command."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web

from gateway.auth import issue_token
from runtime.settings import Settings
from schemas.common import Role


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        port=getattr(args, "port", None),
        data_dir=getattr(args, "data_dir", None),
        host=getattr(args, "host", None),
    )


def _add_server_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--port", type=int, help="port to listen on (VD_PORT, default 8080)")
    p.add_argument("--host", help="address to bind (VD_HOST, default 127.0.0.1)")
    p.add_argument("--data-dir", type=Path, help="where the log lives (VD_DATA_DIR)")


def cmd_serve(args: argparse.Namespace, demo: bool = False) -> int:
    from runtime.bootstrap import embedded_app

    settings = _settings(args)
    if settings.mode != "embedded":
        print("serve and demo run the embedded mode; for VD_MODE=kafka start "
              "`vdispatch gateway` and `vdispatch worker ...`", file=sys.stderr)
        return 2
    app = embedded_app(settings)
    if demo:
        from runtime.demo import seed_in_background

        app.cleanup_ctx.append(seed_in_background)
    print(f"vdispatch (embedded) on http://{settings.host}:{settings.port}  "
          f"data: {settings.data_dir}", file=sys.stderr)
    web.run_app(app, host=settings.host, port=settings.port, print=None,
                access_log=None, handle_signals=True, shutdown_timeout=5)
    return 0


def cmd_gateway(args: argparse.Namespace) -> int:
    from runtime.bootstrap import kafka_gateway_app

    settings = _settings(args)
    if settings.mode != "kafka":
        print("the gateway runs the scaled mode: set VD_MODE=kafka, VD_KAFKA_BOOTSTRAP and "
              "VD_REDIS_URL (for one process, use `vdispatch serve`)", file=sys.stderr)
        return 2
    print(f"vdispatch gateway (kafka {settings.kafka_bootstrap}, {settings.redis_url}) on "
          f"http://{settings.host}:{settings.port}", file=sys.stderr)
    web.run_app(kafka_gateway_app(settings), host=settings.host, port=settings.port,
                print=None, access_log=None, handle_signals=True, shutdown_timeout=5)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from runtime.bootstrap import settle_heap
    from runtime.faust_app import Workers

    settings = _settings(args)
    if settings.mode != "kafka":
        print("workers run the scaled mode: set VD_MODE=kafka", file=sys.stderr)
        return 2
    settle_heap()
    Workers(settings, args.role).run()
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    from runtime.admin import account_channel
    from runtime.bootstrap import gateway_config
    from runtime.demo import seed_running

    settings = _settings(args)
    base_url = args.url or f"http://{settings.host}:{settings.port}"
    try:
        asyncio.run(seed_running(base_url, gateway_config(settings),
                                 lambda: account_channel(settings), args.wait_s))
    except RuntimeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


def cmd_topics(args: argparse.Namespace) -> int:
    from runtime.topics_tool import main as topics

    return topics([args.action])


def cmd_token(args: argparse.Namespace) -> int:
    settings = _settings(args)
    try:
        token = issue_token(settings.key_ring(), Role(args.role), args.subject,
                            datetime.now(UTC), args.ttl_s or settings.token_ttl_s,
                            scope=args.scope)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(token)
    return 0


def cmd_create_staff(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from runtime.admin import create_staff
    from schemas.api_accounts import StaffIn

    try:
        staff = StaffIn(staff_id=args.id, name=args.name, phone=args.phone, scope=args.scope)
    except ValidationError as e:
        for error in e.errors():
            print(f"error: --{error['loc'][0]}: {error['msg']}".replace("--staff_id", "--id"),
                  file=sys.stderr)
        return 2
    password = asyncio.run(create_staff(_settings(args), staff.staff_id, staff.name,
                                        staff.phone, staff.scope))
    print(f"staff: {staff.staff_id}  scope: {staff.scope}  phone: {staff.phone}")
    print(f"password: {password}")
    print("(a one-time password: the first sign-in must change it)", file=sys.stderr)
    return 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    from runtime.rebuild import rebuild

    return asyncio.run(rebuild(_settings(args)))


def cmd_schemas_export(args: argparse.Namespace) -> int:
    from schemas.export import export_json_schemas

    written = export_json_schemas(args.out)
    print(json.dumps({"written": len(written), "dir": str(args.out)}))
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="vdispatch", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="start an empty embedded platform")
    _add_server_options(serve)
    serve.set_defaults(run=cmd_serve)

    demo = sub.add_parser("demo", help="start the embedded platform with a demo district")
    _add_server_options(demo)
    demo.set_defaults(run=lambda a: cmd_serve(a, demo=True))

    seed = sub.add_parser("seed", help="seed the demo district into a running platform (either "
                          "mode) through its API, and print who can log in")
    seed.add_argument("--url", help="the platform's address (default http://VD_HOST:VD_PORT)")
    seed.add_argument("--wait-s", type=float, default=30.0,
                      help="how long to wait for the platform to answer")
    seed.set_defaults(run=cmd_seed)

    gateway = sub.add_parser("gateway", help="a gateway of the scaled mode (VD_MODE=kafka)")
    _add_server_options(gateway)
    gateway.set_defaults(run=cmd_gateway)

    worker = sub.add_parser("worker", help="a worker of the scaled mode (VD_MODE=kafka)")
    worker.add_argument("role", choices=["dispatcher", "activities", "ledger", "live"])
    worker.set_defaults(run=cmd_worker)

    topics = sub.add_parser("topics", help="create or show the Kafka topics")
    topics.add_argument("action", choices=["create", "show"])
    topics.set_defaults(run=cmd_topics)

    token = sub.add_parser("token", help="print a signed bearer token")
    token.add_argument("--role", required=True,
                       choices=[r.value for r in Role if r is not Role.SYSTEM])
    token.add_argument("--subject", required=True, help="the person's or kiosk's id")
    token.add_argument("--ttl-s", type=int, help="lifetime in seconds")
    token.add_argument("--scope", help="a staff token's area scope (default: every area)")
    token.add_argument("--data-dir", type=Path)
    token.set_defaults(run=cmd_token)

    admin = sub.add_parser("admin", help="operators' account tools")
    admin_sub = admin.add_subparsers(dest="admin_command", required=True)
    create = admin_sub.add_parser("create-staff", help="create a staff account (the first "
                                  "of a deployment) and print its one-time password; works "
                                  "whether the platform runs or not")
    create.add_argument("--id", required=True, help="the staff member's id, e.g. S001")
    create.add_argument("--name", required=True)
    create.add_argument("--phone", required=True, help="a mainland mobile number")
    create.add_argument("--scope", required=True, help="an area code: 430511 (a county "
                        "office), 430511001 (a town's station) ...")
    create.add_argument("--data-dir", type=Path)
    create.set_defaults(run=cmd_create_staff)

    rebuild = sub.add_parser("rebuild", help="rebuild derived state from the log")
    rebuild.add_argument("--data-dir", type=Path)
    rebuild.set_defaults(run=cmd_rebuild)

    schemas = sub.add_parser("schemas", help="the contract's JSON Schemas")
    schemas_sub = schemas.add_subparsers(dest="schemas_command", required=True)
    export = schemas_sub.add_parser("export", help="write a JSON Schema file per model")
    export.add_argument("--out", type=Path, default=Path("json-schemas"))
    export.set_defaults(run=cmd_schemas_export)

    args = parser.parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
