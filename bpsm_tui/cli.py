"""The ``bpsm`` console script: the library's commands plus ``bpsm desk``, which opens the TUI."""

from __future__ import annotations

from typing import Annotated

import typer

from bpsm.cli import AsOpt, CatOpt, DbOpt, app, fail, open_desk
from bpsm.errors import BpsmError
from bpsm.settings import Settings

__all__ = ["app", "main"]


@app.command()
def desk(db: DbOpt = None, catalogue: CatOpt = None, as_: AsOpt = None,
         demo: Annotated[bool, typer.Option(help="Seed demo calls into an empty database.")] = True) -> None:
    """Open the operator's desk (the TUI). Seeds demo calls the first time."""
    from bpsm.demo import is_empty, seed_demo
    from bpsm_tui.app import run

    settings = Settings()
    operator = as_ or settings.operator
    the_desk = open_desk(db, catalogue)
    try:
        the_desk.person(operator)
    except BpsmError as err:
        fail(err, 2)
    if demo and settings.demo and is_empty(the_desk):
        typer.echo("First start: seeding demo calls…")
        seed_demo(the_desk)
    run(the_desk, operator)


def main() -> None:
    """Console-script entry point."""
    app()
