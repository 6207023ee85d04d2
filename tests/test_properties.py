"""Properties of the engine over random lawful cases (hypothesis)."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from builders import accept_lawful, fact
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from domain.errors import RuleBroken
from domain.facts import PROVIDERS, Correction, Fact
from domain.history import effective_facts
from domain.rules import check_new_fact
from domain.timeline import CaseTimeline, evaluate

REASONS = ("personal_circumstances", "absence_from_area", "missed_appointment", "coronavirus")
settings.register_profile("ehc", max_examples=150, deadline=None)
settings.load_profile("ehc")


@st.composite
def candidate_event(draw, start: date, number: int, offsets=None) -> Fact:
    """One plausible event, which the rules may or may not accept."""
    offset = draw(st.sampled_from(offsets) if offsets else st.integers(0, 220))
    on = start + timedelta(days=offset)
    lag = draw(st.sampled_from([0, 0, 0, 1, 9, 40]))
    common = {"id": f"e{number}", "recorded": on + timedelta(days=lag)}
    kind = draw(st.sampled_from([
        "decision", "decision", "advice_requested", "advice_requested", "advice_received",
        "advice_received", "exception", "draft", "draft", "final", "not_to_issue",
        "withdrawn", "correction",
    ]))
    provider = draw(st.sampled_from(PROVIDERS))
    if kind == "decision":
        outcome = draw(st.sampled_from(["assess", "assess", "assess", "refuse"]))
        return fact("decision_to_assess", on, outcome=outcome, **common)
    if kind in ("advice_requested", "advice_received"):
        return fact(kind, on, provider=provider, **common)
    if kind == "exception":
        reason = draw(st.sampled_from(REASONS))
        begins = on - timedelta(days=draw(st.integers(0, 60)))
        length = draw(st.one_of(st.none(), st.integers(28, 90)))
        extra = {"provider": provider} if reason == "missed_appointment" else {}
        if length is not None:
            extra["to"] = begins + timedelta(days=length)
        return fact("exception_recorded", on, reason=reason, attested_by="Manager",
                    **{"from": begins}, **extra, **common)
    if kind == "draft":
        return fact("draft_plan_issued", on, **common)
    if kind == "final":
        return fact("final_plan_issued", on, **common)
    if kind == "not_to_issue":
        return fact("not_to_issue_notice", on, **common)
    if kind == "withdrawn":
        return fact("case_withdrawn", on, reason="moved away", **common)
    target = f"e{draw(st.integers(0, max(0, number - 1)))}"
    shift = timedelta(days=draw(st.integers(-10, 3)))
    return fact("correction", on, corrects=target, set={"on": on + shift - timedelta(1)},
                reason="keyed wrongly", **common)


@st.composite
def lawful_case(draw, clustered: bool = False) -> list[Fact]:
    """A lawful history; `clustered` puts events on a few days, so many share a date."""
    start = draw(st.dates(date(2019, 1, 1), date(2026, 6, 30)))
    size = draw(st.integers(1, 24))
    offsets = sorted(draw(st.sets(st.integers(1, 200), min_size=2, max_size=5))) if (
        clustered) else None
    events = [fact("request_received", start, requester="parent", id="e0")]
    events += [draw(candidate_event(start, n, offsets)) for n in range(1, size)]
    return accept_lawful(events)


def far_as_of(history: list[Fact]) -> date:
    return max(f.on for f in history) + timedelta(days=400)


def summary(timeline: CaseTimeline) -> tuple:
    """The result, blind to the order of same-day events (which the contract's "first in file
    order" choices legitimately follow)."""
    deadlines = Counter(
        (d.kind, d.provider, d.clock_start, d.due, d.status, d.completed_on, d.days_late,
         d.exception_applies)
        for d in timeline.deadlines.values()
    )
    return (timeline.status, deadlines, timeline.earliest_final, timeline.breach_certain,
            timeline.flags, frozenset(timeline.breach_reasons))


@given(lawful_case())
def test_replay_is_deterministic(history):
    assert evaluate(history) == evaluate(list(history))


@given(lawful_case())
def test_every_due_date_is_after_its_clock_start_on_the_same_weekday(history):
    for deadline in evaluate(history, far_as_of(history)).deadlines.values():
        if deadline.kind == "review":  # counted in months (CFA s.44), not weeks
            continue
        assert deadline.due > deadline.clock_start
        assert deadline.due.weekday() == deadline.clock_start.weekday()
        assert (deadline.due - deadline.clock_start).days % 7 == 0


@given(lawful_case(), st.data())
def test_adding_an_unrelated_event_never_changes_a_met_deadline(history, data):
    extra = data.draw(candidate_event(history[0].on, 99))
    assume(not isinstance(extra, Correction))
    try:
        check_new_fact(history, extra)
    except RuleBroken:
        assume(False)
    as_of = far_as_of(history)
    before = evaluate(history, as_of).deadlines
    after = evaluate([*history, extra], as_of).deadlines
    for key, deadline in before.items():
        if deadline.status == "met":
            assert (after[key].status, after[key].completed_on) == ("met", deadline.completed_on)


@given(lawful_case(), st.data())
def test_a_correction_changes_only_what_it_names(history, data):
    targets = [f for f in effective_facts(history) if f.id is not None]
    target = data.draw(st.sampled_from(targets))
    new_on = data.draw(st.dates(history[0].on, target.recorded))
    correction = fact("correction", far_as_of(history), corrects=target.id,
                      set={"on": new_on}, reason="keyed wrongly", id="fix")
    try:
        check_new_fact(history, correction)
    except RuleBroken:
        assume(False)
    before, after = effective_facts(history), effective_facts([*history, correction])
    assert len(before) == len(after)
    for old, new in zip(before, after, strict=True):
        if old.id == target.id:
            assert new.on == new_on
            assert new.model_dump(exclude={"on"}) == old.model_dump(exclude={"on"})
        else:
            assert new == old


@given(lawful_case(), st.data())
def test_known_at_before_a_correction_shows_the_original(history, data):
    targets = [f for f in effective_facts(history) if f.id is not None]
    target = data.draw(st.sampled_from(targets))
    made = far_as_of(history)
    correction = fact("correction", made, corrects=target.id,
                      set={"on": data.draw(st.dates(history[0].on, target.recorded))},
                      reason="keyed wrongly", id="fix")
    try:
        check_new_fact(history, correction)
    except RuleBroken:
        assume(False)
    known_at = made - timedelta(days=1)
    assert evaluate([*history, correction], known_at=known_at) == evaluate(
        history, known_at=known_at)


@given(lawful_case(clustered=True), st.randoms(use_true_random=False))
def test_recording_order_of_same_day_events_does_not_change_the_result(history, random):
    plain = [f for f in history if not isinstance(f, Correction)]
    ordered = sorted(plain, key=lambda f: f.on)
    assume(len(accept_lawful(ordered)) == len(ordered))
    shuffled = ordered
    for _ in range(20):  # some same-day orders are unlawful (a final before its draft)
        candidate = sorted(ordered, key=lambda f: (f.on, f.type != "request_received",
                                                   random.random()))
        if len(accept_lawful(candidate)) == len(candidate):
            shuffled = candidate
            break
    as_of = far_as_of(history)
    assert summary(evaluate(ordered, as_of)) == summary(evaluate(shuffled, as_of))
