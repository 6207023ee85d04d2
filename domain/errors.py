"""Refusals: every refused event raises one of these, naming the rule and its source."""

from __future__ import annotations


class RuleBroken(Exception):
    """An event breaks a rule of the law or of the case's history; nothing was recorded."""

    rule = "rule"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidValue(RuleBroken):
    """A field has a value the law does not know (unknown provider, requester, reason…)."""

    rule = "invalid_value"


class OutOfOrder(RuleBroken):
    """The event needs an earlier event it does not have, or comes after one that bars it."""

    rule = "out_of_order"


class Duplicate(RuleBroken):
    """The event may happen once per case and already has."""

    rule = "duplicate"


class DateRuleBroken(RuleBroken):
    """The event's dates are impossible: before the request, after its recording, future."""

    rule = "date"


class CaseClosed(RuleBroken):
    """The case was withdrawn; only corrections may follow."""

    rule = "case_closed"


class ExceptionRefused(RuleBroken):
    """The exception is not available in law for what it claims to excuse."""

    rule = "exception_not_available"


class CorrectionRefused(RuleBroken):
    """The correction names no event, changes what cannot change, or would break a rule."""

    rule = "correction"


class PlanNotInForce(RuleBroken):
    """The event needs an EHC plan in force on its date (plan-lifecycle.md)."""

    rule = "plan_not_in_force"
