"""Every rule of the contract's event table refuses with its own error and a named source."""

from __future__ import annotations

from datetime import date

import pytest
from builders import accept_all, fact, standard_case

from domain.errors import (
    CaseClosed,
    CorrectionRefused,
    DateRuleBroken,
    Duplicate,
    ExceptionRefused,
    InvalidValue,
    OutOfOrder,
    RuleBroken,
)
from domain.history import build_fact
from domain.rules import check_new_fact

R = "2025-02-03"


def request(**fields):
    return fact("request_received", R, requester="parent", id="r", **fields)


def assess(on="2025-03-10", outcome="assess"):
    return fact("decision_to_assess", on, outcome=outcome, id="d")


def refused(history, new, error, words):
    with pytest.raises(error) as raised:
        check_new_fact(history, new)
    assert words in str(raised.value), str(raised.value)
    return raised.value


def test_the_contract_example_is_accepted():
    assert len(standard_case()) == 6


def test_request_must_come_first():
    refused([], assess(), OutOfOrder, "a case starts with a request for an assessment")


def test_request_exactly_once():
    refused([request()], fact("request_received", R, requester="school"), Duplicate,
            "a case starts once, with a request (CFA s.36(1))")


def test_unknown_requester_is_refused_naming_the_choices():
    with pytest.raises(InvalidValue, match=r"unknown requester 'aunt'.*brought_to_attention"):
        build_fact({"type": "request_received", "on": R, "requester": "aunt"})


def test_unknown_provider_is_refused():
    with pytest.raises(InvalidValue, match="unknown provider 'dentist'"):
        build_fact({"type": "advice_requested", "on": R, "provider": "dentist"})


def test_unknown_event_type_is_refused():
    with pytest.raises(InvalidValue, match="unknown event type 'plan_amended'"):
        build_fact({"type": "plan_amended", "on": R})


def test_event_before_the_request_is_refused():
    refused([request()], assess("2025-02-02"), DateRuleBroken,
            "before the case started on 3 February 2025")


def test_event_recorded_before_it_happened_is_refused():
    late = fact("decision_to_assess", "2025-03-10", outcome="assess", recorded="2025-03-09")
    refused([request()], late, DateRuleBroken, "nothing is recorded before it happened")


def test_dates_in_the_future_are_refused_when_today_is_known():
    with pytest.raises(DateRuleBroken, match="in the future"):
        check_new_fact([request()], assess("2025-03-10"), today=date(2025, 3, 9))


def test_second_decision_is_refused():
    refused([request(), assess()], fact("decision_to_assess", "2025-03-11", outcome="refuse"),
            Duplicate, "it is made once (reg 5(1))")


def test_advice_after_refusal_is_refused():
    refused([request(), assess(outcome="refuse")],
            fact("advice_requested", "2025-03-12", provider="health"), OutOfOrder,
            "refused to assess on 10 March 2025")


def test_advice_before_decision_is_allowed():
    accept_all([request(), fact("advice_requested", "2025-02-10", provider="education")])


def test_advice_received_needs_an_outstanding_request_dated_on_or_before_it():
    history = [request(), assess(), fact("advice_requested", "2025-03-20", provider="health")]
    refused(history, fact("advice_received", "2025-03-19", provider="health"), OutOfOrder,
            "answers no outstanding request")
    refused(history, fact("advice_received", "2025-04-01", provider="social_care"), OutOfOrder,
            "no outstanding request")


def test_advice_received_twice_for_one_request_is_refused():
    history = accept_all([request(), assess(),
                          fact("advice_requested", "2025-03-20", provider="health"),
                          fact("advice_received", "2025-04-01", provider="health")])
    refused(history, fact("advice_received", "2025-04-02", provider="health"), OutOfOrder,
            "no outstanding request")


@pytest.mark.parametrize("decision", [None, "refuse"])
def test_not_to_issue_needs_a_decision_to_assess(decision):
    history = [request()] + ([assess(outcome=decision)] if decision else [])
    refused(history, fact("not_to_issue_notice", "2025-05-01"), OutOfOrder,
            "needs a decision to assess first (reg 10(1))")


def test_not_to_issue_after_a_draft_is_refused_whatever_the_dates():
    history = [request(), assess(), fact("draft_plan_issued", "2025-05-30")]
    refused(history, fact("not_to_issue_notice", "2025-05-01"), OutOfOrder,
            "a plan is being issued (draft plan sent on")


def test_draft_needs_a_decision_to_assess_dated_before_it():
    refused([request()], fact("draft_plan_issued", "2025-05-30"), OutOfOrder, "reg 12")
    refused([request(), assess()], fact("draft_plan_issued", "2025-03-09"), OutOfOrder,
            "before the decision to assess on 10 March 2025")


def test_draft_after_not_to_issue_is_refused():
    history = [request(), assess(), fact("not_to_issue_notice", "2025-05-01")]
    refused(history, fact("draft_plan_issued", "2025-05-30"), OutOfOrder,
            "ended with decision not to issue a plan on 1 May 2025")


def test_final_needs_a_draft():
    refused([request(), assess()], fact("final_plan_issued", "2025-06-20"), OutOfOrder,
            "a final plan needs a draft plan first (reg 13(1))")


def test_final_before_the_latest_draft_is_refused():
    history = [request(), assess(), fact("draft_plan_issued", "2025-05-01"),
               fact("draft_plan_issued", "2025-06-01")]
    refused(history, fact("final_plan_issued", "2025-05-20"), OutOfOrder,
            "before the latest draft, served on 1 June 2025")


