"""The command palette's desk entries, namespaced: ``go: change board``, ``call: resolve``.

Generated, never copied: ``go:`` entries from :data:`bpsm_tui.areas.AREAS` (only the areas the
person may open), and the current screen's own entries from its bindings (a screen may add
keyless steps through ``palette_commands()``, as the call screens do). Choosing one runs the
same action its key runs, on the screen the palette was opened from.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape
from textual.screen import Screen

from bpsm_tui.areas import AREAS
from bpsm_tui.screens.call_screen import PaletteCommand, palette_from_bindings

__all__ = ["DeskCommands"]


def _spoken(title: str) -> str:
    """``Change board`` → ``change board``; an acronym (``KPIs``) stays as it is."""
    return title if title[:2].isupper() else title[:1].lower() + title[1:]


class DeskCommands(Provider):
    """The areas the person may open, and the commands of the current screen."""

    def _commands(self) -> list[tuple[str, str, Callable[[], Any]]]:
        screen, app = self.screen, self.app
        own = getattr(screen, "palette_commands", None)
        listed: list[PaletteCommand] = (
            own() if callable(own) else palette_from_bindings(cast("Screen[None]", screen))
        )
        found: list[tuple[str, str, Callable[[], Any]]] = [
            (c.name, c.help, partial(screen.run_action, c.action)) for c in listed
        ]
        roles: frozenset[str] = getattr(app, "roles", frozenset())
        for area in AREAS:
            if area.roles & roles:
                go = partial(app.run_action, f"go('{area.mode}')")
                found.append(
                    (f"go: {_spoken(area.title)}", f"Open {area.title} · key {area.key}", go)
                )
        return found

    async def discover(self) -> Hits:
        for name, help_text, run in self._commands():
            yield DiscoveryHit(name, run, help=escape(help_text))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, run in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), run, text=name, help=escape(help_text))
