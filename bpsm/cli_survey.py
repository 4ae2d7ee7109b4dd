"""``bpsm survey``: list the surveys, record a customer's answers, run the scheduled survey work.

The commands are registered on the ``bpsm`` command by :mod:`bpsm.cli` (``bpsm survey ...``), which
hands in its helpers (:func:`commands`), so this module never imports it back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from bpsm.cli_options import AsOpt, CatOpt, DbOpt
from bpsm.errors import BpsmError, Problem, ValidationError

__all__ = ["commands", "survey_app"]

survey_app = typer.Typer(
    help="Surveys of closed calls and of customer departments (docs/surveys.md).",
    no_args_is_help=True,
)


@dataclass(frozen=True)
class _Helpers:
    open_desk: Callable[[str | None, Path | None], Any]
    fail: Callable[[BpsmError], Any]
    operator_id: Callable[[str | None], str]


_helpers: _Helpers | None = None


def commands(
    *,
    open_desk: Callable[[str | None, Path | None], Any],
    fail: Callable[[BpsmError], Any],
    operator_id: Callable[[str | None], str],
) -> typer.Typer:
    """The ``survey`` command group, using the ``bpsm`` command's way to open a desk and fail."""
    global _helpers
    _helpers = _Helpers(open_desk, fail, operator_id)
    return survey_app


def _h() -> _Helpers:
    assert _helpers is not None, "registered by bpsm.cli"
    return _helpers


def _when(at: Any) -> str:
    return "—" if at is None else f"{at:%Y-%m-%d %H:%M}"


def _answers(s: Any) -> str:
    given = [
        f"{name} {value}"
        for name, value in (("effort", s.effort_score), ("satisfaction", s.satisfaction))
        if value is not None
    ]
    return f" ({', '.join(given)})" if given else ""


def _line(s: Any) -> str:
    about = f"call C-{s.call_id:06d}" if s.call_id is not None else f"dept {s.department}"
    return (
        f"{s.id:>6}  {s.kind:<12}  {s.state:<8}  {about:<24}  "
        f"send {_when(s.send_at)}  ends {_when(s.expires_at)}{_answers(s)}"
    )


@survey_app.command("list")
def survey_list(
    db: DbOpt = None,
    catalogue: CatOpt = None,
    state: Annotated[
        list[str] | None,
        typer.Option(help="Only this state: pending, sent, answered, declined, expired."),
    ] = None,
    kind: Annotated[str | None, typer.Option(help="Only call or relationship surveys.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
) -> None:
    """The surveys, newest first: id, kind, state, whom they ask, when they go out and end."""
    h = _h()
    desk = h.open_desk(db, catalogue)
    try:
        page = desk.surveys.list(states=state or None, kind=kind, limit=limit)
    except BpsmError as err:
        h.fail(err)
    for s in page.items:
        typer.echo(_line(s))
    typer.echo(f"{len(page.items)} of {page.total} surveys")


@survey_app.command("answer")
def survey_answer(
    survey_id: Annotated[
        int | None, typer.Argument(help="The survey's id (bpsm survey list).", show_default=False)
    ] = None,
    db: DbOpt = None,
    catalogue: CatOpt = None,
    as_: AsOpt = None,
    effort: Annotated[int | None, typer.Option(help="1 very little – 7 a lot.")] = None,
    satisfaction: Annotated[int | None, typer.Option(help="1 very unhappy – 5 very happy.")] = None,
    via: Annotated[str | None, typer.Option(help="The channel the answers came by.")] = None,
    note: Annotated[str | None, typer.Option(help="Anything else the customer said.")] = None,
    decline: Annotated[
        bool, typer.Option("--decline", help="The customer will not answer.")
    ] = False,
) -> None:
    """Record a customer's answers to a survey (a phone-back, a mail), or that they declined."""
    h = _h()
    by = h.operator_id(as_)
    desk = h.open_desk(db, catalogue)
    try:
        if survey_id is None:
            raise ValidationError(
                Problem("give the survey's id (bpsm survey list shows them)", field="survey")
            )
        if decline:
            if effort is not None or satisfaction is not None:
                raise ValidationError(
                    Problem("--decline records no answers; leave out the answers", field="decline")
                )
            done = desk.surveys.decline(survey_id, reason=note, by=by)
        else:
            done = desk.surveys.answer(
                survey_id, effort=effort, satisfaction=satisfaction, via=via, note=note, by=by
            )
    except BpsmError as err:
        h.fail(err)
    typer.echo(f"survey {done.id}: {done.state}{_answers(done)}")


@survey_app.command("run")
def survey_run(db: DbOpt = None, catalogue: CatOpt = None, as_: AsOpt = None) -> None:
    """The scheduled survey work (also part of ``bpsm proactive``): decide, send, expire, and
    make the relationship surveys that are due."""
    h = _h()
    by = h.operator_id(as_)
    desk = h.open_desk(db, catalogue)
    try:
        ran = desk.surveys.run(by=by)
    except BpsmError as err:
        h.fail(err)
    typer.echo(summary(ran))


def summary(ran: Any) -> str:
    """One line on what a survey run did."""
    return (
        f"surveys: {ran.decided} decided, {ran.relationship} relationship surveys made, "
        f"{ran.sent} sent, {ran.expired} expired"
    )
