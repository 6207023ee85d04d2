"""The calendar the deadline engine receives: one local authority's settings' closures."""

from dataclasses import dataclass

from calendars.closures import SettingClosure

__all__ = ["AuthorityCalendar"]


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
