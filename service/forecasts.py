"""The what-if simulation and the forecast's backtest over a store: what the CLI prints and
the API's heavy-reads process runs (module-level functions of plain values, picklable).

The simulator itself (projections.simulation, projections.backtest) is pure: it reads the
cases' facts and returns figures; nothing it simulates is ever stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from calendars.authority_calendar import AuthorityCalendar
from projections.backtest import (
    authority_cases,
    backtest,
    backtest_for_board,
    first_month,
    months_back,
)
from projections.case_record import Decrypt
from projections.simulation import (
    CaseFacts,
    Levers,
    Settings,
    check_cohort,
    check_runs,
    check_seed,
    known_authority,
    levers_from,
    open_period,
    what_if,
)
from service.settings import StoreSettings
from service.stores import open_source


@dataclass(frozen=True)
class WhatIfAsk:
    """A manager's question, as plain values (it crosses into the heavy-reads process)."""

    period: str
    advice: tuple[str, ...] = ()
    decisions_by_week: int | None = None
    drafts_by_week: int | None = None
    finals_first_lawful_day: bool = False
    capacity: float = 0.0
    runs: int = 1000
    seed: int = 1
    cohort: str = "completed"

    def checked(self, today: date) -> None:
        """Refuse bad input before any store is read (SimulationRefused)."""
        self.levers()
        check_runs(self.runs)
        check_seed(self.seed)
        check_cohort(self.cohort)
        open_period(self.period, today)

    def levers(self) -> Levers:
        return levers_from(self.advice, self.decisions_by_week, self.drafts_by_week,
                           self.finals_first_lawful_day, self.capacity)


def read_cases(settings: StoreSettings) -> tuple[list[CaseFacts], AuthorityCalendar]:
    """Every case's facts, read straight from the event store in batches (as the rebuild
    reads them), not case by case through an EhcApplication."""
    source = open_source(settings)
    try:
        return authority_cases(source, _decrypt(settings)), AuthorityCalendar()
    finally:
        source.close()


def _decrypt(settings: StoreSettings) -> Decrypt | None:
    """The store's cipher, as the application makes it (service.settings.application_env)."""
    if not settings.cipher_key:
        return None
    from eventsourcing.cipher import AESCipher
    from eventsourcing.utils import Environment

    return AESCipher(Environment(env={"CIPHER_KEY": settings.cipher_key})).decrypt


def run_what_if(settings: StoreSettings, ask: WhatIfAsk, today: date) -> dict[str, Any]:
    ask.checked(today)
    cases, calendar = read_cases(settings)
    known = known_authority(cases, today, today, calendar)
    return what_if(known, Settings(ask.period, ask.runs, ask.seed, ask.cohort), ask.levers(),
                   calendar)


# The forecasts a backtest can replay: the simulator (each step drawn), one draw of request
# -> final plan, and the dashboard's "local median pace" (that draw at the median, no spread).
MODELS = {"steps": ("steps", True), "whole": ("whole", True), "median-pace": ("whole", False)}


def run_backtest(settings: StoreSettings, first: str, runs: int, seed: int,
                 today: date, model: str = "steps") -> dict[str, Any]:
    start = first_month(first, today)
    check_runs(runs)
    check_seed(seed)
    mode, spread = MODELS[model]
    cases, calendar = read_cases(settings)
    return {**backtest(cases, today, start, runs, seed, calendar, mode, spread),
            "model": model}


YOUNG = ("Warning: requests began less than a year and 20 weeks ago, so the history lacks "
         "the year's slow cases: the forecast is less reliable")


def what_if_text(result: dict[str, Any], cases_shown: int = 20) -> str:
    lines = [f"What if, {result['period']} (cohort: {result['cohort']}), forecast on "
             f"{result['forecast_on']}: {result['runs']:,} runs, seed {result['seed']}, "
             f"{result['open_assessments']:,} open assessments",
             "Steps drawn from the last 12 months: " + ", ".join(
                 f"{name} {count}" for name, count in result["history"].items())]
    if result.get("young_history"):
        lines.append(YOUNG)
    if "levers" in result:
        lines.append("Levers: " + "; ".join(result["levers"]))
    header = f"{'':<28} {'baseline':>24}"
    if "scenario" in result:
        header += f" {'scenario':>24}"
    lines.append(header + "   (median, 10th-90th percentile)")
    for name, key in (("within 20 weeks (%)", "percent"), ("plans within 20 weeks", "plans_within"),
                      ("plans counted", "plans")):
        row = f"{name:<28} {_range(result['baseline'][key]):>24}"
        if "scenario" in result:
            row += f" {_range(result['scenario'][key]):>24}"
        lines.append(row)
    moved = result.get("moved_to_on_time")
    if moved is not None:
        lines.append(f"Cases moving from late to on time: {len(moved)}")
        for case in moved[:cases_shown]:
            lines.append(f"  {case['case_ref']}: " + "; ".join(case["reasons"]))
        if len(moved) > cases_shown:
            lines.append(f"  ... and {len(moved) - cases_shown} more (--json for all)")
    return "\n".join(lines)


def _range(figure: dict[str, Any]) -> str:
    if figure["median"] is None:
        return "-"
    return f"{figure['median']:g} ({figure['p10']:g}-{figure['p90']:g})"


def backtest_text(result: dict[str, Any]) -> str:
    lines = [f"Backtest ({result.get('model', 'steps')}): the quarter's within-20-weeks figure "
             f"forecast on each month's first day (as then known), against what happened; "
             f"{result['runs']} runs a month",
             f"{'forecast on':<12} {'quarter':<8} {'projected':>9} {'10-90 range':>13} "
             f"{'actual':>7} {'plans':>6} {'error':>6}  in range"]
    for row in result["months"]:
        projected = "-" if row["projected"] is None else f"{row['projected']:.1f}"
        spread = "-" if row["p10"] is None else f"{row['p10']:.1f}-{row['p90']:.1f}"
        actual = "-" if row["actual"] is None else f"{row['actual']:.1f}"
        error = "-" if row["error"] is None else f"{row['error']:+.1f}"
        hit = {True: "yes", False: "no", None: "-"}[row["in_range"]]
        young = "  (young history)" if row.get("young_history") else ""
        lines.append(f"{row['forecast_on']:<12} {row['quarter']:<8} {projected:>9} "
                     f"{spread:>13} {actual:>7} {row['plans']:>6} {error:>6}  {hit}{young}")
    summary = result["summary"]
    if summary["months"]:
        lines.append(
            f"Mean absolute error {summary['mean_absolute_error']} percentage points, bias "
            f"{summary['bias']:+} (+: forecast too high), worst {summary['worst_error']:+}; "
            f"actual in the 10-90 range {summary['in_range']} of {summary['months']} months "
            f"({summary['in_range_percent']}%; 80% would be well calibrated)")
    return "\n".join(lines)


PACK_MONTHS, PACK_RUNS = 24, 100  # the board pack's track record: two years, 100 runs a month


def board_track_record(settings: StoreSettings, today: date) -> dict[str, Any]:
    """The backtest as the board may see it (small counts withheld), for the board pack."""
    cases, calendar = read_cases(settings)
    first = months_back(today, PACK_MONTHS)
    return backtest_for_board(backtest(cases, today, first, PACK_RUNS, 1, calendar))
