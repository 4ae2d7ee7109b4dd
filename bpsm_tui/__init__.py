"""bpsm_tui — the keyboard-only terminal desk for operators.

Built with Textual on the public bpsm API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bpsm_tui.app import DeskApp, run

__all__ = ["DeskApp", "run"]


def __getattr__(name: str) -> Any:
    # Textual is imported on first use, so `bpsm` commands that never open the desk start fast.
    if name in __all__:
        from bpsm_tui import app

        return getattr(app, name)
    raise AttributeError(f"module 'bpsm_tui' has no attribute {name!r}")
