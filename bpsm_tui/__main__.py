"""Run the desk TUI by hand: ``python -m bpsm_tui [DATABASE_URL]`` (operator from ``BPSM_OPERATOR``).

Uses the ``catalogue`` folder in the working directory. ``bpsm desk`` is the everyday way in; it
also seeds demo data into an empty database.
"""

from __future__ import annotations

import os
import sys

from bpsm import Desk
from bpsm_tui.app import run


def main() -> None:
    """Open the desk given on the command line (default: the embedded SQLite file) and run the TUI."""
    desk = Desk.open(sys.argv[1] if len(sys.argv) > 1 else None, catalogue="catalogue")
    try:
        run(desk, os.environ.get("BPSM_OPERATOR", "anna"))
    finally:
        desk.close()


if __name__ == "__main__":
    main()
