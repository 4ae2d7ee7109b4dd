"""The manager's first KPI screen: today's and this month's figures side by side.

First time right with its numerator and denominator, the customer effort and satisfaction
means with how many answered, and the volumes, all from ``desk.kpis`` (SQL aggregates), loaded
in a thread worker. A fuller dashboard (per service, trends, the team's effort balance) is a
later step; this screen shows only what the library computes today.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import TYPE_CHECKING, ClassVar, cast
from zoneinfo import ZoneInfo

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from bpsm import KpiSnapshot
from bpsm_tui.data.format import kpi_rows, local_time

if TYPE_CHECKING:
    from bpsm_tui.host import DeskHost

__all__ = ["KpiScreen"]


def month_window(day: datetime, zone: str) -> tuple[datetime, datetime]:
    """The month of ``day`` in the desk's time zone, from its first midnight to the next month's."""
    tz = ZoneInfo(zone)
    first = day.astimezone(tz).date().replace(day=1)
    if first.month == 12:
        following = first.replace(year=first.year + 1, month=1)
    else:
        following = first.replace(month=first.month + 1)
    return datetime.combine(first, time(), tz), datetime.combine(following, time(), tz)


class KpiScreen(Screen[None]):
    """Today's and this month's KPIs, refreshed on ``g`` and on return to the screen."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "g",
            "refresh",
            "Refresh",
            id="kpi.refresh",
            tooltip="Compute today's and this month's KPIs again",
        ),
    ]
    """g computes the figures again."""

    class Loaded(Message):
        """Today's and this month's KPIs (from the worker)."""

        def __init__(self, today: KpiSnapshot, month: KpiSnapshot) -> None:
            super().__init__()
            self.today, self.month = today, month

    class LoadFailed(Message):
        """The KPIs could not be computed."""

        def __init__(self, error: Exception) -> None:
            super().__init__()
            self.error = error

    @property
    def desk_app(self) -> DeskHost:
        """The application hosting this screen (:class:`~bpsm_tui.host.DeskHost`)."""
        return cast("DeskHost", self.app)

    def compose(self) -> ComposeResult:
        yield Static("KPIs", id="kpi-title")
        with VerticalScroll(id="kpi-body"):
            yield DataTable(id="kpi-table", cursor_type="row", zebra_stripes=True)
            yield Static("Computing today's and this month's KPIs…", id="kpi-note")
            yield Static(
                "First time right: resolved during the contact that registered the call, never "
                "escalated or reopened. Effort and satisfaction: survey answers of calls closed.",
                id="kpi-legend",
            )
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("Figure", key="figure")
        table.add_column("Today", key="today")
        table.add_column("This month", key="month")
        self.watch(self.app, "person", self._show_title, init=True)
        table.focus()

    def on_screen_resume(self) -> None:
        self.reload()

    def _show_title(self) -> None:
        self.query_one("#kpi-title", Static).update(f"KPIs · {self.desk_app.who}")

    def reload(self) -> None:
        """Compute the figures again (in a worker)."""
        self._load()

    def action_refresh(self) -> None:
        """Compute the figures again."""
        self.reload()

    @work(thread=True, exclusive=True, group="kpis")
    def _load(self) -> None:
        desk = self.desk_app.desk
        try:
            today = desk.kpis.today()
            # the month of the desk's today (the library's clock), in the desk's time zone
            month = desk.kpis.window(*month_window(today.since, desk.config.timezone))
        except Exception as err:
            self.post_message(self.LoadFailed(err))
            return
        self.post_message(self.Loaded(today, month))

    def on_kpi_screen_loaded(self, message: Loaded) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for figure, today, month in kpi_rows(message.today, message.month):
            table.add_row(figure, today, month)
        zone = self.desk_app.desk.config.timezone
        self.query_one("#kpi-note", Static).update(
            f"Today from {local_time(message.today.since, zone)} · this month from "
            f"{local_time(message.month.since, zone)} ({zone}) · g: compute again"
        )

    def on_kpi_screen_load_failed(self, message: LoadFailed) -> None:
        self.desk_app.show_error(message.error, title="Could not compute the KPIs")
