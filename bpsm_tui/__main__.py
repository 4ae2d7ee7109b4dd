"""``python -m bpsm_tui [options]`` is ``bpsm desk [options]``: the operator's desk."""

from __future__ import annotations

import sys

from bpsm_tui.cli import main as command_line


def main() -> None:
    """Run ``bpsm desk`` with the command line's options."""
    command_line(["desk", *sys.argv[1:]], prog_name="python -m bpsm_tui")


if __name__ == "__main__":
    main()
