"""Reading scenario files (shared/spec/scenario-format.md), refusing invalid ones clearly.

A file is invalid when it is not YAML, a required key is missing, a mapping has an unknown key
or a date is not a real YYYY-MM-DD date. Other problems with an event (unknown type or
provider, a broken rule) are left for the domain to refuse, event by event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.resolver import VersionedResolver

from calendars.authority_calendar import AuthorityCalendar
from calendars.closures import SettingClosure
from calendars.periods import Period, parse_period
from domain import law
from domain.facts import FACT_TYPES, Fact, field_names
from projections.kpis import COHORTS, DISPUTES_MEASURE, MEASURES


class InvalidScenario(Exception):
    """The file breaks the format: it cannot be checked at all (exit 2)."""


@dataclass(frozen=True)
class ScenarioEvent:
    number: int  # 1-based position in the case's events
    type: str
    payload: dict[str, Any]
    expect_error: bool


@dataclass(frozen=True)
class ScenarioCase:
    name: str
    events: list[ScenarioEvent]
    expect: dict[str, Any] | None


@dataclass(frozen=True)
class KpiCheck:
    index: int  # 0-based position in `kpis`, as printed: kpis[2]
    measure: str
    period: Period
    cohort: str
    provider: str | None
    as_of: date | None
    expect: dict[str, str]
    disputes: str = "included"


@dataclass(frozen=True)
class ScenarioFile:
    path: str
    title: str
    calendar: AuthorityCalendar
    cases: list[ScenarioCase]
    kpis: list[KpiCheck] = field(default_factory=list)


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_FIELDS = frozenset({"on", "recorded", "from", "to", "last_reviewed", "transfer_on"})
_TRANSFERRED_IN = frozenset({"from", "on"})  # settled point 28: both are required
_COMMON_EVENT_KEYS = frozenset({"type", "on", "id", "recorded", "expect_error"})
_ALL_EVENT_KEYS = frozenset().union(*(field_names(t) for t in FACT_TYPES.values())) | {
    "expect_error"
}
_DEADLINE_EXPECT = {
    "due": "date",
    "completed_on": "date?",
    "status": "str",
    "days_late": "int",
    "exception": "str?",
    "exception_applies": "bool",
}
_CASE_EXPECT = {
    "as_of": "date",
    "known_at": "date",
    "deadlines": "map",
    "earliest_final": "date?",
    "breach_certain": "bool?",
    "flags": "list",
    "breach_reasons": "list",
    "status": "str",
    "plan_status": "str",
    "next_review_due": "date?",
}
_RATIO = re.compile(r"\d+/\d+")


class _Yaml12Resolver(VersionedResolver):
    """The contract reads every file with the YAML 1.2 core schema, whatever a `%YAML 1.1`
    directive asks: under 1.1 rules `on:` would become the boolean true."""

    @property
    def processing_version(self) -> tuple[int, int]:
        return (1, 2)


def _yaml() -> YAML:
    reader = YAML(typ="rt")  # YAML 1.2: `on`, `yes`, `no` stay strings
    reader.Resolver = _Yaml12Resolver
    # Keep timestamps as text: dates are checked here, so a bad one names its line.
    reader.constructor.add_constructor(
        "tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node)
    )
    return reader


def load_scenario(path: str) -> ScenarioFile:
    try:
        document = _yaml().load(Path(path).read_text(encoding="utf-8"))
    except (YAMLError, ValueError) as error:
        raise InvalidScenario(f"not YAML: {error}".replace("\n", " ")) from None
    except OSError as error:
        raise InvalidScenario(f"cannot read: {error}") from None
    top = _mapping(document, "the file", {"title", "calendar", "cases", "kpis"}, {"title", "cases"})
    cases = _sequence(top["cases"], "cases", minimum=1)
    parsed_cases = [_case(entry, i) for i, entry in enumerate(cases)]
    names = [c.name for c in parsed_cases]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InvalidScenario(f"case names must be unique: {', '.join(duplicates)}")
    kpis = _sequence(top.get("kpis", []), "kpis")
    return ScenarioFile(
        path=path,
        title=_text(top["title"], "title"),
        calendar=_calendar(top.get("calendar")),
        cases=parsed_cases,
        kpis=[_kpi(entry, i) for i, entry in enumerate(kpis)],
    )


def _where(node: Any) -> str:
    if isinstance(node, CommentedMap | CommentedSeq) and node.lc.line is not None:
        return f" (line {node.lc.line + 1})"
    return ""


def _mapping(node: Any, what: str, allowed: set[str] | frozenset[str], required: set[str]) -> dict:
    if not isinstance(node, dict):
        raise InvalidScenario(f"{what} must be a mapping{_where(node)}")
    unknown = sorted(str(k) for k in node if k not in allowed)
    if unknown:
        raise InvalidScenario(
            f"{what}{_where(node)}: unknown key {', '.join(unknown)} "
            f"(allowed: {', '.join(sorted(allowed))})"
        )
    missing = sorted(required - set(node))
    if missing:
        raise InvalidScenario(f"{what}{_where(node)}: missing required key {', '.join(missing)}")
    return dict(node)


def _sequence(node: Any, what: str, minimum: int = 0) -> list:
    if not isinstance(node, list) or len(node) < minimum:
        need = f" with at least {minimum} entry" if minimum else ""
        raise InvalidScenario(f"{what} must be a list{need}{_where(node)}")
    return list(node)


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidScenario(f"{what} must be a non-empty string")
    return value


def _date(value: Any, what: str) -> date:
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidScenario(f"{what}: {value!r} is not a real YYYY-MM-DD date")


def _calendar(node: Any) -> AuthorityCalendar:
    if node is None:
        return AuthorityCalendar()
    calendar = _mapping(node, "calendar", {"school_closures"}, set())
    closures = []
    for i, entry in enumerate(_sequence(calendar.get("school_closures", []), "school_closures")):
        what = f"calendar.school_closures[{i}]"
        closure = _mapping(entry, what, {"setting", "closed_from", "reopens"},
                           {"closed_from", "reopens"})
        try:
            closures.append(
                SettingClosure(
                    closed_from=_date(closure["closed_from"], f"{what}.closed_from"),
                    reopens=_date(closure["reopens"], f"{what}.reopens"),
                    setting=closure.get("setting"),
                )
            )
        except ValueError as error:
            raise InvalidScenario(f"{what}: {error}") from None
    return AuthorityCalendar(tuple(closures))


def _case(node: Any, index: int) -> ScenarioCase:
    case = _mapping(node, f"cases[{index}]", {"case", "events", "expect"}, {"case", "events"})
    name = str(case["case"])
    events = [
        _event(entry, f"case {name} event {n}", n)
        for n, entry in enumerate(_sequence(case["events"], f"case {name} events"), start=1)
    ]
    expect = case.get("expect")
    return ScenarioCase(name, events, None if expect is None else _case_expect(expect, name))


def _event(node: Any, what: str, number: int) -> ScenarioEvent:
    given = node.get("type") if isinstance(node, dict) else None
    fact_type = FACT_TYPES.get(given) if isinstance(given, str) else None
    allowed = _COMMON_EVENT_KEYS | field_names(fact_type) if fact_type else _ALL_EVENT_KEYS
    required = {"type", "on"} | (_required(fact_type) if fact_type else set())
    event = _mapping(node, what, allowed, required)
    for key in _DATE_FIELDS & event.keys():
        event[key] = _date(event[key], f"{what} {key}")
    if "transferred_in" in event:
        event["transferred_in"] = _transferred_in(event["transferred_in"], what)
    if "set" in event:
        event["set"] = _correction_set(event["set"], what)
    expect_error = event.pop("expect_error", False)
    if not isinstance(expect_error, bool):
        raise InvalidScenario(f"{what}: expect_error must be true or false")
    return ScenarioEvent(number, str(event["type"]), event, expect_error)


def _required(fact_type: type[Fact]) -> set[str]:
    return {
        info.alias or name
        for name, info in fact_type.model_fields.items()
        if info.is_required() and name not in ("on", "recorded")
    }


def _transferred_in(node: Any, what: str) -> Any:
    """A mapping with `from` and `on` (a date); a value of another shape is left for the
    domain to refuse, as any wrong value is."""
    if not isinstance(node, dict):
        return node
    moved = _mapping(node, f"{what} transferred_in", _TRANSFERRED_IN, set(_TRANSFERRED_IN))
    moved["on"] = _date(moved["on"], f"{what} transferred_in.on")
    return moved


def _correction_set(node: Any, what: str) -> dict[str, Any]:
    changes = _mapping(node, f"{what} set", _ALL_EVENT_KEYS - {"expect_error"}, set())
    for key in _DATE_FIELDS & changes.keys():
        changes[key] = _date(changes[key], f"{what} set.{key}")
    if "transferred_in" in changes:
        changes["transferred_in"] = _transferred_in(changes["transferred_in"], f"{what} set")
    return changes


def _case_expect(node: Any, name: str) -> dict[str, Any]:
    expect = _mapping(node, f"case {name} expect", set(_CASE_EXPECT), set())
    checked = {key: _typed(value, _CASE_EXPECT[key], f"case {name} expect.{key}")
               for key, value in expect.items() if key != "deadlines"}
    if "deadlines" in expect:
        deadlines = expect["deadlines"]
        if not isinstance(deadlines, dict):
            raise InvalidScenario(f"case {name} expect.deadlines must be a mapping")
        unknown = sorted(str(k) for k in deadlines if not law.is_deadline_key(str(k)))
        if unknown:
            raise InvalidScenario(
                f"case {name} expect.deadlines{_where(deadlines)}: unknown key "
                f"{', '.join(unknown)} (deadline keys: decision_to_assess, "
                "not_to_issue_notice, final_plan, advice.<provider>[.n], review.n, "
                "review_decision.n, amended_plan.n, phase_transfer[.n], "
                "reassessment_decision[.n], reassessment_final[.n], order.<duty>[.n])")
        checked["deadlines"] = {
            str(key): {
                field_name: _typed(value, _DEADLINE_EXPECT[field_name],
                                   f"case {name} deadlines.{key}.{field_name}")
                for field_name, value in _mapping(
                    fields, f"case {name} deadlines.{key}", set(_DEADLINE_EXPECT), set()
                ).items()
            }
            for key, fields in deadlines.items()
        }
    return checked


def _typed(value: Any, kind: str, what: str) -> Any:
    optional = kind.endswith("?")
    kind = kind.rstrip("?")
    if value is None and optional:
        return None
    if kind == "date":
        return _date(value, what)
    expected_type = {"str": str, "int": int, "bool": bool, "list": list, "map": dict}[kind]
    if kind == "int" and isinstance(value, bool):
        expected_type = type(None)  # a boolean is not a number of days
    if not isinstance(value, expected_type):
        raise InvalidScenario(f"{what}: expected a {kind}, got {value!r}")
    return list(value) if kind == "list" else value


def _kpi(node: Any, index: int) -> KpiCheck:
    what = f"kpis[{index}]"
    kpi = _mapping(node, what, {"measure", "period", "cohort", "provider", "as_of", "expect",
                                "disputes"}, {"measure", "period"})
    if not isinstance(kpi["measure"], str) or kpi["measure"] not in MEASURES:
        raise InvalidScenario(
            f"{what}: unknown measure {kpi['measure']!r} (known: {', '.join(MEASURES)})"
        )
    if not isinstance(kpi["period"], str):
        raise InvalidScenario(f'{what}: period must be a quoted string, e.g. "2025"')
    try:
        period = parse_period(kpi["period"])
    except ValueError as error:
        raise InvalidScenario(f"{what}: {error}") from None
    cohort = kpi.get("cohort", "completed")
    if cohort not in COHORTS:
        raise InvalidScenario(f"{what}: cohort must be one of {', '.join(COHORTS)}")
    disputes = _disputes(kpi, what)
    expect = _mapping(kpi.get("expect", {}), f"{what} expect",
                      {"including_exceptions", "excluding_exceptions"}, set())
    for key, value in expect.items():
        if not isinstance(value, str) or not _RATIO.fullmatch(value):
            raise InvalidScenario(f'{what} expect.{key}: write it as "within/total", e.g. "3/4"')
    return KpiCheck(
        index=index,
        measure=kpi["measure"],
        period=period,
        cohort=cohort,
        provider=kpi.get("provider"),
        as_of=_date(kpi["as_of"], f"{what} as_of") if "as_of" in kpi else None,
        expect=expect,
        disputes=disputes,
    )


def _disputes(kpi: dict, what: str) -> str:
    """plan-lifecycle.md: `disputes: excluded` only on final_plans_within_20_weeks (settled
    point 27); another measure or value makes the file invalid."""
    if "disputes" not in kpi:
        return "included"
    value = kpi["disputes"]
    if kpi["measure"] != DISPUTES_MEASURE:
        raise InvalidScenario(f"{what}: disputes applies only to {DISPUTES_MEASURE}")
    if value not in ("included", "excluded"):
        raise InvalidScenario(f"{what}: disputes must be included or excluded, not {value!r}")
    return str(value)
