"""The help screen: every key of the screen it was opened from, generated from its bindings.

Nothing here is written by hand: the keys are the screen's active bindings with the person's
keymap applied (:attr:`textual.screen.Screen.active_bindings`), grouped into the screen's own
keys, the keys of the widget that has the focus (a table's cursor keys) and the keys the whole
desk has.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import ScrollableContainer, Vertical
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Input, OptionList, Select, Static

from bpsm_tui.widgets.sized_table import SizedTable

__all__ = ["HelpScreen", "KeyHelp", "keys_of"]


@dataclass(frozen=True)
class KeyHelp:
    """One line of help: the keys, what they do, and where they work."""

    group: str
    keys: str
    name: str
    help: str
    enabled: bool = True


_ORDER = {"this screen": 0, "the desk": 2}


def _group(node: DOMNode) -> str:
    if isinstance(node, App):
        return "the desk"
    if isinstance(node, Screen):
        return "this screen"
    kinds = (
        (DataTable, "table"),
        (OptionList, "list"),
        (Input, "field"),
        (Select, "choice"),
        (ScrollableContainer, "page"),
    )
    word = next((w for kind, w in kinds if isinstance(node, kind)), type(node).__name__)
    return f"the {word}"


def keys_of(screen: Screen[object]) -> list[KeyHelp]:
    """Every key active on ``screen`` (keymap applied): the screen's, the focused widget's, then
    the app's.

    A binding reached by several keys (``pagedown`` and ``]``) is one line with both keys; keys
    the screen disables right now are listed as such.
    """
    app = screen.app
    merged: dict[tuple[str, str, str], tuple[list[str], Binding, bool]] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        group = _group(active.node)
        found = merged.setdefault(
            (group, binding.action, binding.id or ""), ([], binding, active.enabled)
        )
        found[0].append(app.get_key_display(binding))
    lines = [
        KeyHelp(
            group,
            " ".join(dict.fromkeys(keys)),
            binding.description or binding.action,
            binding.tooltip or "",
            enabled,
        )
        for (group, _, _), (keys, binding, enabled) in merged.items()
    ]
    lines.sort(key=lambda line: _ORDER.get(line.group, 1))  # stable within a group
    return lines


class HelpScreen(ModalScreen[None]):
    """The keys of one screen, in a table that scrolls; escape, ``?`` or ``q`` closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape,question_mark,q,f1",
            "dismiss",
            "Close",
            id="help.close",
            tooltip="Close the list of keys",
        ),
    ]
    """Escape (or ? or q) closes the help."""

    def __init__(self, title: str, lines: list[KeyHelp]) -> None:
        super().__init__()
        self._title, self._lines = title, lines

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Static(f"Keys · {self._title}", id="help-title", markup=False)
            yield SizedTable(id="help-keys", cursor_type="row", zebra_stripes=True)
            yield Static("esc, ?, F1 or q: close · ↑↓ PgUp PgDn: scroll", id="help-hint")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        self._fill(table)
        table.focus()

    def on_resize(self) -> None:
        self._fill(self.query_one(DataTable))

    def _fill(self, table: DataTable[str | Text]) -> None:
        """The rows, with the last column as wide as the box leaves and wrapping inside it, so
        nothing is cut at 80 columns (the keys and names keep their width)."""
        keys = max((len(t) for line in self._lines for t in (line.keys, line.group)), default=4)
        names = max(len(line.name) + (10 if not line.enabled else 0) for line in self._lines)
        keys, names = min(max(keys, 4), 16), min(max(names, 6), 28)
        # the box's border (2), three cells' padding (6) and the scrollbar (2)
        room = max(20, min(self.size.width, 140) - 2 - 6 - 2 - keys - names)
        table.clear(columns=True)
        table.add_column("Keys", width=keys)
        table.add_column("Action", width=names)
        table.add_column("What it does", width=room)
        group = None
        for line in self._lines:
            if line.group != group:  # a heading row per group: the table stays narrow
                group = line.group
                table.add_row(Text(group.capitalize(), style="bold"), "", "")
            name = line.name if line.enabled else f"{line.name} (not now)"
            table.add_row(line.keys, name, line.help, height=None)

    async def action_dismiss(self, result: None = None) -> None:
        """Close the help."""
        self.dismiss(result)
