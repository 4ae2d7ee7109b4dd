"""What every ``bpsm`` command shares, without the command-line framework: errors as one line,
the staff id at the keyboard, opening the desk.

:mod:`bpsm.cli` builds the commands on these (and re-exports them); ``bpsm desk`` with plain
options uses them directly (:mod:`bpsm_tui.cli`), so the desk starts without building every
command first. A problem ends the process with one line on stderr and its exit code
(:class:`SystemExit`); nothing here imports typer.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from bpsm.errors import BpsmError, ValidationError
from bpsm.settings import Settings

if TYPE_CHECKING:
    from bpsm.desk import Desk

__all__ = ["INTERNAL_ERROR", "fail", "open_desk", "open_for_operator", "operator_id", "report"]

#: exit code of an unexpected exception (a bug): sysexits' EX_SOFTWARE
INTERNAL_ERROR = 70


def _say(line: str, *, err: bool = False) -> None:
    print(line, file=sys.stderr if err else sys.stdout, flush=True)


def report(err: BaseException) -> int:
    """Print ``err`` as one line (a validation error: one line per problem); its exit code.

    A :class:`BpsmError` is the user's to fix (exit 1). Anything else is a bug: one line naming
    it, password-masked, and the traceback only with ``BPSM_DEBUG=1``.
    """
    from bpsm.store.db import mask_passwords

    if isinstance(err, ValidationError):
        for problem in err.problems:
            _say(mask_passwords(str(problem)), err=True)
        return 1
    if isinstance(err, BpsmError):
        _say(mask_passwords(f"error: {err}"), err=True)
        return 1
    if os.environ.get("BPSM_DEBUG") == "1":
        traceback.print_exception(err, file=sys.stderr)
    detail = " ".join(str(err).split())
    _say(
        mask_passwords(f"internal error: {type(err).__name__}: {detail}; please report it")
        + ("" if os.environ.get("BPSM_DEBUG") == "1" else " (BPSM_DEBUG=1 shows the traceback)"),
        err=True,
    )
    return INTERNAL_ERROR


def operator_id(as_: str | None) -> str:
    """The staff id acting: ``--as`` if given, else ``BPSM_OPERATOR``; an empty one is an error
    (exit 2)."""
    operator = Settings().operator if as_ is None else as_
    if not operator.strip():
        source = "--as" if as_ is not None else "BPSM_OPERATOR"
        _say(f"error: {source}: an empty staff id names nobody; give your staff id", err=True)
        raise SystemExit(2)
    return operator.strip()


def fail(err: BpsmError, code: int = 1) -> NoReturn:
    """Print ``err`` to stderr (a validation error: one problem a line) and exit with ``code``."""
    report(err)
    raise SystemExit(code)


def open_desk(db: str | None, catalogue: Path | None):
    """Open the desk for a command; any problem ends the command with one line and exit code 1.

    Returns:
        The :class:`~bpsm.desk.Desk`.
    """
    from bpsm.desk import Desk

    try:
        return Desk.open(db, catalogue=catalogue)
    except BpsmError as err:
        fail(err)


def open_for_operator(
    db: str | None, catalogue: Path | None, as_: str | None, *, demo: bool
) -> tuple[Desk, str]:
    """Open the desk for a person at the keyboard (``--as`` or BPSM_OPERATOR), seeding demo calls
    into an empty database when ``demo`` (and the settings) allow; any problem ends the command.

    Returns:
        The desk and the operator's staff id.
    """
    from bpsm.demo import is_empty, seed_demo

    settings = Settings()
    operator = operator_id(as_)
    the_desk = open_desk(db, catalogue)
    try:
        the_desk.person(operator)
    except BpsmError as err:
        fail(err, 2)
    if demo and settings.demo and is_empty(the_desk):
        _say("First start: seeding demo calls…")
        seed_demo(the_desk)  # the first start of an empty desk; any later seed needs demo.seed
    return the_desk, operator
