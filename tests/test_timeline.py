"""The deadline engine, rule by rule (statutory-timescales.md §2-3, scenario-format.md)."""

from __future__ import annotations

from datetime import date

from builders import accept_all, fact, standard_case

from calendars.authority_calendar import AuthorityCalendar
from calendars.closures import SettingClosure
from domain.timeline import evaluate

D = date.fromisoformat


def case(*facts, as_of=None, known_at=None, calendar=None):
    return evaluate(accept_all(facts), D(as_of) if as_of else None,
                    D(known_at) if known_at else None, calendar or AuthorityCalendar())


def request(on="2025-02-03"):
    return fact("request_received", on, requester="parent", id="r")


def assess(on="2025-03-10", outcome="assess"):
    return fact("decision_to_assess", on, outcome=outcome, id="d")


def exception(on="2025-03-15", **fields):
    values = {"reason": "personal_circumstances", "from": "2025-03-01",
              "attested_by": "Team manager"} | fields
    return fact("exception_recorded", on, **values)


class TestDueDates:
    def test_weeks_count_from_the_day_after_the_trigger(self):
        timeline = case(request(), as_of="2025-02-03")
        due = {key: d.due for key, d in timeline.deadlines.items()}
        assert due == {"decision_to_assess": D("2025-03-17"),
                       "not_to_issue_notice": D("2025-05-26"),
                       "final_plan": D("2025-06-23")}

    def test_request_on_29_february(self):
        timeline = case(request("2024-02-29"))
        assert timeline.deadlines["final_plan"].due == D("2024-07-18")
        assert timeline.deadlines["decision_to_assess"].due == D("2024-04-11")

    def test_advice_counts_from_the_day_the_provider_received_the_request(self):
        timeline = case(request(), assess(), fact("advice_requested", "2025-03-11",
                                                  provider="health"))
        advice = timeline.deadlines["advice.health"]
        assert (advice.clock_start, advice.due) == (D("2025-03-11"), D("2025-04-22"))
        assert advice.citation == "reg 8(1)"
        assert advice.explanation == (
            "6 weeks from the day health received the request, 11 March 2025")

    def test_each_deadline_cites_its_regulation(self):
        timeline = case(request())
        assert {k: d.citation for k, d in timeline.deadlines.items()} == {
            "decision_to_assess": "reg 5(1)", "not_to_issue_notice": "reg 10(1)",
            "final_plan": "reg 13(2)"}
        assert timeline.deadlines["final_plan"].explanation == (
            "20 weeks from the request received on 3 February 2025")

    def test_an_easter_monday_deadline_stands(self):
        # R 10 Mar 2025 + 6 weeks = Mon 21 Apr 2025, Easter Monday: no roll to the Tuesday.
        met = case(request("2025-03-10"), assess("2025-04-21"))
        late = case(request("2025-03-10"), assess("2025-04-22"))
        assert met.deadlines["decision_to_assess"].status == "met"
        assert late.deadlines["decision_to_assess"].status == "late"
        assert late.deadlines["decision_to_assess"].days_late == 1


