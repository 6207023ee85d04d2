"""The pages over HTTP, in process, each bug found by trying them as a new user would, with
what users expected and did not find: lists a page at a time, closed cases, search,
reassigning, the caseload as CSV, the deadlines due in the next 2 weeks, past quarters."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import timedelta
from html import unescape

import openpyxl
import pytest
from browser import code_names
from web_site import (
    CASEWORKER,
    TEAM,
    TODAY,
    csrf,
    date_boxes,
    open_case,
    record,
    shared_site,
)

from service.web.lists import PAGE_SIZE


@pytest.fixture(scope="module")
def site():
    return shared_site()


@pytest.fixture(scope="module")
def fix_case(site):
    """A North case with its request recorded, opened through the pages."""
    client = site.client("caseworker")
    open_case(client, "WEB-FIX-1")
    record(client, "WEB-FIX-1", "request_received", TODAY - timedelta(days=10),
           requester="parent")
    return "WEB-FIX-1"


def text_of(html: str) -> str:
    """A page's text without its tags, scripts or styles."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def store(site):
    return site.app.state.services.read_models()


# The bugs found ------------------------------------------------------------------------

def test_the_correction_form_starts_empty_and_stores_the_reason_typed(site, fix_case):
    client = site.client("caseworker")
    form = client.get("/app/cases/WEB-FIX-1/correct?event=ev2").text
    assert re.search(r'<textarea[^>]*id="reason"[^>]*>\s*</textarea>', form), "starts empty"
    assert ">None<" not in form and "None" not in text_of(form)
    empty = client.post("/app/cases/WEB-FIX-1/corrections", data={
        "csrf_token": csrf(client), "corrects": "ev2", "reason": "",
        **date_boxes("fix-on", TODAY - timedelta(days=11)), "fix-requester": "parent"})
    assert empty.status_code == 422 and 'id="reason-error"' in empty.text
    sent = client.post("/app/cases/WEB-FIX-1/corrections", data={
        "csrf_token": csrf(client), "corrects": "ev2", "reason": "keyed a day late",
        **date_boxes("fix-on", TODAY - timedelta(days=11)), "fix-requester": "parent"},
        follow_redirects=False)
    assert sent.status_code == 303, sent.text
    correction = site.app.state.services.application.facts("WEB-FIX-1")[-1]
    assert correction.reason == "keyed a day late"
    assert correction.set == {"on": (TODAY - timedelta(days=11)).isoformat()}  # only it


def test_a_final_plan_inside_the_familys_15_days_is_flagged_on_the_page(site):
    client = site.client("caseworker")
    open_case(client, "WEB-EARLY-1")
    received = TODAY - timedelta(days=60)
    for kind, days, fields in (("request_received", 0, {"requester": "parent"}),
                               ("decision_to_assess", 20, {"outcome": "assess"}),
                               ("draft_plan_issued", 40, {}), ("final_plan_issued", 45, {})):
        assert record(client, "WEB-EARLY-1", kind, received + timedelta(days=days),
                      **fields).status_code == 303
    page = text_of(client.get("/app/cases/WEB-EARLY-1").text)
    assert "Important" in page and "Success" not in page
    assert page.count("Final plan issued before the family's 15 days to comment had ended") == 2
    assert "Earliest lawful" not in page
    assert f"Final plan issued {(received + timedelta(days=45)).day}" in page


@pytest.mark.parametrize(("year", "message"), [
    ("26", "Year must include 4 numbers"),
    ("0001", "must be on or after 1 September 2014"),
    ("1900", "must be on or after 1 September 2014"),
])
def test_dates_need_four_digit_years_from_1_september_2014(site, fix_case, year, message):
    client = site.client("caseworker")
    answer = record(client, "WEB-FIX-1", "advice_requested", (3, 1, year), provider="health")
    assert answer.status_code == 422
    assert message in answer.text
    assert 'id="on-error"' in answer.text  # beside the field, not only in the summary


def test_the_dashboard_chart_shows_every_caseworker_and_its_numbers(site):
    page = site.client("manager").get("/app/dashboard").text
    balance = page.split('<h2 class="govuk-heading-m">Caseload balance</h2>')[1]
    rows = balance.split('data-testid="balance"')[1].split("<tbody")[1].count("<tr")
    assert rows == len(store(site).frame(
        "SELECT DISTINCT team, caseworker FROM ehc_case_summary WHERE status = 'open'")) > 12
    assert balance.split("</svg>")[0].count('class="bar"') == rows
    assert "Target met" in page or "Target missed" in page  # words, not colour alone


