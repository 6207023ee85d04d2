"""The text rule (domain.text) for query parameters: a name with a control character matches
nothing and PostgreSQL cannot even compare it (a NUL), so it is refused (422), not a 500."""

from __future__ import annotations

from domain.text import TextRefused, clean_text
from service.api.problems import Problem


def query_text(value: str | None, parameter: str, words: str) -> str | None:
    if value is None:
        return None
    try:
        return clean_text(value, words)
    except TextRefused as error:
        raise Problem(422, "Invalid request", f"{parameter}: {error}",
                      "invalid_request") from None
