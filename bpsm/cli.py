"""The ``bpsm`` command's library part: catalogue, database, demo data and KPI commands.

The ``desk`` command (the TUI) is added by ``bpsm_tui.cli``, which is the console script, so that
this package never imports the TUI. What the commands share without typer (one-line errors, the
operator, opening the desk) is :mod:`bpsm.cli_base`, re-exported here.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from bpsm import cli_survey
from bpsm.cli_base import INTERNAL_ERROR, fail, open_desk, open_for_operator, operator_id
from bpsm.cli_base import report as _report
from bpsm.cli_export import export_app
from bpsm.cli_import import import_app
from bpsm.cli_options import (
    AsOpt,
    ByOpt,
    CatOpt,
    ChannelOpt,
    DbOpt,
    DepartmentOpt,
    GroupByOpt,
    GroupOpt,
    KpiOpt,
    OperatorOpt,
    ServiceOpt,
    SinceOpt,
    UntilOpt,
)
from bpsm.cli_pilot import pilot_app
from bpsm.errors import BpsmError, ValidationError
from bpsm.settings import Settings

__all__ = [
    "INTERNAL_ERROR",
    "AsOpt",
    "CatOpt",
    "DbOpt",
    "app",
    "fail",
    "main",
    "open_desk",
    "open_for_operator",
    "operator_id",
]


class _OneLineErrors(TyperGroup):
    """The top command group: whatever a command raises ends as one line and an exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException, KeyboardInterrupt):
            raise
        except Exception as err:
            raise typer.Exit(_report(err)) from None


app = typer.Typer(
    cls=_OneLineErrors,
    help="bpsm-desk: a service desk run the Best Practice Service Management way.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
catalogue_app = typer.Typer(
    help="Validate, load and inspect the service catalogue.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data for trying the desk.", no_args_is_help=True)
docs_app = typer.Typer(help="Generated documentation.", no_args_is_help=True)
app.add_typer(catalogue_app, name="catalogue")
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(docs_app, name="docs")
app.add_typer(pilot_app, name="pilot")
app.add_typer(export_app, name="export")
app.add_typer(import_app, name="import")


@catalogue_app.command("validate")
def catalogue_validate(
    path: Annotated[
        Path | None,
        typer.Argument(
            help="Catalogue folder (default: BPSM_CATALOGUE_PATH, ./catalogue or the example)."
        ),
    ] = None,
) -> None:
    """Check each file of a catalogue; print OK with counts, or every problem with file and line."""
    from bpsm.catalogue import load_catalogue

    path = path or Settings().catalogue_path
    try:
        cat = load_catalogue(path)
    except ValidationError as err:
        for problem in err.problems:
            typer.echo(str(problem), err=True)
        typer.echo(f"{len(err.problems)} problem(s) in {path}: nothing loaded", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"OK: {cat.summary()}")


def can_ask() -> bool:
    """Whether a person is at a terminal to confirm a plan (stdin is a TTY)."""
    return sys.stdin.isatty()


@catalogue_app.command("load")
def catalogue_load(
    path: Annotated[
        Path | None,
        typer.Argument(help="Catalogue folder (default: the folder the database was loaded from)."),
    ] = None,
    db: DbOpt = None,
    as_: AsOpt = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Apply the plan without asking.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Only show the plan; change nothing.")
    ] = False,
    rebind: Annotated[
        bool,
        typer.Option(
            "--rebind",
            help="Make PATH the desk's catalogue folder although the database was loaded from "
            "another one (services and staff it lacks are retired).",
        ),
    ] = False,
) -> None:
    """Publish a catalogue folder: show the plan (added / new version / retired per service),
    then apply it as one traced act (change manager or admin; asks unless --yes)."""
    from bpsm.catalogue.sync import refuse_foreign_retirement
    from bpsm.desk import Desk

    operator = operator_id(as_)
    try:
        the_desk = Desk.open(db, seed=False)
        cat = the_desk.working_catalogue(path)
        plan = the_desk.catalogue_plan(cat, rebind=rebind)
        if not dry_run:
            the_desk.authorize_catalogue_load(operator, cat)
            refuse_foreign_retirement(plan)
    except BpsmError as err:
        fail(err)
    for line in plan.lines():
        typer.echo(line)
    if plan.empty:
        typer.echo(f"nothing to apply: the database already publishes {plan.folder}")
        return
    if dry_run:
        typer.echo("dry run: nothing applied")
        return
    if not yes:
        if not can_ask():
            typer.echo("not applied: pass --yes to apply it (or --dry-run to only plan)", err=True)
            raise typer.Exit(1)
        if not typer.confirm(f"Apply this plan as {operator}?", default=False):
            typer.echo("not applied")
            raise typer.Exit(1)
    try:
        applied = the_desk.apply_catalogue(cat, by=operator, rebind=rebind, expected=plan)
    except BpsmError as err:
        fail(err)
    typer.echo(f"applied by {operator}: {applied}")


