"""The bare baseline: an aiohttp app whose POST handler reads the body and answers 202.

It runs as its own process, started and served exactly like the platform (`web.run_app`, no
access log, loopback), so that the ratio of the two rates shows what the product's path costs
on top of aiohttp itself: `python -m benchmarks.bare PORT`.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
from aiohttp import web

from benchmarks.common import REPO

ANSWER = b'{"status":"accepted"}'


async def accept(request: web.Request) -> web.Response:
    """Read the body as the platform must, then answer without doing anything with it."""
    await request.read()
    return web.Response(body=ANSWER, status=202, content_type="application/json")


async def healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok")


def create_app() -> web.Application:
    app = web.Application()
    app.router.add_post("/api/v1/requests", accept)
    app.router.add_get("/healthz", healthz)
    return app


class BareServer:
    """The bare app as a child process on a given loopback port."""

    def __init__(self, port: int, log_path: Path) -> None:
        self.port = port
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.bare", str(self.port)],
            stdout=log, stderr=subprocess.STDOUT, cwd=REPO,
        )

    async def wait_ready(self, timeout_s: float = 20.0) -> None:
        deadline = time.monotonic() + timeout_s
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                try:
                    async with session.get(self.base_url + "/healthz") as r:
                        if r.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise TimeoutError(f"the bare app did not start in {timeout_s}s; see {self.log_path}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=int(sys.argv[1]), print=None,
                access_log=None, handle_signals=True, shutdown_timeout=5)
