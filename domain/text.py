"""One rule for every piece of free text and every name, on every store.

- Line breaks are stored as LF: a browser's CR LF (and a lone CR) becomes LF, in the fields
  that may hold several lines (reasons); a name or a label is one line.
- Every other control character is refused: the C0 controls U+0000-U+001F (NUL among them:
  PostgreSQL's text columns cannot hold it, so one NUL in a read model stops every report),
  DEL U+007F, and unpaired surrogates (not text at all: they cannot be written as UTF-8).

The message names the field in the users' words and the character, e.g. "the caseworker's
name contains a control character (NUL, U+0000): remove it".
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationInfo
from pydantic_core import PydanticCustomError

_C0_NAMES = ("NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "TAB", "LF", "VT",
             "FF", "CR", "SO", "SI", "DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB",
             "CAN", "EM", "SUB", "ESC", "FS", "GS", "RS", "US")
_REFUSED_IN_LINES = re.compile("[\x00-\x09\x0b-\x1f\x7f\ud800-\udfff]")  # LF allowed
_REFUSED_IN_A_LINE = re.compile("[\x00-\x1f\x7f\ud800-\udfff]")
REPLACEMENT = "\ufffd"  # what a read model holds where an old event held a NUL

# Fact fields in the users' words (the field's own name, spaced, otherwise).
FIELD_WORDS = {
    "id": "the event's id",
    "corrects": "the id of the event corrected",
    "setting": "the setting",
    "attested_by": "the name of whoever attested it",
    "reason": "the reason",
    "from_": "the authority it came from",
}


class TextRefused(ValueError):
    """Text holding a character the rule refuses; the message says which and where."""


def clean_text(value: str, what: str, multiline: bool = False) -> str:
    """`value` as stored: line breaks as LF (multiline fields), or TextRefused naming `what`
    (e.g. "the team's name") and the character."""
    if multiline:
        if "\r" in value:
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        found = _REFUSED_IN_LINES.search(value)
    else:
        found = _REFUSED_IN_A_LINE.search(value)
    if found is not None:
        raise TextRefused(f"{what} {_describe(found.group())}")
    return value


def _describe(character: str) -> str:
    code = ord(character)
    if character in "\r\n":
        return (f"contains a line break ({_C0_NAMES[code]}, U+{code:04X}): keep it to one "
                "line")
    if 0xD800 <= code <= 0xDFFF:
        return f"contains an unpaired surrogate (U+{code:04X}), which is not text: remove it"
    name = "DEL" if code == 0x7F else _C0_NAMES[code]
    return f"contains a control character ({name}, U+{code:04X}): remove it"


def without_nul(value: Any) -> Any:
    """A value for a read model: a NUL (in an event stored before the rule) replaced by
    U+FFFD, so the row can be written on PostgreSQL; anything else unchanged."""
    if isinstance(value, str) and "\x00" in value:
        return value.replace("\x00", REPLACEMENT)
    return value


def _field_words(info: ValidationInfo) -> str:
    name = info.field_name or "the text"
    return FIELD_WORDS.get(name, f"the {name.replace('_', ' ')}")


def one_line(value: str, info: ValidationInfo) -> str:
    """Pydantic after-validator for names and labels (one line)."""
    try:
        return clean_text(value, _field_words(info))
    except TextRefused as error:
        raise PydanticCustomError("text", str(error)) from None


def lines(value: str, info: ValidationInfo) -> str:
    """Pydantic after-validator for text that may run over several lines."""
    try:
        return clean_text(value, _field_words(info), multiline=True)
    except TextRefused as error:
        raise PydanticCustomError("text", str(error)) from None
