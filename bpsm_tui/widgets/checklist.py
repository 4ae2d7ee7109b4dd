"""The change manager's checklist for one change: each item, met or not, who met it, when, why."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from bpsm import ChecklistStatus

__all__ = ["ChecklistView", "checklist_table"]


def checklist_table(
    items: Sequence[ChecklistStatus], *, name: Callable[[str], str], when: Callable[..., str]
) -> Table:
    """A table row per item: ``✓``/``✗``, the item and its text, who marked it, when, evidence.

    Args:
        name: a staff id as people read it (``carla`` → ``Carla Mulder``).
        when: a stored time as the desk's local time.
    """
    table = Table(expand=True, show_edge=False, pad_edge=False, header_style="bold")
    table.add_column("", width=1, no_wrap=True)
    table.add_column("Item", ratio=3)
    table.add_column("Met by", ratio=1)
    table.add_column("When", no_wrap=True)
    table.add_column("Evidence", ratio=2)
    for item in items:
        mark = Text("✓", style="bold green") if item.met else Text("✗", style="bold red")
        marked = item.by is not None
        table.add_row(
            mark,
            Text.assemble((item.id, "bold"), f" {item.text}"),
            Text(name(item.by) if marked and item.by else "—"),
            when(item.at) if marked else "—",
            Text(item.evidence or "—"),
        )
    return table


class ChecklistView(Static):
    """The checklist of one change (:attr:`bpsm.ChangeView.checklist`), wrapping at any width."""

    def show(
        self,
        items: Sequence[ChecklistStatus],
        *,
        name: Callable[[str], str],
        when: Callable[..., str],
    ) -> None:
        """Show these items."""
        self.update(checklist_table(items, name=name, when=when))
