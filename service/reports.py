"""Reports the CLI prints or writes: the KPI table and the SEN2 export."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

from calendars.periods import Period
from projections.kpis import MEASURES, KpiValue
from projections.queries import advice_by_provider, dfe_bands, kpi_table
from projections.read_store import ReadStore
from projections.sen2 import Identities, sen2_return_from
from projections.source import EventSource
from service.application import EhcApplication
from service.people import People, people_for
from service.personal_data import pseudonym
from service.settings import StoreSettings
from service.tokens import Principal


def kpi_report(
    store: ReadStore, period: Period, measures: tuple[str, ...], cohort: str,
    provider: str | None, disputes: str = "included",
) -> str:
    lines = [f"Timeliness, {period.label} ({period.start} to {period.end}), cohort: {cohort}"
             + (", assessments with mediation or an appeal left out (as DfE)"
                if disputes == "excluded" else ""),
             f"{'measure':<36} {'incl. exceptions':>20} {'excl. exceptions':>20}"]
    for result in kpi_table(store, period, measures, cohort, provider, disputes=disputes):
        lines.append(f"{result.measure:<36} {_share(result.including_exceptions):>20} "
                     f"{_share(result.excluding_exceptions):>20}")
    if "final_plans_within_20_weeks" in measures and cohort == "completed":
        bands = dfe_bands(store, period)
        lines.append("New plans by weeks from request to issue (DfE bands): " + ", ".join(
            f"{name} {value}" for name, value in bands.items()))
    if "advice_within_6_weeks" in measures:
        lines.append(f"Advice within 6 weeks by provider (cohort: {cohort}):")
        lines.append(advice_by_provider(store, period, cohort).to_string(index=False))
    return "\n".join(lines)


def _share(value: KpiValue) -> str:
    percent = value.percent
    return f"{value} ({percent:.1f}%)" if percent is not None else f"{value} (-)"


def export_sen2(
    source: EventSource, application: EhcApplication, year: int, out: Path,
    known_at: date | None, *, who: Principal | None = None, people: People | None = None,
    pseudonymised: bool = False, workers: int = 2,
) -> list[str]:
    """Write SEN2 modules 1-5, the phase transfers and the notes as CSVs: into a folder, or a
    .zip holding them. Module 1 (personal details, each child's read audited) only for those
    allowed to see it (managers and auditors; `who` None is the command line, a manager's
    tool); otherwise, or when `pseudonymised`, Person ID and request ids are keyed hashes,
    the same in every module, and there is no module 1."""
    people = people or people_for(application)
    personal = not pseudonymised and (who is None or who.role in ("manager", "auditor"))
    key = people.store.pseudonym_key
    shown = (lambda value: value) if personal else (lambda value: pseudonym(key, value))
    identities = Identities(people.store.case_links(), shown)
    decrypt = application.mapper.cipher.decrypt if application.mapper.cipher else None
    sen2 = sen2_return_from(source, year, known_at, application.calendar, identities, decrypt,
                            workers)
    sen2.personal = personal
    if personal:
        reader = who or Principal("manager", "ehc export sen2")
        sen2.add_persons(people.details_of(sen2.people, reader, f"sen2_export {year}"))
    if out.suffix != ".zip":
        return [str(p) for p in sen2.write(out)]
    folder = out.with_suffix("")
    written = sen2.write(folder)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in written:
            archive.write(path, path.name)
            path.unlink()
    folder.rmdir()
    return [str(out)]


def write_sen2_export(settings: StoreSettings, year: int, out: Path, known_at: date | None,
                      who: Principal | None = None) -> list[str]:
    """`export_sen2` with stores of its own: what a heavy-reads process runs
    (service.api.heavy), given only picklable values; in one process (its cap is one)."""
    from service.stores import open_application, open_source

    application, source = open_application(settings), open_source(settings)
    try:
        return export_sen2(source, application, year, out, known_at, who=who, workers=1)
    finally:
        source.close()
        application.factory.close()


__all__ = ["MEASURES", "export_sen2", "kpi_report", "write_sen2_export"]
