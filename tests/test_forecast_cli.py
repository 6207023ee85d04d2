"""`ehc what-if` and `ehc forecast backtest` over a small generated authority; bad input is
one clear line and exit 2."""

from __future__ import annotations

import json

import pytest

from service.application import today_in_england
from service.cli import main


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("forecast") / "data"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EHC_DATA_DIR", str(folder))
        patch.setenv("EHC_STORE", "sqlite")
        assert main(["demo", "generate", "--cases", "200", "--seed", "3",
                     "--plans-in-place", "10"]) == 0
    return folder


@pytest.fixture
def store(data, monkeypatch):
    monkeypatch.setenv("EHC_DATA_DIR", str(data))
    monkeypatch.setenv("EHC_STORE", "sqlite")
    return data


def this_year() -> str:
    return str(today_in_england().year)


def test_what_if_prints_the_baseline_and_the_scenario(store, capsys):
    code = main(["what-if", "--period", this_year(), "--advice", "health=4w",
                 "--drafts-by-week", "14", "--runs", "100"])
    out = capsys.readouterr().out
    assert code == 0
    assert "baseline" in out and "scenario" in out
    assert "advice within 4 weeks; drafts by week 14" in out
    assert "Cases moving from late to on time" in out


def test_what_if_as_json_is_the_same_for_the_same_seed(store, capsys):
    arguments = ["what-if", "--period", this_year(), "--capacity", "20", "--runs", "50",
                 "--json"]
    assert main(arguments) == 0
    first = json.loads(capsys.readouterr().out)
    assert main(arguments) == 0
    assert json.loads(capsys.readouterr().out) == first
    assert first["scenario"]["plans_within"]["median"] >= first["baseline"]["plans_within"][
        "median"]


@pytest.mark.parametrize(("arguments", "message"), [
    (["--advice", "dentist=4w"], "unknown provider 'dentist'"),
    (["--advice", "health=-4w"], "write it as PROVIDER=Nw"),
    (["--drafts-by-week", "-3"], "must be 1 to 52"),
    (["--decisions-by-week", "500"], "must be 1 to 52"),
    (["--runs", "10001"], "give 1 to 10,000"),
])
def test_what_if_refuses_bad_input_with_exit_2(store, capsys, arguments, message):
    assert main(["what-if", "--period", this_year(), *arguments]) == 2
    assert message in capsys.readouterr().err


def test_what_if_refuses_a_period_already_closed(store, capsys):
    assert main(["what-if", "--period", str(today_in_england().year - 1)]) == 2
    assert "there is nothing left to forecast" in capsys.readouterr().err


def test_backtest_prints_each_month_and_its_calibration(store, capsys):
    today = today_in_england()
    year, month = (today.year - 1, today.month) if today.month > 1 else (today.year - 2, 12)
    assert main(["forecast", "backtest", "--from", f"{year}-{month:02d}", "--runs", "20",
                 "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert len(result["months"]) >= 6
    for row in result["months"]:
        assert row["quarter"] and row["forecast_on"]
        if row["error"] is not None:
            assert row["error"] == pytest.approx(row["projected"] - row["actual"], abs=0.11)
    assert result["summary"]["months"] >= 1


@pytest.mark.parametrize(("first", "message"), [
    ("2024-13", "give a month as YYYY-MM"), ("soon", "give a month as YYYY-MM"),
    ("2999-01", "give a month before this one"), ("1990-01", "at most 60 months back"),
])
def test_backtest_refuses_bad_months_with_exit_2(store, capsys, first, message):
    assert main(["forecast", "backtest", "--from", first]) == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("model", ["whole", "median-pace"])
def test_backtest_replays_the_other_forecasts_too(store, capsys, model):
    today = today_in_england()
    year, month = (today.year - 1, today.month) if today.month > 1 else (today.year - 2, 12)
    assert main(["forecast", "backtest", "--from", f"{year}-{month:02d}", "--runs", "10",
                 "--model", model]) == 0
    out = capsys.readouterr().out
    assert f"Backtest ({model})" in out and "Mean absolute error" in out