def test_recorded_in_the_address_shows_nothing_and_never_json(site, fix_case):
    client = site.client("caseworker")
    for recorded in ("5", "abc"):
        answer = client.get(f"/app/cases/WEB-FIX-1?recorded={recorded}")
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/html")
        assert "recorded" not in text_of(answer.text).split("What happened")[0]


def test_errors_are_pages_in_the_browser_and_problems_for_the_api(site, fix_case):
    client = site.client("caseworker")
    too_long = client.post("/app/cases/WEB-FIX-1/events", data={
        "csrf_token": csrf(client), "type": "case_withdrawn", "case_withdrawn-reason":
        "x" * 70_000})
    assert too_long.status_code == 413 and "The form was too long" in too_long.text
    for address, status in (("/app/no-such-page", 404), ("/app/cases/WEB-FIX-1/correct"
                            "?event=nope", 422), ("/app/board", 403),
                            ("/app/audit/WEB-FIX-1", 403)):
        answer = client.get(address)
        assert answer.status_code == status, address
        assert answer.headers["content-type"].startswith("text/html"), address
    manager = site.client("manager")
    for address, status in (("/app/board?period=1066-Q5", 422),
                            ("/app/board/no-such-plan/pack.zip", 404),
                            ("/app/audit/WEB-FIX-1?known_at-day=x", 422),
                            ("/app/caseload?page=abc", 200), ("/app/caseload?page=-1", 200)):
        answer = manager.get(address)
        assert answer.status_code == status, address
        assert answer.headers["content-type"].startswith("text/html"), address
    browser = site.client(headers={"Accept": "text/html,*/*;q=0.8"})
    assert browser.get("/no-such-page").headers["content-type"].startswith("text/html")
    api = site.client()
    unknown = api.get("/no-such-page", headers={"Accept": "*/*"})
    assert unknown.headers["content-type"] == "application/problem+json"


def test_a_case_that_does_not_exist_is_not_found_whoever_asks(site, fix_case):
    for role in ("manager", "auditor", "caseworker"):
        answer = site.client(role).get("/app/cases/NO-SUCH-CASE")
        assert answer.status_code == 404
        assert "There is no case NO-SUCH-CASE" in answer.text
        assert "role does not give access" not in answer.text
    other_team = site.client("south").get("/app/cases/WEB-FIX-1")
    assert other_team.status_code == 404
    assert "among your team's cases" in unescape(other_team.text)


def test_caseworkers_see_the_events_of_a_case_in_words(site):
    page = text_of(site.client("caseworker").get("/app/cases/WEB-EARLY-1").text)
    events = page.split("What happened")[1]
    for words in ("Request for an assessment received", "Who made the request? Parent",
                  "Decision whether to assess", "What was decided? Assess", "Draft plan sent",
                  "Final plan issued", f"by {CASEWORKER}"):
        assert words in events


def test_lists_come_a_page_at_a_time_with_closed_cases_for_managers(site):
    manager = site.client("manager")
    every = store(site).scalar("SELECT COUNT(*) FROM ehc_case_summary")
    first = manager.get("/app/caseload?show=all").text
    second = manager.get("/app/caseload?show=all&page=2").text
    assert f"Showing 1 to {PAGE_SIZE} of {every} cases" in text_of(first)
    assert f"Showing {PAGE_SIZE + 1} to {2 * PAGE_SIZE} of {every} cases" in text_of(second)
    refs = re.compile(r'href="/app/cases/([^"]+)"')
    assert not set(refs.findall(first)) & set(refs.findall(second))
    closed = manager.get("/app/caseload?show=closed").text
    assert "(closed)" in closed and text_of(closed).count("(closed)") == min(PAGE_SIZE, int(
        store(site).scalar("SELECT COUNT(*) FROM ehc_case_summary WHERE NOT (status = 'open' "
                           "OR next_key IS NOT NULL)")))
    assert "(closed)" not in site.client("caseworker").get("/app/caseload?show=closed").text
    late = text_of(manager.get("/app/caseload?show=breach_certain").text)
    expected = store(site).scalar(
        "SELECT COUNT(*) FROM ehc_case_summary WHERE breach_certain = 1 AND final_status IN "
        "('pending', 'overdue')")  # a late plan already issued is no longer "will be late"
    assert late.count("Final plan will be late") == min(expected, PAGE_SIZE) > 0


