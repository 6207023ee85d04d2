"""`ehc scenarios check`: replay scenario files through the real application and compare.

Each case runs through `EhcApplication` on the library's in-memory event store; KPIs run
through the timeliness projection and pandas, exactly as the service computes them.
Output and exit codes follow shared/spec/scenario-format.md "The command".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from domain.errors import RuleBroken
from domain.facts import fact_date
from domain.history import effective_facts
from domain.timeline import CaseTimeline, Deadline
from projections.case_record import deadline_rows
from projections.kpis import deadlines_frame, kpi
from scenarios.loader import InvalidScenario, KpiCheck, ScenarioCase, ScenarioFile, load_scenario
from service.application import EhcApplication

IN_MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
ACTOR = "scenario"


@dataclass
class FileReport:
    path: str
    passed: int = 0
    failures: list[str] = field(default_factory=list)
    invalid: str | None = None

    def check(self, label: str, expected: Any, got: Any) -> None:
        if expected == got:
            self.passed += 1
        else:
            self.failures.append(f"{label}: expected {show(expected)}, got {show(got)}")

    def fail(self, message: str) -> None:
        self.failures.append(message)


def show(value: Any) -> str:
    """Values as a scenario file would write them."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return str(value)


def scenario_paths(arguments: Iterable[str]) -> Iterator[str]:
    """Files as given; folders searched recursively for *.yaml and *.yml, in name order."""
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml"))
            yield from (str(p) for p in found)
        else:
            yield argument


def check_file(path: str) -> FileReport:
    report = FileReport(path)
    try:
        scenario = load_scenario(path)
    except InvalidScenario as error:
        report.invalid = str(error)
        return report
    app = EhcApplication(IN_MEMORY, calendar=scenario.calendar)
    for case in scenario.cases:
        _replay(app, case, report)
        if case.expect is not None:
            _compare_case(app, case, report)
    for check in scenario.kpis:
        _compare_kpi(app, scenario, check, report)
    return report


def _replay(app: EhcApplication, case: ScenarioCase, report: FileReport) -> None:
    app.open_case(case.name)
    for event in case.events:
        label = f"{report.path} {case.name} event {event.number} ({event.type})"
        try:
            app.record(case.name, event.payload, ACTOR)
        except RuleBroken as error:
            if event.expect_error:
                report.passed += 1
            else:
                report.fail(f"{label}: refused: {error}")
            continue
        if event.expect_error:
            report.fail(f"{label}: expected refused, got accepted")


def _compare_case(app: EhcApplication, case: ScenarioCase, report: FileReport) -> None:
    expect = case.expect or {}
    timeline = app.timeline(case.name, expect.get("as_of"), expect.get("known_at"))
    prefix = f"{report.path} {case.name}"
    for key, expected in expect.items():
        if key in ("as_of", "known_at"):
            continue
        if key == "deadlines":
            _compare_deadlines(timeline, expected, prefix, report)
        else:
            report.check(f"{prefix} {key}", expected, _case_value(timeline, key))


def _case_value(timeline: CaseTimeline, key: str) -> Any:
    value = getattr(timeline, key)
    return list(value) if isinstance(value, tuple) else value


def _compare_deadlines(
    timeline: CaseTimeline, expected: dict[str, dict[str, Any]], prefix: str, report: FileReport
) -> None:
    for key, fields in expected.items():
        deadline: Deadline | None = timeline.deadlines.get(key)
        for name, value in fields.items():
            label = f"{prefix} deadlines.{key}.{name}"
            if deadline is None:
                report.fail(f"{label}: expected {show(value)}, got no such deadline")
            else:
                report.check(label, value, getattr(deadline, name))


def _compare_kpi(
    app: EhcApplication, scenario: ScenarioFile, check: KpiCheck, report: FileReport
) -> None:
    as_of = check.as_of or _latest_on(app, scenario)
    rows = [
        row
        for case in scenario.cases
        for row in deadline_rows(case.name, app.timeline(case.name, as_of))
    ]
    result = kpi(deadlines_frame(rows), check.measure, check.period, check.cohort,
                 check.provider, disputes=check.disputes)
    label = f"{report.path} kpis[{check.index}] {check.measure} {check.period.label}"
    for key, expected in check.expect.items():
        report.check(f"{label} {key}", expected, str(getattr(result, key)))


def _latest_on(app: EhcApplication, scenario: ScenarioFile) -> date | None:
    """The KPI evaluation date: the latest `on` of the file's accepted events, corrected (a
    plan_in_place at its latest date)."""
    dates = [
        fact_date(fact)
        for case in scenario.cases for fact in effective_facts(app.facts(case.name))
    ]
    return max(dates, default=None)


@dataclass
class CheckSummary:
    reports: list[FileReport]

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.reports)

    @property
    def failed(self) -> int:
        return sum(len(r.failures) for r in self.reports)

    @property
    def exit_code(self) -> int:
        if any(r.invalid for r in self.reports):
            return 2
        return 1 if self.failed else 0

    def lines(self) -> list[str]:
        out = []
        for report in self.reports:
            if report.invalid:
                out.append(f"INVALID {report.path}: {report.invalid}")
            out += [f"FAIL {failure}" for failure in report.failures]
        out.append(f"{self.passed} passed, {self.failed} failed")
        return out

    def as_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "failed": self.failed,
            "exit_code": self.exit_code,
            "files": [
                {
                    "path": r.path,
                    "passed": r.passed,
                    "failed": len(r.failures),
                    "failures": [f"FAIL {f}" for f in r.failures],
                    "invalid": r.invalid,
                }
                for r in self.reports
            ],
        }


def check_paths(arguments: Iterable[str]) -> CheckSummary:
    return CheckSummary([check_file(path) for path in scenario_paths(arguments)])
