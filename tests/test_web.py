"""The pages in Debian's Chromium (Playwright) against the real server: a caseworker records a
case through the forms, meets a validation error, an auditor replays the case, a manager
reads the dashboard, the board reads plan monitoring. Screenshots go to artifacts/."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from browser import chromium_page, screenshot

from projections.kpis import MEASURES
from scenarios.generator import GeneratorSettings, generate_cases, save_in_batches
from service.application import today_in_england
from service.local_server import LocalServer
from service.settings import StoreSettings
from service.stores import open_application, open_projection
from service.tokens import TokenStore
from service.web.session import COOKIE

TODAY = today_in_england()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    data = tmp_path_factory.mktemp("web") / "data"
    settings = StoreSettings(data_dir=data)
    application = open_application(settings)
    save_in_batches(application.save, generate_cases(GeneratorSettings(300, 2, TODAY)))
    open_projection(settings, application).rebuild()
    store = TokenStore(data / "tokens.json")
    tokens = {"caseworker": store.add("caseworker", "Amina Shah", "North"),
              "manager": store.add("manager", "Head of SEN"),
              "board": store.add("board", "Partnership Board"),
              "auditor": store.add("auditor", "Internal Audit")}
    with (data / "server.log").open("w") as log:
        server = LocalServer({"EHC_DATA_DIR": str(data), "EHC_STORE": "sqlite"}, workers=1,
                             log=log).start()
        yield server.base, tokens
        server.stop()


def sign_in(page, base: str, token: str) -> None:
    page.goto(f"{base}/app/sign-in")
    page.fill("#token", token)
    page.click("button:has-text('Sign in')")


def fill_date(page, name: str, day) -> None:
    page.fill(f"#{name}-day", str(day.day))
    page.fill(f"#{name}-month", str(day.month))
    page.fill(f"#{name}-year", str(day.year))


def record(page, kind: str, day, **selects: str) -> None:
    fill_date(page, "on", day)
    page.check(f"input[name=type][value={kind}]")
    for field, value in selects.items():
        page.select_option(f"#{kind}-{field}", value)
    page.click("button:has-text('Record event')")


def status_of(page, key: str) -> str:
    return page.locator(f"[data-testid='status-{key}']").inner_text().strip()


def test_caseworker_records_a_case_through_the_forms(site):
    base, tokens = site
    received = TODAY - timedelta(days=30)
    with chromium_page() as page:
        sign_in(page, base, tokens["caseworker"])
        assert page.locator("h1").inner_text() == "My caseload"
        screenshot(page, "caseload")
        page.fill("#case_ref", "WEB-E2E-1")
        page.click("button:has-text('Open case')")
        assert page.locator("h1").inner_text() == "Case WEB-E2E-1"

        record(page, "request_received", received, requester="parent")
        assert "Event recorded" in page.locator(".govuk-notification-banner").inner_text()
        assert status_of(page, "decision_to_assess") == "pending"
        record(page, "decision_to_assess", received + timedelta(days=20), outcome="assess")
        assert status_of(page, "decision_to_assess") == "met"
        record(page, "advice_requested", received + timedelta(days=21), provider="health")
        assert status_of(page, "advice.health") == "pending"
        assert page.locator("svg.timeline-bar circle.event").count() == 3
        screenshot(page, "case")

        record(page, "final_plan_issued", received + timedelta(days=25))
        summary = page.locator(".govuk-error-summary")
        assert "a final plan needs a draft plan first (reg 13(1))" in summary.inner_text()
        assert page.locator(".govuk-summary-list").inner_text().split("Version")[1].strip(
        ).startswith("4")  # nothing stored
        screenshot(page, "case-validation-error")
        page.click("button:has-text('Sign out')")
        assert page.locator("h1").inner_text() == "Sign in"
        # the refused form is answered 422 on purpose; nothing else may go wrong
        assert [p for p in page.problems if "status of 422" not in p] == []


def test_auditor_replays_the_case_as_known_at_an_earlier_date(site):
    base, tokens = site
    with chromium_page() as page:
        sign_in(page, base, tokens["auditor"])
        page.goto(f"{base}/app/audit/WEB-E2E-1")
        assert page.locator("[data-testid=history] tbody tr").count() == 4  # opening + 3
        assert "Amina Shah" in page.locator("[data-testid=history]").inner_text()
        fill_date(page, "known_at", TODAY - timedelta(days=1))
        page.click("button:has-text('Replay')")
        heading = page.locator("[data-testid=replay-heading]").inner_text()
        assert heading.startswith(f"As known on {TODAY - timedelta(days=1)}")
        diff = page.locator("[data-testid=diff]").inner_text()
        assert "decision_to_assess status" in diff  # recorded today: unknown yesterday
        screenshot(page, "audit-replay")
        assert page.problems == []


def test_manager_sees_the_dashboard(site):
    base, tokens = site
    with chromium_page() as page:
        sign_in(page, base, tokens["manager"])
        assert page.locator("h1").inner_text() == "Dashboard"
        assert int(page.locator("[data-testid=breach-certain]").inner_text()) >= 0
        assert page.locator("[data-testid=kpis] tbody tr").count() == 3 * len(MEASURES)
        bars = page.eval_on_selector_all("svg.chart rect.bar",
                                         "bars => bars.filter(b => b.getBBox().width > 0).length")
        assert bars >= 4
        screenshot(page, "dashboard")
        page.goto(f"{base}/app/caseload?status=overdue")
        assert page.locator("[data-testid=caseload] tbody tr").count() > 0
        assert page.problems == []


def test_board_sees_plan_monitoring_and_no_case_references(site):
    base, tokens = site
    with chromium_page() as page:
        sign_in(page, base, tokens["board"])
        assert page.locator("h1").inner_text() == "Plan monitoring"
        assert page.locator("[data-testid=rag] tbody tr").count() == 6
        assert "LA-2-" not in page.content()
        screenshot(page, "board")
        page.goto(f"{base}/app/caseload")
        assert page.locator("h1").inner_text() == "You cannot see this page"


def test_odd_form_input_is_a_form_error_not_a_crash(site):
    base, tokens = site
    auditor = httpx.Client(base_url=base, cookies={COOKIE: tokens["auditor"]})
    for day, month, year in ((31, 2, 2026), (1, 1, 2999), ("²", 1, 2025),
                             (1, 1, "99999999999999999999")):
        page = auditor.get("/app/audit/LA-2-0000001", params={
            "known_at-day": day, "known_at-month": month, "known_at-year": year})
        assert page.status_code == 422, page.text
        assert "govuk-error-summary" in page.text
    caseworker = httpx.Client(base_url=base, cookies={COOKIE: tokens["caseworker"]})
    for reference in ("B" * 65, "²³x", "-starts-with-a-hyphen"):
        page = caseworker.post("/app/cases", data={"case_ref": reference})
        assert page.status_code == 422 and "govuk-error-summary" in page.text
        assert f'value="{reference}"' in page.text  # what was typed stays in the box
    api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {tokens['caseworker']}"})
    assert api.post("/cases", json={"case_ref": "WEB-FORM-1"}).status_code == 201
    assert api.post("/cases/WEB-FORM-1/events", json={
        "type": "request_received", "on": TODAY.isoformat(), "requester": "parent"}
    ).json()["event"]["fact"]["id"] == "ev2"
    refused = caseworker.post("/app/cases/WEB-FORM-1/corrections", data={
        "corrects": "ev2", "field": "on", "value": "2026-13-45", "reason": "typo in the date"})
    assert refused.status_code == 422
    assert "typo in the date</textarea>" in refused.text  # the form keeps what was typed
    assert 'value="2026-13-45"' in refused.text
    assert '<option value="ev2" selected>' in refused.text


def test_the_audit_page_shows_every_stored_event(site):
    base, tokens = site
    auditor = httpx.Client(base_url=base, cookies={COOKIE: tokens["auditor"]})
    page = auditor.get("/app/audit/LA-2-0000001")
    assert page.status_code == 200
    assert "case opened" in page.text  # the opening, as the API's history lists it
