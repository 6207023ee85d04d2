"""Reports the CLI prints or writes: the KPI table and the SEN2 export."""

from __future__ import annotations

import itertools
import zipfile
from datetime import date
from pathlib import Path

from calendars.periods import Period
from projections.case_record import records_from
from projections.kpis import MEASURES, KpiValue
from projections.queries import advice_by_provider, dfe_bands, kpi_table
from projections.read_store import ReadStore
from projections.sen2 import sen2_return
from projections.source import EventSource
from service.application import EhcApplication
from service.settings import StoreSettings


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
        lines.append("Advice within 6 weeks by provider:")
        lines.append(advice_by_provider(store, period).to_string(index=False))
    return "\n".join(lines)


def _share(value: KpiValue) -> str:
    percent = value.percent
    return f"{value} ({percent:.1f}%)" if percent is not None else f"{value} (-)"


def export_sen2(
    source: EventSource, application: EhcApplication, year: int, out: Path,
    known_at: date | None,
) -> list[str]:
    """Write modules 2-4 as CSVs: into a folder, or a .zip holding the three files."""
    rows = itertools.chain.from_iterable(source.by_case(source.max_position(), "", 20000))
    decrypt = application.mapper.cipher.decrypt if application.mapper.cipher else None
    sen2 = sen2_return(records_from(rows, decrypt), year, known_at, application.calendar)
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


def write_sen2_export(settings: StoreSettings, year: int, out: Path,
                      known_at: date | None) -> list[str]:
    """`export_sen2` with stores of its own: what a heavy-reads process runs
    (service.api.heavy), given only picklable values."""
    from service.stores import open_application, open_source

    application, source = open_application(settings), open_source(settings)
    try:
        return export_sen2(source, application, year, out, known_at)
    finally:
        source.close()
        application.factory.close()


__all__ = ["MEASURES", "export_sen2", "kpi_report", "write_sen2_export"]
