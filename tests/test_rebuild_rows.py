"""The rebuild's rows, on both stores, equal those of a slow reference: each case loaded through
the application (the library's own decoding, every fact validated) and evaluated alone, its
rows built here as the projection built them before the rebuild was made faster."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from domain.timeline import CaseTimeline, evaluate
from scenarios.generator import GeneratorSettings, generate_cases, save_in_batches
from service.stores import open_application, open_projection

TODAY = date(2026, 11, 23)
WAITING = ("pending", "overdue")


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def reference_summary(
    case, stored_id: str, timeline: CaseTimeline, position: int
) -> tuple:
    waiting = [d for d in timeline.deadlines.values() if d.status in WAITING]
    upcoming = min(waiting, key=lambda d: d.due, default=None)
    final = timeline.deadlines.get("final_plan")
    return (
        case.case_ref, stored_id, case.team, case.caseworker, timeline.status,
        _iso(timeline.request_received), timeline.requester,
        upcoming.key if upcoming else None, _iso(upcoming.due if upcoming else None),
        sum(d.status == "overdue" for d in waiting),
        None if timeline.breach_certain is None else int(timeline.breach_certain),
        _iso(timeline.earliest_final), _iso(final.due if final else None),
        final.status if final else None, _iso(timeline.latest_draft), TODAY.isoformat(),
        position,
    )


def reference_deadlines(case, timeline: CaseTimeline) -> list[tuple]:
    plan = timeline.new_plan
    disputed = int(plan.disputed) if plan is not None else 0
    rows = [
        (case.case_ref, d.key, d.kind, d.provider, d.clock_start.isoformat(), d.due.isoformat(),
         _iso(d.completed_on), d.status, d.days_late, int(d.exception_applies), d.exception,
         case.team, case.caseworker, d.completed_by,
         disputed if d.kind == "final_plan" else 0)
        for d in timeline.deadlines.values()
    ]
    final = timeline.deadlines.get("final_plan")
    if plan is not None and final is not None and final.completed_on is None:
        rows.append((
            case.case_ref, "first_final_plan", "final_plan", None,
            final.clock_start.isoformat(), plan.due.isoformat(), plan.issued_on.isoformat(),
            plan.status, plan.days_late, int(plan.exception_applies), None, case.team,
            case.caseworker, "final_plan_issued", disputed))
    return rows


def test_rebuilt_rows_equal_the_reference_rows(store_settings):
    config = GeneratorSettings(cases=160, seed=3, today=TODAY, plans_in_place=40)
    cases = list(generate_cases(config))
    application = open_application(store_settings)
    save_in_batches(application.save, cases)
    refs = [case.case_ref for case in cases]
    for ref in refs[::7]:  # reassigned cases take their new caseworker and team
        application.assign(ref, "Reassigned Worker", "South")
    projection = open_projection(store_settings, application, today=lambda: TODAY,
                                 batch_cases=17, workers=2)
    projection.rebuild()
    # The case ids as each store writes them (SQLite: without dashes).
    stored_ids = {UUID(row[1]): row[1]
                  for row in projection.store.table_rows("ehc_case_summary")}
    positions: dict[UUID, int] = {}  # the case's last event in the log
    for row in projection.source.cases(list(stored_ids.values())):
        positions[UUID(row[1])] = max(positions.get(UUID(row[1]), 0), row[0])
    summaries, deadlines = [], []
    for ref in refs:
        case = application.case(ref)
        timeline = evaluate(case.facts, as_of=TODAY, calendar=application.calendar)
        summaries.append(reference_summary(case, stored_ids[case.id], timeline,
                                           positions[case.id]))
        deadlines += reference_deadlines(case, timeline)
    assert projection.store.table_rows("ehc_case_summary") == sorted(summaries)
    assert projection.store.table_rows("ehc_deadline_fact") == sorted(
        deadlines, key=lambda row: (row[0], row[1]))
    assert len(deadlines) > 5 * len(refs)
    projection.close()
