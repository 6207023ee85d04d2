"""Small numbers withheld from the board so that no withheld count can be worked out from what
is shown: primary suppression (a count from 1 to 4) and secondary suppression (the counts
beside it that would give it away by sums and differences), as official statistics do.

A table is a set of counts over *atoms*: the finest groups of children (or deadlines) the
response could distinguish, e.g. (period segment, within or late, exception or not). Each
count shown is the sum of some atoms. What must be protected:
- every count shown;
- every difference of a count and a count directly inside it (total - within = late; a
  quarter - its month = the rest of the quarter), and any group the caller names;
each when it is 1 to 4. A protected group is safe when it is not a linear combination of the
counts still shown (after the atoms that shown zeros pin to 0 are taken out); while one is,
the smallest count that its combination uses is withheld too, and the check runs again.
Rates are shown only when their numerator and denominator both are (rate x total would
give the numerator back); means only when their group's count is.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field

import numpy as np

SMALL_NUMBER = 5  # counts 1 to 4 are withheld (public-sector practice)
NOT_RATED = f"not rated: fewer than {SMALL_NUMBER}"
WITHHELD_NOTE = (f"counts under {SMALL_NUMBER}, and the figures that would reveal them, are "
                 "not shown to the board")
Atom = Hashable


def small(value: int | None) -> bool:
    return value is not None and 0 < value < SMALL_NUMBER


@dataclass
class Count:
    value: int
    atoms: frozenset[Atom]


@dataclass
class Table:
    """Counts shown in one response, table or page, and the groups to protect."""

    counts: dict[Hashable, Count] = field(default_factory=dict)
    groups: list[Count] = field(default_factory=list)

    def count(self, key: Hashable, value: int, atoms: Iterable[Atom]) -> None:
        """A count shown under `key`: the number of children (deadlines) in `atoms`. The same
        key given twice (a figure shown in two places) must be the same count."""
        self.counts[key] = Count(int(value), frozenset(atoms))

    def protect(self, value: int, atoms: Iterable[Atom]) -> None:
        """A group not shown as such that must not be worked out when it is small."""
        self.groups.append(Count(int(value), frozenset(atoms)))

    def withheld(self) -> set[Hashable]:
        """The keys of the counts to withhold: primary and secondary."""
        return _Suppressor(self).run()


class _Suppressor:
    """The counts and groups as rows of a 0/1 matrix over the atoms (numpy, built once)."""

    def __init__(self, table: Table) -> None:
        # Keys showing the same atoms are one figure shown twice: withheld together.
        self.same: dict[frozenset[Atom], list[Hashable]] = {}
        for key, count in table.counts.items():
            self.same.setdefault(count.atoms, []).append(key)
        self.distinct = [table.counts[keys[0]] for keys in self.same.values()]
        groups = [*self.distinct, *_direct_differences(self.distinct), *table.groups]
        self.sensitive = [g for g in groups if small(g.value)]
        atoms = {a for c in (*self.distinct, *self.sensitive) for a in c.atoms}
        self.column = {atom: i for i, atom in enumerate(sorted(atoms, key=repr))}
        self.matrix = self._rows(self.distinct)
        self.targets = self._rows(self.sensitive)
        self.values = np.array([c.value for c in self.distinct])

    def _rows(self, counts: list[Count]) -> np.ndarray:
        matrix = np.zeros((len(counts), len(self.column)))
        for row, count in enumerate(counts):
            matrix[row, [self.column[a] for a in count.atoms]] = 1.0
        return matrix

    def run(self) -> set[Hashable]:
        hidden = {i for i, c in enumerate(self.distinct) if small(c.value)}
        while self.sensitive:
            shown = [i for i in range(len(self.distinct)) if i not in hidden]
            live = self._live_atoms(shown)
            rows = self.matrix[shown][:, live]
            exposed = next((t for t in self.targets[:, live] if self._determined(rows, t)),
                           None)
            if exposed is None:
                break
            hidden.add(self._give_away(rows, shown, exposed))
        return {key for i in hidden for key in self.same[self.distinct[i].atoms]}

    def _live_atoms(self, shown: list[int]) -> np.ndarray:
        """The atoms not pinned to 0 by a zero shown: a zero count, or a shown count equal to
        a shown count inside it (the atoms between them hold no one)."""
        zero = np.zeros(len(self.column), dtype=bool)
        for i in shown:
            if self.values[i] == 0:
                zero |= self.matrix[i] > 0
        for outer in shown:
            for inner in shown:
                if (outer != inner and self.values[outer] == self.values[inner]
                        and self.distinct[inner].atoms < self.distinct[outer].atoms):
                    zero |= (self.matrix[outer] - self.matrix[inner]) > 0
        return np.flatnonzero(~zero)

    @staticmethod
    def _determined(rows: np.ndarray, target: np.ndarray) -> bool:
        """Whether the shown counts give the group exactly (its vector is in their span)."""
        if not target.any() or rows.size == 0:
            return False  # every atom of it pinned to 0: it is 0, not small
        weights = np.linalg.lstsq(rows.T, target, rcond=None)[0]
        return bool(np.allclose(rows.T @ weights, target, atol=1e-7))

    def _give_away(self, rows: np.ndarray, shown: list[int], target: np.ndarray) -> int:
        """The shown count to withhold next: the smallest non-zero one that the group's
        combination uses (else any non-zero one overlapping it)."""
        weights = np.linalg.lstsq(rows.T, target, rcond=None)[0]
        used = [i for i, w in zip(shown, weights, strict=True) if abs(w) > 1e-7]
        overlapping = [i for n, i in enumerate(shown) if (rows[n] * target).any()]
        for candidates in (used, overlapping, shown):
            positive = [i for i in candidates if self.values[i] > 0]
            if positive:
                return min(positive, key=lambda i: (self.values[i], i))
        return shown[0]


def _direct_differences(distinct: list[Count]) -> list[Count]:
    """For each count and each count directly inside it (none between them), the difference:
    late = total - within, the rest of a quarter = the quarter - its month."""
    differences = []
    for outer in distinct:
        inside = [c for c in distinct if c.atoms < outer.atoms]
        for inner in inside:
            if not any(inner.atoms < middle.atoms for middle in inside):
                differences.append(Count(outer.value - inner.value, outer.atoms - inner.atoms))
    return differences


def rate_shown(withheld: set[Hashable], numerator: Hashable, denominator: Hashable) -> bool:
    """A rate is shown only beside its numerator and denominator."""
    return numerator not in withheld and denominator not in withheld
