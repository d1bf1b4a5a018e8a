"""How the gateway serves the pages, over plain HTTP (no browser needed).

The pages are public HTML with a Content-Security-Policy that lets scripts, styles and
connections come from this origin only; assets revalidate by ETag (304), vendored files are
cached for a year, text is served gzipped to clients that ask, `/` leads to the index, and
nothing outside the static folder can be reached through /static/.
"""

from __future__ import annotations

import gzip

import aiohttp
from harness import Platform

PAGES = ("/staff", "/leader", "/resident", "/kiosk", "/volunteer", "/login", "/pages")
VENDORED = "/static/vendor/uplot-1.6.32/uPlot.iife.min.js"


async def test_pages_are_public_html_with_a_strict_policy(platform: Platform,
                                                          http: aiohttp.ClientSession) -> None:
    for path in PAGES:
        async with http.get(platform.base_url + path) as r:
            assert r.status == 200, path
            assert r.content_type == "text/html"
            csp = r.headers["Content-Security-Policy"]
            for directive in ("default-src 'none'", "script-src 'self'", "style-src 'self'",
                              "connect-src 'self'", "frame-ancestors 'none'"):
                assert directive in csp, (path, directive)
            assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
            assert r.headers["X-Content-Type-Options"] == "nosniff"
            assert r.headers["Cache-Control"] == "no-cache"
            html = await r.text()
            assert "<script" in html and "http://" not in html and "https://" not in html


async def test_assets_revalidate_compress_and_stay_inside_the_static_folder(
    platform: Platform, http: aiohttp.ClientSession,
) -> None:
    base = platform.base_url
    async with http.get(base + "/static/vd.js") as r:
        assert r.status == 200
        assert r.content_type == "text/javascript"
        etag = r.headers["ETag"]
        plain = await r.read()
    async with http.get(base + "/static/vd.js", headers={"If-None-Match": etag}) as r:
        assert r.status == 304
    async with http.get(base + "/static/vd.js", headers={"Accept-Encoding": "gzip"},
                        auto_decompress=False) as r:
        assert r.headers["Content-Encoding"] == "gzip"
        assert gzip.decompress(await r.read()) == plain
    async with http.get(base + VENDORED) as r:
        assert r.status == 200
        assert "immutable" in r.headers["Cache-Control"]
    for path in ("/static/../pages.py", "/static/%2e%2e/pages.py", "/static/nope.js",
                 "/static/vendor"):
        async with http.get(base + path) as r:
            assert r.status == 404, path
    async with http.get(base + "/", allow_redirects=False) as r:
        assert r.status == 302
        assert r.headers["Location"] == "/pages"
