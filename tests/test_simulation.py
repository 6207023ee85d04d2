"""The what-if simulator: its four properties on small generated authorities, its levers,
and the engine's verdict it relies on."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import numpy as np
import pytest
from conftest import settings_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calendars.periods import parse_period
from domain.facts import FinalPlanIssued
from domain.timeline import evaluate, final_plan_if_issued
from projections.backtest import authority_cases
from projections.queries import project_final_plans
from projections.simulation import (
    Levers,
    Settings,
    SimulationRefused,
    Verdicts,
    known_authority,
    levers_from,
    open_period,
    outcome,
    simulate_paths,
    uniforms,
    what_if,
)
from scenarios.generator import GeneratorSettings, generate_cases, save_in_batches
from service.stores import open_application, open_projection

TODAY = date(2026, 5, 20)


@cache
def authority(seed: int, cases: int = 120) -> tuple:
    config = GeneratorSettings(cases=cases, seed=seed, today=TODAY, years=1, plan_years=False)
    return tuple((case.case_ref, tuple(case.facts)) for case in generate_cases(config))


@cache
def known(seed: int, today: date = TODAY):
    return known_authority(authority(seed), today)


SEEDS = st.integers(min_value=1, max_value=4)
LEVERS = st.builds(
    levers_from,
    advice=st.lists(st.sampled_from(["health=4w", "educational_psychology=6w", "health=30%",
                                     "education=2w"]), max_size=2),
    decisions_by_week=st.none() | st.integers(1, 6),
    drafts_by_week=st.none() | st.integers(8, 18),
    finals_first_lawful_day=st.booleans(),
    capacity=st.sampled_from([0.0, 10.0, 50.0]),
)
FEW = settings(max_examples=12, deadline=None,
               suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("seed", [1, 2])
def test_no_spread_at_the_median_reproduces_the_median_pace_forecast(seed, tmp_path):


    store_settings = settings_for("sqlite", tmp_path / "data")
    application = open_application(store_settings)
    config = GeneratorSettings(cases=120, seed=seed, today=TODAY, years=1, plan_years=False)
    save_in_batches(application.save, generate_cases(config))
    projection = open_projection(store_settings, application, today=lambda: TODAY)
    projection.rebuild()
    for label in ("2026-05", "2026-Q2", "2026"):
        period = parse_period(label)
        expected = project_final_plans(projection.store, TODAY, period)["median_pace"]
        result = what_if(known(seed), Settings(label, runs=3, spread=False, mode="whole"))
        median = result["baseline"]
        assert median["percent"]["p10"] == median["percent"]["p90"]  # no spread
        assert median["percent"]["median"] == expected["percent"]
        assert median["plans"]["median"] == expected["issued"] + expected["projected"]
        assert median["plans_within"]["median"] == (expected["issued_within"]
                                                    + expected["projected_within"])


@FEW
@given(seed=SEEDS, levers=LEVERS, run_seed=st.integers(0, 2**32 - 1))
def test_a_lever_that_shortens_steps_never_lowers_plans_within_under_requested(
        seed, levers, run_seed):
    data = known(seed)
    draws = uniforms(data, 40, run_seed)
    verdicts = Verdicts(data)
    period = parse_period("2026")
    base = outcome(data, simulate_paths(data, draws, Levers()), verdicts, period, "requested")
    scenario = outcome(data, simulate_paths(data, draws, levers), verdicts, period, "requested")
    assert (scenario.within >= base.within).all()  # run by run, not only the median
    assert (scenario.paths.final <= base.paths.final).all()


@FEW
@given(seed=SEEDS, run_seed=st.integers(0, 2**32 - 1), levers=LEVERS)
def test_the_same_seed_gives_the_same_result(seed, run_seed, levers):
    first = what_if(known(seed), Settings("2026-Q3", runs=30, seed=run_seed), levers)
    again = what_if(known_authority(authority(seed), TODAY),
                    Settings("2026-Q3", runs=30, seed=run_seed), levers)
    assert first == again


@FEW
@given(seed=SEEDS, levers=LEVERS)
def test_no_simulated_event_is_ever_stored(seed, levers):
    """The simulator reads facts; the cases' histories are the same objects, unchanged."""
    cases = authority(seed)
    before = [(ref, tuple(facts)) for ref, facts in cases]
    data = known_authority(cases, TODAY)
    what_if(data, Settings("2026", runs=20), levers)
    assert [(ref, tuple(facts)) for ref, facts in cases] == before