class TestStatuses:
    def test_pending_then_overdue_counting_days_to_as_of(self):
        assert case(request(), as_of="2025-03-17").deadlines["decision_to_assess"].status == (
            "pending")
        overdue = case(request(), as_of="2025-03-20").deadlines["decision_to_assess"]
        assert (overdue.status, overdue.days_late, overdue.completed_on) == ("overdue", 3, None)

    def test_met_and_late(self):
        timeline = standard_case()
        result = evaluate(timeline, D("2025-07-01"))
        assert result.deadlines["decision_to_assess"].status == "met"
        health = result.deadlines["advice.health"]
        assert (health.status, health.days_late, health.completed_on) == (
            "late", 14, D("2025-05-06"))
        assert result.status == "plan_issued"

    def test_refusal_makes_the_plan_duties_not_applicable(self):
        timeline = case(request(), assess(outcome="refuse"), as_of="2025-09-01")
        assert timeline.status == "refused"
        for key in ("not_to_issue_notice", "final_plan"):
            d = timeline.deadlines[key]
            assert (d.status, d.days_late, d.completed_on) == ("not_applicable", 0, None)
            assert d.due is not None  # reported whatever the status
        assert (timeline.earliest_final, timeline.breach_certain) == (None, None)

    def test_not_to_issue_binds_only_once_notified(self):
        open_case = case(request(), assess(), as_of="2025-09-01")
        assert open_case.deadlines["not_to_issue_notice"].status == "not_applicable"
        assert open_case.deadlines["final_plan"].status == "overdue"

    def test_not_to_issue_at_week_15_met_and_week_17_late(self):
        week15 = case(request(), assess(), fact("not_to_issue_notice", "2025-05-19"))
        week17 = case(request(), assess(), fact("not_to_issue_notice", "2025-06-02"))
        assert week15.deadlines["not_to_issue_notice"].status == "met"
        assert week17.deadlines["not_to_issue_notice"].status == "late"
        assert week17.deadlines["not_to_issue_notice"].days_late == 7
        assert week17.deadlines["final_plan"].status == "not_applicable"
        assert week17.status == "not_issued"

    def test_withdrawal_closes_every_uncompleted_deadline_even_past_due(self):
        timeline = case(request(), fact("case_withdrawn", "2025-04-01", reason="moved away"),
                        as_of="2025-09-01")
        assert timeline.status == "withdrawn"
        assert {d.status for d in timeline.deadlines.values()} == {"not_applicable"}

    def test_withdrawal_keeps_what_was_completed(self):
        timeline = case(request(), assess(), fact("case_withdrawn", "2025-04-01", reason="x"))
        assert timeline.deadlines["decision_to_assess"].status == "met"
        assert timeline.deadlines["final_plan"].status == "not_applicable"


class TestAdvice:
    def test_second_request_to_a_provider_gets_its_own_key(self):
        timeline = case(request(), assess(),
                        fact("advice_requested", "2025-03-11", provider="health"),
                        fact("advice_requested", "2025-04-01", provider="health"),
                        fact("advice_received", "2025-04-05", provider="health"),
                        as_of="2025-06-01")
        first, second = timeline.deadlines["advice.health"], timeline.deadlines["advice.health.2"]
        assert (first.status, first.completed_on) == ("met", D("2025-04-05"))
        assert (second.due, second.status) == (D("2025-05-13"), "overdue")

    def test_receipt_completes_the_earliest_outstanding_request_dated_before_it(self):
        timeline = case(request(), assess(),
                        fact("advice_requested", "2025-04-01", provider="health"),
                        fact("advice_requested", "2025-03-11", provider="health"),
                        fact("advice_received", "2025-03-20", provider="health"),
                        as_of="2025-04-10")
        assert timeline.deadlines["advice.health"].completed_on is None
        assert timeline.deadlines["advice.health"].status == "pending"
        assert timeline.deadlines["advice.health.2"].completed_on == D("2025-03-20")


    def test_a_receipt_never_answers_a_request_logged_after_it(self):
        # Found by the "unrelated event" property: replay is in the order accepted.
        timeline = case(request(), assess(),
                        fact("advice_requested", "2025-03-12", provider="health"),
                        fact("advice_received", "2025-03-20", provider="health"),
                        fact("advice_requested", "2025-03-11", provider="health",
                             recorded="2025-03-25"),
                        as_of="2025-05-01")
        assert timeline.deadlines["advice.health"].completed_on == D("2025-03-20")
        assert timeline.deadlines["advice.health.2"].status == "overdue"


