"""A KPI report for people (a rich table) and for machines (JSON, CSV), with a stable schema.

JSON (``SCHEMA`` names its version; a new figure may be added, none is renamed or removed
without a new version)::

    {"schema": "bpsm.kpi/1", "since": ISO, "until": ISO, "timezone": str, "by": str|null,
     "group_by": str|null, "filters": {name: value}, "periods": [ISO date, ...],
     "rows": [{"period": ISO date|"total"|"now", "group": str|null, "kpi": str,
               "figures": {name: number|null}}],
     "not_applicable": {kpi: why},
     "relationship": [{"period": ISO date|"total", "department": str|null,
                       "figures": {name: number|null}}]}

(``not_applicable`` and ``relationship`` were added within version 1: readers of the first
reports see them absent. ``relationship`` is the periodic relationship survey by customer
department, beside the per-call satisfaction; present when the report is given one.)

CSV: one line per figure, columns ``period,group,kpi,figure,value`` (empty: null); the
relationship survey's lines have the KPI ``relationship_survey`` and the department as group.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from rich.console import Console
from rich.table import Table

from bpsm.kpis.definitions import BY_NAME
from bpsm.kpis.engine import KpiReport
from bpsm.processes.surveys.views import RelationshipReport

__all__ = [
    "CSV_COLUMNS",
    "RELATIONSHIP_KPI",
    "SCHEMA",
    "as_csv",
    "as_json",
    "as_relationship_table",
    "as_table",
    "shown",
]

SCHEMA = "bpsm.kpi/1"
CSV_COLUMNS = ("period", "group", "kpi", "figure", "value")


#: the relationship survey's lines in the CSV (its rows in JSON are under ``relationship``)
RELATIONSHIP_KPI = "relationship_survey"


def as_json(report: KpiReport, relationship: RelationshipReport | None = None) -> str:
    """The report as JSON (the documented schema), with the relationship survey's rows if given."""
    body: dict[str, Any] = {"schema": SCHEMA, **report.model_dump(mode="json")}
    if relationship is not None:
        body["relationship"] = [r.model_dump(mode="json") for r in relationship.rows]
    return json.dumps(body, ensure_ascii=False, indent=2)


def as_csv(report: KpiReport, relationship: RelationshipReport | None = None) -> str:
    """The report as CSV, one line per figure, then the relationship survey's if given."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for r in report.rows:
        for name, v in r.figures.items():
            w.writerow((r.period, r.group or "", r.kpi, name, "" if v is None else v))
    for row in relationship.rows if relationship is not None else ():
        for name, v in row.figures.items():
            w.writerow(
                (row.period, row.department or "", RELATIONSHIP_KPI, name, "" if v is None else v)
            )
    return out.getvalue()


def shown(name: str, value: float | None) -> str:
    """A figure for people: shares, rates and targets in %, gaps in signed points, seconds as a
    duration, means with two decimals."""
    if value is None:
        return "—"
    if name.endswith(("share", "rate", "target")):
        return f"{value:.0%}"
    if name.endswith("gap"):
        return f"{value * 100:+.0f} pt"
    if name.endswith("seconds"):
        minutes = round(value / 60)
        return f"{minutes // 60}h {minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:.2f}"


HEADING_WIDTH = 80
"""A table's heading fits an 80-column terminal, whatever width the table is printed at."""


def heading(console: Console, *parts: str) -> None:
    """Print a table's heading above it: ``parts`` joined by `` · ``, broken between parts into
    lines of at most :data:`HEADING_WIDTH` columns (a table's own title wraps at the table's
    width, mid-date when the table is narrow)."""
    lines: list[str] = []
    for part in parts:
        if lines and len(lines[-1]) + 3 + len(part) <= HEADING_WIDTH:
            lines[-1] += f" · {part}"
        else:
            lines.append(part)
    for line in lines:
        console.print(line, markup=False, highlight=False, overflow="fold", crop=False)


def as_table(report: KpiReport, console: Console) -> None:
    """Print the report as a table: one row per KPI figure (and group), a column per period.

    The additive sums (``*_sum``) are left out: they are in JSON and CSV, and the table shows
    the counts and the figures derived from them.
    """
    columns = ["total", *report.periods]
    where = ", ".join(f"{k} {v}" for k, v in report.filters.items()) or "all calls"
    heading(
        console,
        f"KPIs {report.since:%Y-%m-%d %H:%M} – {report.until:%Y-%m-%d %H:%M} UTC",
        where,
        *([f"by {report.by}"] if report.by else []),
    )
    table = Table()
    table.add_column("KPI")
    table.add_column("figure")
    if report.group_by:
        table.add_column(report.group_by)
    for c in columns:
        table.add_column(c, justify="right")
    cells: dict[tuple[str, str | None], dict[str, dict[str, Any]]] = {}
    for r in report.rows:
        cells.setdefault((r.kpi, r.group), {})["total" if r.period == "now" else r.period] = (
            r.figures
        )
    for (kpi, group), by_period in cells.items():
        # sums are there for exact roll-ups; people read the counts and the figures
        names = [n for n in next(iter(by_period.values())) if not n.endswith("_sum")]
        for i, name in enumerate(names):
            title_cell = BY_NAME[kpi].title if i == 0 else ""
            row = [title_cell, name]
            if report.group_by:
                row.append("all" if group is None else group)
            row += [shown(name, by_period[c][name]) if c in by_period else "" for c in columns]
            table.add_row(*row, end_section=i == len(names) - 1)
    console.print(table)
    for kpi, why in report.not_applicable.items():
        console.print(f"{BY_NAME[kpi].title} ({kpi}) not shown: {why}")


def as_relationship_table(report: RelationshipReport, console: Console) -> None:
    """Print the relationship survey (``docs/surveys.md``) as a table beside the KPIs: a row per
    figure and customer department (all first), a column per period."""
    columns = ["total", *report.periods]
    heading(
        console,
        f"Relationship survey {report.since:%Y-%m-%d %H:%M} – {report.until:%Y-%m-%d %H:%M} UTC",
        "periods by their start",
        *([f"by {report.by}"] if report.by else []),
    )
    table = Table()
    table.add_column("department")
    table.add_column("figure")
    for c in columns:
        table.add_column(c, justify="right")
    cells: dict[str | None, dict[str, dict[str, Any]]] = {}
    for r in report.rows:
        cells.setdefault(r.department, {})[r.period] = r.figures
    for department, by_period in cells.items():
        names = [n for n in next(iter(by_period.values())) if not n.endswith("_sum")]
        for i, name in enumerate(names):
            row = ["all" if department is None else department, name] if i == 0 else ["", name]
            row += [shown(name, by_period[c][name]) if c in by_period else "" for c in columns]
            table.add_row(*row, end_section=i == len(names) - 1)
    console.print(table)
