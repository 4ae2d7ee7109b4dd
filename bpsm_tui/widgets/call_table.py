"""A table of one page of calls (never the whole queue), keeping the cursor on the same call.

The columns follow the width (:func:`column_widths`): the number, the state, the age and a
readable summary always show; then the service, the caller and the group as room allows, each
first at its narrowest and then widened (state, caller, service, group) up to its full width, the
summary taking what is left. At 80 columns: number, service, state, age and a 26-column summary.
The column the queue is sorted by always shows.

A new page replaces every row, so every line of the table is drawn anew on each page key. The
table draws a row's cells itself (each cell is one line of plain, single-style text cut to its
column): the same segments as :class:`~textual.widgets.DataTable`, which renders each cell through
Rich (padding, wrapping, justifying) at several times the cost. Anything else (the header, a
multi-line or styled-span cell) is left to the data table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.coordinate import Coordinate
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets._data_table import RowKey

from bpsm import CallView
from bpsm_tui.data.format import age, state_label

__all__ = ["SORTS", "CallTable", "fit_state", "sort_key"]

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


_EXCEPTION = " (exception)"
_SHORTER = (" (exc.)", " !")


def fit_state(label: str, width: int) -> str:
    """A state label (:func:`~bpsm_tui.data.format.state_label`) in ``width`` cells: an
    exception's mark shortened (``waiting: customer (exc.)``, then ``waiting: customer !``),
    dropped when even that does not fit, before the state is cut."""
    if len(label) <= width or not label.endswith(_EXCEPTION):
        return _fit(label, width)
    state = label.removesuffix(_EXCEPTION)
    for mark in _SHORTER:
        if len(state) + len(mark) <= width:
            return state + mark
    return _fit(state, width)  # the state whole rather than its mark


class CallTable(DataTable[Text]):
    """One page of calls: number, caller, service, state, group, age and summary."""

    COLUMNS: tuple[tuple[str, int | None], ...] = (
        ("Number", 8),
        ("Caller", 18),
        ("Service", 30),
        ("State", 24),
        ("Group", 15),
        ("Age", 7),
        ("Summary", None),
    )
    """Column titles and widths; the summary takes what is left of the line."""
    NARROWEST: ClassVar[dict[str, int]] = {
        "Caller": 12,
        "Service": 10,
        "State": 17,
        "Group": 10,
        "Summary": 20,
    }
    """How narrow a column may get; the others keep their width. The state's 17 hold every state
    (``waiting: customer``); an exception's mark shortens to fit (:func:`fit_state`:
    ``resolved (exc.)`` at 17, ``waiting: customer (exc.)`` at the full 24), never the state."""
    PRIORITY: ClassVar[tuple[str, ...]] = (
        "Number", "State", "Age", "Summary", "Service", "Caller", "Group",
    )  # fmt: skip
    """Which columns show first when the width is short."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._calls: list[CallView] = []
        self._services: Mapping[str, str] = {}
        self._summary_width = 40
        self._shown: tuple[tuple[str, int | None], ...] = self.COLUMNS
        self._sorted_by: tuple[str, bool] | None = None
        self._row_styles: dict[tuple[int, Style], Style] = {}
        """Row styles of the frame being drawn."""

    def on_mount(self) -> None:
        self._add_columns()

    def on_resize(self, event: events.Resize) -> None:
        self._fit_columns(event.size.width)

    def _fit_columns(self, width: int, *, rebuild: bool = True) -> bool:
        """Choose the columns for ``width``; whether they changed (``rebuild``: redraw them)."""
        sort = (self._sorted_by or ("", False))[0]
        shown = self.column_widths(width, sort.capitalize())
        summary = dict(shown).get("Summary") or self._summary_width
        if summary != self._summary_width or shown != self._shown:
            self._summary_width, self._shown = summary, shown
            if rebuild:
                self._rebuild()
            return True
        return False

    @classmethod
    def column_widths(
        cls, width: int, sort: str = "", padding: int = 1
    ) -> tuple[tuple[str, int | None], ...]:
        """The columns that fit ``width`` cells (a scrollbar and each cell's padding taken off),
        in table order, with their widths; ``sort`` (a title) always shows."""
        room = width - 2  # the vertical scrollbar
        full = dict(cls.COLUMNS)
        least = {t: cls.NARROWEST.get(t, w or 0) for t, w in cls.COLUMNS}
        order = [t for t in cls.PRIORITY if t == sort] + [t for t in cls.PRIORITY if t != sort]
        chosen: list[str] = []
        for title in order:
            need = sum(least[t] + 2 * padding for t in [*chosen, title])
            if title in ("Caller", "Group"):
                need += 10  # only once the summary can have 30 columns
            if need <= room or len(chosen) < 4 or title == sort:
                chosen.append(title)
        sizes = {t: least[t] for t in chosen}
        spare = room - sum(sizes[t] + 2 * padding for t in chosen)
        grow = [("Summary", 30), *((t, full[t] or 0) for t in ("State", "Caller", "Service"))]
        for title, most in [*grow, ("Group", full["Group"] or 0)]:
            if title in sizes and spare > 0:
                more = min(spare, max(most - sizes[title], 0))
                sizes[title] += more
                spare -= more
        if "Summary" in sizes:
            sizes["Summary"] += max(spare, 0)
        return tuple((t, sizes[t]) for t, _ in cls.COLUMNS if t in sizes)

    @property
    def sorted_by(self) -> tuple[str, bool] | None:
        """The sort column and whether it is descending, marked ▲/▼ in its header."""
        return self._sorted_by

    @sorted_by.setter
    def sorted_by(self, value: tuple[str, bool] | None) -> None:
        if value != self._sorted_by:
            self._sorted_by = value
            if self.size.width:
                self._fit_columns(self.size.width)  # the sorted column shows
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
        sorted_by: tuple[str, bool] | None = None,
    ) -> None:
        """Replace the rows with ``calls`` (sorted by ``sorted_by``, if given: the columns are
        redrawn with the rows, the table cleared once).

        The cursor goes to call ``keep`` if it is on this page, else to ``row``, else stays on the
        same row (clamped to the last one).
        """
        now = now or datetime.now(UTC)
        row = self.cursor_row if row is None else row
        columns = sorted_by is not None and sorted_by != self._sorted_by
        if columns:
            self._sorted_by = sorted_by
            if self.size.width:
                self._fit_columns(self.size.width, rebuild=False)  # the sorted column shows
        self.clear(columns=columns)
        if columns:
            self._add_columns()
        self._calls, self._services = list(calls), services
        for call in self._calls:
            self.add_row(*self._cells(call, now), key=str(call.id))
        if not self._calls:
            return
        ids = [c.id for c in self._calls]
        index = ids.index(keep) if keep in ids else min(max(row, 0), len(ids) - 1)
        self.move_cursor(row=index, animate=False)

    def render_lines(self, crop: Region) -> list[Strip]:
        self._row_styles.clear()  # the component styles may have changed since the last frame
        return super().render_lines(crop)

    def _get_row_style(self, row_index: int, base_style: Style) -> Style:
        """The row's style (zebra stripes), looked up once per kind of row in a frame."""
        kind = row_index if row_index < max(self.fixed_rows, 0) else row_index % 2 + 1_000_000
        key = (kind, base_style)  # the header (-1) and fixed rows each, the others by parity
        style = self._row_styles.get(key)
        if style is None:
            style = self._row_styles[key] = super()._get_row_style(row_index, base_style)
        return style

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        """The table's size: the data table measures every new cell for columns that fit their
        content; these columns have fixed widths and one-line rows, so only the size is set."""
        new = [key for key in new_rows if key in self.rows]
        if any(c.auto_width for c in self.columns.values()) or any(
            self.rows[key].auto_height or self.rows[key].label is not None for key in new
        ):
            super()._update_dimensions(new)
            return
        width = sum(c.get_render_width(self) for c in self.columns.values())
        header = self.header_height if self.show_header else 0
        self.virtual_size = Size(
            width + self._row_label_column_width, self._total_row_height + header
        )

    def _render_line_in_row(
        self,
        row_key: RowKey,
        line_no: int,
        base_style: Style,
        cursor_location: Coordinate,
        hover_location: Coordinate,
    ) -> tuple[list[list[Segment]], list[list[Segment]]]:
        """One line of a row: a body row of plain cells drawn here, anything else by the table."""
        fast = (
            line_no == 0
            and row_key in self._row_locations
            and row_key is not self._header_row_key
            and self.cursor_type == "row"
            and not self.fixed_columns
            and not (self._labelled_row_exists and self.show_row_labels)
        )
        if not fast:
            return super()._render_line_in_row(
                row_key, line_no, base_style, cursor_location, hover_location
            )
        cache_key = (
            row_key,
            line_no,
            base_style,
            cursor_location,
            hover_location,
            self.cursor_type,
            self.show_cursor,
            self._show_hover_cursor,
            self._update_count,
            self._pseudo_class_state,
        )
        if cache_key in self._row_render_cache:
            return self._row_render_cache[cache_key]
        row_index = self._row_locations.get(row_key)
        assert row_index is not None  # checked above
        row_style = self._get_row_style(row_index, base_style)
        cursor, hover = row_index == cursor_location.row, row_index == hover_location.row
        component, post = self._get_styles_to_render_cell(
            False,
            False,
            row_index < self.fixed_rows,
            hover,
            cursor,
            self.show_cursor,
            self._show_hover_cursor,
            self.cursor_foreground_priority == "css",
            self.cursor_background_priority == "css",
        )
        cells = self._data[row_key]
        scrollable: list[list[Segment]] = []
        table_width = self._row_label_column_width
        for column_index, column in enumerate(self.ordered_columns):
            width = column.get_render_width(self)
            table_width += width
            cell = cells.get(column.key)
            line = self._plain_cell(cell, width, row_style, row_index, column_index, component)
            if line is None:  # not a plain one-line text: the table renders it
                line = self._render_cell(
                    row_index, column_index, row_style, width, cursor=cursor, hover=hover
                )[0]
            elif post:
                line = list(Segment.apply_style(line, post_style=post))
            scrollable.append(line)
        extend_style, _ = self._get_styles_to_render_cell(
            False, False, False, hover, cursor, self.show_cursor, self._show_hover_cursor,
            False, False,
        )  # fmt: skip
        extend_style = row_style + extend_style
        extend_style += Style.from_meta({"row": row_index, "column": 0, "out_of_bounds": True})
        remaining = max(0, self.size.width - table_width)
        scrollable.append([Segment(" " * remaining, extend_style)])
        row_pair: tuple[list[list[Segment]], list[list[Segment]]] = ([], scrollable)
        self._row_render_cache[cache_key] = row_pair
        return row_pair

    def _plain_cell(
        self,
        cell: object,
        width: int,
        row_style: Style,
        row: int,
        column: int,
        component: Style,
    ) -> list[Segment] | None:
        """A one-line text cell of one style as the table draws it (None: any other cell)."""
        if not isinstance(cell, Text) or cell.spans or cell.justify not in (None, "left", "right"):
            return None
        plain = cell.plain
        if "\n" in plain or "\t" in plain or cell.overflow not in (None, "fold", "crop"):
            return None
        pad = self.cell_padding
        inner = max(width - 2 * pad, 0)
        pre = row_style + Style.from_meta({"row": row, "column": column}) + component
        style = self._text_style(cell.style)
        if cell.justify == "right":
            plain = plain.rstrip()
        if cell_len(plain) > inner:
            plain = set_cell_size(plain, inner)
        fill = " " * (inner - cell_len(plain))
        padding = Segment(" " * pad, pre) if pad else None
        if cell.justify == "right":
            body = [Segment(fill + plain, pre + style)] if style else [Segment(fill + plain, pre)]
        elif style:  # the text in its style, the rest of the column in the row's
            body = [Segment(plain, pre + style), Segment(fill, pre)]
        else:
            body = [Segment(plain + fill, pre)]
        return [padding, *body, padding] if padding else body

    def _text_style(self, style: str | Style) -> Style | None:
        if isinstance(style, Style):
            return style or None
        if not style:
            return None
        return self.app.console.get_style(style)

    def _cells(self, call: CallView, now: datetime) -> list[Text]:
        widths = dict(self._shown)
        if call.service_id:
            service = Text(
                _fit(
                    self._services.get(call.service_id, call.service_id),
                    widths.get("Service") or 0,
                )
            )
        else:
            service = Text("not in the catalogue", style="italic dim")
        state = Text(
            fit_state(
                state_label(call.state, is_exception=call.is_exception),
                widths.get("State") or 0,
            ),
            style=_STATE_STYLES.get(call.state, ""),
        )
        cells = {
            "Number": Text(call.number),
            "Caller": Text(_fit(call.caller, widths.get("Caller") or 0)),
            "Service": service,
            "State": state,
            "Group": Text(call.group),
            "Age": Text(age(call.registered_at, now), justify="right"),
            "Summary": Text(_fit(call.summary, self._summary_width)),
        }
        return [cells[title] for title, _ in self._shown]
