"""``bpsm export events FILE``: the desk's reactive-call history as an event-log CSV.

Registered on the ``bpsm`` command by :mod:`bpsm.cli`; its command group turns any error into one
line and exit code 1 (this module imports nothing of it). ``FILE`` ``-`` is standard output (the
summary line then goes to standard error). Dates are typed as for ``bpsm kpi``: a date (the desk's
local midnight; ``--until`` takes the whole day) or an ISO time. The file reads back with
``bpsm import csv FILE --map`` the shipped ``bpsm`` mapping (``docs/import.md``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bpsm.cli_options import CatOpt, DbOpt

__all__ = ["export_app"]

export_app = typer.Typer(
    help="Export the desk's history (an event-log CSV that bpsm and process-mining tools read).",
    no_args_is_help=True,
)


@export_app.command("events")
def events(
    file: Annotated[str, typer.Argument(help="The CSV file to write ('-': standard output).")],
    since: Annotated[
        str | None, typer.Option(help="Only calls registered from this date or time.")
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(help="Only calls registered up to this date (the whole day) or time."),
    ] = None,
    db: DbOpt = None,
    catalogue: CatOpt = None,
) -> None:
    """One row per event of every call: case id, timestamp, activity, state, group, person, …"""
    from bpsm.desk import Desk
    from bpsm.importing import export_events
    from bpsm.kpis.periods import local_moment
    from bpsm.store.db import safe_url

    desk = Desk.open(db, catalogue=catalogue)
    try:
        zone = desk.config.timezone
        start = local_moment("since", since, zone, end=False)
        end = local_moment("until", until, zone, end=True)
        written = export_events(desk, file if file == "-" else Path(file), since=start, until=end)
        where = "standard output" if file == "-" else file
        typer.echo(
            f"wrote {written} events to {where} from {safe_url(desk.engine.url)}", err=file == "-"
        )
    finally:
        desk.close()
