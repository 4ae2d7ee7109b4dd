"""A pilot's comparison for people (a rich table) and machines (JSON, CSV), with a stable schema.

JSON (``SCHEMA``; figures may be added within a version, none renamed or removed)::

    {"schema": "bpsm.pilot-compare/1",
     "pilot": {"name": str, "scope": "services"|"catalogue", "services": [str]|null,
               "catalogue_revision": int|null, "group_name": str, "callers": [str],
               "since": ISO, "until": ISO, "state": "active"|"ended", ...},
     "reports": {"pilot": KPI report, "rest": KPI report, "before": KPI report}}

each KPI report as ``bpsm.kpi/1`` without its ``schema`` key (``docs/kpis.md``).

CSV: one line per figure, ``population,period,group,kpi,figure,value`` (``population`` is
``pilot``, ``rest`` or ``before``; an empty group is all, an empty value null).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from rich.console import Console
from rich.table import Table

from bpsm.kpis.definitions import BY_NAME
from bpsm.kpis.output import shown
from bpsm.pilots.views import PilotComparison, PilotView

__all__ = ["CSV_COLUMNS", "POPULATIONS", "SCHEMA", "as_csv", "as_json", "as_table", "pilot_line"]

SCHEMA = "bpsm.pilot-compare/1"
CSV_COLUMNS = ("population", "period", "group", "kpi", "figure", "value")
POPULATIONS = ("pilot", "rest", "before")


def _reports(cmp: PilotComparison) -> dict[str, Any]:
    return {"pilot": cmp.pilot_report, "rest": cmp.rest, "before": cmp.before}


def as_json(cmp: PilotComparison) -> str:
    """The comparison as JSON (the documented schema)."""
    body = {
        "schema": SCHEMA,
        "pilot": cmp.pilot.model_dump(mode="json"),
        "reports": {k: r.model_dump(mode="json") for k, r in _reports(cmp).items()},
    }
    return json.dumps(body, ensure_ascii=False, indent=2)


def as_csv(cmp: PilotComparison) -> str:
    """The comparison as CSV, one line per figure of each population."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for population, report in _reports(cmp).items():
        for r in report.rows:
            for name, v in r.figures.items():
                w.writerow(
                    (population, r.period, r.group or "", r.kpi, name, "" if v is None else v)
                )
    return out.getvalue()


def pilot_line(p: PilotView) -> str:
    """One pilot in a line: name, state, window, scope, customer group."""
    scope = ", ".join(p.services) if p.services else f"whole catalogue r{p.catalogue_revision}"
    return (
        f"{p.name}  {p.state}  {p.since:%Y-%m-%d %H:%M} – {p.until:%Y-%m-%d %H:%M} UTC  "
        f"{scope}  · {p.group_name}: {', '.join(p.callers)}"
    )


def as_table(cmp: PilotComparison, console: Console) -> None:
    """Print the totals side by side: a row per KPI figure (and group), a column per population.

    The additive ``*_sum`` parts are left out (they are in JSON and CSV), and so is the trend:
    the table compares the totals of each window.
    """
    p, reports = cmp.pilot, _reports(cmp)
    table = Table(
        title=(
            f"Pilot {p.name} · during {cmp.pilot_report.since:%Y-%m-%d %H:%M} – "
            f"{cmp.pilot_report.until:%Y-%m-%d %H:%M} UTC · before "
            f"{cmp.before.since:%Y-%m-%d %H:%M} – {cmp.before.until:%Y-%m-%d %H:%M}"
        ),
        title_justify="left",
    )
    table.add_column("KPI")
    table.add_column("figure")
    group_by = cmp.pilot_report.group_by
    if group_by:
        table.add_column(group_by)
    for population in POPULATIONS:
        table.add_column(population, justify="right")
    cells: dict[tuple[str, str | None], dict[str, dict[str, Any]]] = {}
    for population, report in reports.items():
        for r in report.rows:
            if r.period in ("total", "now"):
                cells.setdefault((r.kpi, r.group), {})[population] = r.figures
    for (kpi, group), by_population in cells.items():
        names = [n for n in next(iter(by_population.values())) if not n.endswith("_sum")]
        for i, name in enumerate(names):
            row = [BY_NAME[kpi].title if i == 0 else "", name]
            if group_by:
                row.append("all" if group is None else group)
            row += [
                shown(name, by_population[x].get(name)) if x in by_population else ""
                for x in POPULATIONS
            ]
            table.add_row(*row, end_section=i == len(names) - 1)
    console.print(table)
    console.print(f"pilot: {pilot_line(p)}")
    console.print("rest: the same scope, callers outside the group; before: the pilot's group")
    for kpi, why in cmp.pilot_report.not_applicable.items():
        console.print(f"{BY_NAME[kpi].title} ({kpi}) not shown: {why}")
