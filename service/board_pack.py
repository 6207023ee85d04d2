"""The board pack: one offline, printable HTML file with charts, the same tables as CSV, and
an Excel workbook. Aggregates only: no case reference or other child-level field."""

from __future__ import annotations

import io
import tempfile
import zipfile
from datetime import date
from html import escape
from pathlib import Path

import pandas as pd

from calendars.periods import Period, parse_period
from domain.action_plan import SMALL_NUMBER, ActionPlan
from projections.board import BAND_NAMES, advice_for_board, bands_for_board, forecast_for_board
from projections.monitoring import PlanStatus, monitor
from projections.queries import advice_by_provider, breach_forecast, dfe_bands
from projections.read_store import ReadStore
from service.charts import bar_chart, line_chart
from service.settings import StoreSettings

RAG_COLOURS = {"green": "#00703c", "amber": "#f47738", "red": "#d4351c", "grey": "#505a5f",
               "not_rated": "#505a5f"}
SMALL_NOTE = (f"Counts under {SMALL_NUMBER}, and the counts beside them that would reveal "
              "them by sums or differences, are shown as 'withheld', with no percentage; a "
              f"group under {SMALL_NUMBER} gets no rate, direction of travel or RAG, as in "
              "published public-sector statistics.")


def write_board_pack(plan: ActionPlan, store: ReadStore, period: Period, today: date,
                     out: Path) -> list[Path]:
    status = monitor(plan, store, period, today, board=True)
    tables = board_tables(status, store, period, today)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in tables.items():
        path = out / f"{name}.csv"
        frame.to_csv(path, index=False)
        written.append(path)
    workbook = out / "board-pack.xlsx"
    with pd.ExcelWriter(workbook, engine="openpyxl") as excel:
        for name, frame in tables.items():
            frame.to_excel(excel, sheet_name=name[:31], index=False)
    html = out / "board-pack.html"
    html.write_text(render_html(status, tables, store, period, today), encoding="utf-8")
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


def board_pack_zip(settings: StoreSettings, plan_path: Path, period_label: str,
                   today: date) -> bytes:
    """The pack as a zip, made with a read store of its own: what a heavy-reads process runs
    (`await services.heavy.run(board_pack_zip, settings, path, period, today)`), given only
    picklable values. The caller brings the read models up to date first."""
    from service.plan_files import load_plan
    from service.stores import open_read_store

    store = open_read_store(settings)
    try:
        with tempfile.TemporaryDirectory(prefix="pack-") as folder:
            written = write_board_pack(load_plan(plan_path), store,
                                       parse_period(period_label), today, Path(folder))
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for file in written:
                    archive.write(file, file.name)
    finally:
        store.close()
    return buffer.getvalue()


def render_html(status: PlanStatus, tables: dict[str, pd.DataFrame], store: ReadStore,
                period: Period, today: date) -> str:
    plan = status.plan
    charts = []
    headline = next((s for s in status.indicators
                     if s.indicator.measure == "final_plans_within_20_weeks"), None)
    if headline is not None:
        charts.append(line_chart(f"{headline.indicator.id}: {headline.indicator.title}",
                                 [(r.period, r.shown_percent) for r in headline.trend],
                                 headline.indicator.target.value))
    bands = tables["bands"]
    charts.append(bar_chart(f"New plans by weeks to issue, {period.label}", [
        (row["band"], float(row["plans"])) for _, row in bands.iterrows()
        if row["band"] in BAND_NAMES and row["plans"] != WITHHELD],
        unit=" plans"))
    advice = tables["advice_by_provider"]
    charts.append(bar_chart(f"Advice within 6 weeks by provider, {period.label}", [
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
    sections = "".join(
        f"<h2>{escape(title)}</h2>{_table(tables[name])}" for name, title in (
            ("indicators", "Impact indicators"), ("trend", "Trend by reporting period"),
            ("bands", "New plans: DfE bands"), ("advice_by_provider",
                                                "Advice timeliness by provider"),
            ("forecast", "Forecast"), ("milestones", "Milestones")))
    return _PAGE.format(
        title=escape(plan.title), owner=escape(plan.owner), period=escape(period.label),
        start=period.start.isoformat(), end=period.end.isoformat(), today=today.isoformat(),
        cards=cards, charts="".join(f'<figure>{c}</figure>' for c in charts),
        sections=sections, note=escape(SMALL_NOTE))


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


def _table(frame: pd.DataFrame) -> str:
    return frame.astype(object).fillna("").to_html(index=False, escape=True, classes="table",
                                                   border=0)


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
.table {{ border-collapse: collapse; font-size: .85rem; width: 100%; }}
.table th, .table td {{ border-bottom: 1px solid #b1b4b6; padding: .3rem; text-align: left;
  vertical-align: top; }}
.note {{ background: #f3f2f1; padding: .6rem; }}
@media print {{ body {{ margin: 0; }} h2 {{ break-after: avoid; }}
  .table {{ font-size: .7rem; }} }}
</style></head><body>
<h1>{title}</h1>
<p class="meta">Owner: {owner}. Reporting period {period} ({start} to {end}); data as at {today}.
Aggregates only: no child-level information.</p>
<h2>RAG summary</h2><div class="cards">{cards}</div>
<h2>Charts</h2>{charts}
{sections}
<p class="note">{note} Within 20 weeks excludes exceptions unless an indicator says otherwise
(DfE's headline measure). RAG: green meets the target; amber misses it by no more than the
indicator's margin; red misses it by more.</p>
</body></html>
"""
