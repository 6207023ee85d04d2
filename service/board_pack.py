"""The board pack: one offline, printable HTML file with charts, the same tables as CSV, and
an Excel workbook. Aggregates only: no case reference or other child-level field."""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from datetime import date, timedelta
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from calendars.periods import Period, parse_period
from domain import wording
from domain.action_plan import SMALL_NUMBER, ActionPlan
from projections.board import BAND_NAMES, advice_for_board, bands_for_board, forecast_for_board
from projections.kpis import MEASURES
from projections.monitoring import PlanStatus, monitor
from projections.queries import advice_by_provider, breach_forecast, dfe_bands
from projections.read_store import ReadStore
from service.charts import bar_chart, line_chart, range_chart
from service.settings import StoreSettings

RAG_COLOURS = {"green": "#00703c", "amber": "#f47738", "red": "#d4351c", "grey": "#505a5f",
               "not_rated": "#505a5f"}
SMALL_NOTE = (f"Counts under {SMALL_NUMBER}, and the counts beside them that would reveal "
              "them by sums or differences, are shown as 'withheld', with no percentage; a "
              f"group under {SMALL_NUMBER} gets no rate, direction of travel or RAG, as in "
              "published public-sector statistics.")


def write_board_pack(plan: ActionPlan, store: ReadStore, period: Period, today: date,
                     out: Path, track_record: dict[str, Any] | None = None) -> list[Path]:
    """`track_record`: the forecast's backtest as the board sees it
    (service.forecasts.board_track_record), so the board knows how far to trust it."""
    status = monitor(plan, store, period, today, board=True)
    tables = board_tables(status, store, period, today)
    if track_record is not None:
        tables["forecast_track_record"] = track_record_table(track_record)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in tables.items():
        path = out / f"{name}.csv"
        frame.to_csv(path, index=False)
        written.append(path)
    workbook = out / "board-pack.xlsx"
    with pd.ExcelWriter(workbook, engine="openpyxl") as excel:
        for name, frame in tables.items():
            numbers_as_numbers(frame).to_excel(excel, sheet_name=name[:31], index=False)
    html = out / "board-pack.html"
    html.write_text(render_html(status, tables, store, period, today, track_record),
                    encoding="utf-8")
    return [html, workbook, *written]


WITHHELD = "withheld"  # one mark for every withheld count: "<5" beside it would tell which


def _shown(value: object) -> object:
    return WITHHELD if value is None else value


def board_tables(status: PlanStatus, store: ReadStore, period: Period,
                 today: date) -> dict[str, pd.DataFrame]:
    """The pack's tables as the board may see them: `status` from monitor(..., board=True);
    bands, advice and forecast through projections.board (primary and secondary
    suppression); each CSV, sheet and HTML table is a view of these."""
    indicators = pd.DataFrame([{
        "outcome": s.outcome, "objective": s.objective, "indicator": s.indicator.id,
        "title": s.indicator.title, "measure": s.indicator.measure,
        "target": f"{'≥' if s.indicator.target.direction == 'at_least' else '≤'}"
                  f"{s.indicator.target.value:g}%",
        "target_period": s.target_period, "actual": s.actual.shown(),
        "this_period": s.reporting.shown(), "rag": s.rating.replace("_", " "),
        "reason": s.reason, "direction": s.travel,
        "forecast_earliest_lawful": s.forecast.get("earliest_lawful"),
        "forecast_median_pace": s.forecast.get("median_pace"),
        "forecast_rag": s.forecast_rating or "", "notes": "; ".join(s.notes),
    } for s in status.indicators])
    trend = pd.DataFrame([{"indicator": s.indicator.id, "period": r.period, "value": r.shown(),
                           "percent": r.shown_percent,
                           "within": _shown(None if r.small else r.shown_within),
                           "total": _shown(None if r.small else r.shown_total)}
                          for s in status.indicators for r in s.trend])
    bands = bands_for_board(dfe_bands(store, period))
    bands_table = pd.DataFrame([{"band": name, "plans": _shown(bands[name])}
                                for name in BAND_NAMES]
                               + [{"band": "all new plans", "plans": _shown(bands["plans"])},
                                  {"band": "mean weeks to issue",
                                   "plans": bands["mean_weeks_to_issue"]}], dtype=object)
    advice = pd.DataFrame(advice_for_board(advice_by_provider(store, period).to_dict("records")),
                          columns=["provider", "received", "within", "percent",
                                   "mean_days_late"], dtype=object)
    for column in ("received", "within"):
        advice[column] = [_shown(v) for v in advice[column]]
    forecast = breach_forecast(store, today)
    shown = forecast_for_board({**forecast, "breach_certain": len(forecast["breach_certain"]),
                                "at_risk": len(forecast["at_risk"])})
    now = {"period": "open assessments now", "issued": "", "issued_within": "",
           "projected_within": "", "percent": ""}
    forecast_table = pd.DataFrame([{
        "period": scenario["period"], "scenario": name.replace("_", " "),
        **{count: _shown(scenario[count]) for count in FORECAST_COUNTS},
        "percent": scenario["percent"]}
        for projection in shown["projections"].values()
        for name, scenario in projection.items()] + [
        {**now, "scenario": "breach certain", "projected": _shown(shown["breach_certain"])},
        {**now, "scenario": "at risk", "projected": _shown(shown["at_risk"])},
    ], dtype=object)
    return {"indicators": indicators, "trend": trend, "bands": bands_table,
            "advice_by_provider": advice, "forecast": forecast_table,
            "milestones": pd.DataFrame(status.milestones)}


