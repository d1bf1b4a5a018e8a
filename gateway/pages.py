"""The people's pages: static HTML, JS and CSS under `gateway/static/`, served by the gateway.

The pages are public (they hold no data); every API call they make carries the bearer token
the page took from its URL fragment or its login field. The files are read once, through
importlib.resources, when the app is built: a page is a few kilobytes, so memory is the
cheapest store, and a request can only ever reach a file that is in that table (no path is
joined from user input). Each file has a strong ETag and a pre-compressed gzip twin.

Headers: a Content-Security-Policy that lets scripts, styles and connections come only from
this origin (so an injected string can never run, and nothing is fetched from the internet);
`no-cache` (revalidate by ETag) for pages and our own assets, so a deploy is seen at once;
a year, immutable, for vendored files, whose paths carry their version.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

from aiohttp import web
from aiohttp.typedefs import Handler

PAGES = {
    "/staff": "staff.html",
    "/leader": "leader.html",
    "/resident": "resident.html",
    "/kiosk": "kiosk.html",
    "/volunteer": "volunteer.html",
    "/login": "login.html",
    "/pages": "index.html",
}
STATIC_PREFIX = "/static/"
STATIC_FILES_MAX = 200
STATIC_FILE_BYTES_MAX = 2_000_000
GZIP_MIN_BYTES = 512

CSP = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "connect-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
COMMON_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
REVALIDATE = "no-cache"
IMMUTABLE = "public, max-age=31536000, immutable"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
COMPRESSIBLE = (".html", ".js", ".css", ".svg", ".json", ".txt")


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None
    content_type: str
    etag: str
    cache_control: str


def _content_type(name: str) -> str:
    suffix = name[name.rfind("."):] if "." in name else ""
    return TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def _asset(path: str, body: bytes) -> Asset:
    gzipped = None
    if path.endswith(COMPRESSIBLE) and len(body) >= GZIP_MIN_BYTES:
        squeezed = gzip.compress(body, compresslevel=9, mtime=0)
        gzipped = squeezed if len(squeezed) < len(body) else None
    return Asset(
        body=body, gzipped=gzipped, content_type=_content_type(path),
        etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"',
        cache_control=IMMUTABLE if path.startswith("vendor/") else REVALIDATE,
    )


def load_assets(root: Traversable | None = None) -> dict[str, Asset]:
    """Every file under `gateway/static`, by its path relative to it ("vendor/x.js")."""
    base = root if root is not None else resources.files("gateway").joinpath("static")
    found: dict[str, Asset] = {}
    pending: list[tuple[str, Traversable]] = [("", base)]
    while pending:
        prefix, folder = pending.pop()
        if not folder.is_dir():
            continue
        for item in folder.iterdir():
            name = prefix + item.name
            if item.name.startswith("."):
                continue
            if item.is_dir():
                pending.append((name + "/", item))
                continue
            body = item.read_bytes()
            if len(body) > STATIC_FILE_BYTES_MAX:
                raise ValueError(f"static file {name} is larger than {STATIC_FILE_BYTES_MAX}")
            found[name] = _asset(name, body)
            if len(found) > STATIC_FILES_MAX:
                raise ValueError(f"more than {STATIC_FILES_MAX} static files")
    return found


ASSETS = web.AppKey("static_assets", dict[str, Asset])


def serve(request: web.Request, asset: Asset) -> web.Response:
    headers = {**COMMON_HEADERS, "Cache-Control": asset.cache_control, "ETag": asset.etag,
               "Vary": "Accept-Encoding"}
    if asset.etag in _etags(request.headers.get("If-None-Match", "")):
        return web.Response(status=304, headers=headers)
    body = asset.body
    if asset.gzipped is not None and "gzip" in request.headers.get("Accept-Encoding", ""):
        body = asset.gzipped
        headers["Content-Encoding"] = "gzip"
    headers["Content-Type"] = asset.content_type
    return web.Response(body=body, headers=headers)


def _etags(header: str) -> set[str]:
    # A gzip-aware proxy may add a suffix (W/"…", "…-gzip"); compare the bare tag.
    tags = set()
    for raw in header.split(","):
        tag = raw.strip().removeprefix("W/")
        if tag.endswith('-gzip"'):
            tag = tag[: -len('-gzip"')] + '"'
        tags.add(tag)
    return tags


def _page(file: str) -> Handler:
    async def page(request: web.Request) -> web.StreamResponse:
        asset = request.app[ASSETS].get(file)
        if asset is None:
            raise web.HTTPNotFound()
        return serve(request, asset)
    return page


async def static_file(request: web.Request) -> web.StreamResponse:
    asset = request.app[ASSETS].get(request.match_info["path"])
    if asset is None:
        raise web.HTTPNotFound()
    return serve(request, asset)


async def home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound("/pages")


def add_pages(app: web.Application) -> None:
    """GET /staff, /leader, /resident, /kiosk, /volunteer, /login, /pages (an index; `/`
    leads there) and /static/{path}."""
    app[ASSETS] = load_assets()
    for path, file in PAGES.items():
        app.router.add_get(path, _page(file))
    app.router.add_get("/", home)
    app.router.add_get(STATIC_PREFIX + "{path:.+}", static_file)
