"""A table of one page of calls (never the whole queue), keeping the cursor on the same call.

The columns follow the width: the number, the state, the caller and the age always show; the
summary takes what is left; the service and then the group join when the terminal is wide enough
(the service from 110 columns, the group from 150).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

from rich.text import Text
from textual import events
from textual.widgets import DataTable

from bpsm import CallView
from bpsm_tui.data.format import age, state_label

__all__ = ["SORTS", "CallTable", "sort_key"]

SORTS = ("number", "caller", "service", "state", "group", "age")
"""The columns the queue sorts by, in the order ``>`` steps through them."""


def sort_key(call: CallView, sort: str) -> Any:
    """The value of sort column ``sort`` on ``call`` (what ``desk.calls.find`` orders by)."""
    keys = {"number": call.id, "service": call.service_id or "", "age": call.registered_at}
    return keys[sort] if sort in keys else getattr(call, sort)


_STATE_STYLES = {
    "registered": "bold",
    "waiting_customer": "yellow",
    "waiting_supplier": "yellow",
    "resolved": "green",
}


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


class CallTable(DataTable[Text]):
    """One page of calls: number, caller, service, state, group, age and summary."""

    COLUMNS: tuple[tuple[str, int | None], ...] = (
        ("Number", 8),
        ("Caller", 18),
        ("Service", 30),
        ("State", 23),
        ("Group", 15),
        ("Age", 7),
        ("Summary", None),
    )
    """Column titles and widths; the summary takes what is left of the line."""
    WIDE: ClassVar[dict[str, int]] = {"Service": 110, "Group": 150}
    """The terminal width from which a column shows (the others always do)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._calls: list[CallView] = []
        self._services: Mapping[str, str] = {}
        self._summary_width = 40
        self._shown: tuple[tuple[str, int | None], ...] = self.COLUMNS
        self._sorted_by: tuple[str, bool] | None = None

    def on_mount(self) -> None:
        self._add_columns()

    def on_resize(self, event: events.Resize) -> None:
        shown = tuple(
            (title, w) for title, w in self.COLUMNS if event.size.width >= self.WIDE.get(title, 0)
        )
        fixed = sum(w for _, w in shown if w) + 2 * self.cell_padding * len(shown)
        width = max(event.size.width - fixed - 2, 12)  # 2: the vertical scrollbar
        if width != self._summary_width or shown != self._shown:
            self._summary_width, self._shown = width, shown
            self._rebuild()

    @property
    def sorted_by(self) -> tuple[str, bool] | None:
        """The sort column and whether it is descending, marked ▲/▼ in its header."""
        return self._sorted_by

    @sorted_by.setter
    def sorted_by(self, value: tuple[str, bool] | None) -> None:
        if value != self._sorted_by:
            self._sorted_by = value
            self._rebuild()

    def _rebuild(self) -> None:
        selected = self.selected_call
        self.clear(columns=True)
        self._add_columns()
        self.show(self._calls, self._services, keep=selected.id if selected else None)

    def _add_columns(self) -> None:
        sort, descending = self._sorted_by or ("", False)
        for title, width in self._shown:
            key = title.lower()
            label = f"{title} {'▼' if descending else '▲'}" if key == sort else title
            self.add_column(label, width=width or self._summary_width, key=key)

    @property
    def calls(self) -> list[CallView]:
        """The calls on the page shown, top to bottom."""
        return list(self._calls)

    @property
    def selected_call(self) -> CallView | None:
        """The call under the cursor, as loaded."""
        if self._calls and 0 <= self.cursor_row < len(self._calls):
            return self._calls[self.cursor_row]
        return None

    def show(
        self,
        calls: Sequence[CallView],
        services: Mapping[str, str],
        *,
        keep: int | None = None,
        row: int | None = None,
        now: datetime | None = None,
    ) -> None:
        """Replace the rows with ``calls``.

        The cursor goes to call ``keep`` if it is on this page, else to ``row``, else stays on the
        same row (clamped to the last one).
        """
        now = now or datetime.now(UTC)
        row = self.cursor_row if row is None else row
        self.clear()
        self._calls, self._services = list(calls), services
        for call in self._calls:
            self.add_row(*self._cells(call, now), key=str(call.id))
        if not self._calls:
            return
        ids = [c.id for c in self._calls]
        index = ids.index(keep) if keep in ids else min(max(row, 0), len(ids) - 1)
        self.move_cursor(row=index, animate=False)

    def _cells(self, call: CallView, now: datetime) -> list[Text]:
        widths = dict(self.COLUMNS)
        if call.service_id:
            service = Text(
                _fit(self._services.get(call.service_id, call.service_id), widths["Service"] or 0)
            )
        else:
            service = Text("not in the catalogue", style="italic dim")
        state = Text(
            state_label(call.state, is_exception=call.is_exception),
            style=_STATE_STYLES.get(call.state, ""),
        )
        cells = {
            "Number": Text(call.number),
            "Caller": Text(_fit(call.caller, widths["Caller"] or 0)),
            "Service": service,
            "State": state,
            "Group": Text(call.group),
            "Age": Text(age(call.registered_at, now), justify="right"),
            "Summary": Text(_fit(call.summary, self._summary_width)),
        }
        return [cells[title] for title, _ in self._shown]