class TestExceptions:
    def test_an_exception_excuses_but_never_moves_the_date(self):
        timeline = case(request(), exception(), as_of="2025-03-27")
        decision = timeline.deadlines["decision_to_assess"]
        assert (decision.due, decision.status, decision.days_late) == (
            D("2025-03-17"), "excepted", 10)
        assert decision.exception == "personal_circumstances"

    def test_exception_applies_is_reported_even_when_met(self):
        timeline = case(request(), assess("2025-03-12"), exception())
        decision = timeline.deadlines["decision_to_assess"]
        assert (decision.status, decision.exception_applies, decision.exception) == (
            "met", True, None)

    def test_interval_must_touch_the_deadline_period(self):
        timeline = case(request(), exception(**{"from": "2025-01-01", "to": "2025-02-02"}),
                        as_of="2025-04-01")
        assert timeline.deadlines["decision_to_assess"].status == "overdue"

    def test_open_ended_exception_runs_to_the_due_date(self):
        after_due = case(request(), exception(on="2025-04-01", **{"from": "2025-03-18"}),
                         as_of="2025-04-01")
        assert after_due.deadlines["decision_to_assess"].exception_applies is False
        assert after_due.deadlines["final_plan"].exception_applies is True

    def test_absence_needs_28_days_inside_the_period(self):
        # 1 Mar to 10 Apr is 41 days, but only 17 fall inside 3 Feb-17 Mar (decision).
        timeline = case(request(), exception(reason="absence_from_area", to="2025-04-10"),
                        as_of="2025-07-01")
        assert timeline.deadlines["decision_to_assess"].exception_applies is False
        assert timeline.deadlines["final_plan"].exception_applies is True

    def test_missed_appointment_excuses_only_that_providers_advice(self):
        timeline = case(request(), assess(),
                        fact("advice_requested", "2025-03-11", provider="health"),
                        fact("advice_requested", "2025-03-11", provider="social_care"),
                        exception(reason="missed_appointment", provider="health"),
                        as_of="2025-07-01")
        assert timeline.deadlines["advice.health"].status == "excepted"
        assert timeline.deadlines["advice.social_care"].status == "overdue"
        assert timeline.deadlines["final_plan"].status == "overdue"

    def test_applies_to_limits_the_deadlines(self):
        timeline = case(request(), exception(applies_to=["final_plan"]), as_of="2025-07-01")
        assert timeline.deadlines["decision_to_assess"].status == "overdue"
        assert timeline.deadlines["final_plan"].status == "excepted"

    def test_coronavirus_only_for_deadlines_due_1_may_to_25_september_2020(self):
        inside = case(request("2020-05-08"), exception(on="2020-05-08", reason="coronavirus",
                                                        **{"from": "2020-05-08"}),
                      as_of="2020-10-01")
        assert inside.deadlines["decision_to_assess"].due == D("2020-06-19")
        assert inside.deadlines["decision_to_assess"].status == "excepted"
        # R 2020-05-09: final due 2020-09-26, one day after the window closes.
        outside = case(request("2020-05-09"), exception(on="2020-05-09", reason="coronavirus",
                                                         **{"from": "2020-05-09"}),
                       as_of="2020-10-01")
        assert outside.deadlines["final_plan"].due == D("2020-09-26")
        assert outside.deadlines["final_plan"].status == "overdue"

    def test_school_closure_needs_advice_asked_of_the_setting_in_the_window(self):
        summer = AuthorityCalendar((SettingClosure(D("2025-07-23"), D("2025-09-03"),
                                                   "Oak Primary"),))
        facts = [request("2025-06-02"), assess("2025-07-07")]
        closure = exception(on="2025-07-20", reason="school_closure",
                            **{"from": "2025-07-23", "to": "2025-09-02"})

        def with_request_on(day):
            asked = fact("advice_requested", day, provider="education", setting="Oak Primary")
            return case(*facts, asked, closure, as_of="2025-11-01", calendar=summer)

        assert with_request_on("2025-07-16").deadlines["final_plan"].status == "excepted"
        assert with_request_on("2025-07-15").deadlines["final_plan"].status == "overdue"
        assert with_request_on("2025-08-27").deadlines["final_plan"].status == "excepted"

    def test_school_closure_under_28_days_does_not_qualify(self):
        short = AuthorityCalendar((SettingClosure(D("2025-07-23"), D("2025-08-19")),))
        timeline = case(request("2025-06-02"), assess("2025-07-07"),
                        fact("advice_requested", "2025-07-20", provider="education"),
                        exception(on="2025-07-21", reason="school_closure",
                                  **{"from": "2025-07-23"}),
                        as_of="2025-11-01", calendar=short)
        assert timeline.deadlines["final_plan"].exception_applies is False


