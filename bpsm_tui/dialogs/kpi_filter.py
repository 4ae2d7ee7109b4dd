"""The KPI dashboard's filter picker (``f``): all calls, or one service, department, group,
channel, operator or pilot, from the values the desk knows.

One list, a heading per dimension; typing narrows it (``lap`` finds the laptop service, ``hr``
the HR group). Enter picks the highlighted value, escape keeps the filter as it was. It dismisses
with ``(dimension, value)``, ``(None, None)`` for all calls, or None when closed.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from bpsm_tui.data.dashboard import DIMENSIONS, Choices

__all__ = ["KpiFilterPicker"]

Picked = tuple[str | None, str | None]

_ALL = "all:"


def _rank(needle: str, value: str, label: str) -> int | None:
    """How well ``needle`` matches a value (0 best), None when it does not: the value itself,
    then a value or a word of its name starting with it, then anywhere in either."""
    if not needle:
        return 0
    value, words = value.lower(), label.lower()
    if value == needle:
        return 0
    if value.startswith(needle):
        return 1
    if any(word.startswith(needle) for word in words.split()):
        return 2
    if needle in value or needle in words:
        return 3
    return None


class KpiFilterPicker(ModalScreen[Picked | None]):
    """Pick the dashboard's filter: type to narrow, enter picks, escape closes."""

    DEFAULT_CSS = """
    KpiFilterPicker {
        align: center middle;
    }
    KpiFilterPicker #kpi-filter-box {
        width: 64;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: thick $primary;
        background: $surface;
    }
    KpiFilterPicker #kpi-filter-title {
        text-style: bold;
        padding: 0 1;
    }
    KpiFilterPicker OptionList {
        height: auto;
        max-height: 16;
    }
    KpiFilterPicker #kpi-filter-hint {
        color: $text-muted;
        padding: 0 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="kpi_filter.close", tooltip="Keep the filter"),
        Binding("down", "move(1)", "Down", show=False, id="kpi_filter.down"),
        Binding("up", "move(-1)", "Up", show=False, id="kpi_filter.up"),
    ]
    """Escape closes without a change; ↑↓ move in the list while typing."""

    def __init__(self, choices: Choices, current: Picked) -> None:
        super().__init__()
        self._choices, self._current = choices, current

    def compose(self) -> ComposeResult:
        with Vertical(id="kpi-filter-box"):
            yield Static("Filter the KPIs", id="kpi-filter-title")
            yield Input(placeholder="type to narrow: a service, group, channel, person, pilot…")
            yield OptionList(id="kpi-filter-options")
            yield Static("↑↓ choose · enter pick · esc close", id="kpi-filter-hint")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one(Input).focus()

    def _fill(self, typed: str) -> None:
        options = self.query_one(OptionList)
        options.clear_options()
        needle = typed.strip().lower()
        found: list[Option] = []
        best: tuple[int, int] | None = None  # (rank, index) of the best match
        if not needle:
            found.append(Option("All calls (no filter)", id=_ALL))
        for dimension in DIMENSIONS:
            rows = []
            for value, label in self._choices.values.get(dimension, []):
                rank = _rank(needle, value, label)
                if rank is not None:
                    rows.append((rank, value, label))
            if not rows:
                continue
            found.append(Option(f"— {dimension} —", disabled=True))
            for rank, value, label in sorted(rows, key=lambda row: row[0]):
                if best is None or rank < best[0]:
                    best = (rank, len(found))
                shown = label if label == value else f"{label} ({value})"
                found.append(Option(f"  {shown}", id=f"{dimension}:{value}"))
        options.add_options(found)
        wanted = f"{self._current[0]}:{self._current[1]}" if self._current[0] else _ALL
        ids = [o.id for o in found]
        if not needle:
            options.highlighted = ids.index(wanted) if wanted in ids else 0
        elif best is not None:
            options.highlighted = best[1]

    @on(Input.Changed)
    def _narrow(self, event: Input.Changed) -> None:
        self._fill(event.value)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        options = self.query_one(OptionList)
        if options.highlighted is not None:
            self._pick(options.get_option_at_index(options.highlighted).id)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._pick(event.option.id)

    def _pick(self, ident: str | None) -> None:
        if ident is None:
            return
        if ident == _ALL:
            self.dismiss((None, None))
            return
        dimension, _, value = ident.partition(":")
        self.dismiss((dimension, value))

    def action_move(self, step: int) -> None:
        """Move the highlight in the list while the focus stays in the typing field."""
        options = self.query_one(OptionList)
        if step > 0:
            options.action_cursor_down()
        else:
            options.action_cursor_up()

    def action_close(self) -> None:
        """Close without changing the filter."""
        self.dismiss(None)
