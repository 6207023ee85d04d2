"""A synthetic local authority: realistic EHC assessment histories through the real aggregate.

Deterministic for a seed (each case has its own seeded generator, so case N is the same
whatever the count). Calibrated to national patterns: about a quarter of requests refused,
about 5% not-to-issue decisions, advice lateness that differs by provider (educational
psychology slowest), some exceptions, corrections and late logging, and a within-20-weeks
rate near the national 46% (SEN2 2024-2025).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from domain.assessment import EhcAssessment
from domain.errors import RuleBroken
from domain.history import build_fact

TEAMS = {
    "North": ["Amina Shah", "Ben Carter", "Chloe Evans", "Dev Patel", "Ella Hughes", "Finn Ward"],
    "South": ["Grace Okafor", "Harry Long", "Isla Reid", "Jack Moss", "Kiran Bhatt", "Lucy Fox"],
    "East": ["Maya Green", "Noah Price", "Olivia Khan", "Priya Nair", "Quinn Hale", "Ruby Lee"],
    "Post-16": ["Sam Webb", "Tara Bell", "Umar Aziz", "Vera Stone", "Will Frost", "Zara Ali"],
}
SETTINGS = ["Oak Primary", "Riverside Academy", "St Mary's CE Primary", "Hillcrest High",
            "Meadow Nursery", "Northgate College"]
# (share of assessments asking, mean days to answer, spread): EP is the slowest nationally.
PROVIDERS = {
    "education": (0.97, 31, 10),
    "educational_psychology": (0.95, 52, 18),
    "health": (0.9, 44, 14),
    "social_care": (0.5, 41, 14),
    "early_years": (0.08, 35, 10),
    "other": (0.05, 40, 12),
}
REQUESTERS = (["parent"] * 45 + ["school"] * 40 + ["young_person"] * 5
              + ["brought_to_attention"] * 10)


@dataclass(frozen=True)
class GeneratorSettings:
    cases: int
    seed: int = 1
    today: date = date(2026, 11, 23)
    years: int = 3
    prefix: str = "LA"


def generate_cases(config: GeneratorSettings) -> Iterator[EhcAssessment]:
    for number in range(config.cases):
        yield synthetic_case(config, number)


def synthetic_case(config: GeneratorSettings, number: int) -> EhcAssessment:
    rng = random.Random(f"{config.seed}:{number}")
    team = rng.choice(sorted(TEAMS))
    case = EhcAssessment(f"{config.prefix}-{config.seed}-{number:07d}", team=team,
                         caseworker=rng.choice(TEAMS[team]))
    history = _CaseHistory(rng, config.today)
    for payload in history.events(_request_date(rng, config)):
        try:
            case.record(build_fact(payload), actor=case.caseworker or "generator")
        except RuleBroken:
            continue  # an implausible draw: real caseworkers would have been refused too
    return case


def _request_date(rng: random.Random, config: GeneratorSettings) -> date:
    span = config.years * 365
    received = config.today - timedelta(days=rng.randrange(1, span))
    while received.weekday() >= 5:  # requests land on working days
        received += timedelta(days=1)
    return min(received, config.today)


class _CaseHistory:
    """Draws one case's events in date order, stopping at today (later ones have not
    happened yet); about one event in five is logged late."""

    def __init__(self, rng: random.Random, today: date) -> None:
        self.rng = rng
        self.today = today
        self.payloads: list[dict[str, Any]] = []
        self.ids = 0

    def add(self, kind: str, on: date, **fields: Any) -> str | None:
        if on > self.today:
            return None
        self.ids += 1
        lag = self.rng.choice([0] * 8 + [1, 2, 3, 7, 14, 21]) if kind != "request_received" else 0
        recorded = min(on + timedelta(days=lag), self.today)
        self.payloads.append({"type": kind, "on": on, "recorded": recorded,
                              "id": f"e{self.ids}", **fields})
        return f"e{self.ids}"

    def days(self, mean: float, spread: float, low: int = 0) -> timedelta:
        return timedelta(days=max(low, round(self.rng.gauss(mean, spread))))

    def events(self, received: date) -> list[dict[str, Any]]:
        rng = self.rng
        self.add("request_received", received, requester=rng.choice(REQUESTERS))
        decided = received + self.days(34, 9, 5)
        if rng.random() < 0.02:
            self.add("case_withdrawn", received + self.days(20, 10, 1), reason="moved out of area")
            return self._finish()
        outcome = "refuse" if rng.random() < 0.25 else "assess"
        decision = self.add("decision_to_assess", decided, outcome=outcome)
        if outcome == "refuse" or decision is None:
            return self._finish()
        answered = self._advice(decided)
        if rng.random() < 0.05:
            self.add("not_to_issue_notice", decided + self.days(70, 20, 10))
            return self._finish()
        self._exceptions(received)
        draft = max(answered, default=decided) + self.days(23, 12, 3)
        if self.add("draft_plan_issued", draft) is None:
            return self._finish()
        if rng.random() < 0.08:
            self.add("final_plan_issued", draft + self.days(10, 3, 5),
                     family_confirmed_no_comments=True)
        else:
            self.add("final_plan_issued", draft + self.days(26, 12, 15))
        return self._finish(decision)

    def _advice(self, decided: date) -> list[date]:
        answered = []
        for provider, (share, mean, spread) in PROVIDERS.items():
            if self.rng.random() >= share:
                continue
            asked = decided + self.days(2, 2)
            at_setting = provider in ("education", "early_years")
            extra = {"setting": self.rng.choice(SETTINGS)} if at_setting else {}
            self.add("advice_requested", asked, provider=provider, **extra)
            received = asked + self.days(mean, spread, 7)
            if self.add("advice_received", received, provider=provider):
                answered.append(received)
        return answered

    def _exceptions(self, received: date) -> None:
        roll = self.rng.random()
        if roll < 0.04:
            start = received + self.days(60, 25, 0)
            self.add("exception_recorded", start + timedelta(days=3),
                     reason="personal_circumstances", attested_by="Team manager",
                     **{"from": start, "to": start + self.days(25, 10, 5)})
        elif roll < 0.05:
            start = received + self.days(50, 20, 0)
            self.add("exception_recorded", start + timedelta(days=30), reason="absence_from_area",
                     attested_by="Team manager", **{"from": start, "to": start + timedelta(35)})

    def _finish(self, decision: str | None = None) -> list[dict[str, Any]]:
        if decision and self.rng.random() < 0.03:
            original = next(p for p in self.payloads if p["id"] == decision)
            fixed = original["on"] - timedelta(days=self.rng.randint(1, 3))
            made = max(p["on"] for p in self.payloads)
            self.add("correction", made, corrects=decision, set={"on": fixed},
                     reason="date keyed from the wrong letter")
        return self.payloads


def save_in_batches(
    save: Callable[..., Any], cases: Iterator[EhcAssessment], batch: int = 500,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Save cases a batch per transaction (the application's `save(*aggregates)`)."""
    pending: list[EhcAssessment] = []
    saved = 0
    for case in cases:
        pending.append(case)
        if len(pending) >= batch:
            save(*pending)
            saved += len(pending)
            pending = []
            if progress:
                progress(saved)
    if pending:
        save(*pending)
        saved += len(pending)
    return saved