@catalogue_app.command("diff")
def catalogue_diff(
    path: Annotated[
        Path | None,
        typer.Argument(help="Catalogue folder (default: the folder the database was loaded from)."),
    ] = None,
    db: DbOpt = None,
) -> None:
    """Show where the files differ from the published catalogue (exit 1 if they do)."""
    from bpsm.desk import Desk

    try:
        plan = Desk.open(db, seed=False).catalogue_plan(path)
    except BpsmError as err:
        fail(err)
    if plan.empty:
        typer.echo(f"no differences: the database publishes exactly {plan.folder}")
        return
    if plan.foreign:
        typer.echo(f"note: the database was loaded from {plan.bound_folder}")
    for line in plan.lines():
        typer.echo(line)
    raise typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade(db: DbOpt = None) -> None:
    """Migrate the database to the newest schema (safe while other desks start on it)."""
    from bpsm.store.db import current_revision, default_database_url, head_revision, open_engine

    engine = open_engine(db or Settings().database_url or default_database_url())
    try:
        typer.echo(f"database at {current_revision(engine)} (head {head_revision()})")
    finally:
        engine.dispose()


@demo_app.command("seed")
def demo_seed(
    db: DbOpt = None,
    catalogue: CatOpt = None,
    as_: AsOpt = None,
    calls: Annotated[int, typer.Option(min=1, max=100_000, help="How many calls.")] = 160,
) -> None:
    """Add demo calls (spread over the last three weeks) to the database (admin only)."""
    from bpsm.demo import seed_demo

    operator = operator_id(as_)
    the_desk = open_desk(db, catalogue)
    try:
        made = seed_demo(the_desk, calls=calls, by=operator)
    except BpsmError as err:
        fail(err)
    typer.echo(f"seeded {made} calls")


@app.command()
def proactive(
    db: DbOpt = None,
    catalogue: CatOpt = None,
    as_: AsOpt = None,
    horizon: Annotated[int, typer.Option(min=1, max=3650, help="Days ahead to schedule.")] = 90,
) -> None:
    """Scheduled run (e.g. nightly from cron): generate maintenance and account-contact tasks
    for the horizon, propose improvements for recurring disruptions, do the survey work
    (send, expire, the relationship surveys due: see ``bpsm survey run``) and bring the KPI
    roll-ups up to yesterday."""
    from datetime import timedelta

    by = operator_id(as_)
    the_desk = open_desk(db, catalogue)
    try:
        report = the_desk.maintenance.generate(horizon=timedelta(days=horizon), by=by)
        found = the_desk.improvements.detect_recurring_disruptions(by=by)
        surveyed = the_desk.surveys.run(by=by)
        rolled = the_desk.kpis.refresh()  # the KPI roll-ups up to yesterday
    except BpsmError as err:
        fail(err)
    typer.echo(f"scheduled {report.total} new tasks up to {report.until:%Y-%m-%d}")
    typer.echo(cli_survey.summary(surveyed))
    for imp in found:
        typer.echo(f"proposed improvement {imp.id}: {imp.title}")
    due = the_desk.maintenance.due()
    typer.echo(f"{len(due)} tasks due or overdue now")
    typer.echo(f"KPI roll-ups up to {rolled.through:%Y-%m-%d} ({rolled.cells} days recomputed)")


@app.command()
def potential(
    db: DbOpt = None,
    catalogue: CatOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    group: Annotated[str | None, typer.Option(help="Only this operator group's people.")] = None,
    operator: Annotated[str | None, typer.Option(help="Only this person's way of working.")] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override an input: NAME=NUMBER, e.g. jobs=1000 (repeatable)."),
    ] = None,
    format_: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """The proactive-delivery potential, its inputs from the data (the proactive KPI) or --set."""
    import json
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from bpsm import clock
    from bpsm.errors import Problem
    from bpsm.kpis import KpiFilter

    if format_ not in ("table", "json"):
        fail(ValidationError(Problem(f"{format_!r} is not table or json", field="format")))
    overrides: dict[str, float] = {}
    for item in set_ or ():
        name, eq, value = item.partition("=")
        try:
            overrides[name.strip()] = float(value)
        except ValueError:
            eq = ""
        if not eq:
            fail(ValidationError(Problem(f"{item!r} is not NAME=NUMBER", field="set")))
    the_desk = open_desk(db, catalogue)
    zone = the_desk.config.timezone
    try:
        end = _moment("until", until, zone, end=True)
        if end is None:
            end = the_desk.kpis.local_day(clock.now().astimezone(ZoneInfo(zone)).date())[1]
        start = _moment("since", since, zone, end=False) or end - timedelta(days=30)
        got = the_desk.kpis.potential(
            start, end, filters=KpiFilter(group=group, operator=operator), **overrides
        )
    except BpsmError as err:
        fail(err)
    p = got.potential
    if format_ == "json":
        body = {
            "since": got.since.isoformat(),
            "until": got.until.isoformat(),
            "inputs": got.inputs,
            "overridden": list(got.overridden),
            "add_on": p.add_on,
            "lead": p.lead,
            "baseline": p.baseline,
            "value": p.value,
        }
        typer.echo(json.dumps(body, indent=2))
        return
    for name, v in got.inputs.items():
        mark = " (given)" if name in got.overridden else ""
        typer.echo(f"{name:>16}  {v:,.4g}{mark}")
    typer.echo(f"{'add-on potential':>16}  {p.add_on:,.2f}")
    typer.echo(f"{'lead potential':>16}  {p.lead:,.2f}")
    typer.echo(f"{'potential':>16}  {p.value:,.2f}  (add-on + lead − baseline)")


