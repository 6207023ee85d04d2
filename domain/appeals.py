"""The family's own window to appeal to the First-tier Tribunal (SEND): information for the
case page, never a deadline of the authority (issue: "not the authority's duty").

Tribunal Procedure (First-tier Tribunal) (HESC) Rules 2008, r.20: an appeal within 2 months of
the date the decision notice was sent, or 1 month from a mediation certificate if that is
later. The contract records no certificate date, so the mediation's own date stands in for it
(the page says so).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import NamedTuple

from calendars.counting import months_after
from domain.facts import Fact

APPEAL_MONTHS = 2
AFTER_MEDIATION_MONTHS = 1


class AppealWindow(NamedTuple):
    decision: str  # the event type of the decision the family may appeal
    about: str  # request | assessment | other (the contract's dispute subjects)
    decided_on: date
    ends_on: date
    mediation_on: date | None  # the mediation that extended it, if any


def _subject(fact: Fact) -> str | None:
    """Which dispute subject a decision is (CFA s.51): None if it is not appealable."""
    outcome = getattr(fact, "outcome", None)
    if fact.type in ("decision_to_assess", "reassessment_decision"):
        return "request" if outcome == "refuse" else None
    if fact.type == "not_to_issue_notice":
        return "assessment"
    if fact.type in ("final_plan_issued", "amended_plan_issued", "plan_ceased"):
        return "other"
    if fact.type == "review_decision_notified":
        return "other" if outcome == "cease" else None
    return None


def appeal_windows(facts: Sequence[Fact], as_of: date) -> list[AppealWindow]:
    """Every appealable decision dated on or before `as_of`, with the family's window."""
    visible = [f for f in facts if f.on <= as_of]
    windows = []
    for fact in visible:
        about = _subject(fact)
        if about is None:
            continue
        ends = months_after(fact.on, APPEAL_MONTHS)
        mediations = [f.on for f in visible if f.type == "mediation_held"
                      and getattr(f, "about", None) == about and f.on >= fact.on]
        mediated = max(mediations, default=None)
        if mediated is not None:
            ends = max(ends, months_after(mediated, AFTER_MEDIATION_MONTHS))
        windows.append(AppealWindow(fact.type, about, fact.on, ends, mediated))
    return windows
