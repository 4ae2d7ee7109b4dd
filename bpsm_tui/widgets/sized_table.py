"""A data table that repaints whole once its columns have been sized to new rows.

Textual's :class:`~textual.widgets.DataTable` widens its auto-width columns to the rows added
when it is next idle, but keeps the lines it already painted: in a real terminal the first paint
usually falls between adding the rows and that idle, so a page loaded by a worker kept the
headings' widths (every cell cut) until something repainted the table (``g``, a cursor move did
it row by row). This table drops those painted lines once the widths are known.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.widgets import DataTable
from textual.widgets._data_table import RowKey

__all__ = ["SizedTable"]


class SizedTable(DataTable[object]):
    """A :class:`~textual.widgets.DataTable` whose rows are repainted at their columns' widths."""

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        widths = [column.content_width for column in self.ordered_columns]
        super()._update_dimensions(new_rows)
        if widths != [column.content_width for column in self.ordered_columns]:
            self._clear_caches()  # the lines painted at the old widths
            self.refresh()
