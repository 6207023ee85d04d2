"""Event forms built from the fact models: each field's kind from its type, the users' words
from domain.wording, what was typed read back with every problem beside its field, and
corrections that set only what changed. Part 2's shapes (an optional date, an optional group
of an authority's name and a date) are read by the same code as part 1's."""

from __future__ import annotations

from datetime import date
from typing import Literal

import pytest
from pydantic import BaseModel, Field, StrictBool

from domain.facts import FACT_TYPES, Fact
from domain.history import build_fact
from service.web.forms import (
    EARLIEST,
    FormState,
    event_fields,
    form_state,
    model_fields,
    on_field,
    read_correction,
    read_date,
    read_event,
    read_fields,
)


def kinds(kind: str) -> dict[str, str]:
    return {f.name: f.kind for f in event_fields(kind)}


def test_each_fields_kind_follows_its_type():
    assert kinds("request_received") == {"requester": "choice"}
    assert kinds("final_plan_issued") == {"family_confirmed_no_comments": "flag"}
    assert kinds("case_withdrawn") == {"reason": "long_text"}
    assert kinds("exception_recorded") == {
        "reason": "choice", "from": "date", "to": "date", "attested_by": "text",
        "applies_to": "keys", "provider": "choice"}
    required = {f.name: f.required for f in event_fields("exception_recorded")}
    assert required == {"reason": True, "from": True, "to": False, "attested_by": True,
                        "applies_to": False, "provider": False}


def test_labels_and_choices_are_the_users_words():
    [requester] = event_fields("request_received")
    assert requester.label == "Who made the request?"
    assert dict(requester.choices)["brought_to_attention"] == (
        "Brought to the authority's attention")
    provider = {f.name: f for f in event_fields("advice_requested")}["provider"]
    assert dict(provider.choices)["social_care"] == "Social care"
    for kind in FACT_TYPES:
        for field in event_fields(kind):
            assert "_" not in field.label, (kind, field.name)
            assert all("_" not in text for _, text in field.choices), (kind, field.name)


class TransferredIn(BaseModel):
    from_: str = Field(alias="from", min_length=1, max_length=200)
    on: date


class PlanInPlace(Fact):  # part 2's shape (plan-lifecycle.md), for the form builder
    type: Literal["plan_in_place"] = "plan_in_place"
    last_reviewed: date | None = None
    transferred_in: TransferredIn | None = None


class AmendedPlanIssued(Fact):
    type: Literal["amended_plan_issued"] = "amended_plan_issued"
    family_confirmed_no_comments: StrictBool = False
    names_next_setting: StrictBool = False


def test_part_2_shapes_are_read_by_the_same_code():
    fields = model_fields("plan_in_place", PlanInPlace)
    assert [(f.name, f.kind, f.required) for f in fields] == [
        ("last_reviewed", "date", False), ("transferred_in", "group", False)]
    group = fields[1]
    assert [(p.name, p.kind, p.label) for p in group.parts] == [
        ("from", "text", "Name of the authority it came from"),
        ("on", "date", "Date it transferred in")]
    assert read_fields(fields, {}, "plan_in_place") == (
        {"last_reviewed": None, "transferred_in": None}, [])
    started = {"plan_in_place-transferred_in-from": "Somerset"}
    _, errors = read_fields(fields, started, "plan_in_place")
    assert [(e.field, e.text) for e in errors] == [
        ("plan_in_place-transferred_in-on", "Enter the date it transferred in")]
    whole = {**started, "plan_in_place-transferred_in-on-day": "10",
             "plan_in_place-transferred_in-on-month": "9",
             "plan_in_place-transferred_in-on-year": "2025"}
    values, errors = read_fields(fields, whole, "plan_in_place")
    assert errors == [] and values["transferred_in"] == {"from": "Somerset",
                                                         "on": date(2025, 9, 10)}
    flags = model_fields("amended_plan_issued", AmendedPlanIssued)
    assert read_fields(flags, {"amended_plan_issued-names_next_setting": "yes"},
                       "amended_plan_issued")[0] == {
        "family_confirmed_no_comments": False, "names_next_setting": True}


