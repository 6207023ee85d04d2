"""Settings' closures (school holidays), used by the `school_closure` exception.

Regs 5(4)(a), 10(4)(a) and 13(3): the authority need not meet the time limit when it asked
a head teacher or principal for advice from 7 days before the start of a closure of at least
28 consecutive days until 7 days before the setting re-opens (scenario-format.md, rule (4)).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

__all__ = ["SettingClosure", "parse_closures"]

# The Regs' "at least 28 consecutive days"; a closure lasts reopens - closed_from days.
QUALIFYING_CLOSURE_DAYS = 28
# The advice window runs from 7 days before the closure to 7 days before re-opening.
ADVICE_WINDOW_LEAD = timedelta(days=7)
_ONE_DAY = timedelta(days=1)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_KEYS = frozenset({"setting", "closed_from", "reopens"})


@dataclass(frozen=True)
class SettingClosure:
    """A setting closed from `closed_from` (first closed day) until it `reopens`.

    `setting` None means every setting of the authority (e.g. the authority-wide summer).
    """

    closed_from: date
    reopens: date
    setting: str | None = None

    def __post_init__(self) -> None:
        for name in ("closed_from", "reopens"):
            value = getattr(self, name)
            if not isinstance(value, date) or isinstance(value, datetime):
                raise TypeError(f"{name} must be a date, got {value!r}")
        if self.reopens <= self.closed_from:
            raise ValueError(
                f"a closure must reopen after it closes: closed_from {self.closed_from}, "
                f"reopens {self.reopens}"
            )

    @property
    def length_days(self) -> int:
        """Consecutive days closed: closed_from … reopens − 1."""
        return (self.reopens - self.closed_from).days

    @property
    def qualifies(self) -> bool:
        """A closure "of at least 28 consecutive days" (in practice the summer holiday)."""
        return self.length_days >= QUALIFYING_CLOSURE_DAYS

    @property
    def last_closed_day(self) -> date:
        return self.reopens - _ONE_DAY

    @property
    def advice_window(self) -> tuple[date, date]:
        """Inclusive days on which an advice request makes the exception available."""
        return self.closed_from - ADVICE_WINDOW_LEAD, self.reopens - ADVICE_WINDOW_LEAD

    def covers_setting(self, setting: str | None) -> bool:
        """Same setting, or either side names none (rule (4): "when both name one")."""
        return self.setting is None or setting is None or self.setting == setting

    def overlaps(self, first: date, last: date) -> bool:
        """True when a closed day falls in `first` … `last` (inclusive)."""
        if last < first:
            raise ValueError(f"last day {last} is before first day {first}")
        return self.closed_from <= last and first <= self.last_closed_day


def _as_date(value: object, where: str) -> date:
    # Dates must be real YYYY-MM-DD dates; datetimes and other ISO 8601 shapes are refused.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"{where}: {value!r} is not a YYYY-MM-DD date")


def _parse_closure(index: int, entry: object) -> SettingClosure:
    where = f"closure {index}"
    if not isinstance(entry, Mapping):
        raise ValueError(f"{where}: expected a mapping, got {entry!r}")
    unknown = sorted(str(key) for key in entry if key not in _KEYS)
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {', '.join(unknown)}")
    missing = [key for key in ("closed_from", "reopens") if key not in entry]
    if missing:
        raise ValueError(f"{where}: missing key(s) {', '.join(missing)}")
    setting = entry.get("setting")
    if setting is not None and (not isinstance(setting, str) or not setting.strip()):
        raise ValueError(f"{where}: setting must be a non-empty string, got {setting!r}")
    closed_from = _as_date(entry["closed_from"], f"{where} closed_from")
    reopens = _as_date(entry["reopens"], f"{where} reopens")
    try:
        return SettingClosure(closed_from=closed_from, reopens=reopens, setting=setting)
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None


def parse_closures(entries: list[Mapping[str, object]]) -> tuple[SettingClosure, ...]:
    """Closures from mappings with `closed_from`, `reopens` and optional `setting`."""
    if not isinstance(entries, list | tuple):
        raise ValueError(f"closures must be a list, got {entries!r}")
    return tuple(_parse_closure(index, entry) for index, entry in enumerate(entries))
