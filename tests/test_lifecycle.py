"""Part 2 of the contract in the engine: the plan after issue, rounds, disagreements.

Each rule refuses with its own error and a named source; each date is worked by hand in the
comment beside it (plan-lifecycle.md "Worked dates", "Months")."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from builders import accept_all, fact
from hypothesis import given, settings
from hypothesis import strategies as st

from calendars.counting import months_before, months_starting_with
from domain.errors import (
    CaseClosed,
    CorrectionRefused,
    DateRuleBroken,
    Duplicate,
    ExceptionRefused,
    OutOfOrder,
    PlanNotInForce,
)
from domain.facts import FACT_TYPES, fact_payload
from domain.history import build_fact, restore_fact
from domain.rules import check_new_fact
from domain.timeline import evaluate

D = date.fromisoformat


def refused(history, new, error, words):
    with pytest.raises(error) as raised:
        check_new_fact(history, new)
    assert words in str(raised.value), str(raised.value)


def placed(**fields):
    return fact("plan_in_place", "2022-04-11", id="p", **fields)


def issued_case():
    """Round 1 to a final plan on Fri 20 Jun 2025."""
    return accept_all([
        fact("request_received", "2025-02-03", requester="parent", id="r"),
        fact("decision_to_assess", "2025-03-10", outcome="assess"),
        fact("draft_plan_issued", "2025-05-30"),
        fact("final_plan_issued", "2025-06-20", id="f"),
    ])


class TestMonths:
    @pytest.mark.parametrize(("start", "months", "end"), [
        ("2024-03-10", 12, "2025-03-09"), ("2024-02-29", 12, "2025-02-28"),
        ("2025-08-31", 12, "2026-08-30"), ("2025-09-10", 3, "2025-12-09"),
        ("2025-11-30", 3, "2026-02-28"),
    ])
    def test_months_starting_with(self, start, months, end):
        assert months_starting_with(D(start), months) == D(end)

    @pytest.mark.parametrize(("day", "minus", "result"), [
        ("2026-01-05", 5, "2025-08-05"), ("2026-07-31", 5, "2026-02-28"),
        ("2024-07-31", 5, "2024-02-29"), ("2026-03-31", 1, "2026-02-28"),
    ])
    def test_minus_months(self, day, minus, result):
        assert months_before(D(day), minus) == D(result)

    @given(st.dates(date(2015, 1, 1), date(2040, 12, 31)), st.integers(0, 30))
    def test_minus_months_lands_in_the_right_month_on_the_same_day_or_its_last(self, day, n):
        result = months_before(day, n)
        assert (day.year * 12 + day.month) - (result.year * 12 + result.month) == n
        assert result.day == day.day or (result.day < day.day and (
            result + timedelta(days=1)).day == 1)


class TestPlanInPlace:
    def test_dates_must_run_made_reviewed_moved(self):
        refused([], placed(last_reviewed="2022-04-10"), DateRuleBroken, "before the plan was")
        refused([], placed(last_reviewed="2024-04-12",
                           transferred_in={"from": "Somerset", "on": "2024-04-11"}),
                DateRuleBroken, "moved in on 11 April 2024")

    def test_recorded_defaults_to_the_latest_date_and_the_case_starts_there(self):
        plan = placed(last_reviewed="2024-04-12")
        assert plan.recorded == D("2024-04-12")
        refused([plan], fact("review_meeting_held", "2024-04-11"), DateRuleBroken,
                "before the case started on 12 April 2024")

    def test_a_case_starts_once(self):
        refused([placed()], fact("request_received", "2025-01-01", requester="parent"),
                Duplicate, "a case starts once")
        refused(issued_case(), placed(), Duplicate, "a case starts once")

    def test_review_after_a_transfer_in_is_the_later_of_the_two_limbs(self):
        # reg 15(5): 12 months from the last review (Fri 15 Nov 2024 -> Fri 14 Nov 2025) or 3
        # months from the transfer (Wed 10 Sep 2025 -> Tue 9 Dec 2025): the later.
        moved = evaluate([placed(last_reviewed="2024-11-15",
                                 transferred_in={"from": "Somerset", "on": "2025-09-10"})])
        assert moved.deadlines["review.1"].due == D("2025-12-09")
        assert moved.deadlines["review.1"].clock_start == D("2025-09-10")  # settled point 14
        early = evaluate([placed(last_reviewed="2024-11-15",
                                 transferred_in={"from": "Somerset", "on": "2025-06-02"})])
        assert early.deadlines["review.1"].due == D("2025-11-14")

    def test_no_decision_to_assess_outside_a_round(self):
        refused([placed()], fact("decision_to_assess", "2025-01-01", outcome="assess"),
                OutOfOrder, "began with a plan already in place")
        refused([placed()], fact("advice_requested", "2025-01-01", provider="health"),
                OutOfOrder, "none is under way")

    def test_round1_outputs_are_empty(self):
        timeline = evaluate([placed()], as_of=D("2023-01-01"))
        assert (timeline.status, timeline.plan_status) == ("plan_issued", "in_force")
        assert (timeline.earliest_final, timeline.breach_certain, timeline.breach_reasons) == (
            None, None, ())
        assert timeline.next_review_due == D("2023-04-10")


class TestReviews:
    def test_a_chain_of_reviews_re_anchors_on_each_decision(self):
        history = accept_all([
            placed(),
            fact("review_meeting_held", "2023-03-01"),
            fact("review_decision_notified", "2023-03-20", outcome="maintain"),
            fact("review_meeting_held", "2024-02-26"),
            fact("review_decision_notified", "2024-03-29", outcome="maintain"),
        ])
        timeline = evaluate(history, as_of=D("2024-06-01"))
        assert timeline.deadlines["review.1"].due == D("2023-04-10")
        assert timeline.deadlines["review.2"].due == D("2024-03-19")
        assert timeline.deadlines["review.2"].status == "late"  # 29 Mar > 19 Mar
        assert timeline.deadlines["review_decision.2"].status == "late"  # 26 Feb + 28 = 25 Mar
        assert timeline.next_review_due == D("2025-03-28")
        assert timeline.plan.last_review_decision == D("2024-03-29")

    def test_one_meeting_at_a_time_and_a_decision_answers_a_meeting(self):
        meeting = accept_all([placed(), fact("review_meeting_held", "2023-03-01")])
        refused(meeting, fact("review_meeting_held", "2023-03-08"), OutOfOrder,
                "has no decision yet")
        refused([placed()], fact("review_decision_notified", "2023-03-01", outcome="maintain"),
                OutOfOrder, "no meeting awaits")
        refused(meeting, fact("review_decision_notified", "2023-02-28", outcome="maintain"),
                OutOfOrder, "before the meeting it answers")

    def test_the_devon_cap_can_put_the_due_before_the_notice(self):
        # Meeting Mon 2 Jan 2023 + 84 = Mon 27 Mar; decision Mon 3 Apr: min(29 May, 27 Mar).
        history = accept_all([
            placed(), fact("review_meeting_held", "2023-01-02"),
            fact("review_decision_notified", "2023-04-03", outcome="amend"),
            fact("exception_recorded", "2023-04-04", reason="coronavirus", **{"from": "2023-01-01"},
                 attested_by="Head of SEN"),
        ])
        amended = evaluate(history, as_of=D("2023-04-04")).deadlines["amended_plan.1"]
        assert (amended.due, amended.status, amended.days_late) == (D("2023-03-27"), "overdue", 8)
        assert not amended.exception_applies  # settled point 30: an empty period


class TestAmendmentsAndTransfers:
    def test_an_amended_plan_needs_a_notice_or_an_order(self):
        refused([placed()], fact("amended_plan_issued", "2023-01-01"), OutOfOrder,
                "no amendment notice or order to amend")
        refused([placed()], fact("amendment_not_made", "2023-01-01"), OutOfOrder,
                "no amendment notice")

    def test_the_earliest_notice_is_completed_first(self):
        history = accept_all([
            placed(), fact("amendment_proposed", "2023-02-01"),
            fact("review_meeting_held", "2023-01-20"),
            fact("review_decision_notified", "2023-01-25", outcome="amend"),
            fact("amendment_not_made", "2023-03-01"),
        ])
        deadlines = evaluate(history).deadlines
        assert deadlines["amended_plan.2"].completed_on == D("2023-03-01")  # notice 25 Jan
        assert deadlines["amended_plan.1"].status == "pending"
        assert deadlines["amended_plan.2"].completed_by == "amendment_not_made"

    def test_transfer_date_after_the_day_it_is_expected(self):
        refused([placed()], fact("phase_transfer_expected", "2023-01-05", transfer="school",
                                 transfer_on="2023-01-05"), DateRuleBroken, "must be after")


class TestCeasedAndWithdrawn:
    def test_nothing_follows_a_ceased_plan_and_open_duties_lapse(self):
        history = accept_all([placed(), fact("review_meeting_held", "2023-03-01"),
                              fact("plan_ceased", "2023-03-10", reason="needs_met")])
        refused(history, fact("appeal_registered", "2023-04-01", about="other"), CaseClosed,
                "nothing but corrections")
        timeline = evaluate(history)
        assert {d.status for d in timeline.deadlines.values()} == {"not_applicable"}
        assert (timeline.status, timeline.plan_status) == ("plan_issued", "ceased")
        assert timeline.next_review_due is None
        assert timeline.plan.cease_reason == "needs_met"

    def test_no_withdrawal_while_a_plan_is_in_force_but_one_dated_before_the_plan(self):
        refused(issued_case(), fact("case_withdrawn", "2025-06-21", reason="moved"),
                OutOfOrder, "a plan ends only when it is ceased")
        check_new_fact(issued_case(), fact("case_withdrawn", "2025-06-19", recorded="2025-06-25",
                                           reason="moved"))  # settled point 23

    def test_plan_events_need_a_plan_in_force_on_their_date(self):
        history = issued_case()
        refused(history, fact("review_meeting_held", "2025-06-19", recorded="2025-06-25"),
                PlanNotInForce, "no EHC plan is in force on that date")


class TestReassessment:
    def test_worked_dates_and_re_anchoring(self):
        # Requested Tue 6 May 2025 -> decision by Wed 21 May; reassess Mon 19 May -> final by
        # Mon 25 Aug (a bank holiday: it stands). The final re-anchors the reviews.
        history = accept_all([
            placed(last_reviewed="2024-06-03"),
            fact("reassessment_requested", "2025-05-06", requester="parent"),
            fact("reassessment_decision", "2025-05-19", outcome="reassess"),
            fact("draft_plan_issued", "2025-08-01"),
            fact("final_plan_issued", "2025-08-25"),
        ])
        deadlines = evaluate(history).deadlines
        assert deadlines["reassessment_decision"].due == D("2025-05-21")
        assert deadlines["reassessment_final"].due == D("2025-08-25")
        assert deadlines["reassessment_final"].status == "met"
        assert deadlines["review.1"].status == "not_applicable"  # re-anchored
        assert deadlines["review.2"].due == D("2026-08-24")

    def test_requests_and_rounds_one_at_a_time(self):
        pending = accept_all([placed(), fact("reassessment_requested", "2023-01-02",
                                             requester="school")])
        refused(pending, fact("reassessment_requested", "2023-01-03", requester="parent"),
                OutOfOrder, "still awaits its decision")
        opened = accept_all([*pending, fact("reassessment_decision", "2023-01-10",
                                            outcome="reassess")])
        refused(opened, fact("reassessment_decision", "2023-01-11", outcome="reassess"),
                OutOfOrder, "already under way")
        refused([placed()], fact("reassessment_decision", "2023-01-11", outcome="refuse"),
                OutOfOrder, "only a decision to reassess")
        refused(opened, fact("draft_plan_issued", "2023-01-09"), OutOfOrder,
                "before the event that opened its round")  # settled point 8

    def test_advice_while_the_decision_is_awaited_belongs_to_its_round(self):
        history = accept_all([
            placed(), fact("reassessment_requested", "2023-01-02", requester="parent"),
            fact("advice_requested", "2023-01-05", provider="education", setting="Oak"),
            fact("reassessment_decision", "2023-01-10", outcome="reassess"),
        ])
        timeline = evaluate(history)
        assert [r.opened_by for r in timeline.rounds] == ["reassessment_decision"]
        assert timeline.deadlines["advice.education"].due == D("2023-02-16")


class TestDisagreements:
    def refusal(self):
        return accept_all([
            fact("request_received", "2025-10-01", requester="parent"),
            fact("decision_to_assess", "2025-11-01", outcome="refuse"),
            fact("appeal_registered", "2025-12-01", about="request"),
        ])

    def test_an_order_answers_an_appeal_of_its_kind(self):
        refused(self.refusal(), fact("tribunal_order", "2026-03-06", order="make_plan"),
                OutOfOrder, "none without an order or concession is registered about the "
                "decision whether to issue")
        history = accept_all([*self.refusal(), fact("tribunal_order", "2026-03-06",
                                                    order="assess")])
        refused(history, fact("appeal_conceded", "2026-03-07", concession="assess"),
                OutOfOrder, "registered about the decision whether to assess")

    def test_an_assess_order_opens_a_round_and_the_case(self):
        history = accept_all([*self.refusal(), fact("tribunal_order", "2026-03-06",
                                                    order="assess")])
        timeline = evaluate(history, as_of=D("2026-03-10"))
        assert timeline.status == "open"
        assert timeline.deadlines["order.decision"].due == D("2026-03-20")
        assert timeline.deadlines["order.final_plan"].due == D("2026-06-12")
        assert timeline.deadlines["order.not_to_issue"].status == "not_applicable"
        assert timeline.disputes[0].answer == "assess"
        refused(history, fact("decision_to_assess", "2026-03-10", outcome="refuse"), OutOfOrder,
                "must say it will assess")

    def test_dismissed_answers_any_appeal_and_opens_nothing(self):
        history = accept_all([*self.refusal(), fact("tribunal_order", "2026-01-06",
                                                    order="dismissed")])
        timeline = evaluate(history)
        assert timeline.status == "refused" and len(timeline.rounds) == 1

    def test_an_amend_order_needs_a_plan_in_force(self):
        history = accept_all([*self.refusal(), fact("appeal_registered", "2025-12-02",
                                                    about="other")])
        refused(history, fact("tribunal_order", "2026-01-06", order="amend"), PlanNotInForce,
                "no EHC plan is in force")

    def test_the_20_week_kpi_plan_is_the_first_in_any_round(self):
        history = accept_all([
            *self.refusal(), fact("appeal_conceded", "2026-01-05", concession="assess"),
            fact("draft_plan_issued", "2026-02-02"), fact("final_plan_issued", "2026-03-02"),
        ])
        plan = evaluate(history).new_plan
        # R Wed 1 Oct 2025 + 140 = Wed 18 Feb 2026; issued 2 Mar: late, and disputed.
        assert (plan.issued_on, plan.due, plan.within, plan.disputed) == (
            D("2026-03-02"), D("2026-02-18"), False, True)


class TestDatesAndExceptions:
    def test_no_date_before_the_law_came_into_force(self):
        refused([], fact("request_received", "0026-01-05", requester="parent"), DateRuleBroken,
                "before 1 September 2014")
        refused([placed()], fact("exception_recorded", "2023-01-01", reason="coronavirus",
                                 attested_by="x", **{"from": "2014-08-31"}), DateRuleBroken,
                "(from) is before 1 September 2014")

    def test_new_keys_in_applies_to(self):
        personal = fact("exception_recorded", "2023-01-01", reason="personal_circumstances",
                        attested_by="x", applies_to=["review.1"], **{"from": "2023-01-01"})
        refused([placed()], personal, ExceptionRefused, "not an exception to the annual review 1")
        refused([placed()], fact("exception_recorded", "2023-01-01", reason="coronavirus",
                                 attested_by="x", applies_to=["phase_transfer.1"],
                                 **{"from": "2023-01-01"}), ExceptionRefused, "not a deadline")
        check_new_fact([placed()], fact("exception_recorded", "2023-01-01", reason="coronavirus",
                                        attested_by="x", applies_to=["review.1", "order.decision"],
                                        **{"from": "2023-01-01"}))

    def test_a_correction_cannot_move_the_plans_latest_date_past_its_recording(self):
        history = accept_all([placed(last_reviewed="2024-04-12")])
        refused(history, fact("correction", "2024-05-01", corrects="p",
                              set={"last_reviewed": "2024-04-20"}, reason="typo"),
                CorrectionRefused, "after the day the event was recorded")


_PAYLOADS = [
    {"type": "plan_in_place", "on": "2022-04-11", "last_reviewed": "2024-04-12",
     "transferred_in": {"from": "Somerset", "on": "2025-09-10"}},
    {"type": "review_decision_notified", "on": "2025-04-04", "outcome": "amend"},
    {"type": "amended_plan_issued", "on": "2025-05-30", "names_next_setting": True},
    {"type": "phase_transfer_expected", "on": "2025-09-15", "transfer": "post16_other",
     "transfer_on": "2026-01-05"},
    {"type": "plan_ceased", "on": "2027-01-05", "reason": "moved_outside_england"},
    {"type": "tribunal_order", "on": "2026-03-06", "order": "make_plan"},
]


@pytest.mark.parametrize("payload", _PAYLOADS, ids=lambda p: p["type"])
def test_the_projections_fast_restore_equals_validation(payload):
    stored = fact_payload(build_fact(payload))
    assert restore_fact(stored) == build_fact(stored)


def test_every_event_type_has_an_aggregate_event():
    from domain.assessment import _EVENT_CLASS_NAMES, EhcAssessment

    assert all(hasattr(EhcAssessment, _EVENT_CLASS_NAMES[t]) for t in FACT_TYPES)


_REVIEW_EVENTS = st.lists(st.tuples(st.integers(1, 400), st.sampled_from(
    ["meeting", "maintain", "amend", "proposed", "amended", "transfer"])), max_size=14)


def _lawful_plan_history(steps) -> list:
    from builders import accept_lawful

    day, facts = D("2022-04-11"), [placed()]
    for gap, kind in steps:
        day += timedelta(days=gap)
        facts.append({
            "meeting": lambda d: fact("review_meeting_held", d),
            "maintain": lambda d: fact("review_decision_notified", d, outcome="maintain"),
            "amend": lambda d: fact("review_decision_notified", d, outcome="amend"),
            "proposed": lambda d: fact("amendment_proposed", d),
            "amended": lambda d: fact("amended_plan_issued", d, names_next_setting=True),
            "transfer": lambda d: fact("phase_transfer_expected", d, transfer="school",
                                       transfer_on=d + timedelta(days=200)),
        }[kind](day))
    return accept_lawful(facts)


@settings(max_examples=60, deadline=None)
@given(_REVIEW_EVENTS, st.integers(0, 3000))
def test_keys_name_the_same_event_whatever_as_of_hides(steps, offset):
    """Settled point 29: a key seen at an earlier as_of names the same clock later."""
    history = _lawful_plan_history(steps)
    full = evaluate(history).deadlines
    earlier = evaluate(history, as_of=D("2022-04-11") + timedelta(days=offset)).deadlines
    for key, deadline in earlier.items():
        assert full[key].clock_start == deadline.clock_start
        assert full[key].due == deadline.due


@settings(max_examples=60, deadline=None)
@given(_REVIEW_EVENTS)
def test_exactly_one_review_is_outstanding_while_a_plan_is_in_force(steps):
    timeline = evaluate(_lawful_plan_history(steps))
    waiting = [d for k, d in timeline.deadlines.items()
               if k.startswith("review.") and d.completed_on is None
               and d.status != "not_applicable"]
    assert len(waiting) == 1 and waiting[0].due == timeline.next_review_due


def test_action_plans_know_every_measure_of_the_catalogue():
    from domain.action_plan import MEASURE_NAMES
    from projections.kpis import MEASURES

    assert set(MEASURE_NAMES) == set(MEASURES)


def test_the_familys_appeal_window_is_information_from_the_decision_or_mediation():
    from domain.appeals import appeal_windows

    history = accept_all([
        fact("request_received", "2025-10-01", requester="parent"),
        fact("decision_to_assess", "2025-10-31", outcome="refuse"),  # Fri
        fact("mediation_held", "2025-12-20", about="request"),
    ])
    [window] = appeal_windows(history, D("2026-01-05"))
    # 31 Oct + 2 months = 31 Dec 2025; mediation 20 Dec + 1 month = 20 Jan 2026: the later.
    assert (window.about, window.ends_on, window.mediation_on) == (
        "request", D("2026-01-20"), D("2025-12-20"))
    assert appeal_windows(history[:2], D("2025-11-01"))[0].ends_on == D("2025-12-31")
