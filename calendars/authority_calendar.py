"""The calendar the deadline engine receives: one local authority's settings' closures."""

from collections.abc import Mapping
from dataclasses import dataclass

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from calendars.closures import SettingClosure, parse_closures

__all__ = ["AuthorityCalendar", "parse_term_calendar"]

_CALENDAR_KEYS = frozenset({"local_authority", "closures"})


@dataclass(frozen=True)
class AuthorityCalendar:
    closures: tuple[SettingClosure, ...] = ()
    local_authority: str | None = None

    def __post_init__(self) -> None:
        # A tuple keeps the calendar hashable and immutable; accept any iterable of closures.
        closures = tuple(self.closures)
        for closure in closures:
            if not isinstance(closure, SettingClosure):
                raise TypeError(f"expected SettingClosure, got {closure!r}")
        object.__setattr__(self, "closures", closures)

    def qualifying_closures(self) -> tuple[SettingClosure, ...]:
        """Closures of at least 28 consecutive days, the only ones the exception can use."""
        return tuple(closure for closure in self.closures if closure.qualifies)


def parse_term_calendar(text: str) -> AuthorityCalendar:
    """An authority's term calendar from YAML text (`local_authority`, `closures`)."""
    # YAML 1.2 core schema (ruamel's default): `on`/`no` stay strings, as in scenario files.
    try:
        data = YAML(typ="safe", pure=True).load(text)
    except (YAMLError, ValueError) as error:  # ruamel raises ValueError for 2025-02-30.
        raise ValueError(f"term calendar is not valid YAML: {error}") from None
    if not isinstance(data, Mapping):
        raise ValueError(f"term calendar must be a mapping, got {data!r}")
    unknown = sorted(str(key) for key in data if key not in _CALENDAR_KEYS)
    if unknown:
        raise ValueError(f"term calendar: unknown key(s) {', '.join(unknown)}")
    authority = data.get("local_authority")
    if authority is not None and (not isinstance(authority, str) or not authority.strip()):
        raise ValueError(f"local_authority must be a non-empty string, got {authority!r}")
    entries = data.get("closures", [])
    return AuthorityCalendar(closures=parse_closures(entries), local_authority=authority)
