"""The command palette's desk entries, namespaced like ``call: resolve`` and ``view: refresh``.

Each call or change screen lists its own entries (``palette_commands()``); choosing one runs
the same action its key runs, on the screen the palette was opened from.
"""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape

from bpsm_tui.screens.call_screen import PaletteCommand

__all__ = ["DeskCommands"]


class DeskCommands(Provider):
    """Call and view commands of the current screen."""

    def _commands(self) -> list[PaletteCommand]:
        commands = getattr(self.screen, "palette_commands", None)  # call and change screens
        return commands() if callable(commands) else []

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
