"""Every page, for every role, in Debian's Chromium against the real server (`ehc serve`):
axe-core finds no WCAG 2.2 AA violation, no code name is readable, nothing overflows at
320 px, and screenshots at 1280 and 320 px go to artifacts/. Then what people do: a
caseworker records and corrects a case through the forms, meets errors beside the fields,
and a premature final plan; an auditor replays a case; a manager reads every caseworker's
caseload; the board picks a past quarter. One browser and one server for the module."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from browser import (
    NARROW,
    WIDE,
    axe_violations,
    chromium,
    code_names,
    open_page,
    overflows,
    readable_text,
    screenshot,
)

from projections.kpis import MEASURES
from scenarios.generator import GeneratorSettings, generate_cases, save_in_batches
from service.application import today_in_england
from service.local_server import LocalServer
from service.settings import StoreSettings
from service.stores import open_application, open_projection
from service.tokens import TokenStore

TODAY = today_in_england()
AUTHORITY = "Northshire County Council"
CASEWORKER, TEAM = "Amina Shah", "North"
RICH = "NC-PAGES-1"  # a case with every kind of part 1 event, for the pages to show
PREMATURE = "NC-PAGES-2"  # a final plan inside the family's 15 days
PLAN = "NC-PAGES-3"  # a plan transferred in: reviews, amendments, a phase transfer, an appeal


@dataclass
class Site:
    base: str
    tokens: dict[str, str]


def _seed_cases(application: Any) -> None:
    received = TODAY - timedelta(days=120)
    application.open_case(RICH, team=TEAM, caseworker=CASEWORKER, opened_by=CASEWORKER)
    events = [
        {"type": "request_received", "on": received, "requester": "parent"},
        {"type": "decision_to_assess", "on": received + timedelta(days=30), "outcome": "assess"},
        {"type": "advice_requested", "on": received + timedelta(days=31), "provider": "health"},
        {"type": "advice_requested", "on": received + timedelta(days=31),
         "provider": "education", "setting": "Oak Primary"},
        {"type": "advice_received", "on": received + timedelta(days=60), "provider": "health"},
        {"type": "exception_recorded", "on": received + timedelta(days=65),
         "reason": "personal_circumstances", "from": received + timedelta(days=60),
         "to": received + timedelta(days=80), "attested_by": "Team manager"},
    ]
    for event in events:
        payload = {k: v.isoformat() if isinstance(v, date) else v for k, v in event.items()}
        payload["recorded"] = payload["on"]  # logged the day it happened: replays show it
        application.record(RICH, payload, CASEWORKER, today=TODAY, auto_id=True)
    application.record(RICH, {"type": "correction", "on": TODAY.isoformat(), "corrects": "ev3",
                              "set": {"on": (received + timedelta(days=29)).isoformat()},
                              "reason": "keyed from the wrong letter"}, CASEWORKER, today=TODAY)
    _seed_plan(application)
    application.open_case(PREMATURE, team=TEAM, caseworker=CASEWORKER, opened_by=CASEWORKER)
    application.record(PREMATURE, {"type": "request_received", "on": (
        TODAY - timedelta(days=60)).isoformat(), "requester": "school"}, CASEWORKER,
        today=TODAY, auto_id=True)


def _seed_plan(application: Any) -> None:
    """Part 2: a plan made elsewhere, its review, an amendment, a phase transfer coming and
    an appeal the authority conceded."""
    made = TODAY - timedelta(days=800)
    start = TODAY - timedelta(days=300)
    application.open_case(PLAN, team=TEAM, caseworker=CASEWORKER, opened_by=CASEWORKER)
    events = [
        {"type": "plan_in_place", "on": made, "last_reviewed": made + timedelta(days=300),
         "transferred_in": {"from": "Somerset County Council", "on": start}},
        {"type": "review_meeting_held", "on": start + timedelta(days=40)},
        {"type": "review_decision_notified", "on": start + timedelta(days=60),
         "outcome": "amend"},
        {"type": "amended_plan_issued", "on": start + timedelta(days=100),
         "family_confirmed_no_comments": True},
        {"type": "phase_transfer_expected", "on": start + timedelta(days=120),
         "transfer": "post16", "transfer_on": TODAY + timedelta(days=200)},
        {"type": "appeal_registered", "on": start + timedelta(days=130), "about": "other"},
        {"type": "appeal_conceded", "on": start + timedelta(days=160), "concession": "amend"},
    ]
    for event in events:
        application.record(PLAN, _iso(event), CASEWORKER, today=TODAY, auto_id=True)


def _iso(event: dict[str, Any]) -> dict[str, Any]:
    return {k: _iso(v) if isinstance(v, dict) else v.isoformat() if isinstance(v, date) else v
            for k, v in event.items()}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    data = tmp_path_factory.mktemp("web") / "data"
    settings = StoreSettings(data_dir=data)
    application = open_application(settings)
    # 200 cases: every caseworker of the generator's 24, and more than a page of them
    save_in_batches(application.save, generate_cases(GeneratorSettings(200, 2, TODAY)))
    _seed_cases(application)
    open_projection(settings, application).rebuild()
    store = TokenStore(data / "tokens.json")
    tokens = {"caseworker": store.add("caseworker", CASEWORKER, TEAM),
              "manager": store.add("manager", "Head of SEN"),
              "board": store.add("board", "Partnership Board"),
              "auditor": store.add("auditor", "Internal Audit")}
    with (data / "server.log").open("w") as log:
        server = LocalServer({"EHC_DATA_DIR": str(data), "EHC_STORE": "sqlite",
                              "EHC_AUTHORITY_NAME": AUTHORITY}, workers=1, log=log).start()
        yield Site(server.base, tokens)
        server.stop()


@pytest.fixture(scope="module")
def browser():
    with chromium() as opened:
        yield opened


def signed_in(browser, site: Site, role: str, width: int = WIDE):
    page = open_page(browser, width)
    page.goto(f"{site.base}/app/sign-in")
    page.fill("#token", site.tokens[role])
    page.click("button:has-text('Sign in')")
    return page


def fill_date(page, name: str, day: date | tuple) -> None:
    parts = (day.day, day.month, day.year) if isinstance(day, date) else day
    for box, value in zip(("day", "month", "year"), parts, strict=True):
        page.fill(f"#{name}-{box}", str(value))


def record(page, kind: str, day, **choices: str) -> None:
    page.click("a:has-text('Record what happened')")
    page.check(f"input[name=type][value={kind}]")
    for field, value in choices.items():
        page.check(f"input[name='{kind}-{field}'][value='{value}']")
    fill_date(page, "on", day)
    page.click("button:has-text('Record it')")


def status_of(page, key: str) -> str:
    return page.locator(f"[data-testid='status-{key}']").inner_text().strip()


# Every page, every role ----------------------------------------------------------------

def _open_record_form(page) -> None:
    page.check("input[name=type][value=exception_recorded]")


def _open_plan_in_place(page) -> None:
    page.check("input[name=type][value=plan_in_place]")


def _submit_empty_record_form(page) -> None:
    page.click("button:has-text('Record it')")


def _replay(page) -> None:
    fill_date(page, "as_of", TODAY - timedelta(days=70))
    fill_date(page, "known_at", TODAY - timedelta(days=1))
    page.click("button:has-text('Replay')")


def _bad_sign_in(page) -> None:
    page.fill("#token", "not a token")
    page.click("button:has-text('Sign in')")


def _quarter_ago() -> str:
    day = TODAY - timedelta(days=92)
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def _first_event(page) -> None:
    page.check("input[name=event]")
    page.click("button:has-text('Continue')")


PAGES = {  # role: [(name, address, what to do there first, the page's heading)]
    "anonymous": [
        ("sign-in", "/app/sign-in", None, "Sign in"),
        ("sign-in-error", "/app/sign-in", _bad_sign_in, "Sign in"),
        ("not-found", "/no-such-page", None, "Page not found"),
    ],
    "caseworker": [
        ("caseload", "/app/caseload", None, "My caseload"),
        ("case", f"/app/cases/{RICH}", None, f"Case {RICH}"),
        ("case-plan", f"/app/cases/{PLAN}", None, f"Case {PLAN}"),
        ("record", f"/app/cases/{RICH}/record", _open_record_form, "Record what happened"),
        ("record-plan-in-place", f"/app/cases/{PLAN}/record", _open_plan_in_place,
         "Record what happened"),
        ("record-errors", f"/app/cases/{RICH}/record", _submit_empty_record_form,
         "Record what happened"),
        ("correct-choose", f"/app/cases/{RICH}/correct", None,
         "Which event do you want to correct?"),
        ("correct", f"/app/cases/{RICH}/correct", _first_event, "Correct an event"),
        ("search", "/app/search?q=NC-PAGES", None, "Search"),
        ("case-not-found", "/app/cases/NO-SUCH-CASE", None, "Case not found"),
        ("forbidden", "/app/dashboard", None, "You cannot see this page"),
    ],
    "manager": [
        ("dashboard", "/app/dashboard", None, "Dashboard"),
        ("cases", "/app/caseload?show=all&page=2", None, "Cases"),
        ("case", f"/app/cases/{RICH}", None, f"Case {RICH}"),
        ("reassign", f"/app/cases/{RICH}/reassign", None, "Reassign the case"),
        ("history", f"/app/audit/{RICH}", _replay, "History and replay"),
        ("board", "/app/board", None, "Plan monitoring"),
        ("what-if", "/app/what-if", None, "What if"),
        ("what-if-result", "/app/what-if?run=yes&runs=50&advice_provider=health&advice_weeks=4"
         "&drafts_by_week=14&finals=yes", None, "What if"),
        ("what-if-errors", "/app/what-if?run=yes&drafts_by_week=soon&advice_provider=health",
         None, "What if"),
        ("track-record", "/app/what-if/track-record", None, "How far to trust the forecast"),
    ],
    "auditor": [
        ("cases-closed", "/app/caseload?show=closed", None, "Cases"),
        ("case", f"/app/cases/{RICH}", None, f"Case {RICH}"),
        ("history", f"/app/audit/{RICH}", _replay, "History and replay"),
        ("history-plan", f"/app/audit/{PLAN}", None, "History and replay"),
        ("search", "/app/search?q=la-2-00001", None, "Search"),
    ],
    "board": [("board", "/app/board?period=" + _quarter_ago(), None, "Plan monitoring"),
              ("track-record", "/app/what-if/track-record", None,
               "How far to trust the forecast")],
}


@pytest.mark.parametrize("role", list(PAGES))
def test_every_page_is_accessible_plain_and_fits_320_pixels(site, browser, role):
    problems = []
    for width in (WIDE, NARROW):
        page = signed_in(browser, site, role, width) if role != "anonymous" else open_page(
            browser, width)
        for name, address, action, heading in PAGES[role]:
            page.goto(site.base + address)
            if action is not None:
                action(page)
            where = f"{role} {name} at {width} px"
            if not page.locator("h1").inner_text().startswith(heading):
                problems.append(f"{where}: the heading is {page.locator('h1').inner_text()}")
            if width == WIDE:  # axe's rules do not depend on the width; a run takes seconds
                problems += [f"{where}: {v}" for v in axe_violations(page)]
            problems += [f"{where}: {c}" for c in code_names(readable_text(page))]
            if overflows(page) > 0:
                problems.append(f"{where}: the page is {overflows(page)} px wider than the "
                                "window")
            screenshot(page, f"{role}-{name}-{width}")
        # a refused form is answered 422 and an unknown page 404 on purpose
        problems += [f"{role}: {p}" for p in page.problems if "status of 4" not in p]
        page.context.close()
    assert not problems, "\n".join(problems)


# What people do ------------------------------------------------------------------------

def test_a_caseworker_records_and_corrects_a_case(site, browser):
    received = TODAY - timedelta(days=30)
    page = signed_in(browser, site, "caseworker")
    assert page.locator("h1").inner_text() == "My caseload"
    assert AUTHORITY in page.locator("header").inner_text()
    page.fill("#case_ref", "WEB-E2E-1")
    page.click("button:has-text('Open case')")
    assert page.locator("h1").inner_text() == "Case WEB-E2E-1"

    record(page, "request_received", received, requester="parent")
    banner = page.locator("[data-testid=flash]").inner_text()
    assert "Request for an assessment received on" in banner and "Success" in banner
    assert status_of(page, "decision_to_assess") == "Due"
    record(page, "decision_to_assess", received + timedelta(days=20), outcome="assess")
    assert status_of(page, "decision_to_assess") == "Met"
    record(page, "advice_requested", received + timedelta(days=21), provider="health")
    assert status_of(page, "advice.health") == "Due"
    assert page.locator("[data-testid=events] tbody tr").count() == 3
    assert "Who made the request? Parent" in page.locator("[data-testid=events]").inner_text()

    record(page, "final_plan_issued", received + timedelta(days=25))
    summary = page.locator(".govuk-error-summary").inner_text()
    assert "This event was not recorded" in summary
    assert "This event was not recorded" in page.locator("#type-error").inner_text()
    page.goto(f"{site.base}/app/cases/WEB-E2E-1")
    assert page.locator("[data-testid=events] tbody tr").count() == 3  # nothing stored

    page.click("a:has-text('Record what happened')")
    page.check("input[name=type][value=draft_plan_issued]")
    fill_date(page, "on", (1, 3, 26))
    page.click("button:has-text('Record it')")
    assert page.locator("#on-error").inner_text().endswith("Year must include 4 numbers")
    page.click(".govuk-error-summary a")  # the summary's link goes to the field
    assert page.evaluate("document.activeElement.id") == "on-year"

    page.goto(f"{site.base}/app/cases/WEB-E2E-1")
    page.click("a:has-text('Correct an event')")
    page.check("input[name=event] >> nth=2")
    page.click("button:has-text('Continue')")
    assert page.locator("#reason").input_value() == ""  # the box starts empty
    assert page.locator("input[name='fix-provider'][value=health]").is_checked()
    fill_date(page, "fix-on", received + timedelta(days=22))
    page.fill("#reason", "The request reached health a day later")
    page.click("button:has-text('Record the correction')")
    assert "correction" in page.locator("[data-testid=flash]").inner_text()
    events = page.locator("[data-testid=events]").inner_text()
    assert "Corrected" in events
    screenshot(page, "flow-case-after-correction")
    page.click("button:has-text('Sign out')")
    assert page.locator("h1").inner_text() == "Sign in"
    assert [p for p in page.problems if "status of 422" not in p] == []
    page.context.close()


def test_a_final_plan_inside_the_familys_15_days_is_flagged_not_a_plain_success(site,
                                                                                 browser):
    page = signed_in(browser, site, "caseworker")
    page.goto(f"{site.base}/app/cases/{PREMATURE}")
    received = TODAY - timedelta(days=60)
    record(page, "decision_to_assess", received + timedelta(days=20), outcome="assess")
    record(page, "draft_plan_issued", received + timedelta(days=40))
    record(page, "final_plan_issued", received + timedelta(days=45))
    banner = page.locator("[data-testid=flash]")
    assert "Important" in banner.inner_text() and "Success" not in banner.inner_text()
    assert "before the family's 15 days" in banner.inner_text()
    assert "before the family's 15 days" in page.locator("[data-testid=flag]").inner_text()
    summary = page.locator(".govuk-summary-list >> nth=0").inner_text()
    assert "Earliest lawful" not in summary and "Final plan issued" in summary
    assert status_of(page, "final_plan") == "Met"  # the engine's status stands
    screenshot(page, "flow-premature-final")
    page.context.close()


def test_an_auditor_replays_a_case_as_it_stood_and_as_it_was_known(site, browser):
    page = signed_in(browser, site, "auditor")
    page.goto(f"{site.base}/app/audit/{RICH}")
    history = page.locator("[data-testid=history]").inner_text()
    assert "Case opened" in history and CASEWORKER in history.split("Case opened")[1][:200]
    assert "Correction of Decision whether to assess" in history
    fill_date(page, "known_at", TODAY - timedelta(days=1))
    page.click("button:has-text('Replay')")
    heading = page.locator("[data-testid=replay-heading]").inner_text()
    assert heading.startswith("The case as the service knew it on")
    diff = page.locator("[data-testid=diff]").inner_text()
    assert "Decision whether to assess: done on" in diff  # the correction was made today
    assert page.problems == []
    page.context.close()


def test_a_manager_sees_every_caseworker_on_the_dashboard(site, browser):
    page = signed_in(browser, site, "manager")
    assert page.locator("h1").inner_text() == "Dashboard"
    rows = page.locator("[data-testid=balance] tbody tr").count()
    bars = page.eval_on_selector_all(
        "svg.chart rect.bar", "bars => bars.filter(b => b.getBBox().width > 0).length")
    assert rows > 12 and bars >= rows  # advice bars too: every caseworker has a bar
    kpis = page.locator("[data-testid=kpis]")
    assert "Target m" in kpis.inner_text()
    # every measure this month, quarter and year, with DfE's 20-week figure beside ours
    assert kpis.locator("tbody tr").count() == 3 * (len(MEASURES) + 1)
    assert "as DfE counts them" in kpis.inner_text()
    assert page.problems == []
    page.context.close()


def test_the_board_picks_a_past_quarter_and_downloads_its_pack(site, browser):
    page = signed_in(browser, site, "board")
    options = page.locator("#period option").all_inner_texts()
    assert len(options) > 4 and "(in progress)" in options[0]
    page.select_option("#period", index=3)
    page.click("button:has-text('Show this quarter')")
    chosen = page.locator("[data-testid=period]").inner_text()
    assert "in progress" not in chosen and options[3] in chosen
    with page.expect_download() as download:
        page.click("a:has-text('Download the board pack')")
    assert download.value.suggested_filename.endswith(".zip")
    page.goto(f"{site.base}/app/caseload")
    assert page.locator("h1").inner_text() == "You cannot see this page"
    page.context.close()


def test_cookies_are_secure_behind_a_trusted_tls_proxy(site):
    """uvicorn trusts X-Forwarded-Proto from 127.0.0.1 (FORWARDED_ALLOW_IPS): the scheme is
    then https, so the session cookie is Secure and Strict-Transport-Security is sent."""
    for forwarded, secure in (({"X-Forwarded-Proto": "https"}, True), ({}, False)):
        origin = "https" if secure else "http"
        answer = httpx.post(f"{site.base}/app/sign-in", data={"token": site.tokens["board"]},
                            headers={**forwarded, "Origin": f"{origin}://{site.base[7:]}"})
        cookie = answer.headers["set-cookie"].lower()
        assert answer.status_code == 303, answer.text
        assert ("; secure" in cookie) is secure
        assert ("strict-transport-security" in answer.headers) is secure
        assert "httponly" in cookie and "samesite=strict" in cookie
