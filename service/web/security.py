"""What every response carries (pages and API alike), the Origin check on the pages' forms,
and error pages in HTML where a person reads them.

- Content-Security-Policy: scripts and styles from this server only; the one inline script
  (GOV.UK Frontend's `js-enabled` line) runs by a per-response nonce. No frames, no plugins.
  (The API documentation pages may also style themselves inline.)
- X-Frame-Options DENY, Referrer-Policy same-origin (case references in addresses never leave
  the site, and same-origin form posts still carry Origin), X-Content-Type-Options nosniff;
  Strict-Transport-Security over TLS; pages are never cached (they hold children's data).
- A form posted to /app from another origin (or with no Origin or Referer) is refused.
- Under /app, and for unknown addresses asked for by a browser, errors are pages, not JSON.

`install(app)` adds the three, outermost last, after the API's own middleware.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from urllib.parse import urlsplit

from fastapi import FastAPI
from starlette.datastructures import MutableHeaders
from starlette.requests import Request

from service.api.context import HttpMiddleware

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ERROR_PAGES = {  # status: (title, what to do)
    400: ("There is a problem with this link",
          "The link or form has a mistake in it. Go back and try again, or start again from "
          "your home page."),
    403: ("You cannot see this page", "Your role does not give access to this page."),
    404: ("Page not found", "If you typed the web address, check it is correct. If you "
          "followed a link, start again from your home page."),
    405: ("Page not found", "This address does not take what was sent. Start again from "
          "your home page."),
    409: ("Someone else changed this case", "Go back, reload the case and try again."),
    413: ("The form was too long", "A form can send up to 64 KB. Reasons and notes can be up "
          "to 2,000 characters: go back, shorten what you typed and send it again."),
    503: ("The service is busy", "The figures are being rebuilt. Try again in a minute."),
}
SERVER_ERROR = ("Sorry, there is a problem with the service",
                "Try again later. What you sent may not have been saved: check before you "
                "send it again.")


DOCUMENTATION = ("/docs", "/redoc")  # the API's documentation pages: no data in them


def content_security_policy(nonce: str, path: str = "") -> str:
    """Scripts from this server or by nonce, never inline otherwise. Styles from this server;
    the API documentation's viewers (Swagger UI, ReDoc) also write styles of their own into
    the page, so those two pages, which hold no data, allow inline styles."""
    styles = "style-src 'self' 'unsafe-inline'" if path in DOCUMENTATION else "style-src 'self'"
    return "; ".join((
        "default-src 'self'", f"script-src 'self' 'nonce-{nonce}'", styles,
        "img-src 'self' data:", "font-src 'self'", "connect-src 'self'", "object-src 'none'",
        "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'"))


class SecurityHeaders(HttpMiddleware):
    async def handle(self, scope: dict, receive: Callable, send: Callable) -> None:
        nonce = secrets.token_urlsafe(16)
        scope.setdefault("state", {})["csp_nonce"] = nonce
        page = scope["path"].startswith("/app")
        tls = scope.get("scheme") == "https"

        async def with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = content_security_policy(
                    nonce, scope["path"])
                headers["X-Frame-Options"] = "DENY"
                headers["Referrer-Policy"] = "same-origin"
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Cross-Origin-Opener-Policy"] = "same-origin"
                if tls:
                    headers["Strict-Transport-Security"] = "max-age=31536000"
                if page:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


class OriginCheck(HttpMiddleware):
    """The pages' forms are posted from the pages themselves: Origin (or, failing it, the
    Referer's origin) must be this site's. The CSRF token is the second lock."""

    async def handle(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["method"] in SAFE_METHODS or not scope["path"].startswith("/app"):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        sent = request.headers.get("origin") or _origin(request.headers.get("referer", ""))
        own = f"{request.url.scheme}://{request.headers.get('host', '')}"
        if sent != own:
            await error_page(scope, receive, send, 403,
                             ("This form came from another site",
                              "Nothing was saved. Use the forms on this service's own pages."))
            return
        await self.app(scope, receive, send)


def _wants_page(scope: dict) -> bool:
    """Pages get error pages; so does a browser asking for an address the service lacks."""
    if scope["path"].startswith("/app"):
        return True
    accept = dict(scope.get("headers") or []).get(b"accept", b"")
    return b"text/html" in accept and scope.get("route") is None


class PageErrors(HttpMiddleware):
    """A JSON error answered to a page (a form over the size limit, an unknown address, a
    malformed link) becomes an error page with the same status."""

    async def handle(self, scope: dict, receive: Callable, send: Callable) -> None:
        state = {"started": False, "held": None}

        async def capture(message: dict) -> None:
            if message["type"] == "http.response.start":
                state["started"] = True
                kind = MutableHeaders(scope=message).get("content-type", "")
                if message["status"] >= 400 and "json" in kind and _wants_page(scope):
                    state["held"] = message["status"]
                    return
            elif state["held"] is not None:
                if not message.get("more_body"):
                    await error_page(scope, receive, send, state["held"])
                return
            await send(message)

        try:
            await self.app(scope, receive, capture)
        except Exception:
            if not state["started"]:
                if scope["path"].startswith("/app"):
                    await error_page(scope, receive, send, 500)
                else:
                    from service.api.problems import problem_response
                    await problem_response(500, "Internal error", "the server could not "
                                           "complete this")(scope, receive, send)
            raise  # the app's own handler logs it, as for any unexpected error


async def error_page(scope: dict, receive: Callable, send: Callable, status: int,
                     words: tuple[str, str] | None = None) -> None:
    from service.web.templating import page  # the pages import this module

    title, message = words or ERROR_PAGES.get(status, SERVER_ERROR)
    response = page(Request(scope, receive), "message.html", status, title=title,
                    message=message)
    await response(scope, receive, send)


def install(app: FastAPI) -> None:
    """Outermost last: headers on everything, including the Origin check's refusals."""
    app.add_middleware(PageErrors)
    app.add_middleware(OriginCheck)
    app.add_middleware(SecurityHeaders)
