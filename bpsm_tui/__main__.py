"""``python -m bpsm_tui [options]`` is ``bpsm desk [options]``: the operator's desk."""

from __future__ import annotations

import sys

from bpsm_tui.cli import app


def main() -> None:
    """Run ``bpsm desk`` with the command line's options."""
    app(["desk", *sys.argv[1:]], prog_name="python -m bpsm_tui")


if __name__ == "__main__":
    main()
