"""The case page's timeline picture: its week marks stay readable at any scale."""

from __future__ import annotations

import re
from datetime import date
from itertools import pairwise

from domain.history import build_fact
from domain.timeline import evaluate
from service.web.timeline_bar import WEEK_LABEL_GAP, timeline_bar


def _marks(svg: str) -> tuple[int, list[tuple[float, str]]]:
    lines = len(re.findall(r'stroke-dasharray="3 3"', svg))
    labels = [(float(x), week) for x, week in
              re.findall(r'<text x="([\d.]+)" y="112"[^>]*>week (\d+)</text>', svg)]
    return lines, labels


def _picture(today: date, plan: bool = False) -> str:
    events = [{"type": "request_received", "on": "2024-10-07", "requester": "parent"}]
    if plan:  # its first annual review, due in March 2026, stretches the scale
        events += [{"type": "decision_to_assess", "on": "2024-11-15", "outcome": "assess"},
                   {"type": "draft_plan_issued", "on": "2025-02-03"},
                   {"type": "final_plan_issued", "on": "2025-03-21"}]
    facts = [build_fact(event) for event in events]
    return timeline_bar(evaluate(facts, today), facts, today)


def test_week_marks_are_all_labelled_on_a_young_case():
    lines, labels = _marks(_picture(date(2024, 11, 1)))
    assert lines == 3
    assert sorted(week for _, week in labels) == ["16", "20", "6"]


def test_week_labels_never_overlap_when_a_long_case_crowds_them():
    lines, labels = _marks(_picture(date(2026, 12, 2), plan=True))  # 17 months on the scale
    assert lines == 3  # every mark is still drawn
    assert "20" in [week for _, week in labels]
    xs = sorted(x for x, _ in labels)
    assert all(b - a >= WEEK_LABEL_GAP for a, b in pairwise(xs))
    assert len(labels) < 3  # here week 16 sits too close to week 20 to be labelled
