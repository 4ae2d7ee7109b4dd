"""A table of one page of calls (never the whole queue), keeping the cursor on the same call."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from rich.text import Text
from textual import events
from textual.widgets import DataTable

from bpsm import CallView
from bpsm_tui.data.format import age, state_label

__all__ = ["CallTable"]

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

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._calls: list[CallView] = []
        self._services: Mapping[str, str] = {}
        self._summary_width = 40

    def on_mount(self) -> None:
        self._add_columns()

    def on_resize(self, event: events.Resize) -> None:
        fixed = sum(w for _, w in self.COLUMNS if w) + 2 * self.cell_padding * len(self.COLUMNS)
        width = max(event.size.width - fixed - 2, 12)  # 2: the vertical scrollbar
        if width != self._summary_width:
            self._summary_width = width
            selected = self.selected_call
            self.clear(columns=True)
            self._add_columns()
            self.show(self._calls, self._services, keep=selected.id if selected else None)

    def _add_columns(self) -> None:
        for title, width in self.COLUMNS:
            self.add_column(title, width=width or self._summary_width, key=title.lower())

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
        return [
            Text(call.number),
            Text(_fit(call.caller, widths["Caller"] or 0)),
            service,
            state,
            Text(call.group),
            Text(age(call.registered_at, now), justify="right"),
            Text(_fit(call.summary, self._summary_width)),
        ]
