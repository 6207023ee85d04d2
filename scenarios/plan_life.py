"""The synthetic authority's plans after issue: yearly reviews, amendments, September phase
transfers, a few reassessments, disagreements and ceased plans (plan-lifecycle.md).

Calibrated loosely to national patterns: about 47% of review decisions within 4 weeks of the
meeting (DfE, 2025), most amended plans inside 8 weeks, about 4% of plans ceasing a year.
Events are drawn as (date, type, fields) and given back in date order; the generator records
them through the real aggregate, which refuses any implausible draw.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

Draw = tuple[date, str, dict[str, Any]]
CEASE_REASONS = (["needs_met"] * 25 + ["max_age"] * 20 + ["employment"] * 10
                 + ["higher_education"] * 10 + ["transferred_out"] * 20 + ["disengaged"] * 8
                 + ["moved_outside_england"] * 4 + ["deceased"] * 1 + ["other"] * 2)
AUTHORITIES = ("Somerset", "Devon", "Kent", "Leeds", "Camden", "Cornwall")


class PlanLife:
    """One plan's later life, from the day it came into force up to `today`."""

    def __init__(self, rng: random.Random, today: date) -> None:
        self.rng = rng
        self.today = today
        self.draws: list[Draw] = []

    def days(self, mean: float, spread: float, low: int = 1) -> timedelta:
        return timedelta(days=max(low, round(self.rng.gauss(mean, spread))))

    def draw(self, on: date, kind: str, **fields: Any) -> date:
        self.draws.append((on, kind, fields))
        return on

    def follow(self, anchor: date, transfer_year: int | None = None) -> list[Draw]:
        """Yearly review cycles from `anchor` (the plan's date or its last review)."""
        rng, ends = self.rng, self.today
        if transfer_year is not None:
            self._phase_transfer(transfer_year)
        while anchor < ends:
            if rng.random() < 0.04:  # the plan ends this year
                self.draw(anchor + self.days(180, 90), "plan_ceased",
                          reason=rng.choice(CEASE_REASONS))
                break
            if rng.random() < 0.02:
                anchor = self._reassessment(anchor)
                continue
            anchor = self._review(anchor)
            if rng.random() < 0.02:
                self.draw(anchor + self.days(40, 15), "mediation_held", about="other")
        return sorted(self.draws, key=lambda draw: draw[0])

    def _review(self, anchor: date) -> date:
        meeting = self.draw(anchor + self.days(325, 30), "review_meeting_held")
        # Decision within 4 weeks of the meeting for about 47% (DfE annual reviews, 2025).
        decided = meeting + self.days(29, 11)
        outcome = self.rng.choices(("maintain", "amend", "cease"), (50, 47, 3))[0]
        self.draw(decided, "review_decision_notified", outcome=outcome)
        if outcome == "amend":
            if self.rng.random() < 0.06:
                self.draw(decided + self.days(30, 10, 16), "amendment_not_made")
            else:
                self.draw(decided + self.days(48, 18, 16), "amended_plan_issued")
        return decided

    def _phase_transfer(self, year: int) -> None:
        """Told in the autumn; the plan amended, naming the next setting, around 15 February
        (school) or 31 March (post-16) before a September move."""
        transfer = "school" if self.rng.random() < 0.8 else "post16"
        told = date(year - 1, 9, 15) + self.days(10, 8, 0)
        self.draw(told, "phase_transfer_expected", transfer=transfer,
                  transfer_on=date(year, 9, 1))
        proposed = date(year, 1, 5) + self.days(5, 6, 0)
        self.draw(proposed, "amendment_proposed")
        target = date(year, 2, 10) if transfer == "school" else date(year, 3, 25)
        self.draw(target + self.days(0, 8, -25), "amended_plan_issued", names_next_setting=True)

    def _reassessment(self, anchor: date) -> date:
        asked = self.draw(anchor + self.days(150, 60), "reassessment_requested",
                          requester=self.rng.choice(("parent", "school", "young_person")))
        decided = asked + self.days(14, 5)
        if self.rng.random() < 0.3:
            self.draw(decided, "reassessment_decision", outcome="refuse")
            return self._review(anchor)
        self.draw(decided, "reassessment_decision", outcome="reassess")
        self.draw(decided + self.days(3, 2), "advice_requested", provider="educational_psychology")
        draft = self.draw(decided + self.days(75, 20, 20), "draft_plan_issued")
        return self.draw(draft + self.days(22, 8, 15), "final_plan_issued")


def place_plan(rng: random.Random, starts: date) -> dict[str, Any]:
    """A plan already in place when the tracker starts (made before, reviewed within the last
    year; a few moved in from another authority)."""
    made = starts - timedelta(days=rng.randrange(365, 6 * 365))
    reviewed = max(made, starts - timedelta(days=rng.randrange(1, 360)))
    payload: dict[str, Any] = {"type": "plan_in_place", "on": made}
    if reviewed > made:
        payload["last_reviewed"] = reviewed
    if rng.random() < 0.05:
        moved = reviewed + timedelta(days=rng.randrange(1, 90))
        payload["transferred_in"] = {"from": rng.choice(AUTHORITIES), "on": min(moved, starts)}
    return payload


def refusal_appeal(rng: random.Random, refused: date) -> list[Draw]:
    """About 8% of refusals appealed; most conceded or ordered to assess, a few dismissed."""
    if rng.random() >= 0.08:
        return []
    appealed = refused + timedelta(days=rng.randrange(20, 55))
    draws: list[Draw] = [(appealed, "appeal_registered", {"about": "request"})]
    answered = appealed + timedelta(days=rng.randrange(60, 200))
    roll = rng.random()
    if roll < 0.35:
        draws.append((answered, "appeal_conceded", {"concession": "assess"}))
    elif roll < 0.75:
        draws.append((answered, "tribunal_order", {"order": "assess"}))
    else:
        return [*draws, (answered, "tribunal_order", {"order": "dismissed"})]
    notice = answered + timedelta(days=max(1, round(rng.gauss(13, 5))))
    draft = notice + timedelta(days=max(20, round(rng.gauss(60, 15))))
    return [*draws, (notice, "decision_to_assess", {"outcome": "assess"}),
            (draft, "draft_plan_issued", {}),
            (draft + timedelta(days=max(15, round(rng.gauss(20, 6)))), "final_plan_issued", {})]
