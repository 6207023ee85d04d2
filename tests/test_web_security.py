"""Web security: a server-side session (never the token in a cookie) that sign-out ends, a CSRF
token on every form that changes anything, an Origin check, and the headers every response
carries, pages and API alike. (Secure cookies behind a TLS proxy: test_web_browser.py, which
runs the real server.)"""

from __future__ import annotations

import re
import sqlite3
import time

import pytest
from web_site import ORIGIN, csrf, shared_site

from service.web.session import COOKIE, IDLE_S

HEADERS = {"x-frame-options": "DENY", "referrer-policy": "same-origin",
           "x-content-type-options": "nosniff"}


@pytest.fixture(scope="module")
def site():
    return shared_site()


def assert_secured(answer) -> None:
    for name, value in HEADERS.items():
        assert answer.headers.get(name) == value, (answer.request.url, name)
    policy = answer.headers["content-security-policy"]
    scripts = next(d for d in policy.split("; ") if d.startswith("script-src "))
    assert scripts.startswith("script-src 'self' 'nonce-") and "unsafe" not in scripts
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy


def test_every_response_carries_the_security_headers(site):
    anonymous, manager = site.client(), site.client("manager")
    api = site.client(headers={"Authorization": f"Bearer {site.tokens['manager']}"})
    for answer in (manager.get("/app/dashboard"), anonymous.get("/app/sign-in"),
                   anonymous.get("/app/no-such-page"), anonymous.get("/health"),
                   anonymous.get("/cases/X/timeline"), api.get("/caseloads/balance"),
                   api.get("/no-such-thing"), anonymous.get("/static/app.css"),
                   anonymous.get("/govuk/govuk-frontend.min.js"), anonymous.get("/docs"),
                   anonymous.get("/openapi.json"),
                   manager.post("/app/cases", data={"csrf_token": "x"}),
                   manager.post("/app/cases", data={"x": "y" * 70_000})):
        assert_secured(answer)
    assert manager.get("/app/dashboard").headers["cache-control"] == "no-store"
    assert "style-src 'self';" in manager.get("/app/dashboard").headers[
        "content-security-policy"]  # inline styles only on the documentation pages


def test_the_inline_script_runs_by_a_nonce_new_for_every_response(site):
    nonces = []
    for _ in range(2):
        answer = site.client().get("/app/sign-in")
        nonce = re.search(r"'nonce-([^']+)'", answer.headers["content-security-policy"])[1]
        inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", answer.text)
        assert inline == [f' nonce="{nonce}"']  # GOV.UK Frontend's js-enabled line only
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_the_cookie_holds_a_session_not_the_token_and_sign_out_ends_it(site):
    client = site.client()
    answer = client.post("/app/sign-in", data={"token": site.tokens["auditor"]},
                         follow_redirects=False)
    cookie = answer.headers["set-cookie"]
    session_id = client.cookies[COOKIE]
    assert site.tokens["auditor"] not in cookie and session_id != site.tokens["auditor"]
    assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
    assert "secure" not in cookie.lower()  # plain HTTP here: see the TLS test
    assert client.get("/app/caseload").status_code == 200
    assert client.post("/app/sign-out", data={"csrf_token": csrf(client)},
                       follow_redirects=False).status_code == 303
    replayed = site.client()
    replayed.cookies.set(COOKIE, session_id)
    again = replayed.get("/app/caseload", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith("/app/sign-in")
    stranger = site.client()
    stranger.cookies.set(COOKIE, site.tokens["auditor"])  # the token itself opens nothing
    assert stranger.get("/app/caseload", follow_redirects=False).status_code == 303


def test_sessions_end_when_idle_and_when_their_token_is_removed(site):
    token = site.store.add("auditor", "Visiting Auditor", demo=True)
    client = site.client()
    client.post("/app/sign-in", data={"token": token})
    assert client.get("/app/caseload", follow_redirects=False).status_code == 200
    site.store.remove_demo()
    assert client.get("/app/caseload", follow_redirects=False).status_code == 303
    idle = site.client("auditor")
    with sqlite3.connect(site.data / "sessions.sqlite") as db:
        db.execute("UPDATE web_session SET seen = ?", (time.time() - IDLE_S - 1,))
    assert idle.get("/app/caseload", follow_redirects=False).status_code == 303


def test_a_form_without_this_sessions_token_changes_nothing(site):
    client = site.client("caseworker")
    for token in ("", "not-the-token", csrf(site.client("caseworker"))):
        answer = client.post("/app/cases", data={"csrf_token": token, "case_ref": "WEB-CSRF-1"})
        assert answer.status_code == 403 and "This form has expired" in answer.text
    assert site.client("manager").get("/app/cases/WEB-CSRF-1").status_code == 404
    kept = client.post("/app/sign-out", data={}, follow_redirects=False)
    assert kept.status_code == 403
    assert client.get("/app/caseload").status_code == 200  # still signed in


def test_a_form_from_another_site_is_refused(site):
    client = site.client("caseworker")
    token = csrf(client)
    for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"},
                    {"Origin": "", "Referer": "https://evil.example/form"}, {"Origin": ""}):
        answer = client.post("/app/cases", data={"csrf_token": token, "case_ref": "WEB-ORIG-1"},
                             headers=headers)
        assert answer.status_code == 403, headers
        assert "This form came from another site" in answer.text
        assert_secured(answer)
    same = client.post("/app/cases", data={"csrf_token": token, "case_ref": "WEB-ORIG-1"},
                       headers={"Origin": "", "Referer": f"{ORIGIN}/app/caseload"},
                       follow_redirects=False)
    assert same.status_code == 303  # a Referer from this site will do when Origin is absent


def test_cookies_are_secure_over_tls(site):
    client = site.client(https=True)
    answer = client.post("/app/sign-in", data={"token": site.tokens["board"]},
                         follow_redirects=False)
    assert "secure" in answer.headers["set-cookie"].lower()
    assert answer.headers["strict-transport-security"].startswith("max-age=")


def test_an_unexpected_error_is_a_page_with_the_headers(site, tmp_path, monkeypatch):
    (tmp_path / "broken.yaml").write_text("title: [unclosed\n")
    monkeypatch.setenv("EHC_PLANS_DIR", str(tmp_path))
    answer = site.client("board").get("/app/board")
    assert answer.status_code == 500
    assert answer.headers["content-type"].startswith("text/html")
    assert "Sorry, there is a problem with the service" in answer.text
    assert_secured(answer)
