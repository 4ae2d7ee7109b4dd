"""The area menu (F2 or ``m``): every area of the desk, those the person may not open disabled.

Choosing an area dismisses with its mode; the app switches to it. An area the person's roles do
not reach stays in the list, greyed, saying which roles may open it.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from bpsm_tui.areas import AREAS, roles_text

__all__ = ["AreaMenu"]


class AreaMenu(ModalScreen[str]):
    """Choose an area: enter opens it, escape closes the menu."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="menu.close", tooltip="Close the menu"),
    ]
    """Escape closes the menu without switching."""

    def __init__(self, roles: frozenset[str], current: str | None) -> None:
        super().__init__()
        self._roles, self._current = roles, current

    def compose(self) -> ComposeResult:
        options = []
        for area in AREAS:
            allowed = bool(area.roles & self._roles)
            label = f"{area.key}  {area.title}"
            if area.mode == self._current:
                label += "  (here)"
            if not allowed:
                label += f"  — for {roles_text(area.roles)}"
            options.append(Option(label, id=area.mode, disabled=not allowed))
        with Vertical(id="menu-box"):
            yield Static("Go to", id="menu-title")
            yield OptionList(*options, id="menu-areas")
            yield Static("↑↓ choose · enter open · esc close", id="menu-hint")

    def on_mount(self) -> None:
        areas = self.query_one(OptionList)
        for index, area in enumerate(AREAS):
            if area.mode == self._current:
                areas.highlighted = index
        areas.focus()

    @on(OptionList.OptionSelected, "#menu-areas")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_close(self) -> None:
        """Close without switching."""
        self.dismiss(None)