def test_no_simulated_event_reaches_the_store(tmp_path):



    store_settings = settings_for("sqlite", tmp_path / "data")
    application = open_application(store_settings)
    config = GeneratorSettings(cases=40, seed=5, today=TODAY, years=1, plan_years=False)
    save_in_batches(application.save, generate_cases(config))
    projection = open_projection(store_settings, application, today=lambda: TODAY)
    count = projection.source.count_raw()
    cases = authority_cases(projection.source, None)
    what_if(known_authority(cases, TODAY), Settings("2026", runs=50),
            levers_from(["health=4w"], drafts_by_week=14))
    assert projection.source.count_raw() == count


@FEW
@given(seed=SEEDS, offsets=st.lists(st.integers(0, 200), min_size=1, max_size=5))
def test_the_engine_verdict_for_a_final_date_is_what_evaluate_gives(seed, offsets):
    for case in known(seed).open_cases[:15]:
        days = [case.earliest_final + timedelta(days=o) for o in offsets]
        answers = final_plan_if_issued(case.facts, days)
        for day, answer in zip(days, answers, strict=True):
            final = FinalPlanIssued(on=day, recorded=day)
            expected = evaluate([*case.facts, final], day).deadlines["final_plan"]
            assert answer == expected


def test_levers_move_cases_with_reasons():
    result = what_if(known(1), Settings("2026", runs=200),
                     levers_from(["health=4w"], drafts_by_week=14))
    assert result["scenario"]["percent"]["median"] >= result["baseline"]["percent"]["median"]
    assert result["moved_to_on_time"]
    for moved in result["moved_to_on_time"]:
        assert moved["reasons"], moved
        assert moved["on_time_share"]["baseline"] < 0.5 <= moved["on_time_share"]["scenario"]


def test_spread_gives_a_range():
    result = what_if(known(2), Settings("2026", runs=300))
    figure = result["baseline"]["percent"]
    assert figure["p10"] <= figure["median"] <= figure["p90"]
    assert figure["p10"] < figure["p90"]


@pytest.mark.parametrize(("call", "rule"), [
    (lambda: levers_from(["dentist=4w"]), "unknown_provider"),
    (lambda: levers_from(["health=-4w"]), "advice_lever_invalid"),
    (lambda: levers_from(["health=0w"]), "weeks_out_of_range"),
    (lambda: levers_from(["health=400w"]), "weeks_out_of_range"),
    (lambda: levers_from(["health=100%"]), "percent_out_of_range"),
    (lambda: levers_from(drafts_by_week=-3), "weeks_out_of_range"),
    (lambda: levers_from(decisions_by_week=99), "weeks_out_of_range"),
    (lambda: levers_from(capacity=-5), "capacity_out_of_range"),
    (lambda: open_period("2025", TODAY), "period_closed"),
    (lambda: open_period("2026-13", TODAY), "period_invalid"),
    (lambda: what_if(known(1), Settings("2026", runs=10_001)), "runs_out_of_range"),
    (lambda: what_if(known(1), Settings("2026", runs=0)), "runs_out_of_range"),
])
def test_bad_input_is_refused_with_its_rule(call, rule):
    with pytest.raises(SimulationRefused) as refused:
        call()
    assert refused.value.rule == rule


def test_draws_are_conditioned_on_time_already_taken():
    from projections.simulation import draw

    history = np.array([10, 20, 30, 40, 50])
    taken = draw(history, np.linspace(0, 0.99, 50).reshape(1, 50), np.full(50, 35), True)
    assert set(taken.ravel()) == {40, 50}
    beyond = draw(history, np.array([[0.5]]), np.array([70]), True)
    assert beyond.ravel().tolist() == [70]


