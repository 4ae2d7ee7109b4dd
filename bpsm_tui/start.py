"""``bpsm desk`` without building the command line: its plain options read at once.

The console script (:func:`bpsm_tui.cli.main`) starts the desk straight away when the command is
``desk`` with nothing but its own options — ``--db URL``, ``--catalogue DIR`` / ``-c DIR``,
``--as ID`` (the long ones also as ``--name=value``), ``--demo`` / ``--no-demo`` — so the
operator's screen does not wait for every other command to be built (typer). Anything else
(``--help``, an option it does not know, one without its value) is for the full command line
(:mod:`bpsm_tui.commandline`), which answers exactly as before. Both start the desk with
:func:`start_desk`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bpsm.cli_base import open_for_operator, report

__all__ = ["desk_options", "start_desk", "start_desk_at_once"]

_VALUES = {"--db": "db", "--catalogue": "catalogue", "-c": "catalogue", "--as": "as_"}
_SWITCHES = {"--demo": True, "--no-demo": False}


def desk_options(args: Sequence[str]) -> dict[str, Any] | None:
    """The options of ``bpsm desk`` when ``args`` hold nothing else (a later one wins, as on the
    full command line); None when they hold anything else: that is the full command line's."""
    found: dict[str, Any] = {"db": None, "catalogue": None, "as_": None, "demo": True}
    rest = iter(args)
    for arg in rest:
        name, eq, value = arg.partition("=")
        if arg in _SWITCHES:
            found["demo"] = _SWITCHES[arg]
            continue
        if name not in _VALUES or (eq and not name.startswith("--")):
            return None
        if not eq:
            given = next(rest, None)
            if given is None:
                return None  # the full command line says which value is missing
            value = given
        found[_VALUES[name]] = value
    if found["catalogue"] is not None:
        found["catalogue"] = Path(found["catalogue"])
    return found


def start_desk(db: str | None, catalogue: Path | None, as_: str | None, *, demo: bool) -> None:
    """Open the desk for the person at the keyboard and run the TUI until they quit.

    A database or identity problem ends the start-up with one line (password masked) before the
    screen opens.
    """
    the_desk, operator = open_for_operator(db, catalogue, as_, demo=demo)
    from bpsm_tui.app import run

    run(the_desk, operator)


def start_desk_at_once(args: Sequence[str]) -> bool:
    """Start the desk if ``args`` (after ``desk``) are plain options; whether it was started.

    Errors end the process as the full command line ends them: one line and the exit code (70 for
    a bug), ``Aborted!`` on ctrl+c.
    """
    options = desk_options(args)
    if options is None:
        return False
    try:
        start_desk(**options)
    except KeyboardInterrupt:
        print(file=sys.stderr)
        print("Aborted!", file=sys.stderr)
        raise SystemExit(1) from None
    except Exception as err:
        raise SystemExit(report(err)) from None
    return True
