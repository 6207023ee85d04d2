"""/docs and /redoc work offline: every asset comes from this server, no script is inline, and
under a strict Content-Security-Policy (`script-src 'self'`) both pages still render."""

from __future__ import annotations

import re

import httpx
import pytest
from browser import chromium_page

from service.local_server import LocalServer

STRICT = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " \
         "img-src 'self' data:; worker-src 'self' blob:"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("docs")
    server = LocalServer({"EHC_STORE": "sqlite", "EHC_DATA_DIR": str(data)}, workers=1).start()
    yield server.base
    server.stop()


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_pages_hold_no_inline_script_and_load_only_local_assets(server, page):
    html = httpx.get(server + page).text
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="/' in attributes and not body.strip()
                           for attributes, body in scripts), scripts
    for link in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert link.startswith("/"), link
        assert httpx.get(server + link).status_code == 200, link


@pytest.mark.parametrize(("page", "shown"), [
    ("/docs", ".opblock"), ("/redoc", "text=Record one event of the scenario contract")])
def test_the_pages_render_offline_under_a_strict_policy(server, page, shown):
    outside: list[str] = []
    with chromium_page() as browser_page:
        def local_only(route):  # nothing may leave this machine; the page gets the policy
            url = route.request.url
            if not url.startswith(server):
                outside.append(url)
                route.abort()
                return
            response = route.fetch()
            route.fulfill(response=response, headers={
                **response.headers, "content-security-policy": STRICT})

        browser_page.route("**/*", local_only)
        browser_page.goto(server + page)
        browser_page.wait_for_selector(shown, timeout=30000)
        violations = [p for p in browser_page.problems if "Content Security Policy" in p]
    assert outside == [] and violations == [], (outside, violations)
