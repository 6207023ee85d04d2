"""The statutory table: time limits, their sources, and which exceptions each one admits.

Source: shared/spec/statutory-timescales.md (SEND Regulations 2014, SI 2014/1530, and
SI 2020/471). Every number the engine uses is named here, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.facts import PROVIDERS


@dataclass(frozen=True)
class TimeLimit:
    kind: str  # deadline kind: decision_to_assess | advice | not_to_issue_notice | final_plan
    weeks: int
    citation: str
    duty: str  # what must be done, in the users' words


DECISION_TO_ASSESS = TimeLimit(
    "decision_to_assess", 6, "reg 5(1)", "notify whether an EHC needs assessment will happen"
)
ADVICE = TimeLimit("advice", 6, "reg 8(1)", "provide the advice or information asked for")
NOT_TO_ISSUE_NOTICE = TimeLimit(
    "not_to_issue_notice", 16, "reg 10(1)", "notify a decision not to issue a plan"
)
FINAL_PLAN = TimeLimit("final_plan", 20, "reg 13(2)", "send the final EHC plan")

TIME_LIMITS = {t.kind: t for t in (DECISION_TO_ASSESS, ADVICE, NOT_TO_ISSUE_NOTICE, FINAL_PLAN)}

# Reg 13(1) and CFA s.38: the family has at least 15 days beginning with the day the draft is
# served (S) to comment, so the final may be issued on S+15 at the earliest.
DRAFT_COMMENT_DAYS = 15
DRAFT_COMMENT_CITATION = "reg 13(1)"
# A draft served after R+125 leaves the 20-week limit impossible: S+15 > R+140.
LATEST_USEFUL_DRAFT_DAYS = FINAL_PLAN.weeks * 7 - DRAFT_COMMENT_DAYS

# Exceptions: which deadline kinds each reason may excuse, and the provision that says so.
_AUTHORITY_LIMITS = ("decision_to_assess", "not_to_issue_notice", "final_plan")
EXCEPTION_PROVISIONS: dict[str, dict[str, str]] = {
    "school_closure": {
        "decision_to_assess": "reg 5(4)(a)",
        "not_to_issue_notice": "reg 10(4)(a)",
        "final_plan": "reg 13(3)",
    },
    # Reg 5(4) names no early years exception; the decision deadline admits it by analogy
    # with 10(4)(b) (statutory-timescales.md §3), the reading a tribunal would likely take.
    "early_years_closure": {
        "decision_to_assess": "reg 5(4) by analogy with 10(4)(b)",
        "not_to_issue_notice": "reg 10(4)(b)",
        "final_plan": "reg 13(3)",
    },
    "personal_circumstances": {
        "decision_to_assess": "reg 5(4)(c)",
        "not_to_issue_notice": "reg 10(4)(c)",
        "final_plan": "reg 13(3)",
        "advice": "reg 8(2)(a)",
    },
    "absence_from_area": {
        "decision_to_assess": "reg 5(4)(d)",
        "not_to_issue_notice": "reg 10(4)(d)",
        "final_plan": "reg 13(3)",
        "advice": "reg 8(2)(b)",
    },
    "missed_appointment": {"advice": "reg 8(2)(c)"},
    "coronavirus": {
        kind: "SI 2020/471" for kind in (*_AUTHORITY_LIMITS, "advice")
    },
}

CORONAVIRUS_WINDOW = (date(2020, 5, 1), date(2020, 9, 25))  # SI 2020/471, both ends inclusive
MIN_ABSENCE_DAYS = 28  # regs 5(4)(d), 8(2)(b), 10(4)(d): a continuous period of at least 28 days
SETTING_ADVICE_WINDOW_DAYS = 7  # regs 5(4)(a), 10(4)(a): from 7 days before closure to 7 before
CLOSURE_PROVIDER = {"school_closure": "education", "early_years_closure": "early_years"}


def deadline_kind(key: str) -> str:
    """`advice.health.2` -> `advice`; other keys are their own kind."""
    return key.split(".", 1)[0]


def is_deadline_key(key: str) -> bool:
    """decision_to_assess | not_to_issue_notice | final_plan | advice.<provider>[.n], n ≥ 2."""
    if key in _AUTHORITY_LIMITS:
        return True
    parts = key.split(".")
    if parts[0] != "advice" or len(parts) not in (2, 3) or parts[1] not in PROVIDERS:
        return False
    number = parts[2] if len(parts) == 3 else ""
    # ASCII digits only: "²".isdigit() is true, yet int("²") fails.
    return len(parts) == 2 or (number.isascii() and number.isdigit() and int(number) >= 2
                               and number[0] != "0")


def exception_available(reason: str, kind: str) -> bool:
    return kind in EXCEPTION_PROVISIONS.get(reason, {})
