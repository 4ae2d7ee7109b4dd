"""The command palette's desk entries, namespaced like ``call: resolve`` and ``view: refresh``.

Each call screen lists its own entries (:meth:`CallScreen.palette_commands`); choosing one runs
the same action its key runs, on the screen the palette was opened from.
"""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape

from bpsm_tui.screens.call_screen import CallScreen, PaletteCommand

__all__ = ["DeskCommands"]


class DeskCommands(Provider):
    """Call and view commands of the current screen."""

    def _commands(self) -> list[PaletteCommand]:
        screen = self.screen
        if isinstance(screen, CallScreen):
            return screen.palette_commands()
        listed = getattr(screen, "palette_commands", None)  # the other areas' screens
        return list(listed()) if callable(listed) else []

    async def discover(self) -> Hits:
        for command in self._commands():
            yield DiscoveryHit(
                command.name,
                partial(self.screen.run_action, command.action),
                help=escape(command.help),
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self._commands():
            score = matcher.match(command.name)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(command.name),
                    partial(self.screen.run_action, command.action),
                    text=command.name,
                    help=escape(command.help),
                )
