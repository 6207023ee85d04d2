"""What the board may see of the KPI tables, the DfE bands, advice by provider and the breach
forecast: each built as a table of counts over atoms (projections.suppression), with every
count from 1 to 4 withheld and every count that would give one away withheld beside it.
Withheld figures are None; rates and means go with the counts they rest on. Managers see
the figures these take, unchanged."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

from projections.suppression import WITHHELD_NOTE, Table, rate_shown

WITHIN, LATE = "within", "late"
EXCEPTED, PLAIN = "exception", "no exception"


def kpis_for_board(kpis: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each KPI's two readings (with and without exceptions) are one 2x2 table: within or
    late, by whether an exception applies. Measures count different deadlines: tables apart."""
    shown = []
    for number, kpi in enumerate(kpis):
        incl, excl = kpi["including_exceptions"], kpi["excluding_exceptions"]
        table = Table()
        cells = {(w, e): (number, w, e) for w in (WITHIN, LATE) for e in (EXCEPTED, PLAIN)}
        table.count("incl.within", incl["within"], [cells[WITHIN, EXCEPTED], cells[WITHIN, PLAIN]])
        table.count("incl.total", incl["total"], cells.values())
        table.count("excl.within", excl["within"], [cells[WITHIN, PLAIN]])
        table.count("excl.total", excl["total"], [cells[WITHIN, PLAIN], cells[LATE, PLAIN]])
        late_plain = excl["total"] - excl["within"]
        table.protect(incl["within"] - excl["within"], [cells[WITHIN, EXCEPTED]])
        table.protect(incl["total"] - incl["within"] - late_plain, [cells[LATE, EXCEPTED]])
        withheld = table.withheld()
        shown.append({**kpi, "including_exceptions": _reading(incl, "incl", withheld),
                      "excluding_exceptions": _reading(excl, "excl", withheld)})
    return shown


def _reading(value: Mapping[str, Any], name: str, withheld: set[Hashable]) -> dict[str, Any]:
    within, total = f"{name}.within", f"{name}.total"
    reading = {"within": None if within in withheld else value["within"],
               "total": None if total in withheld else value["total"],
               "percent": value["percent"] if rate_shown(withheld, within, total) else None}
    if within in withheld or total in withheld:
        reading["withheld"] = WITHHELD_NOTE
    return reading


BAND_NAMES = ("within 20 weeks", "20 to 52 weeks", "over 52 weeks")


def bands_for_board(bands: Mapping[str, Any]) -> dict[str, Any]:
    """New plans by band: the bands add up to all new plans. The mean goes with the count."""
    table = Table()
    table.count("plans", bands["plans"], BAND_NAMES)
    for name in BAND_NAMES:
        table.count(name, bands[name], [name])
    withheld = table.withheld()
    shown = {key: (None if key in withheld else value) for key, value in bands.items()}
    if "plans" in withheld:
        shown["mean_weeks_to_issue"] = None
    if withheld:
        shown["withheld"] = WITHHELD_NOTE
    return shown


def advice_for_board(providers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Advice received per provider, within 6 weeks or late: one row each, no total row."""
    table = Table()
    for row in providers:
        name = row["provider"]
        table.count((name, "received"), row["received"], [(name, WITHIN), (name, LATE)])
        table.count((name, "within"), row["within"], [(name, WITHIN)])
    withheld = table.withheld()
    shown = []
    for row in providers:
        name = row["provider"]
        received, within = (name, "received"), (name, "within")
        out = {**row, "received": None if received in withheld else row["received"],
               "within": None if within in withheld else row["within"]}
        if not rate_shown(withheld, within, received):
            out["percent"] = None
        if received in withheld:
            out["mean_days_late"] = None
        if received in withheld or within in withheld:
            out["withheld"] = WITHHELD_NOTE
        shown.append(out)
    return shown


# The breach forecast. Open assessments are one population seen three ways: by urgency
# (breach certain, at risk, neither) and by when each scenario finishes them (this month,
# the rest of this quarter, the rest of this year, later; within 20 weeks or not); plans
# already issued are another (issued this month, the rest of the quarter, the rest of the
# year; within or not). Month, quarter and year are nested.
SEGMENTS = {"month": ("m",), "quarter": ("m", "q"), "year": ("m", "q", "y")}
URGENCY = ("breach_certain", "at_risk", "neither")
FINISHES = (*((segment, w) for segment in ("m", "q", "y") for w in (WITHIN, LATE)),
            ("after", None))
SCENARIOS = ("earliest_lawful", "median_pace")
OTHER_COUNTS = ("reviews_certain_late", "reviews_at_risk", "orders_certain_late")


def forecast_for_board(forecast: Mapping[str, Any]) -> dict[str, Any]:
    """The forecast as counts (`breach_certain` and `at_risk` already counted), with small
    counts and their give-aways withheld, and each percentage only beside its counts."""
    open_atoms = [(u, e, m) for u in URGENCY for e in FINISHES for m in FINISHES]
    table = Table()
    table.count("open_assessments", forecast["open_assessments"], open_atoms)
    for urgency in ("breach_certain", "at_risk"):
        table.count(urgency, forecast[urgency], [a for a in open_atoms if a[0] == urgency])
    for form, segments in SEGMENTS.items():
        for name, projection in forecast["projections"][form].items():
            which = SCENARIOS.index(name) + 1
            finishing = [a for a in open_atoms if a[which][0] in segments]
            table.count((form, "issued"), projection["issued"],
                        [("issued", s, w) for s in segments for w in (WITHIN, LATE)])
            table.count((form, "issued_within"), projection["issued_within"],
                        [("issued", s, WITHIN) for s in segments])
            table.count((form, name, "projected"), projection["projected"], finishing)
            table.count((form, name, "projected_within"), projection["projected_within"],
                        [a for a in finishing if a[which][1] == WITHIN])
    # Plans in force and tribunal orders: other cases, each count on its own.
    others = [key for key in OTHER_COUNTS if isinstance(forecast.get(key), int)]
    for key in others:
        table.count(key, forecast[key], [(key,)])
    withheld = table.withheld()
    shown = {**forecast, **{u: None if u in withheld else forecast[u]
                            for u in ("open_assessments", "breach_certain", "at_risk",
                                      *others)}}
    shown["projections"] = {
        form: {name: _projection(projection, form, name, withheld)
               for name, projection in scenarios.items()}
        for form, scenarios in forecast["projections"].items()}
    if withheld:
        shown["withheld"] = WITHHELD_NOTE
    return shown


def _projection(projection: Mapping[str, Any], form: str, name: str,
                withheld: set[Hashable]) -> dict[str, Any]:
    keys = {"issued": (form, "issued"), "issued_within": (form, "issued_within"),
            "projected": (form, name, "projected"),
            "projected_within": (form, name, "projected_within")}
    shown = {**projection, **{field: None if key in withheld else projection[field]
                              for field, key in keys.items()}}
    if any(key in withheld for key in keys.values()):
        shown["percent"] = None
        shown["withheld"] = WITHHELD_NOTE
    return shown
