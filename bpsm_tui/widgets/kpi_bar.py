"""The bar on top of the queue: today's first-time-right share, open calls, who is working.

On a narrow terminal it takes the short form, so the person and their role stay in view.
"""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Static

from bpsm import KpiSnapshot
from bpsm_tui.data.format import kpi_line

__all__ = ["KpiBar"]


class KpiBar(Static):
    """One line of KPIs; the screen sets ``kpis`` after each load and ``who`` once it knows."""

    kpis: reactive[KpiSnapshot | None] = reactive(None, layout=False)
    """Today's KPIs as last loaded (None until the first load)."""
    who: reactive[str] = reactive("")
    """The person at the keyboard, e.g. ``Anna de Vries (operator)``."""

    def render(self) -> Content:
        if self.kpis is None:
            return Content(
                f"Loading today's KPIs… · {self.who}" if self.who else "Loading today's KPIs…"
            )
        return Content(kpi_line(self.kpis, self.who, width=self.content_size.width))