def test_the_team_filter_is_a_list_and_ignores_capitals(site):
    manager = site.client("manager")
    page = manager.get("/app/caseload?team=north").text
    assert '<select class="govuk-select" id="team" name="team"' in page
    assert '<option value="North" selected>' in page
    teams = set(re.findall(r'<br><span class="govuk-body-s">([^<]+) team</span>', page))
    assert teams == {"North"}
    unknown = manager.get("/app/caseload?team=Atlantis")
    assert unknown.status_code == 422 and 'id="team-error"' in unknown.text


def test_the_history_names_who_opened_the_case_and_reads_in_words(site, fix_case):
    page = site.client("auditor").get("/app/audit/WEB-FIX-1").text
    opened = text_of(page).split("Case opened")[1][:120]
    assert CASEWORKER in opened
    assert "Corrected to: When did it happen?" in text_of(page)
    for code in ("{", "set:", "'on'", "request_received", "None"):
        assert code not in text_of(page), code


# What users expect ---------------------------------------------------------------------

def test_search_finds_references_in_any_capitals_within_the_caseworkers_team(site):
    manager = site.client("manager").get("/app/search?q=la-2-000001").text
    found = set(re.findall(r'href="/app/cases/([^"]+)"', manager))
    assert found == {f"LA-2-000001{n}" for n in range(10)}
    own = site.client("caseworker").get("/app/search?q=la-2-000001").text
    teams = store(site).frame("SELECT case_ref, team FROM ehc_case_summary WHERE case_ref "
                              "LIKE 'LA-2-000001%'")
    north = set(teams[teams["team"] == TEAM]["case_ref"])
    assert set(re.findall(r'href="/app/cases/([^"]+)"', own)) == north
    assert site.client("manager").get("/app/search?q=" + "x" * 101).status_code == 422


def test_a_manager_reassigns_a_case_to_a_team_from_the_list(site, fix_case):
    manager = site.client("manager")
    page = manager.get("/app/cases/WEB-FIX-1/reassign").text
    assert '<option value="South">South</option>' in page
    refused = manager.post("/app/cases/WEB-FIX-1/reassign", data={
        "csrf_token": csrf(manager), "caseworker": "Grace Okafor", "team": "Atlantis"})
    assert refused.status_code == 422 and 'id="team-error"' in refused.text
    moved = manager.post("/app/cases/WEB-FIX-1/reassign", data={
        "csrf_token": csrf(manager), "caseworker": "Grace Okafor", "team": "South"},
        follow_redirects=False)
    assert moved.status_code == 303
    assert "Grace Okafor, South team" in text_of(manager.get("/app/cases/WEB-FIX-1").text)
    assert site.client("south").get("/app/cases/WEB-FIX-1").status_code == 200
    manager.post("/app/cases/WEB-FIX-1/reassign", data={
        "csrf_token": csrf(manager), "caseworker": CASEWORKER, "team": TEAM})


def test_the_caseload_downloads_as_csv(site):
    client = site.client("caseworker")
    answer = client.get("/app/caseload.csv")
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0][:2] == ["Case reference", "Team"]
    mine = store(site).scalar(
        "SELECT COUNT(*) FROM ehc_case_summary WHERE caseworker = ? AND team = ? AND "
        "(status = 'open' OR next_key IS NOT NULL)", [CASEWORKER, TEAM])
    assert len(rows) - 1 == mine > 0
    assert {row[1] for row in rows[1:]} == {TEAM}
    assert not any("_" in cell for row in rows[1:] for cell in row[3:5])  # words, not codes


