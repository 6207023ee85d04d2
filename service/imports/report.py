"""The rejection report: one line per row not imported (file, row, column, value, the rule
broken and its source), and the counts of rows imported, rejected, not imported because
another row of their case was rejected, and already present."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from service.imports.reading import csv_cell

REPORT_HEADER = ("file", "row", "case_ref", "status", "column", "value", "rule", "source",
                 "message")
# A rule's source as the refusal cites it: "(reg 13(1))", "(CFA s.36(1))", "(settled point 34)".
_CITATION = re.compile(r"\(((?:reg|regs|CFA|s\.|settled point|section)[^()]*(?:\([^()]*\))*"
                       r"[^()]*)\)")


def rule_source(message: str, default: str = "docs/spec/scenario-format.md") -> str:
    """Where the rule broken comes from: the law the refusal cites, else the contract."""
    found = _CITATION.findall(message)
    return found[-1] if found else default


@dataclass(frozen=True)
class ReportLine:
    file: str
    row: int | str
    case_ref: str
    status: str  # rejected | not_imported | refused_file | note
    column: str = ""
    value: str = ""
    rule: str = ""
    source: str = ""
    message: str = ""

    def cells(self) -> tuple[str, ...]:
        return tuple(str(csv_cell(str(value))) for value in (
            self.file, self.row, self.case_ref, self.status, self.column, self.value,
            self.rule, self.source, self.message))


@dataclass
class ImportReport:
    dry_run: bool = False
    imported: int = 0
    rejected: int = 0
    not_imported: int = 0
    already_present: int = 0
    cases_imported: int = 0
    people_linked: int = 0
    lines: list[ReportLine] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.imported + self.rejected + self.not_imported + self.already_present

    def reject(self, line: ReportLine) -> None:
        self.rejected += 1
        self.lines.append(line)

    def summary(self) -> list[str]:
        verb = "would be imported" if self.dry_run else "imported"
        lines = [
            f"{'Dry run: nothing was stored. ' if self.dry_run else ''}{self.rows} rows read.",
            f"  {self.imported} {verb} ({self.cases_imported} cases)",
            f"  {self.rejected} rejected",
            f"  {self.not_imported} not imported: another row of their case was rejected",
            f"  {self.already_present} already present (imported before)",
        ]
        for line in self.lines[:10]:
            if line.status == "rejected":
                lines.append(f"  row {line.row} of {line.file} ({line.case_ref}): "
                             f"{line.column or 'row'}: {line.message}")
        if self.rejected > 10:
            lines.append(f"  … and {self.rejected - 10} more rejections: see the report")
        return lines + self.notes

    def write_csv(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(REPORT_HEADER)
            writer.writerows(line.cells() for line in self.lines)
            writer.writerow(())
            for name in ("imported", "rejected", "not_imported", "already_present"):
                writer.writerow(("total", name, getattr(self, name)))
            for note in self.notes:
                writer.writerow(("note", "", "", "note", "", "", "", "", csv_cell(note)))
        return path

    def as_json(self) -> dict[str, object]:
        return {
            "dry_run": self.dry_run, "imported": self.imported, "rejected": self.rejected,
            "not_imported": self.not_imported, "already_present": self.already_present,
            "cases_imported": self.cases_imported, "notes": self.notes,
            "lines": [dict(zip(REPORT_HEADER, line.cells(), strict=True))
                      for line in self.lines],
        }