class TestFinalPlanForecast:
    def test_earliest_final_is_fifteen_days_after_the_draft(self):
        timeline = case(request(), assess(), fact("draft_plan_issued", "2025-06-01"),
                        as_of="2025-06-05")
        assert timeline.earliest_final == D("2025-06-16")
        assert timeline.breach_certain is False

    def test_draft_on_r_plus_125_still_makes_week_20(self):
        timeline = case(request(), assess(), fact("draft_plan_issued", "2025-06-08"))
        assert (timeline.earliest_final, timeline.breach_certain) == (D("2025-06-23"), False)

    def test_draft_after_r_plus_125_makes_the_breach_certain(self):
        timeline = case(request(), assess(), fact("draft_plan_issued", "2025-06-09"))
        assert (timeline.earliest_final, timeline.breach_certain) == (D("2025-06-24"), True)
        assert timeline.breach_reasons == ("draft_too_late",)

    def test_no_draft_means_as_of_plus_fifteen(self):
        timeline = case(request(), assess(), as_of="2025-06-09")
        assert timeline.earliest_final == D("2025-06-24")
        assert timeline.breach_reasons == ("draft_too_late",)

    def test_premature_final_is_flagged_unless_the_family_had_no_comments(self):
        early = case(request(), assess(), fact("draft_plan_issued", "2025-05-01"),
                     fact("final_plan_issued", "2025-05-10"))
        agreed = case(request(), assess(), fact("draft_plan_issued", "2025-05-01"),
                      fact("final_plan_issued", "2025-05-10", family_confirmed_no_comments=True))
        on_day_15 = case(request(), assess(), fact("draft_plan_issued", "2025-05-01"),
                         fact("final_plan_issued", "2025-05-16"))
        assert early.flags == ("premature_final",)
        assert agreed.flags == on_day_15.flags == ()

    def test_breach_reasons_in_the_contract_order(self):
        timeline = case(request(), assess("2025-03-20"),
                        fact("advice_requested", "2025-03-21", provider="health"),
                        fact("advice_requested", "2025-03-21", provider="education"),
                        fact("advice_received", "2025-05-20", provider="education"),
                        fact("advice_received", "2025-05-21", provider="health"),
                        exception(on="2025-05-22", **{"from": "2025-05-01",
                                                      "to": "2025-05-10"}),
                        fact("draft_plan_issued", "2025-06-01"),
                        fact("final_plan_issued", "2025-07-01"))
        assert timeline.deadlines["final_plan"].status == "excepted"
        assert timeline.breach_reasons == (
            "decision_to_assess_late", "advice_late:health", "advice_late:education",
            "finalisation_delay", "exception:personal_circumstances")


class TestKnowledge:
    def corrected(self):
        return accept_all([*standard_case(),
                           fact("correction", "2025-07-01", corrects="d",
                                set={"on": "2025-03-18"}, reason="date keyed wrongly"),
                           ])

    def test_known_at_before_a_correction_shows_the_original(self):
        # The correction moved the decision to 18 Mar; but recorded on 10 Mar it can't be.
        history = accept_all([
            request(), fact("decision_to_assess", "2025-03-10", outcome="assess", id="d",
                            recorded="2025-03-20"),
            fact("correction", "2025-06-01", corrects="d", set={"on": "2025-03-18"},
                 reason="date keyed wrongly"),
        ])
        before = evaluate(history, known_at=D("2025-05-31"))
        after = evaluate(history, known_at=D("2025-06-01"))
        assert before.deadlines["decision_to_assess"].status == "met"
        assert after.deadlines["decision_to_assess"].status == "late"
        assert before.as_of == D("2025-05-31")

    def test_events_after_as_of_are_ignored(self):
        timeline = evaluate(standard_case(), D("2025-05-31"))
        assert timeline.status == "open"
        assert timeline.deadlines["final_plan"].status == "pending"
        assert timeline.latest_draft == D("2025-05-30")

    def test_late_logged_event_is_invisible_before_it_was_recorded(self):
        history = accept_all([request(), fact("decision_to_assess", "2025-03-10",
                                              outcome="assess", recorded="2025-04-01")])
        assert evaluate(history, known_at=D("2025-03-31")).deadlines[
            "decision_to_assess"].status == "overdue"
        assert evaluate(history, known_at=D("2025-04-01")).deadlines[
            "decision_to_assess"].status == "met"

    def test_as_of_defaults_to_the_latest_event(self):
        assert evaluate(standard_case()).as_of == D("2025-06-20")
