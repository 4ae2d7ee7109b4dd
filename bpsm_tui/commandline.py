"""The full ``bpsm`` command line: the library's commands (:mod:`bpsm.cli`) plus ``bpsm desk``.

Built only when needed: :func:`bpsm_tui.cli.main` starts a plain ``bpsm desk`` without it
(:mod:`bpsm_tui.start`).
"""

from __future__ import annotations

from typing import Annotated

import typer

from bpsm.cli import AsOpt, CatOpt, DbOpt, app
from bpsm_tui.start import start_desk

__all__ = ["app"]


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
    start_desk(db, catalogue, as_, demo=demo)
