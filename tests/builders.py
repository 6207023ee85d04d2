"""Small builders for domain tests: facts from short payloads, histories through the rules."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from domain.errors import RuleBroken
from domain.facts import Fact
from domain.history import build_fact
from domain.rules import check_new_fact


def fact(type: str, on: str | date, **fields: Any) -> Fact:
    return build_fact({"type": type, "on": on, **fields})


def accept_all(facts: Iterable[Fact]) -> list[Fact]:
    """Record each fact in turn; raise on the first refusal (the test's history must be lawful)."""
    history: list[Fact] = []
    for new in facts:
        check_new_fact(history, new)
        history.append(new)
    return history


def accept_lawful(facts: Iterable[Fact]) -> list[Fact]:
    """Keep the facts the rules accept, in order, dropping refused ones (as a scenario does)."""
    history: list[Fact] = []
    for new in facts:
        try:
            check_new_fact(history, new)
        except RuleBroken:
            continue
        history.append(new)
    return history


def standard_case() -> list[Fact]:
    """The contract's example: advice from health late, final plan on time."""
    return accept_all(
        [
            fact("request_received", "2025-02-03", requester="parent", id="r"),
            fact("decision_to_assess", "2025-03-10", outcome="assess", id="d"),
            fact("advice_requested", "2025-03-11", provider="health"),
            fact("advice_received", "2025-05-06", provider="health"),
            fact("draft_plan_issued", "2025-05-30", id="s"),
            fact("final_plan_issued", "2025-06-20", id="f"),
        ]
    )