@pytest.mark.parametrize(("day", "month", "year", "message", "box"), [
    ("", "", "", "Enter the date it happened", "day"),
    ("3", "", "2025", "The date it happened must include a month", "month"),
    ("3", "1", "26", "Year must include 4 numbers", "year"),
    ("3", "1", "0001", "The date it happened must be on or after 1 September 2014", "day"),
    ("31", "8", "2014", "The date it happened must be on or after 1 September 2014", "day"),
    ("31", "2", "2025", "The date it happened must be a real date", "day"),
    ("²", "1", "2025", "The date it happened must be a real date", "day"),
    ("1", "1", "99999999999999999999", "Year must include 4 numbers", "year"),
])
def test_dates_are_real_four_digit_and_from_1_september_2014(day, month, year, message, box):
    form = {"on-day": day, "on-month": month, "on-year": year}
    value, error = read_date(form, "on", on_field("request_received"))
    assert value is None and error is not None
    assert (error.text, error.field, error.href) == (message, "on", f"#on-{box}")


def test_the_first_lawful_day_is_accepted():
    form = {"on-day": "1", "on-month": "9", "on-year": "2014"}
    assert read_date(form, "on", on_field("request_received")) == (EARLIEST, None)


def test_a_form_reports_every_problem_beside_its_field():
    payload, errors = read_event({"type": "exception_recorded"})
    assert payload is None
    assert [e.field for e in errors] == ["on", "exception_recorded-reason",
                                         "exception_recorded-from",
                                         "exception_recorded-attested_by"]
    _, errors = read_event({})
    assert [e.field for e in errors] == ["type", "on"]
    _, errors = read_event({"type": "case_withdrawn", "on-day": "1", "on-month": "1",
                            "on-year": "2025", "case_withdrawn-reason": "x" * 2001})
    assert [e.text for e in errors] == [
        "Why the case was withdrawn must be 2,000 characters or fewer"]


def test_a_filled_in_form_is_the_apis_payload():
    form = FormState({"type": "exception_recorded", "on-day": "4", "on-month": "3",
                      "on-year": "2025", "exception_recorded-reason": "school_closure",
                      "exception_recorded-from-day": "1", "exception_recorded-from-month": "3",
                      "exception_recorded-from-year": "2025",
                      "exception_recorded-attested_by": "Head teacher",
                      "exception_recorded-applies_to": ["final_plan", "decision_to_assess"]})
    payload, errors = read_event(form)
    assert errors == []
    assert payload == {"type": "exception_recorded", "on": "2025-03-04",
                       "reason": "school_closure", "from": "2025-03-01",
                       "attested_by": "Head teacher",
                       "applies_to": ["final_plan", "decision_to_assess"]}
    assert build_fact(payload).applies_to == ("final_plan", "decision_to_assess")


def test_a_correction_sets_only_what_changed():
    fact = build_fact({"type": "advice_requested", "on": "2025-03-03", "provider": "health",
                       "id": "ev3"})
    state = form_state((on_field(fact.type), *event_fields(fact.type)),
                       {"on": "2025-03-03", "provider": "health"}, "fix")
    assert state == {"fix-on-day": "3", "fix-on-month": "3", "fix-on-year": "2025",
                     "fix-provider": "health"}
    unchanged, errors = read_correction(fact, FormState(state, reason="no change"))
    assert unchanged is None and errors[0].text.startswith("Change at least one detail")
    changed, errors = read_correction(fact, FormState(
        state, **{"fix-provider": "social_care", "fix-setting": "Oak Primary"},
        reason="wrong adviser"))
    assert errors == []
    assert changed == {"corrects": "ev3", "reason": "wrong adviser",
                       "set": {"provider": "social_care", "setting": "Oak Primary"}}
    untick = build_fact({"type": "final_plan_issued", "on": "2025-03-03", "id": "ev9",
                         "family_confirmed_no_comments": True})
    cleared, _ = read_correction(untick, FormState({"fix-on-day": "3", "fix-on-month": "3",
                                                    "fix-on-year": "2025", "reason": "no"}))
    assert cleared["set"] == {"family_confirmed_no_comments": False}
    _, errors = read_correction(fact, FormState(state))
    assert [e.field for e in errors] == ["reason"]
