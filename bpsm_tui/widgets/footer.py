"""The footer of the desk's screens: Textual's, redrawn only when the keys it shows change.

Textual's footer rebuilds all its keys each time the screen's bindings are refreshed — on every
focus change and screen-stack update, several times while a screen opens — although the keys
shown are mostly the same. :class:`DeskFooter` compares what it would show with what it shows
and skips the rebuild when they are equal (a queue screen opened three of them before its first
page was painted).
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Footer

__all__ = ["DeskFooter"]


class DeskFooter(Footer):
    """A :class:`~textual.widgets.Footer` that is rebuilt only when its keys change."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shown: tuple[Any, ...] | None = None

    def _keys(self) -> tuple[Any, ...]:
        """Everything the footer's keys are made from, as of now."""
        app = self.app
        bindings = tuple(
            (b.key, app.get_key_display(b), b.description, b.action, b.show, b.group, on, tip)
            for _, b, on, tip in self.screen.active_bindings.values()
        )
        return (bindings, self.compact, self.show_command_palette, app.ENABLE_COMMAND_PALETTE)

    def compose(self) -> ComposeResult:
        self._shown = self._keys() if self._bindings_ready else None
        yield from super().compose()

    async def recompose(self) -> None:
        if self._shown is not None and self.is_attached and self._shown == self._keys():
            return  # the keys shown are the keys to show
        await super().recompose()
