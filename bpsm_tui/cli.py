"""The ``bpsm`` console script: the library's commands plus ``bpsm desk``, which opens the TUI."""

from __future__ import annotations

from typing import Annotated

import typer

from bpsm.cli import AsOpt, CatOpt, DbOpt, app, open_for_operator
from bpsm.cli import main as _library_main

__all__ = ["app", "main"]


@app.command()
def desk(
    db: DbOpt = None,
    catalogue: CatOpt = None,
    as_: AsOpt = None,
    demo: Annotated[bool, typer.Option(help="Seed demo calls into an empty database.")] = True,
) -> None:
    """Open the operator's desk (the TUI). Seeds demo calls the first time.

    A database or identity problem ends the start-up with one line (password masked) before the
    screen opens.
    """
    from bpsm_tui.app import run

    the_desk, operator = open_for_operator(db, catalogue, as_, demo=demo)
    run(the_desk, operator)


def main() -> None:
    """Console-script entry point: the library's, with ``desk`` added (one line per error)."""
    _library_main()
