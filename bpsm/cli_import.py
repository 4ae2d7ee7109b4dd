"""``bpsm import``: another desk's event-log history into this desk (``docs/import.md``).

``bpsm import servicenow FILE`` reads a ServiceNow incident event log with the shipped mapping;
``bpsm import csv FILE --map mapping.yaml`` any event-log CSV by a mapping. Registered on the
``bpsm`` command by :mod:`bpsm.cli`, whose command group turns any error into one line and exit
code 1. On a terminal a progress bar shows rows, cases, the rate and the time left; otherwise
one summary line. Each bad row and refused case is reported on its own line (file, row, reason).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from bpsm.cli_options import AsOpt, CatOpt, DbOpt
from bpsm.settings import Settings

if TYPE_CHECKING:
    from bpsm.importing import ImportResult, Mapping

__all__ = ["import_app"]

import_app = typer.Typer(
    help="Import another desk's history: a ServiceNow log, or any event-log CSV by a mapping.",
    no_args_is_help=True,
)

FileArg = Annotated[Path, typer.Argument(help="The event log: .csv or .csv.gz.")]
BatchOpt = Annotated[
    int, typer.Option("--batch", help="Cases written per transaction (default 500).")
]


def _who(as_: str | None) -> str:
    from bpsm.errors import Problem, ValidationError

    who = (Settings().operator if as_ is None else as_).strip()
    if not who:
        raise ValidationError(Problem("an empty staff id names nobody", field="--as"))
    return who


def _run(
    file: Path,
    load: Callable[[], Mapping],
    db: str | None,
    catalogue: Path | None,
    as_: str | None,
    batch: int,
) -> None:
    from bpsm.desk import Desk
    from bpsm.errors import Problem, ValidationError
    from bpsm.importing import import_file

    who = _who(as_)
    if batch < 1:
        raise ValidationError(Problem(f"{batch} must be a whole number ≥ 1", field="--batch"))
    with Desk.open(db, catalogue=catalogue) as desk:
        desk.person(who)
        mapping = load()
        if not file.is_file():
            raise ValidationError(Problem("no such file", str(file)))
        if _on_terminal():
            result = _with_bar(desk, file, mapping, who, batch)
        else:
            result = import_file(desk, file, mapping, by=who, batch=batch)
    _summary(result)


def _on_terminal() -> bool:
    return sys.stderr.isatty()


def _with_bar(desk: Any, file: Path, mapping: Mapping, who: str, batch: int) -> ImportResult:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from bpsm.importing import ImportProgress, import_file

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows · {task.fields[cases]} cases · {task.fields[rate]} rows/s"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task(f"importing {file.name}", total=None, cases=0, rate="–")

        def progress(p: ImportProgress) -> None:
            rate = f"{p.rows_done / p.seconds:,.0f}" if p.seconds > 0 else "–"
            bar.update(
                task, total=p.rows, completed=p.rows_done, cases=f"{p.cases_imported:,}", rate=rate
            )

        return import_file(desk, file, mapping, by=who, batch=batch, progress=progress)


def _summary(result: ImportResult) -> None:
    from bpsm.store.db import mask_passwords

    err = typer.get_text_stream("stderr")
    for bad in result.bad_rows:
        typer.echo(mask_passwords(f"{result.file}:{bad.row}: {bad.reason}"), file=err)
    for refused in result.cases_refused:
        typer.echo(
            mask_passwords(f"{result.file}:{refused.row}: case {refused.case}: {refused.reason}"),
            file=err,
        )
    rate = result.rows / result.seconds if result.seconds > 0 else 0.0
    typer.echo(
        f"{result.file}: {result.rows:,} rows; {result.cases_imported:,} cases imported "
        f"({result.events:,} events), {result.cases_skipped_already:,} already imported, "
        f"{result.cases_skipped_bad:,} skipped for bad rows ({len(result.bad_rows):,} bad rows), "
        f"{len(result.cases_refused):,} refused; {result.seconds:.1f} s ({rate:,.0f} rows/s)"
    )


@import_app.command("servicenow")
def servicenow(
    file: FileArg,
    db: DbOpt = None,
    catalogue: CatOpt = None,
    as_: AsOpt = None,
    batch: BatchOpt = 500,
) -> None:
    """A ServiceNow incident event log, by the shipped mapping (counters trusted)."""
    from bpsm.importing import load_mapping, shipped

    _run(file, lambda: load_mapping(shipped("servicenow")), db, catalogue, as_, batch)


@import_app.command("csv")
def csv_(
    file: FileArg,
    map_: Annotated[
        Path,
        typer.Option(
            "--map",
            help="The mapping: a YAML file (docs/import.md), or the name of a shipped one "
            "(bpsm: a desk's own `bpsm export events`; servicenow).",
            show_default=False,
        ),
    ],
    db: DbOpt = None,
    catalogue: CatOpt = None,
    as_: AsOpt = None,
    batch: BatchOpt = 500,
) -> None:
    """Any event-log CSV, by a mapping."""
    from bpsm.importing import load_mapping, shipped

    name = str(map_)
    if not map_.is_file() and name.isidentifier() and shipped(name).is_file():
        map_ = shipped(name)
    _run(file, lambda: load_mapping(map_), db, catalogue, as_, batch)
