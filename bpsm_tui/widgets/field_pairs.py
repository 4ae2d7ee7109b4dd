"""Labelled fields in two columns on a wide screen, in one column on a narrow one."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

__all__ = ["FieldPairs"]

Row = tuple[str, str, str, str]
"""``(label, value, label, value)``; an empty label leaves its half of the row empty."""


class FieldPairs:
    """A Rich renderable of labelled values that chooses its layout at the width it gets.

    From ``wide`` columns on, each row shows its two fields side by side; below, every field has
    a line of its own (a row's left field, then its right one), so a value wraps over the
    whole width instead of in a quarter of it.
    """

    def __init__(self, rows: Sequence[Row], *, wide: int = 100) -> None:
        self.rows, self.wide = list(rows), wide

    def _pairs(self) -> Iterator[tuple[str, str]]:
        for a, b, c, d in self.rows:
            yield from ((label, value) for label, value in ((a, b), (c, d)) if label)

    def table(self, width: int) -> Table:
        """The grid for ``width`` columns."""
        grid = Table.grid(padding=(0, 2))
        if width >= self.wide:
            for _ in range(2):
                grid.add_column(style="dim", no_wrap=True)
                grid.add_column(ratio=1)
            for a, b, c, d in self.rows:
                grid.add_row(a, Text(b), c, Text(d))
        else:
            grid.add_column(style="dim", no_wrap=True)
            grid.add_column(ratio=1)
            for label, value in self._pairs():
                grid.add_row(label, Text(value))
        return grid

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.table(options.max_width)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.table(options.max_width))
