"""Server-rendered pages in the GOV.UK Design System for caseworkers, managers, the board and
auditors. Every figure comes from the same engine and read models as the API.

This module wires the pages in (routes, assets, sessions, error pages) and signs people in
and out; the pages themselves are in case_pages, list_pages and report_pages."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from service.api.context import Services
from service.web import case_pages, forecast_pages, import_pages, list_pages, report_pages
from service.web.forms import FieldError
from service.web.session import (
    COOKIE,
    HOMES,
    FormExpired,
    NotAllowed,
    PageNotFound,
    SessionStore,
    SignInRequired,
    check_csrf,
    current_session,
    current_user,
    is_tls,
    sessions,
)
from service.web.templating import page

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "node_modules" / "govuk-frontend" / "dist" / "govuk"
STATIC = Path(__file__).parent / "static"
router = APIRouter(prefix="/app", include_in_schema=False)


def install(app: FastAPI) -> None:
    """Pages, GOV.UK Frontend's own assets (installed by `make setup`, never a CDN), the
    session store beside the tokens, and the pages' own error answers."""
    services: Services = app.state.services
    app.state.web_sessions = SessionStore(services.tokens.path.with_name("sessions.sqlite"))
    for module in (case_pages, list_pages, report_pages, import_pages, forecast_pages):
        app.include_router(module.router)
    app.include_router(router)
    app.mount("/assets", StaticFiles(directory=FRONTEND / "assets", check_dir=False),
              name="assets")
    app.mount("/govuk", StaticFiles(directory=FRONTEND, check_dir=False), name="govuk")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/app", status_code=303)

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, _: SignInRequired) -> RedirectResponse:
        wanted = request.url.path if request.method == "GET" else ""
        query = f"?next={quote(wanted)}" if wanted.startswith("/app/") else ""
        return RedirectResponse(f"/app/sign-in{query}", status_code=303)

    @app.exception_handler(NotAllowed)
    async def _not_allowed(request: Request, _: NotAllowed) -> HTMLResponse:
        return page(request, "message.html", 403, title="You cannot see this page",
                    message="Your role does not give access to this page.")

    @app.exception_handler(PageNotFound)
    async def _not_found(request: Request, error: PageNotFound) -> HTMLResponse:
        return page(request, "message.html", 404, title=error.title, message=error.message)

    @app.exception_handler(FormExpired)
    async def _expired(request: Request, _: FormExpired) -> HTMLResponse:
        return page(request, "message.html", 403, title="This form has expired",
                    message="Nothing was saved. Go back, reload the page and send the form "
                    "again.")


@router.get("")
def start(request: Request) -> RedirectResponse:
    try:
        return RedirectResponse(HOMES[current_user(request).role], status_code=303)
    except SignInRequired:
        return RedirectResponse("/app/sign-in", status_code=303)


def _local(next_page: str) -> str | None:
    """Only a page of this service may follow signing in (never another site)."""
    if next_page.startswith("/app/") and "//" not in next_page and "\\" not in next_page:
        return next_page
    return None


@router.get("/sign-in")
def sign_in_page(request: Request, next: str = "") -> HTMLResponse:
    return page(request, "sign_in.html", next_page=_local(next) or "")


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    form = await request.form()
    token = str(form.get("token", "")).strip()
    who = request.app.state.services.tokens.principal(token) if token else None
    next_page = _local(str(form.get("next", "")))
    if who is None:
        text = ("Enter your access token" if not token else
                "The access token is not right, or no longer works: check it and enter it "
                "again, or ask your administrator for a new one")
        return page(request, "sign_in.html", 401, next_page=next_page or "",
                    errors=[FieldError(text, "token", "#token")])
    old = request.cookies.get(COOKIE)
    if old:
        sessions(request).end(old)  # a new id at every sign-in: none can be planted first
    response = RedirectResponse(next_page or HOMES[who.role], status_code=303)
    response.set_cookie(COOKIE, sessions(request).create(token), httponly=True,
                        samesite="strict", secure=is_tls(request), path="/")
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> RedirectResponse:
    form = await request.form()
    if current_session(request) is not None:
        check_csrf(request, form)
        sessions(request).end(request.cookies.get(COOKIE, ""))
    response = RedirectResponse("/app/sign-in", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict",
                           secure=is_tls(request))
    return response