def test_the_caseworkers_home_lists_what_is_due_in_the_next_2_weeks(site):
    client = site.client("caseworker")
    open_case(client, "WEB-SOON-1")
    record(client, "WEB-SOON-1", "request_received", TODAY - timedelta(days=35),
           requester="parent")  # the decision is due in 7 days
    page = client.get("/app/caseload").text
    due = page.split('data-testid="due-soon"')[1].split("</table>")[0]
    assert "WEB-SOON-1" in due and "Decision whether to assess" in due
    expected = store(site).scalar(
        "SELECT COUNT(*) FROM ehc_deadline_fact WHERE caseworker = ? AND team = ? AND status = "
        "'pending' AND due >= ? AND due <= ?", [CASEWORKER, TEAM, TODAY.isoformat(),
                                                (TODAY + timedelta(days=14)).isoformat()])
    assert due.split("<tbody")[1].count("<tr") == expected


def test_the_board_reads_a_past_quarter_and_downloads_its_pack(site):
    board = site.client("board")
    day = TODAY - timedelta(days=200)
    label = f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    page = board.get(f"/app/board?period={label}").text
    months = ("January to March", "April to June", "July to September", "October to December")
    words = f"{months[(day.month - 1) // 3]} {day.year}"
    assert f"Quarter: <strong>{words}</strong>." in page
    pack = board.get(f"/app/board/action-plan/pack.zip?period={label}")
    assert pack.status_code == 200
    with zipfile.ZipFile(io.BytesIO(pack.content)) as archive:
        html = archive.read("board-pack.html").decode()
    assert f"Reporting period {words}" in html


def test_the_board_pack_reads_in_words_fits_the_page_and_says_what_is_unfinished(site):
    pack = site.client("board").get("/app/board/action-plan/pack.zip")
    with zipfile.ZipFile(io.BytesIO(pack.content)) as archive:
        html = archive.read("board-pack.html").decode()
        workbook = openpyxl.load_workbook(io.BytesIO(archive.read("board-pack.xlsx")))
    body = text_of(html.split("<body>")[1])
    assert code_names(body) == []
    assert html.count('<div class="wide"><table') == 7  # a wide table scrolls in its box
    assert "cases still in progress" in body and "to date" in body
    trend = workbook["trend"]
    header = [cell.value for cell in trend[1]]
    totals = [row[header.index("total")] for row in trend.iter_rows(min_row=2, values_only=True)]
    assert any(isinstance(t, int) for t in totals)  # numbers, not text
    assert not any(isinstance(t, str) and t.isdigit() for t in totals)


def test_every_event_type_of_the_domain_is_on_the_record_form(site):
    from domain.facts import FACT_TYPES

    page = site.client("caseworker").get("/app/cases/WEB-SOON-1/record").text
    offered = set(re.findall(r'name="type" type="radio" value="([a-z_]+)"', page))
    assert offered == set(FACT_TYPES) - {"correction"}


def test_the_familys_window_to_appeal_is_shown_as_information_not_a_deadline(site):
    client = site.client("caseworker")
    open_case(client, "WEB-APPEAL-1")
    received = TODAY - timedelta(days=50)
    record(client, "WEB-APPEAL-1", "request_received", received, requester="parent")
    record(client, "WEB-APPEAL-1", "decision_to_assess", received + timedelta(days=30),
           outcome="refuse")
    text = text_of(client.get("/app/cases/WEB-APPEAL-1").text)
    assert "The family's right to appeal" in text
    assert "not a deadline for the council" in text
    assert "(2 months from the decision)" in text and code_names(text) == []


def test_search_finds_a_case_by_the_childs_name_within_the_team(site):
    from datetime import date as day

    from domain.person import PersonDetails
    from service.people import people_for

    client = site.client("caseworker")
    open_case(client, "WEB-CHILD-1")
    people = people_for(site.app.state.services.application)
    child = people.register(PersonDetails(surname="Ó Briain", forename="Saoirse",
                                          date_of_birth=day(2015, 3, 14)), "test")
    people.link("WEB-CHILD-1", child, "test")
    found = text_of(client.get("/app/search", params={"q": "o briain"}).text)
    assert "WEB-CHILD-1" in found and "Saoirse Ó Briain" in found and "14 March 2015" in found
    by_birth = text_of(client.get("/app/search", params={"q": "14/03/2015"}).text)
    assert "WEB-CHILD-1" in by_birth
    other_team = text_of(site.client("south").get("/app/search", params={"q": "O Briain"}).text)
    assert "WEB-CHILD-1" not in other_team, other_team
    assert code_names(found) == []
