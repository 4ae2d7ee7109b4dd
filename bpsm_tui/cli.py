"""The ``bpsm`` console script: the library's commands plus ``bpsm desk``, which opens the TUI.

A plain ``bpsm desk`` (only its own options) starts at once (:mod:`bpsm_tui.start`); everything
else goes to the full command line, :data:`app` (:mod:`bpsm_tui.commandline`), built on first use.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bpsm_tui.start import start_desk_at_once

if TYPE_CHECKING:
    from bpsm_tui.commandline import app

__all__ = ["app", "main"]


def __getattr__(name: str) -> Any:
    if name == "app":  # the typer app, with `desk` added (imported on first use: it is slow)
        from bpsm_tui.commandline import app

        return app
    raise AttributeError(f"module 'bpsm_tui.cli' has no attribute {name!r}")


def main(args: Sequence[str] | None = None, *, prog_name: str | None = None) -> None:
    """Console-script entry point: the library's, with ``desk`` added (one line per error).

    Args:
        args: the command line after the program's name (default ``sys.argv[1:]``).
        prog_name: the program's name in help and usage lines (default from ``sys.argv``).
    """
    argv = list(sys.argv[1:] if args is None else args)
    if argv[:1] == ["desk"] and start_desk_at_once(argv[1:]):
        return
    import bpsm_tui.commandline  # noqa: F401  (adds `desk` to the library's commands)
    from bpsm.cli import main as library_main

    library_main(argv, prog_name=prog_name)