def test_final_twice_is_refused():
    refused(standard_case(), fact("final_plan_issued", "2025-06-25"), Duplicate,
            "issued once (reg 13(2))")


def test_nothing_but_corrections_after_withdrawal():
    history = [request(), fact("case_withdrawn", "2025-03-01", reason="moved away")]
    refused(history, assess(), CaseClosed, "closed on 1 March 2025 (case withdrawn)")
    check_new_fact(history, fact("correction", "2025-03-02", corrects="r",
                                 set={"requester": "school"}, reason="wrong source"))


def test_duplicate_event_ids_are_refused():
    refused([request()], fact("decision_to_assess", "2025-03-10", outcome="assess", id="r"),
            Duplicate, "already used")


class TestExceptions:
    base = (request(), assess())

    def exception(self, **fields):
        values = {"reason": "personal_circumstances", "from": "2025-03-01",
                  "attested_by": "Team manager"} | fields
        return fact("exception_recorded", "2025-03-15", **values)

    def test_to_before_from_is_refused(self):
        refused(self.base, self.exception(to="2025-02-01"), ExceptionRefused, "ends")

    def test_blank_attestation_is_refused(self):
        refused(self.base, self.exception(attested_by="  "), ExceptionRefused,
                "the name of who attests")

    def test_missed_appointment_must_name_the_provider(self):
        refused(self.base, self.exception(reason="missed_appointment"), ExceptionRefused,
                "reg 8(2)(c)")

    def test_missed_appointment_never_excuses_the_20_week_limit(self):
        error = refused(self.base, self.exception(reason="missed_appointment", provider="health",
                                                   applies_to=["final_plan"]),
                        ExceptionRefused,
                        "not an exception to the final plan")
        assert "advice (reg 8(2)(c))" in str(error)

    def test_absence_shorter_than_28_days_is_refused(self):
        refused(self.base, self.exception(reason="absence_from_area", to="2025-03-25"),
                ExceptionRefused, "25 days is not an exception")

    def test_absence_of_exactly_28_days_is_accepted(self):
        check_new_fact(self.base, self.exception(reason="absence_from_area", to="2025-03-28"))

    def test_applies_to_must_name_deadlines(self):
        refused(self.base, self.exception(applies_to=["draft_plan"]), ExceptionRefused,
                "not a deadline")
        refused(self.base, self.exception(applies_to=["advice.health.1"]), ExceptionRefused,
                "not a deadline")
        check_new_fact(self.base, self.exception(applies_to=["advice.health.2"]))

    def test_unknown_reason_is_refused(self):
        with pytest.raises(InvalidValue, match="unknown reason 'staff_shortage'"):
            self.exception(reason="staff_shortage")

    def test_exception_may_start_before_the_request(self):
        check_new_fact(self.base, self.exception(**{"from": "2025-01-01"}))


class TestCorrections:
    def correction(self, corrects="d", made_on="2025-07-01", **changes):
        return fact("correction", made_on, corrects=corrects, set=changes, reason="keyed wrongly")

    def test_a_lawful_correction_is_accepted(self):
        check_new_fact(standard_case(), self.correction(on="2025-03-09"))

    def test_unknown_target_is_refused(self):
        refused(standard_case(), self.correction(corrects="zz", on="2025-03-09"),
                CorrectionRefused, "no event with id 'zz'")

    @pytest.mark.parametrize("name", ["type", "id", "recorded"])
    def test_identity_fields_cannot_change(self, name):
        refused(standard_case(), self.correction(**{name: "x"}), CorrectionRefused,
                f"cannot change {name}")

    def test_fields_of_other_types_cannot_be_set(self):
        refused(standard_case(), self.correction(provider="health"), CorrectionRefused,
                "provider is not a field of decision_to_assess")

    def test_corrections_cannot_be_corrected(self):
        history = [*standard_case(), build_fact({"type": "correction", "on": "2025-07-01",
                                                 "id": "c1", "corrects": "d",
                                                 "set": {"on": "2025-03-09"}, "reason": "x"})]
        refused(history, self.correction(corrects="c1", on="2025-03-08"), CorrectionRefused,
                "a correction cannot be corrected")

    def test_a_correction_that_breaks_a_rule_is_refused(self):
        # The draft moved before the decision to assess: the draft would precede it.
        error = refused(standard_case(), self.correction(corrects="s", on="2025-03-01"),
                        CorrectionRefused, "would make the case break a rule")
        assert "before the decision to assess on 10 March 2025" in str(error)
        # A refusal after advice was requested would bar that request.
        refused(standard_case(), self.correction(outcome="refuse"), CorrectionRefused,
                "refused to assess on 10 March 2025")

    def test_a_corrected_date_cannot_pass_its_recording_date(self):
        refused(standard_case(), self.correction(on="2025-03-11"), CorrectionRefused,
                "after the day the event was recorded")

    def test_invalid_corrected_value_is_refused(self):
        refused(standard_case(), self.correction(outcome="maybe"), CorrectionRefused,
                "unknown outcome 'maybe'")


def test_every_refusal_is_a_rule_broken():
    for error in (InvalidValue, OutOfOrder, Duplicate, DateRuleBroken, CaseClosed,
                  ExceptionRefused, CorrectionRefused):
        assert issubclass(error, RuleBroken)
