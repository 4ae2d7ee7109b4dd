"""``bpsm pilot``: define a pilot, list, show and end pilots, and compare a pilot's KPIs.

Registered on the ``bpsm`` command by :mod:`bpsm.cli`; its command group turns any error into one
line and exit code 1 (this module imports nothing of it). Dates are typed as for ``bpsm kpi``: a
date (the desk's local midnight; ``--until`` takes the whole day) or an ISO time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from bpsm.cli_options import (
    AsOpt,
    ByOpt,
    CatOpt,
    ChannelOpt,
    DbOpt,
    DepartmentOpt,
    FormatOpt,
    GroupByOpt,
    GroupOpt,
    KpiOpt,
    OperatorOpt,
    ServiceOpt,
)
from bpsm.settings import Settings

__all__ = ["pilot_app"]

pilot_app = typer.Typer(
    help="Pilots: a service or the whole catalogue tried with a customer group; compare KPIs.",
    no_args_is_help=True,
)


def _desk(db: str | None, catalogue: Path | None) -> Any:
    from bpsm.desk import Desk

    return Desk.open(db, catalogue=catalogue)


def _who(as_: str | None) -> str:
    from bpsm.errors import Problem, ValidationError

    who = (Settings().operator if as_ is None else as_).strip()
    if not who:
        raise ValidationError(Problem("an empty staff id names nobody", field="--as"))
    return who


def _format(value: str, allowed: tuple[str, ...]) -> str:
    from bpsm.errors import Problem, ValidationError

    if value not in allowed:
        raise ValidationError(
            Problem(f"{value!r} is not {', '.join(allowed[:-1])} or {allowed[-1]}", field="format")
        )
    return value


@pilot_app.command("define")
def define(
    name: Annotated[str, typer.Argument(help="The pilot's name: lower-case letters, digits, '-'.")],
    group: Annotated[str, typer.Option(help="The customer group's name (e.g. Finance).")],
    caller: Annotated[
        list[str],
        typer.Option(help="A caller or pattern in the group: * any text, ? one character."),
    ],
    since: Annotated[str, typer.Option(help="From this date or time.")],
    until: Annotated[str, typer.Option(help="Up to this date (the whole day) or time.")],
    service: Annotated[
        list[str] | None,
        typer.Option(help="A service in the pilot (repeatable; none: the whole catalogue)."),
    ] = None,
    note: Annotated[str | None, typer.Option(help="What is piloted, and why.")] = None,
    db: DbOpt = None,
    catalogue: CatOpt = None,
    as_: AsOpt = None,
) -> None:
    """Define a pilot (change manager, manager or admin)."""
    from bpsm.kpis.periods import local_moment
    from bpsm.pilots.output import pilot_line

    who = _who(as_)
    desk = _desk(db, catalogue)
    zone = desk.config.timezone
    p = desk.pilots.define(
        name,
        group=group,
        callers=caller,
        services=service or None,
        since=local_moment("since", since, zone, end=False),
        until=local_moment("until", until, zone, end=True),
        note=note,
        by=who,
    )
    typer.echo(f"defined pilot {pilot_line(p)}")


@pilot_app.command("list")
def list_(
    state: Annotated[str | None, typer.Option(help="Only active or ended pilots.")] = None,
    format_: FormatOpt = "table",
    db: DbOpt = None,
    catalogue: CatOpt = None,
) -> None:
    """The pilots, newest first."""
    import json

    from bpsm.pilots.output import pilot_line

    _format(format_, ("table", "json"))
    pilots = _desk(db, catalogue).pilots.list(state=state)
    if format_ == "json":
        typer.echo(json.dumps([p.model_dump(mode="json") for p in pilots], indent=2))
    elif not pilots:
        typer.echo("no pilots (bpsm pilot define)")
    for p in pilots if format_ == "table" else ():
        typer.echo(pilot_line(p))


@pilot_app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="The pilot's name or id.")],
    format_: FormatOpt = "table",
    db: DbOpt = None,
    catalogue: CatOpt = None,
) -> None:
    """One pilot, and its audit trail."""
    import json

    _format(format_, ("table", "json"))
    desk = _desk(db, catalogue)
    p = desk.pilots.get(name)
    if format_ == "json":
        typer.echo(json.dumps(p.model_dump(mode="json"), indent=2))
        return
    scope = ", ".join(p.services) if p.services else f"whole catalogue r{p.catalogue_revision}"
    for label, value in (
        ("pilot", f"{p.name} (#{p.id}, {p.state})"),
        ("scope", scope),
        ("group", f"{p.group_name}: {', '.join(p.callers)}"),
        ("window", f"{p.since.isoformat()} – {p.until.isoformat()}"),
        ("note", p.note or "—"),
    ):
        typer.echo(f"{label:>7}  {value}")
    for e in desk.history(p):
        typer.echo(f"{'':>7}  {e.at:%Y-%m-%d %H:%M} {e.trigger} by {e.actor}: {e.reason or ''}")


@pilot_app.command("end")
def end(
    name: Annotated[str, typer.Argument(help="The pilot's name or id.")],
    reason: Annotated[str | None, typer.Option(help="Why it ends.")] = None,
    db: DbOpt = None,
    catalogue: CatOpt = None,
    as_: AsOpt = None,
) -> None:
    """End a pilot now (an early end moves its until to now)."""
    from bpsm.pilots.output import pilot_line

    who = _who(as_)
    p = _desk(db, catalogue).pilots.end(name, reason=reason, by=who)
    typer.echo(f"ended pilot {pilot_line(p)}")


@pilot_app.command("compare")
def compare(
    name: Annotated[str, typer.Argument(help="The pilot's name or id.")],
    by: ByOpt = None,
    group_by: GroupByOpt = None,
    service: ServiceOpt = None,
    department: DepartmentOpt = None,
    group: GroupOpt = None,
    operator: OperatorOpt = None,
    channel: ChannelOpt = None,
    kpis: KpiOpt = None,
    format_: FormatOpt = "table",
    db: DbOpt = None,
    catalogue: CatOpt = None,
) -> None:
    """Every KPI for the pilot vs the rest of its scope, and vs its group before the pilot."""
    from rich.console import Console

    from bpsm.kpis import KpiFilter
    from bpsm.pilots.output import as_csv, as_json, as_table

    _format(format_, ("table", "json", "csv"))
    cmp = _desk(db, catalogue).pilots.compare(
        name,
        by=by,
        group_by=group_by,
        filters=KpiFilter(service, department, group, operator, channel),
        kpis=kpis or None,
    )
    if format_ == "json":
        typer.echo(as_json(cmp))
    elif format_ == "csv":
        typer.echo(as_csv(cmp), nl=False)
    else:
        as_table(cmp, Console(width=max(100, Console().width)))
