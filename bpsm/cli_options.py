"""The options several ``bpsm`` commands take, declared once (typer ``Annotated`` types).

:mod:`bpsm.cli` and the command groups beside it (:mod:`bpsm.cli_pilot`,
:mod:`bpsm.cli_survey`, ...) use these, so ``--db`` or ``--since`` reads the same everywhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["AsOpt", "CatOpt", "DbOpt", "FormatOpt", "SinceOpt", "UntilOpt"]

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