def test_the_order_cases_are_read_in_does_not_change_the_result():
    cases = authority(3)
    forward = what_if(known_authority(cases, TODAY), Settings("2026", runs=40, seed=9))
    backward = what_if(known_authority(cases[::-1], TODAY), Settings("2026", runs=40, seed=9))
    assert forward == backward


def test_each_months_pace_is_its_median_over_the_years():
    from projections.simulation import monthly_pace

    days = [100] * 10 + [200] * 10 + [150] * 3
    months = [0] * 10 + [1] * 10 + [2] * 3  # month 2 has too few plans to count
    factors, kept = monthly_pace(days, months)
    overall = 150.0
    assert factors.tolist() == [100 / overall, 200 / overall]
    assert kept == days
    assert monthly_pace([], [])[0].tolist() == [1.0]


def test_a_month_too_soon_after_the_first_request_sets_no_pace():
    """In a young authority only the quick plans of its first months have finished."""
    from projections.simulation import monthly_pace

    days = [140] * 10 + [90] * 10
    months = [0] * 10 + [5] * 10  # month 5 ended 150 days ago; the first request was 250
    factors, _ = monthly_pace(days, months, known_days=250)
    assert factors.tolist() == [140 / 115]  # 90% of plans take up to 140 days: 250-180 < 140


def _figure(p10, median, p90):
    return {"p10": p10, "median": median, "p90": p90}


def test_the_board_sees_no_case_and_no_count_under_5():
    from projections.simulation import what_if_for_board

    result = {
        "period": "2026", "open_assessments": 40, "history": {"decision": 120,
                                                               "advice.other": 3},
        "baseline": {"percent": _figure(40.0, 45.0, 50.0), "plans_within": _figure(8, 9, 10),
                     "plans": _figure(20, 20, 20)},
        "scenario": {"percent": _figure(45.0, 50.0, 55.0), "plans_within": _figure(9, 10, 11),
                     "plans": _figure(20, 20, 20)},
        "moved_to_on_time": [{"case_ref": f"C{n}", "reasons": ["x"]} for n in range(3)],
    }
    shown = what_if_for_board(result)
    assert shown["moved_to_on_time"] is None and shown["history"]["advice.other"] is None
    assert shown["history"]["decision"] == 120 and shown["withheld"]
    assert shown["open_assessments"] == 40  # the 37 that stay late are not shown
    assert shown["baseline"]["percent"]["median"] == 45.0
    assert "C0" not in str(shown)


def test_the_board_sees_no_quarter_of_fewer_than_5_plans():
    from projections.backtest import backtest_for_board

    row = {"forecast_on": "2026-01-01", "quarter": "2026-Q1", "projected": 50.0, "p10": 40.0,
           "p90": 60.0, "actual": 75.0, "plans": 4, "plans_within": 3, "error": -25.0,
           "in_range": False, "open_assessments": 7}
    big = {**row, "forecast_on": "2026-04-01", "quarter": "2026-Q2", "plans": 40,
           "plans_within": 20, "actual": 50.0, "error": 0.0, "in_range": True}
    shown = backtest_for_board({"months": [row, big], "runs": 10, "seed": 1})
    small, large = shown["months"]
    assert small["plans"] is None and small["actual"] is None and small["withheld"]
    assert large["plans"] == 40 and large["actual"] == 50.0
    assert shown["summary"]["months"] == 1  # only what the board may see is summarised


def test_a_young_history_is_said_to_be_one():
    from service.forecasts import what_if_text

    result = what_if(known(1), Settings("2026", runs=10))  # requests began a year ago
    assert result["young_history"] is True
    assert "history lacks the year's slow cases" in what_if_text(result)
    grown = known_authority(authority(1), TODAY + timedelta(days=200))
    assert not grown.young
