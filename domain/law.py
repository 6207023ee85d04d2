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
    kind: str  # part 1's deadline kinds: decision_to_assess | advice | not_to_issue | final_plan
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


# Part 2 (plan-lifecycle.md; statutory-timescales.md §4): the plan after it is issued.
REVIEW_MONTHS = 12  # CFA s.44(1): review within 12 months starting with the plan or last review
TRANSFER_REVIEW_MONTHS = 3  # reg 15(5): the new authority's review, 3 months from the transfer
REVIEW_DECISION_DAYS = 28  # reg 20, R (L, M and P) v Devon CC [2022]: meeting + 4 weeks
AMENDED_PLAN_DAYS = 56  # reg 22(3): the amended plan within 8 weeks of the amendment notice
AMENDED_PLAN_DEVON_DAYS = 84  # Devon: and within 12 weeks of the review meeting at the outside
AMENDMENT_COMMENT_DAYS = 15  # reg 22(2)(c): at least 15 days beginning with service
REASSESSMENT_DECISION_DAYS = 15  # reg 25: request + 15 days
REASSESSMENT_FINAL_DAYS = 98  # reg 27(2): decision notice + 14 weeks
POST16_OTHER_MONTHS = 5  # reg 18(2): at least 5 months before a post-16 transfer
# Reg 18(1): the plan amended *before* 15 February (a school phase) or 31 March (school to
# post-16) of the transfer year, so the last lawful day is 14 February or 30 March.
PHASE_TRANSFER_LAST_DAY = {"school": (2, 14), "post16": (3, 30)}
PHASE_TRANSFER_CITATIONS = {
    "school": "reg 18(1)(b)", "post16": "reg 18(1)(a)", "post16_other": "reg 18(2)",
}
# Reg 44(2) (orders) and reg 45 (unopposed appeals): days from the order or concession.
ORDER_DAYS = {
    ("assess", "order.decision"): 14,
    ("assess", "order.not_to_issue"): 70,
    ("assess", "order.final_plan"): 98,
    ("make_plan", "order.draft_plan"): 35,
    ("make_plan", "order.final_plan"): 77,
    ("amend", "order.amended_plan"): 35,
}
ORDER_CITATION = {"tribunal_order": "reg 44(2)", "appeal_conceded": "reg 45 (as reg 44(2))"}

CITATIONS = {
    "decision_to_assess": DECISION_TO_ASSESS.citation,
    "advice": ADVICE.citation,
    "not_to_issue_notice": NOT_TO_ISSUE_NOTICE.citation,
    "final_plan": FINAL_PLAN.citation,
    "review": "CFA s.44(1)",
    "review_decision": "reg 20; R (L, M and P) v Devon CC [2022] EWHC 493",
    "amended_plan": "reg 22(3)",
    "reassessment_decision": "reg 25",
    "reassessment_final": "reg 27(2)",
}

# Part 2's exceptions: reassessment_final admits part 1's codes as the final plan does (reg
# 27(3)); every other new deadline admits coronavirus only (SI 2020/471 reached reviews,
# amendments, phase transfers, reassessments and orders; plan-lifecycle.md "Exceptions").
_PART2_KINDS = ("review", "review_decision", "amended_plan", "phase_transfer",
                "reassessment_decision", "reassessment_final", "order.decision",
                "order.not_to_issue", "order.final_plan", "order.draft_plan",
                "order.amended_plan")
for _reason in ("school_closure", "early_years_closure", "personal_circumstances",
                "absence_from_area"):
    EXCEPTION_PROVISIONS[_reason]["reassessment_final"] = "reg 27(3)"
EXCEPTION_PROVISIONS["coronavirus"].update({kind: "SI 2020/471" for kind in _PART2_KINDS})

# Keys: review.n, review_decision.n and amended_plan.n always carry their number (from 1); the
# others are bare for the first of their kind and take .2, .3… after (settled point 21).
ALWAYS_NUMBERED = frozenset({"review", "review_decision", "amended_plan"})
NUMBERED_FROM_TWO = frozenset({
    "phase_transfer", "reassessment_decision", "reassessment_final", "order.decision",
    "order.not_to_issue", "order.final_plan", "order.draft_plan", "order.amended_plan",
})


def deadline_kind(key: str) -> str:
    """`advice.health.2` -> `advice`, `review.3` -> `review`, `order.final_plan.2` ->
    `order.final_plan`; part 1's other keys are their own kind."""
    parts = key.split(".")
    if parts[0] == "order" and len(parts) > 1:
        return f"order.{parts[1]}"
    return parts[0]


def _number(text: str, lowest: int) -> bool:
    # ASCII digits only: "²".isdigit() is true, yet int("²") fails; no leading zeros.
    return text.isascii() and text.isdigit() and text[0] != "0" and int(text) >= lowest


def is_deadline_key(key: str) -> bool:
    """decision_to_assess | not_to_issue_notice | final_plan | advice.<provider>[.n] |
    review.n | review_decision.n | amended_plan.n | phase_transfer[.n] |
    reassessment_decision[.n] | reassessment_final[.n] | order.<duty>[.n], n ≥ 2 where
    optional (so `phase_transfer.1` is no key)."""
    if key in _AUTHORITY_LIMITS:
        return True
    kind = deadline_kind(key)
    head = key.split(".")[: 2 if kind == "advice" or kind.startswith("order.") else 1]
    if kind == "advice" and (len(head) < 2 or head[1] not in PROVIDERS):
        return False
    rest = key.split(".")[len(head):]
    if kind in ALWAYS_NUMBERED:
        return len(rest) == 1 and _number(rest[0], 1)
    if kind in NUMBERED_FROM_TWO or kind == "advice":
        return not rest or (len(rest) == 1 and _number(rest[0], 2))
    return False


def numbered_key(kind: str, number: int, provider: str | None = None) -> str:
    """The key of the `number`th deadline of a kind (advice: of a provider)."""
    base = f"advice.{provider}" if kind == "advice" else kind
    if kind in ALWAYS_NUMBERED or number > 1:
        return f"{base}.{number}"
    return base


def exception_available(reason: str, kind: str) -> bool:
    return kind in EXCEPTION_PROVISIONS.get(reason, {})