FORECAST_COUNTS = ("issued", "issued_within", "projected", "projected_within")
TRACK_COLUMNS = ("forecast_on", "quarter", "projected", "p10", "p90", "actual", "error",
                 "in_range")


def track_record_table(track_record: dict[str, Any]) -> pd.DataFrame:
    """Each month's forecast of its quarter beside what happened (withheld where small)."""
    rows = []
    for row in track_record["months"]:
        shown = {column: row[column] for column in TRACK_COLUMNS}
        if row.get("withheld"):
            shown.update({c: WITHHELD for c in TRACK_COLUMNS[2:]})
        elif row["in_range"] is not None:
            shown["in_range"] = "yes" if row["in_range"] else "no"
        rows.append(shown)
    return pd.DataFrame(rows, columns=list(TRACK_COLUMNS), dtype=object)


def track_record_summary(track_record: dict[str, Any]) -> str:
    summary = track_record["summary"]
    if not summary["months"]:
        return "No quarter has ended since the first forecast replayed: no track record yet."
    return (f"Over {summary['months']} months, the forecast of the quarter's share of new "
            f"plans within 20 weeks was off by {summary['mean_absolute_error']} percentage "
            f"points on average ({'too high' if summary['bias'] > 0 else 'too low'} by "
            f"{abs(summary['bias'])} on balance; worst {summary['worst_error']:+}). What "
            f"happened fell in the forecast's 10-90 range in {summary['in_range']} of "
            f"{summary['months']} months ({summary['in_range_percent']}%; a well-calibrated "
            "forecast would manage about 80%).")


def board_pack_zip(settings: StoreSettings, plan_path: Path, period_label: str,
                   today: date) -> bytes:
    """The pack as a zip, made with a read store of its own: what a heavy-reads process runs
    (`await services.heavy.run(board_pack_zip, settings, path, period, today)`), given only
    picklable values. The caller brings the read models up to date first."""
    from service.forecasts import board_track_record
    from service.plan_files import load_plan
    from service.stores import open_read_store

    track_record = board_track_record(settings, today)
    store = open_read_store(settings)
    try:
        with tempfile.TemporaryDirectory(prefix="pack-") as folder:
            written = write_board_pack(load_plan(plan_path), store,
                                       parse_period(period_label), today, Path(folder),
                                       track_record)
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for file in written:
                    archive.write(file, file.name)
    finally:
        store.close()
    return buffer.getvalue()


