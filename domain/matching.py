"""Which advice request each receipt answers: replaying the case in order, the earliest
outstanding request to that provider dated on or before the receipt (scenario-format.md,
`advice_received`). A request logged after a receipt cannot be answered by it."""

from __future__ import annotations

from collections.abc import Sequence

from domain.facts import AdviceReceived, AdviceRequested, Fact


def match_advice(facts: Sequence[Fact]) -> tuple[dict[int, AdviceReceived], list[AdviceReceived]]:
    """({request number: receipt}, receipts that answered nothing); requests are numbered
    0, 1, 2… in the order accepted."""
    requests: list[AdviceRequested] = []
    outstanding: list[int] = []
    answered: dict[int, AdviceReceived] = {}
    unanswered: list[AdviceReceived] = []
    for fact in facts:
        if isinstance(fact, AdviceRequested):
            outstanding.append(len(requests))
            requests.append(fact)
        elif isinstance(fact, AdviceReceived):
            candidates = [
                i
                for i in outstanding
                if requests[i].provider == fact.provider and requests[i].on <= fact.on
            ]
            chosen = min(candidates, key=lambda i: (requests[i].on, i), default=None)
            if chosen is None:
                unanswered.append(fact)
            else:
                outstanding.remove(chosen)
                answered[chosen] = fact
    return answered, unanswered
