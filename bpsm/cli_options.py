"""The options several ``bpsm`` commands take, declared once (typer ``Annotated`` types).

:mod:`bpsm.cli` and the command groups beside it (:mod:`bpsm.cli_pilot`,
:mod:`bpsm.cli_survey`, ...) use these, so ``--db`` or ``--since`` reads the same everywhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = [
    "AsOpt",
    "ByOpt",
    "CatOpt",
    "ChannelOpt",
    "DbOpt",
    "DepartmentOpt",
    "FormatOpt",
    "GroupByOpt",
    "GroupOpt",
    "KpiOpt",
    "OperatorOpt",
    "ServiceOpt",
    "SinceOpt",
    "UntilOpt",
]

DbOpt = Annotated[
    str | None,
    typer.Option(
        "--db", help="Database URL (default: BPSM_DATABASE_URL or the embedded SQLite file)."
    ),
]
CatOpt = Annotated[
    Path | None,
    typer.Option(
        "--catalogue", "-c", help="Catalogue folder (default: BPSM_CATALOGUE_PATH or ./catalogue)."
    ),
]
AsOpt = Annotated[str | None, typer.Option("--as", help="Your staff id (default: BPSM_OPERATOR).")]
SinceOpt = Annotated[
    str | None, typer.Option(help="From this date or time (default: 30 days ago).")
]
UntilOpt = Annotated[
    str | None,
    typer.Option(help="Up to this date (the whole day) or time (default: today, all of it)."),
]
FormatOpt = Annotated[str, typer.Option("--format", help="table (for people), json or csv.")]

# the KPI engine's period and filters (``bpsm kpi``, ``bpsm pilot compare``)
ByOpt = Annotated[str | None, typer.Option(help="A trend by day, week or month.")]
GroupByOpt = Annotated[
    str | None, typer.Option(help="Per service, department, group, operator or channel.")
]
ServiceOpt = Annotated[str | None, typer.Option(help="Only this service (its id).")]
DepartmentOpt = Annotated[str | None, typer.Option(help="Only this department.")]
GroupOpt = Annotated[str | None, typer.Option(help="Only calls with this group.")]
OperatorOpt = Annotated[str | None, typer.Option(help="Only calls this operator registered.")]
ChannelOpt = Annotated[str | None, typer.Option(help="Only calls in by this channel.")]
KpiOpt = Annotated[list[str] | None, typer.Option("--kpi", help="Only this KPI (repeatable).")]