def render_html(status: PlanStatus, tables: dict[str, pd.DataFrame], store: ReadStore,
                period: Period, today: date, track_record: dict[str, Any] | None = None) -> str:
    plan = status.plan
    named = wording.period_text(period.label)  # "July to September 2026"
    charts = []
    headline = next((s for s in status.indicators
                     if s.indicator.measure == "final_plans_within_20_weeks"), None)
    if headline is not None:
        cohort = headline.indicator.filters.cohort
        charts.append(line_chart(f"{headline.indicator.id}: {headline.indicator.title}",
                                 [(_short_period(r.period), None if
                                   in_progress(r.period, cohort, today) else r.shown_percent)
                                  for r in headline.trend], headline.indicator.target.value))
    bands = tables["bands"]
    charts.append(bar_chart(f"New plans by weeks to issue, {named}", [
        (row["band"], float(row["plans"])) for _, row in bands.iterrows()
        if row["band"] in BAND_NAMES and row["plans"] != WITHHELD],
        unit=" plans"))
    advice = tables["advice_by_provider"]
    charts.append(bar_chart(f"Advice within 6 weeks by provider, {named}", [
        (p.replace("_", " "), float(v)) for p, v in zip(advice["provider"], advice["percent"],
                                                       strict=True) if v is not None
        and pd.notna(v)],
        maximum=100))
    forecast = tables["forecast"]
    year = forecast[forecast["period"] == str(today.year)]
    charts.append(bar_chart(f"Within 20 weeks in {today.year}: projected", [
        (row["scenario"], float(row["percent"])) for _, row in year.iterrows()
        if row["percent"] is not None and row["percent"] != "" and pd.notna(row["percent"])],
        maximum=100))
    cards = "".join(_card(s) for s in status.indicators)
    shown = {**tables, "trend": _trend_in_words(status, tables["trend"], today)}
    sections = "".join(
        f"<h2>{escape(title)}</h2>{_table(shown[name], name)}" for name, title in (
            ("indicators", "Impact indicators"), ("trend", "Trend by reporting period"),
            ("bands", "New plans: DfE bands"), ("advice_by_provider",
                                                "Advice timeliness by provider"),
            ("forecast", "Forecast"), ("milestones", "Milestones")))
    if track_record is not None:
        charts.append(range_chart("Each quarter's forecast, month by month, and what "
                                  "happened", [
            (_short_month(row["forecast_on"]), row["p10"], row["projected"], row["p90"],
             row["actual"]) for row in track_record["months"]]))
        sections += (f"<h2>How far to trust the forecast</h2><p>"
                     f"{escape(track_record_summary(track_record))}</p>"
                     f"{_table(tables['forecast_track_record'], 'forecast_track_record')}")
    return _PAGE.format(
        title=escape(plan.title), owner=escape(plan.owner),
        period=escape(named), start=wording.date_text(period.start),
        end=wording.date_text(period.end), today=wording.date_text(today),
        cards=cards, charts="".join(f'<figure>{c}</figure>' for c in charts),
        sections=sections, note=escape(SMALL_NOTE))


def _short_month(iso: str) -> str:
    day = date.fromisoformat(iso)
    return f"{day:%b %Y}"


def _card(status) -> str:  # type: ignore[no-untyped-def]
    colour = RAG_COLOURS[status.rating]
    forecast = ""
    if status.forecast_rating:
        forecast = (f"<p>Forecast at median pace: {status.forecast.get('median_pace')}% — "
                    f"<strong>{escape(status.forecast_rating)}</strong></p>")
    rating = status.rating.replace("_", " ").upper()
    return (f'<div class="card"><span class="rag" style="background:{colour}">'
            f"{escape(rating)}</span><h3>{escape(status.indicator.id)} "
            f"{escape(status.indicator.title)}</h3><p>{escape(status.reason)}</p>"
            f"<p>Direction of travel: {escape(status.travel)}</p>{forecast}</div>")


COLUMN_WORDS = {
    "outcome": "Outcome", "objective": "Objective", "indicator": "Indicator", "title": "Title",
    "measure": "Measure", "target": "Target", "target_period": "Judged over",
    "actual": "Actual", "this_period": "This period", "rag": "Rating", "reason": "Why",
    "direction": "Direction of travel", "forecast_rag": "Forecast rating",
    "forecast_earliest_lawful": "Forecast if every open case finishes at its earliest "
                                "lawful date (%)",
    "forecast_median_pace": "Forecast at the local median pace (%)", "notes": "Notes",
    "period": "Period", "value": "Value", "note": "", "band": "Weeks from request to plan",
    "plans": "Plans", "provider": "Adviser", "received": "Received",
    "within": "Within the time limit", "percent": "Per cent", "total": "Total",
    "mean_days_late": "Average days late", "scenario": "If", "issued": "Issued",
    "issued_within": "Issued within 20 weeks", "projected": "Projected",
    "projected_within": "Projected within 20 weeks", "milestone": "Milestone",
    "lead": "Lead", "due": "Due", "status": "Status", "completed_on": "Completed on",
    "forecast_on": "Forecast made on", "quarter": "Quarter forecast",
    "p10": "Low (10%)", "p90": "High (90%)", "error": "Off by (points)",
    "in_range": "In the range",
}
PAGE_COLUMNS = {  # the pack's page shows these; the CSVs and the workbook have every column
    "indicators": ("indicator", "title", "target", "target_period", "actual", "this_period",
                   "rag", "direction", "forecast_rag"),
    "trend": ("indicator", "period", "value", "note"),
}
TRAVEL = {"improving": "Improving", "worsening": "Worsening", "steady": "Steady",
          "unknown": "Not known yet", "not rated": "Not rated"}
MILESTONES = {"not_started": "Not started", "on_track": "On track", "at_risk": "At risk",
              "complete": "Complete", "overdue": "Overdue"}
COHORT_DAYS = 140  # a case requested in a period has its final plan due within 20 weeks


