"""One synthetic authority for the in-process page tests (built once per test run and shared
by the modules that use it), and clients signed in through the sign-in form."""

from __future__ import annotations

import atexit
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from scenarios.generator import GeneratorSettings, generate_cases, save_in_batches
from service.api.app import create_app
from service.application import today_in_england
from service.settings import StoreSettings
from service.stores import open_application, open_projection
from service.tokens import TokenStore

TODAY = today_in_england()
CASEWORKER, TEAM = "Amina Shah", "North"  # a caseworker of the generator's North team
ORIGIN = "http://testserver"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Site:
    data: Path
    settings: StoreSettings
    tokens: dict[str, str]
    app: Any
    store: TokenStore

    def client(self, role: str | None = None, https: bool = False,
               headers: dict[str, str] | None = None) -> TestClient:
        """A browser-like client (its forms say where they come from), signed in as `role`."""
        base = "https://testserver" if https else ORIGIN
        client = TestClient(self.app, base_url=base, raise_server_exceptions=False,
                            headers={"Origin": base, **(headers or {})})
        if role is not None:
            answer = client.post("/app/sign-in", data={"token": self.tokens[role]},
                                 follow_redirects=False)
            assert answer.status_code == 303, answer.text
        return client


@cache
def shared_site() -> Site:
    data = Path(tempfile.mkdtemp(prefix="ehc-web-"))
    atexit.register(shutil.rmtree, data, True)
    settings = StoreSettings(data_dir=data)
    application = open_application(settings)
    save_in_batches(application.save, generate_cases(GeneratorSettings(300, 2, TODAY)))
    open_projection(settings, application).rebuild()
    store = TokenStore(data / "tokens.json")
    tokens = {"caseworker": store.add("caseworker", CASEWORKER, TEAM),
              "south": store.add("caseworker", "Grace Okafor", "South"),
              "manager": store.add("manager", "Head of SEN"),
              "board": store.add("board", "Partnership Board"),
              "auditor": store.add("auditor", "Internal Audit")}
    app = create_app(settings, data / "tokens.json", lambda: TODAY)
    return Site(data, settings, tokens, app, store)


def csrf(client: TestClient) -> str:
    """The session's CSRF token, as a page's forms carry it."""
    found = CSRF.search(client.get("/app/search").text)
    assert found, "no form token on the page"
    return found.group(1)


def date_boxes(name: str, day: date | tuple[Any, Any, Any]) -> dict[str, str]:
    parts = (day.day, day.month, day.year) if isinstance(day, date) else day
    return {f"{name}-{box}": str(value) for box, value in zip(("day", "month", "year"), parts,
                                                              strict=True)}


def record(client: TestClient, case_ref: str, kind: str, day: Any,
           **fields: str) -> Any:
    """Send the record form as a browser would (the case's version from its page)."""
    form = {"csrf_token": csrf(client), "type": kind, **date_boxes("on", day),
            **{f"{kind}-{k}": v for k, v in fields.items()}}
    return client.post(f"/app/cases/{case_ref}/events", data=form, follow_redirects=False)


def open_case(client: TestClient, case_ref: str) -> None:
    answer = client.post("/app/cases", data={"csrf_token": csrf(client), "case_ref": case_ref},
                         follow_redirects=False)
    assert answer.status_code == 303, answer.text
