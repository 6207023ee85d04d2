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
from scenarios.plan_life import PlanLife, place_plan, refusal_appeal

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
    cases: int  # requests for an assessment over the years
    seed: int = 1
    today: date = date(2026, 11, 23)
    years: int = 3
    prefix: str = "LA"
    plan_years: bool = True  # follow issued plans after the 20 weeks (off: 20-week cases only)
    plans_in_place: int = 0  # plans already in place when the history starts


def generate_cases(config: GeneratorSettings) -> Iterator[EhcAssessment]:
    for number in range(config.cases):
        yield synthetic_case(config, number)
    for number in range(config.plans_in_place):
        yield plan_in_place_case(config, number)


def synthetic_case(config: GeneratorSettings, number: int) -> EhcAssessment:
    rng = random.Random(f"{config.seed}:{number}")
    history = _CaseHistory(rng, config.today, config.plan_years)
    case = _open(rng, f"{config.prefix}-{config.seed}-{number:07d}")
    return _recorded(case, history.events(_request_date(rng, config)))


def plan_in_place_case(config: GeneratorSettings, number: int) -> EhcAssessment:
    """A plan the authority already maintained when the history starts, then its years."""
    rng = random.Random(f"{config.seed}:plan:{number}")
    case = _open(rng, f"{config.prefix}-{config.seed}-P{number:06d}")
    placed = place_plan(rng, config.today - timedelta(days=config.years * 365))
    history = _CaseHistory(rng, config.today, config.plan_years)
    history.add("plan_in_place", max(placed["on"], placed.get("last_reviewed", placed["on"])),
                **{k: v for k, v in placed.items() if k not in ("type", "on")})
    history.payloads[-1]["on"] = placed["on"]  # the plan's own date; the case starts later
    anchor = placed.get("last_reviewed", placed["on"])
    transfer = config.today.year + rng.choice((0, 1)) if rng.random() < 0.15 else None
    history.plan_life(anchor, transfer)
    return _recorded(case, history.payloads)


def _open(rng: random.Random, case_ref: str) -> EhcAssessment:
    team = rng.choice(sorted(TEAMS))
    return EhcAssessment(case_ref, team=team, caseworker=rng.choice(TEAMS[team]))


def _recorded(case: EhcAssessment, payloads: list[dict[str, Any]]) -> EhcAssessment:
    for payload in payloads:
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

    def __init__(self, rng: random.Random, today: date, plan_years: bool = False) -> None:
        self.rng = rng
        self.today = today
        self.plan_years = plan_years
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
        if outcome == "refuse" and decision is not None and self.plan_years:
            self._add_draws(refusal_appeal(rng, decided))
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
            final = draft + self.days(10, 3, 5)
            issued = self.add("final_plan_issued", final, family_confirmed_no_comments=True)
        else:
            final = draft + self.days(26, 12, 15)
            issued = self.add("final_plan_issued", final)
        finished = self._finish(decision)
        if issued is not None and self.plan_years:
            self.plan_life(final, None)
        return finished

    def plan_life(self, anchor: date, transfer_year: int | None) -> None:
        self._add_draws(PlanLife(self.rng, self.today).follow(anchor, transfer_year))

    def _add_draws(self, draws: list[tuple[date, str, dict[str, Any]]]) -> None:
        for on, kind, fields in draws:
            if self.add(kind, on, **fields) is None:
                return  # today reached: nothing later has happened

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
