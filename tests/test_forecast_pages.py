"""The managers' What if page: levers as form fields, the result as a table and a chart,
the cases that move with their reasons; errors in the summary and beside each field."""

from __future__ import annotations

import re
from html import unescape

import pytest
from browser import code_names
from web_site import TODAY, shared_site

from calendars.periods import period_containing


@pytest.fixture(scope="module")
def site():
    return shared_site()


def main_text(html: str) -> str:
    main = html[html.index("<main"):html.index("</main>")]
    main = re.sub(r"<(script|style)\b.*?</\1>", " ", main, flags=re.S)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", main)))


PERIOD = period_containing(TODAY, "academic_year").label


def test_the_form_shows_the_levers(site):
    answer = site.client("manager").get("/app/what-if")
    assert answer.status_code == 200
    for name in ("period", "advice_provider", "advice_weeks", "advice_percent",
                 "decisions_by_week", "drafts_by_week", "finals", "capacity", "runs"):
        assert f'name="{name}"' in answer.text
    assert 'href="/app/what-if"' in answer.text  # in the managers' menu
    assert 'data-testid="what-if"' not in answer.text  # nothing run yet


def test_a_manager_sees_now_and_with_the_changes(site):
    client = site.client("manager")
    query = (f"/app/what-if?run=yes&period={PERIOD}&advice_provider=health&advice_weeks=4"
             "&drafts_by_week=14&finals=yes&runs=60")
    answer = client.get(query)
    assert answer.status_code == 200, answer.text
    text = main_text(answer.text)
    assert 'data-testid="what-if"' in answer.text and "<svg" in answer.text
    assert "With the changes" in text and "New plans within 20 weeks" in text
    assert "drafts by week 14" in text
    assert not code_names(text), code_names(text)
    if 'data-testid="moved"' in answer.text:
        assert re.search(r'href="/app/cases/[^"]+"', answer.text)
        assert " instead of " in text
    assert client.get(query).text.count("%") == answer.text.count("%")  # the same seed


@pytest.mark.parametrize(("query", "message", "field"), [
    ("period=2020", "Select a period from the list", "period"),
    ("drafts_by_week=-3", "Enter the week for drafts as a whole number", "drafts_by_week"),
    ("decisions_by_week=80", "Enter a week from 1 to 52", "decisions_by_week"),
    ("runs=20000", "Enter a number of runs from 1 to 10,000", "runs"),
    ("advice_provider=health", "Enter the weeks for advice, or how much faster",
     "advice_weeks"),
    ("advice_provider=health&advice_percent=150", "1-99%", "advice_percent"),
    ("capacity=900", "give 0-500%", "capacity"),
])
def test_bad_answers_are_shown_with_the_field_to_fix(site, query, message, field):
    query = query if query.startswith("period=") else f"period={PERIOD}&{query}"
    answer = site.client("manager").get(f"/app/what-if?run=yes&{query}")
    assert answer.status_code == 422
    assert "There is a problem" in answer.text and message in unescape(answer.text)
    assert f'href="#{field}"' in answer.text
    assert f'id="{field}-error"' in answer.text


def test_only_managers_may_ask(site):
    for role in ("caseworker", "board", "auditor"):
        assert site.client(role).get("/app/what-if").status_code == 403


def test_the_board_pack_carries_the_forecasts_track_record(site):
    import io
    import zipfile

    pack = site.client("board").get("/app/board/action-plan/pack.zip")
    assert pack.status_code == 200
    with zipfile.ZipFile(io.BytesIO(pack.content)) as archive:
        html = archive.read("board-pack.html").decode()
        rows = archive.read("forecast_track_record.csv").decode().splitlines()
    assert rows[0] == "forecast_on,quarter,projected,p10,p90,actual,error,in_range"
    assert len(rows) > 12  # two years back, the quarters now over
    text = main_text(html.replace("<body>", "<body><main>").replace("</body>", "</main>"))
    assert "How far to trust the forecast" in text and "10-90 range" in text
    assert 'class="range"' in html  # the chart: each month's range beside what happened
    assert "WEB-" not in html and "LA-" not in html  # no case reference reaches the board
    assert not code_names(text), code_names(text)


def test_managers_and_the_board_see_how_far_to_trust_the_forecast(site):
    answer = site.client("manager").get("/app/what-if/track-record")
    assert answer.status_code == 200, answer.text
    text = main_text(answer.text)
    assert 'data-testid="track-record"' in answer.text and 'class="range"' in answer.text
    assert "percentage points on average" in text and "10-90 range" in text
    assert not code_names(text), code_names(text)
    board = site.client("board").get("/app/what-if/track-record")
    assert board.status_code == 200 and "LA-" not in board.text
    assert site.client("caseworker").get("/app/what-if/track-record").status_code == 403
