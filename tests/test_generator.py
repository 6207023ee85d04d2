"""The synthetic authority: deterministic, lawful, and calibrated to national patterns."""

from __future__ import annotations

from collections import Counter
from datetime import date

from domain.timeline import evaluate
from scenarios.generator import GeneratorSettings, generate_cases, synthetic_case
from service.demo import ensure_demo_data
from service.settings import StoreSettings
from service.stores import open_application, open_projection

CONFIG = GeneratorSettings(cases=1500, seed=11, today=date(2026, 11, 23))


def test_the_same_seed_gives_the_same_cases():
    first = [synthetic_case(CONFIG, n) for n in range(20)]
    again = [synthetic_case(CONFIG, n) for n in range(20)]
    assert [c.facts for c in first] == [c.facts for c in again]
    other = [synthetic_case(GeneratorSettings(20, seed=12), n) for n in range(20)]
    assert [c.facts for c in first] != [c.facts for c in other]


def test_nothing_is_dated_or_recorded_after_today():
    for case in generate_cases(GeneratorSettings(300, 3, date(2025, 6, 1))):
        assert all(f.on <= date(2025, 6, 1) and f.recorded <= date(2025, 6, 1)
                   for f in case.facts)


def test_the_caseload_looks_like_a_local_authority():
    timelines = [evaluate(case.facts, CONFIG.today) for case in generate_cases(CONFIG)]
    statuses = Counter(t.status for t in timelines)
    decided = statuses["refused"] + statuses["not_issued"] + statuses["plan_issued"]
    assert 0.18 < statuses["refused"] / decided < 0.32  # about a quarter refused
    assert 0.02 < statuses["not_issued"] / decided < 0.09  # about 5% not issued
    finals = [t.deadlines["final_plan"] for t in timelines
              if t.deadlines["final_plan"].completed_on]
    within = sum(d.status == "met" for d in finals) / len(finals)
    assert 0.38 < within < 0.54, within  # national 46% (SEN2 2025)
    advice = [d for t in timelines for d in t.deadlines.values()
              if d.kind == "advice" and d.completed_on]
    on_time = {p: sum(d.status == "met" for d in advice if d.provider == p)
               / sum(d.provider == p for d in advice) for p in ("education", "health")}
    assert on_time["education"] > on_time["health"]  # lateness differs by provider
    corrected = sum(any(f.type == "correction" for f in c.facts)
                    for c in generate_cases(GeneratorSettings(600, 11, CONFIG.today)))
    assert corrected > 0



def test_plans_live_on_after_issue_with_reviews_near_the_national_pace():
    config = GeneratorSettings(cases=600, seed=5, today=CONFIG.today, plans_in_place=300)
    timelines = [evaluate(case.facts, config.today) for case in generate_cases(config)]
    deadlines = [d for t in timelines for d in t.deadlines.values() if d.completed_on]
    decisions = [d for d in deadlines if d.kind == "review_decision"]
    within = sum(d.status == "met" for d in decisions) / len(decisions)
    assert 0.38 < within < 0.56, within  # DfE 2025: about 47% within 4 weeks
    kinds = {d.kind for d in deadlines}
    assert {"review", "amended_plan", "phase_transfer", "reassessment_final"} <= kinds
    plans = Counter(t.plan_status for t in timelines)
    assert plans["ceased"] > 0 and plans["in_force"] > 300
    placed = [t for t in timelines if t.request_received is None]
    assert len(placed) == 300 and any(t.plan.transferred_in_from for t in placed)


def test_without_plan_years_the_cases_stop_at_the_final_plan():
    config = GeneratorSettings(cases=200, seed=5, today=CONFIG.today, plan_years=False)
    types = {f.type for case in generate_cases(config) for f in case.facts}
    assert types <= {"request_received", "decision_to_assess", "advice_requested",
                     "advice_received", "not_to_issue_notice", "draft_plan_issued",
                     "final_plan_issued", "exception_recorded", "case_withdrawn", "correction"}


def test_the_demo_is_added_to_a_store_holding_other_cases_once(tmp_path):
    settings = StoreSettings(data_dir=tmp_path)
    open_application(settings).open_case("OTHER-1")  # e.g. left by an earlier run
    ensure_demo_data(settings, 12)
    ensure_demo_data(settings, 12)  # the demo is there: nothing is generated twice
    application = open_application(settings)
    refs = [row[0] for row in
            open_projection(settings, application).store.table_rows("ehc_case_summary")]
    assert sorted(refs) == (["LA-1-" + f"{n:07d}" for n in range(12)]
                            + ["LA-1-" + f"P{n:06d}" for n in range(6)] + ["OTHER-1"])