def _moment(field: str, text: str | None, zone: str, *, end: bool) -> Any:
    """``--since`` / ``--until``: :func:`bpsm.kpis.periods.local_moment`."""
    from bpsm.kpis.periods import local_moment

    return local_moment(field, text, zone, end=end)


@app.command()
def kpi(
    db: DbOpt = None,
    catalogue: CatOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    by: ByOpt = None,
    group_by: GroupByOpt = None,
    service: ServiceOpt = None,
    department: DepartmentOpt = None,
    group: GroupOpt = None,
    operator: OperatorOpt = None,
    channel: ChannelOpt = None,
    kpis: KpiOpt = None,
    format_: Annotated[
        str, typer.Option("--format", help="table (for people), json or csv (docs/kpis.md).")
    ] = "table",
) -> None:
    """The KPIs for a period: a table, or JSON / CSV with the schema of docs/kpis.md."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from rich.console import Console

    from bpsm import clock
    from bpsm.errors import Problem
    from bpsm.kpis import KpiFilter
    from bpsm.kpis.output import as_csv, as_json, as_relationship_table, as_table

    if format_ not in ("table", "json", "csv"):
        fail(ValidationError(Problem(f"{format_!r} is not table, json or csv", field="format")))
    the_desk = open_desk(db, catalogue)
    zone = the_desk.config.timezone
    try:
        start = _moment("since", since, zone, end=False)
        end = _moment("until", until, zone, end=True)
        if end is None:
            today = clock.now().astimezone(ZoneInfo(zone)).date()
            end = the_desk.kpis.local_day(today)[1]
        if start is None:
            start = end - timedelta(days=30) if isinstance(end, datetime) else end
        report = the_desk.kpis.report(
            start,
            end,
            by=by,  # checked by the engine: one line if bad
            group_by=group_by,
            filters=KpiFilter(service, department, group, operator, channel),
            kpis=kpis or None,
        )
        # the relationship survey (by customer department) beside the per-call satisfaction, in
        # the whole report: no filter applies to it (--department is the service's department)
        relationship = (
            the_desk.surveys.relationship_report(start, end, by=by)
            if the_desk.config.survey.relationship.departments
            and not (kpis or service or department or group or operator or channel)
            else None
        )
    except BpsmError as err:
        fail(err)
    if format_ == "json":
        typer.echo(as_json(report, relationship))
    elif format_ == "csv":
        typer.echo(as_csv(report, relationship), nl=False)
    else:
        as_table(report, Console(width=max(100, Console().width)))
        if relationship is not None:
            as_relationship_table(relationship, Console(width=max(100, Console().width)))


@docs_app.command("processes")
def docs_processes(
    write: Annotated[
        bool, typer.Option("--write", help="Write docs/processes.md instead of printing.")
    ] = False,
    out: Annotated[Path, typer.Option(help="Where --write writes.")] = Path("docs/processes.md"),
) -> None:
    """The state diagrams of every process, generated from the transition tables (mermaid)."""
    from bpsm.diagrams import processes_markdown

    text = processes_markdown()
    if write:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {out}")
    else:
        typer.echo(text, nl=False)


app.add_typer(
    cli_survey.commands(open_desk=open_desk, fail=fail, operator_id=operator_id), name="survey"
)


def main(args: Sequence[str] | None = None, *, prog_name: str | None = None) -> None:
    """Console-script entry point: every error ends as one line and a non-zero exit code.

    The commands' errors are reported by the command group; this catches only what escapes even
    that (the same one line, never a traceback unless ``BPSM_DEBUG=1``).

    Args:
        args: the command line after the program's name (default ``sys.argv[1:]``).
        prog_name: the program's name in help and usage lines (default from ``sys.argv``).
    """
    try:
        app(args=None if args is None else list(args), prog_name=prog_name)
    except Exception as err:
        sys.exit(_report(err))