def in_progress(period_label: str, cohort: str, today: date) -> str | None:
    """A reading whose cases may not have finished yet is no final figure: it says so."""
    period = parse_period(period_label)
    if cohort == "requested" and period.end + timedelta(days=COHORT_DAYS) >= today:
        return "cases still in progress"
    if period.end >= today:
        return "to date"
    return None


def _short_period(label: str) -> str:
    """A chart's axis: "Jul–Sep 2026" where the tables say "July to September 2026"."""
    words = wording.period_text(label)
    if " to " not in words:
        return words
    first, last = (part.split() for part in words.split(" to ", 1))
    start = " ".join([first[0][:3], *first[1:]])  # "Sep 2024" for an academic year
    return f"{start}–{last[0][:3]} {last[1]}"


def _trend_in_words(status: PlanStatus, trend: pd.DataFrame, today: date) -> pd.DataFrame:
    cohorts = {s.indicator.id: s.indicator.filters.cohort for s in status.indicators}
    notes = [in_progress(p, cohorts.get(i, "completed"), today) or ""
             for i, p in zip(trend["indicator"], trend["period"], strict=True)]
    return trend.assign(note=notes)


def _words(column: str, value: object) -> object:
    """A cell as people read it: measures, ratings, periods, dates and advisers in words."""
    if value is None or value == "" or (isinstance(value, float) and pd.isna(value)):
        return ""
    text = str(value)
    if column == "measure":
        return MEASURES[text].title if text in MEASURES else text
    if column in ("rag", "forecast_rag"):
        return text.replace("_", " ").capitalize()
    if column in ("period", "target_period", "quarter"):
        return wording.period_text(text)
    if column == "direction":
        return TRAVEL.get(text, text)
    if column == "status":
        return MILESTONES.get(text, text.replace("_", " "))
    if column in ("due", "completed_on", "forecast_on"):
        return wording.date_text(date.fromisoformat(text[:10]))
    if column == "provider":
        return wording.provider_label(text).capitalize()
    return text


def _table(frame: pd.DataFrame, name: str = "") -> str:
    columns = [c for c in PAGE_COLUMNS.get(name, frame.columns) if c in frame.columns]
    shown = pd.DataFrame({COLUMN_WORDS.get(c, c.replace("_", " ").capitalize()):
                          [_words(c, v) for v in frame[c]] for c in columns}, dtype=object)
    table = shown.to_html(index=False, escape=True, classes="table", border=0)
    return f'<div class="wide">{table}</div>'


def numbers_as_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """Counts and rates written as text ("12") become numbers in the workbook; words such as
    "<5" or "withheld" stay words."""
    def number(value: object) -> object:
        if isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value.strip()):
            return float(value) if "." in value else int(value)
        return value
    return pd.DataFrame({name: column if pd.api.types.is_numeric_dtype(column)
                         else column.astype(object).map(number)
                         for name, column in frame.items()}, columns=frame.columns)


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title} — board pack {period}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: Arial, Helvetica, sans-serif; color: #0b0c0c; margin: 2rem;
  max-width: 70rem; }}
h1 {{ font-size: 2rem; margin-bottom: .2rem; }}
h2 {{ margin-top: 2rem; border-bottom: 2px solid #0b0c0c; }}
.meta {{ color: #505a5f; }}
.cards {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(20rem, 1fr));
  gap: 1rem; }}
.card {{ border: 1px solid #b1b4b6; padding: .8rem; break-inside: avoid; }}
.card h3 {{ font-size: 1rem; margin: .4rem 0; }}
.rag {{ color: #fff; font-weight: bold; padding: .1rem .5rem; }}
figure {{ margin: 1rem 0; break-inside: avoid; }}
.wide {{ overflow-x: auto; }}
body {{ overflow-wrap: break-word; }}
@media (max-width: 40em) {{ body {{ margin: 1rem; }} }}
.table {{ border-collapse: collapse; font-size: .85rem; width: 100%; }}
.table th, .table td {{ border-bottom: 1px solid #b1b4b6; padding: .3rem; text-align: left;
  vertical-align: top; }}
.note {{ background: #f3f2f1; padding: .6rem; }}
@media print {{ body {{ margin: 0; }} h2 {{ break-after: avoid; }}
  .table {{ font-size: .7rem; }} }}
</style></head><body>
<h1>{title}</h1>
<p class="meta">Owner: {owner}. Reporting period {period} ({start} to {end}); figures on {today}.
Aggregates only: no child-level information.</p>
<h2>RAG summary</h2><div class="cards">{cards}</div>
<h2>Charts</h2>{charts}
{sections}
<p class="note">{note} Within 20 weeks excludes exceptions unless an indicator says otherwise
(DfE's headline measure). RAG: green meets the target; amber misses it by no more than the
indicator's margin; red misses it by more.</p>
</body></html>
"""
