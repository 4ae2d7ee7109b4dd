"""The KPI dashboard: the headline KPIs and their trends, the team's time against its target
split, the top self-service opportunities, the recurring disruptions and a pilot's comparison.

Everything comes from the public library in one thread worker (:mod:`bpsm_tui.data.dashboard`):
``desk.kpis.report`` by day, week or month for the trends and totals, ``desk.effort.balance``,
``desk.calls.self_service`` and the recurring disruptions the detector proposed (looking at them
detects nothing). While it computes, the header says so and the last figures stay; a refusal or
a database error is one line in the header, never a crash.

Keys set the period (``p``: day, week, month), the range (``+``/``-`` more or fewer periods,
``<``/``>`` earlier or later, ``t`` back to now) and one filter (``f``: a service, department,
group, channel, operator or pilot, picked from what the desk knows; ``x`` all calls again). A
pilot picked shows its calls' trends and, in the pilot panel, its headline KPIs during the pilot
against the rest of its scope and against its own customers before it. The header line shows
all of it. Narrow terminals stack the panels and scroll; wide ones lay them
out in a grid (:attr:`KpiScreen.HORIZONTAL_BREAKPOINTS`).
"""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Grid, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Static

from bpsm_tui.data.dashboard import (
    GRANULARITIES,
    Choices,
    Dashboard,
    DashboardQuery,
    load_choices,
    load_dashboard,
    trend,
)
from bpsm_tui.data.format import (
    error_text,
    local_time,
    mean_text,
    period_label,
    share_text,
    span_text,
)
from bpsm_tui.dialogs.kpi_filter import KpiFilterPicker, Picked
from bpsm_tui.screens.call_screen import PaletteCommand, palette_from_bindings
from bpsm_tui.widgets.kpi_plot import BalanceBars, Kind, TrendPlot

if TYPE_CHECKING:
    from bpsm_tui.host import DeskHost

__all__ = ["KpiScreen"]

_PLOTS: tuple[tuple[str, str, str, str, float | None, float | None], ...] = (
    # id, title, KPI, figure, y axis low, high
    ("plot-ftr", "First time right %", "first_time_right", "share", 0, 100),
    ("plot-csat", "Satisfied % (4–5 of 5)", "satisfaction", "share", 0, 100),
    ("plot-ces", "Customer effort (1 easy – 7 hard)", "effort", "mean", 1, 7),
    ("plot-volume", "Calls registered", "volume", "registered", None, None),
)
"""The trend plots: a share or mean per period (a line) and the volume (bars)."""
_PERCENT = frozenset({"share"})
_QUESTION = 40
"""The width of the FAQ question's column (it wraps there)."""


def _band(name: str) -> str:
    """A backlog age band's short name: ``under_1d`` → ``<1d``, ``1d_3d`` → ``1–3d``."""
    return name.replace("under_", "<").replace("_plus", "+").replace("d_", "–")


def _day(at: datetime | None, zone: str) -> str:
    """The local date of ``at`` (``—`` for none)."""
    return local_time(at, zone)[:10] if at is not None else "—"


def _ftr_cell(f: dict[str, Any]) -> str:
    return share_text(f.get("first_time_right"), f.get("resolved"))


def _satisfied_cell(f: dict[str, Any]) -> str:
    return share_text(f.get("satisfied"), f.get("responses"))


def _effort_cell(f: dict[str, Any]) -> str:
    return mean_text(f.get("mean"), f.get("responses"))


def _calls_cell(f: dict[str, Any]) -> str:
    return f"{f.get('registered', 0):,.0f}"


def _fit(table: DataTable[object]) -> None:
    """A table as high as its rows and header (an ``auto`` height is measured a refresh late).

    A table with a wrapped row needs one line more than its rows add up to, else its last line
    is not painted (measured with Textual 8.2).
    """
    heights = [row.height for row in table.ordered_rows]
    height = sum(heights) + 1 + (1 if any(h > 1 for h in heights) else 0)
    table.styles.height = height


class KpiScreen(Screen[None]):
    """The KPI dashboard: trends, effort against target, self-service, recurring disruptions."""

    CSS_PATH = "kpis.tcss"
    HORIZONTAL_BREAKPOINTS = [
        (0, "-narrow"),
        (76, "-medium"),
        (120, "-large"),
        (150, "-wide"),
    ]
    """The plots one column wide under 76 columns, two up to 150, three from there; the tables
    one column wide under 120, two from there."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("g", "refresh", "Refresh", id="kpi.refresh", tooltip="Compute the KPIs again"),
        Binding(
            "p",
            "next_period",
            "Period",
            id="kpi.period",
            tooltip="Trends by day, by week or by month (each at its usual range)",
        ),
        Binding(
            "plus,equals_sign",
            "longer",
            "More",
            id="kpi.longer",
            tooltip="Show more periods (the range grows by half)",
        ),
        Binding(
            "minus",
            "shorter",
            "Fewer",
            id="kpi.shorter",
            tooltip="Show fewer periods (the range shrinks by a third)",
        ),
        Binding(
            "less_than_sign,comma",
            "earlier",
            "Earlier",
            id="kpi.earlier",
            tooltip="Move the range one period back",
        ),
        Binding(
            "greater_than_sign,full_stop",
            "later",
            "Later",
            id="kpi.later",
            tooltip="Move the range one period forward (never past today's)",
        ),
        Binding(
            "t",
            "now",
            "Now",
            show=False,
            id="kpi.now",
            tooltip="Move the range back to end with the current period",
        ),
        Binding(
            "f",
            "pick_filter",
            "Filter",
            id="kpi.filter",
            tooltip="Only the calls of one service, department, group, channel or operator",
        ),
        Binding(
            "x",
            "clear_filter",
            "All calls",
            id="kpi.all",
            tooltip="Drop the filter: every call again",
        ),
    ]
    """The period, the range and the filter; g computes again."""

    class Loaded(Message):
        """The dashboard's figures (from the worker); ``choices`` on the first load."""

        def __init__(self, dashboard: Dashboard, choices: Choices | None) -> None:
            super().__init__()
            self.dashboard, self.choices = dashboard, choices

    class LoadFailed(Message):
        """The figures could not be computed for ``query``."""

        def __init__(self, query: DashboardQuery, error: Exception) -> None:
            super().__init__()
            self.query, self.error = query, error

    def __init__(self) -> None:
        super().__init__()
        self.asked = DashboardQuery()
        """What the dashboard shows now (its keys change it, then it computes again)."""
        self.dashboard: Dashboard | None = None
        """The figures last computed (None until the first load)."""
        self.choices: Choices | None = None
        """The values the filter may take (loaded with the first figures)."""
        self.computing = False
        """Whether a worker is computing the figures now."""
        self.error: str | None = None
        """The last load's error in one line (None when it succeeded)."""
        self.computed_at = datetime.now(UTC)
        """When the figures shown were computed."""
        self._under_modal = False  # suspended under a dialog (not left for another area)

    @property
    def desk_app(self) -> DeskHost:
        """The application hosting this screen (:class:`~bpsm_tui.host.DeskHost`)."""
        return cast("DeskHost", self.app)

    def compose(self) -> ComposeResult:
        yield Static("KPIs", id="kpi-title", markup=False)
        yield Static("", id="kpi-query", markup=False)
        yield Static("", id="kpi-status")
        with VerticalScroll(id="kpi-body"):
            yield Static("", id="kpi-headline")
            with Grid(id="kpi-plots"):
                for ident, title, _, _, low, high in _PLOTS:
                    kind: Kind = "bar" if ident == "plot-volume" else "line"
                    yield TrendPlot(title, kind=kind, low=low, high=high, id=ident)
                yield TrendPlot("Open now by age", kind="bands", id="plot-backlog")
                yield BalanceBars(id="kpi-balance")
            with Container(id="kpi-tables"):
                with Vertical(classes="kpi-panel"):
                    yield Static("Self-service opportunities", classes="kpi-panel-title")
                    yield DataTable(id="kpi-self-service", cursor_type="none")
                with Vertical(classes="kpi-panel"):
                    yield Static("Recurring disruptions", classes="kpi-panel-title")
                    yield DataTable(id="kpi-disruptions", cursor_type="none")
            with Vertical(classes="kpi-panel", id="kpi-pilot-panel"):
                yield Static("Pilot", classes="kpi-panel-title", id="kpi-pilot-title")
                yield DataTable(id="kpi-pilot", cursor_type="none")
        yield Footer()

    def on_mount(self) -> None:
        service = self.query_one("#kpi-self-service", DataTable)
        service.add_column("Calls")
        service.add_column("Service")
        service.add_column("FAQ entry that would have answered", width=_QUESTION)
        disruptions = self.query_one("#kpi-disruptions", DataTable)
        disruptions.add_columns("IM", "State", "Service", "Calls", "Burst")
        pilot = self.query_one("#kpi-pilot", DataTable)
        pilot.add_columns("KPI", "Pilot", "Rest", "Before")
        for table in (service, disruptions, pilot):
            table.can_focus = False  # the page scrolls; the tables only show
        self.watch(self.app, "person", self._show_title, init=True)
        self._show_status()
        self.query_one("#kpi-body").focus()

    def on_screen_suspend(self) -> None:
        self._under_modal = isinstance(self.app.screen, ModalScreen)

    def on_screen_resume(self) -> None:
        # back from another area: compute again; from the keys or the filter picker over this
        # screen: the figures still stand (a filter picked computes its own)
        if not self._under_modal or (self.dashboard is None and not self.computing):
            self.reload()
        self._under_modal = False

    def _show_title(self) -> None:
        self.query_one("#kpi-title", Static).update(f"KPIs · {self.desk_app.who}")

    # -- loading ---------------------------------------------------------------------------

    def reload(self, *, choices: bool = False, **_: object) -> None:
        """Compute the figures again for the current query (in a worker); ``choices``: read the
        filter choices (services, groups, pilots…) again too, as on the first load."""
        self.computing = True
        self._show_status()
        self._load(self.asked, choices or self.choices is None)

    @work(thread=True, exclusive=True, group="kpis")
    def _load(self, query: DashboardQuery, with_choices: bool) -> None:
        desk = self.desk_app.desk
        try:
            choices = load_choices(desk) if with_choices else None
            dashboard = load_dashboard(desk, query, datetime.now(UTC))
        except Exception as err:
            self.post_message(self.LoadFailed(query, err))
            return
        self.post_message(self.Loaded(dashboard, choices))

    def on_kpi_screen_loaded(self, message: Loaded) -> None:
        if message.choices is not None:
            self.choices = message.choices
        if message.dashboard.query != self.asked:
            return  # a key changed the query meanwhile: its own load follows
        self.computing, self.error = False, None
        self.dashboard, self.computed_at = message.dashboard, datetime.now(UTC)
        self._show(message.dashboard)

    def on_kpi_screen_load_failed(self, message: LoadFailed) -> None:
        if message.query != self.asked:
            return
        self.computing = False
        self.error = error_text(message.error)
        self._show_status()

    # -- showing ---------------------------------------------------------------------------

    def _filter_text(self) -> str:
        q = self.asked
        if q.dimension is None or q.value is None:
            return "all calls"
        if q.dimension == "pilot":
            return f"pilot {q.value}"
        label = self.choices.label(q.dimension, q.value) if self.choices else q.value
        return f"{q.dimension} {label}"

    def _show_query(self) -> None:
        q, zone = self.asked, self.desk_app.desk.config.timezone
        since, until = q.window_at(datetime.now(UTC), zone)
        back = f", {q.back} back" if q.back else ""
        if self.computing:
            state = "computing…"
        elif self.dashboard is not None and self.dashboard.query == q:
            state = f"as of {local_time(self.computed_at, zone)[11:]}"
        else:
            state = "not computed"
        self.query_one("#kpi-query", Static).update(
            f"{q.periods} {q.by}s{back}: {span_text(since, until, zone)} · "
            f"{self._filter_text()} · {state}"
        )

    def _show_status(self) -> None:
        """The error line (shown only after a failed load) and the header's state."""
        status = self.query_one("#kpi-status", Static)
        status.display = self.error is not None
        status.update(Text(f"Could not compute the KPIs: {self.error}" if self.error else ""))
        self._show_query()

    def _show(self, board: Dashboard) -> None:
        self._show_status()
        report = board.report
        total = lambda kpi: report.get(kpi)  # noqa: E731
        ftr, ces, csat = total("first_time_right"), total("effort"), total("satisfaction")
        volume, backlog = total("volume"), report.get("backlog", "now")
        figures = [
            ("First time right", share_text(ftr.get("first_time_right"), ftr.get("resolved"))),
            ("Effort", mean_text(ces.get("mean"), ces.get("responses"))),
            ("Satisfied", share_text(csat.get("satisfied"), csat.get("responses"))),
            ("Calls", f"{volume.get('registered', 0):,.0f}"),
            ("Open now", f"{backlog.get('open', 0):,.0f}"),
        ]
        headline = Text()
        for i, (name, value) in enumerate(figures):  # no-break spaces: a figure never splits
            headline.append(" · " if i else "")
            headline.append(name.replace(" ", "\u00a0"), style="bold")
            headline.append("\u00a0" + value.replace(" ", "\u00a0"))
        self.query_one("#kpi-headline", Static).update(headline)
        labels = [period_label(p, board.query.by) for p in report.periods]
        for ident, _, kpi, figure, _, _ in _PLOTS:
            values = trend(report, kpi, figure)
            if figure in _PERCENT:
                values = [None if v is None else 100 * v for v in values]
            self.query_one(f"#{ident}", TrendPlot).show(labels, values)
        bands = [name for name in backlog if name != "open"]
        self.query_one("#plot-backlog", TrendPlot).show(
            [_band(b) for b in bands], [float(backlog[b] or 0) for b in bands]
        )
        whose = self._filter_text() if board.balance_filtered else "the whole team"
        self.query_one(BalanceBars).show(board.balance, f"Time against target · {whose}")
        self._show_self_service(board)
        self._show_disruptions(board)
        self._show_pilot(board)

    def _show_self_service(self, board: Dashboard) -> None:
        report = board.self_service
        whose = self._filter_text() if board.self_service_filtered else "all calls"
        share = share_text(report.flagged, report.calls)
        title = f"Self-service opportunities · {whose}: {share} of calls"
        self.query("#kpi-tables .kpi-panel-title").first(Static).update(title)
        table = self.query_one("#kpi-self-service", DataTable)
        table.clear()
        for faq in report.by_faq:  # the question wraps in its column, never cut
            lines = len(textwrap.wrap(faq.question, _QUESTION)) or 1
            table.add_row(str(faq.flagged), faq.service_id, Text(faq.question), height=lines)
        if not report.by_faq:
            table.add_row("", "", Text("no call flagged in this range", style="italic"))
        _fit(table)

    def _show_disruptions(self, board: Dashboard) -> None:
        zone = self.desk_app.desk.config.timezone
        whose = f" · {self._filter_text()}" if board.self_service_filtered else ""
        self.query("#kpi-tables .kpi-panel-title").last(Static).update(
            f"Recurring disruptions (the latest proposed){whose}"
        )
        table = self.query_one("#kpi-disruptions", DataTable)
        table.clear()
        for item in board.disruptions:
            table.add_row(
                str(item.id),
                item.state,
                item.service_id or "—",
                str(item.burst_calls or "—"),
                f"{_day(item.burst_start, zone)} – {_day(item.burst_end, zone)}",
            )
        if not board.disruptions:
            table.add_row("", "", Text("none proposed", style="italic"), "", "")
        _fit(table)

    def _show_pilot(self, board: Dashboard) -> None:
        title = self.query_one("#kpi-pilot-title", Static)
        table = self.query_one("#kpi-pilot", DataTable)
        table.clear()
        found = board.comparison
        if found is None:
            if board.comparison_note is not None:
                note = board.comparison_note
            elif self.choices is not None and self.choices.values.get("pilot"):
                note = "f: pick a pilot to compare it with the rest"
            else:
                note = "no pilots yet (bpsm pilot define)"
            title.update(Text.assemble("Pilot vs the rest · ", (note, "italic")))
            table.display = False
            return
        table.display = True
        zone = self.desk_app.desk.config.timezone
        during = found.pilot_report
        title.update(
            f"Pilot {found.pilot.name} · {found.pilot.group_name} · "
            f"{span_text(during.since, during.until, zone)}"
        )
        for name, kpi, cell in (
            ("First time right", "first_time_right", _ftr_cell),
            ("Satisfied", "satisfaction", _satisfied_cell),
            ("Effort", "effort", _effort_cell),
            ("Calls", "volume", _calls_cell),
        ):
            three = found.figures(kpi)
            table.add_row(name, *(cell(three[side]) for side in ("pilot", "rest", "before")))
        _fit(table)

    # -- keys ------------------------------------------------------------------------------

    def _ask(self, query: DashboardQuery) -> None:
        """Show ``query`` (the header at once) and compute it."""
        self.asked, self.error = query, None
        self.reload()

    def action_refresh(self) -> None:
        """Compute the figures again, with the filter choices (a pilot defined meanwhile)."""
        self.reload(choices=True)

    def action_next_period(self) -> None:
        """Trends by the next period: day → week → month."""
        self._ask(self.asked.next_by())

    def action_by(self, by: str) -> None:
        """Trends by ``by`` (day, week or month), at its usual range."""
        query = self.asked
        while query.by != by and by in GRANULARITIES:
            query = query.next_by()
        self._ask(query)

    def action_longer(self) -> None:
        """More periods."""
        self._ask(self.asked.longer())

    def action_shorter(self) -> None:
        """Fewer periods."""
        self._ask(self.asked.shorter())

    def action_earlier(self) -> None:
        """The range one period back."""
        self._ask(self.asked.earlier())

    def action_later(self) -> None:
        """The range one period forward."""
        if self.asked.back:
            self._ask(self.asked.later())

    def action_now(self) -> None:
        """The range ending with the current period."""
        if self.asked.back:
            self._ask(self.asked.current())

    def action_pick_filter(self) -> None:
        """Pick a filter from the values the desk knows."""
        if self.choices is None:
            self.notify("Still loading what the desk knows — one moment.", severity="warning")
            return

        def picked(choice: Picked | None) -> None:
            if choice is not None:
                self._ask(self.asked.filtered(*choice))

        current = (self.asked.dimension, self.asked.value)
        self.app.push_screen(KpiFilterPicker(self.choices, current), picked)

    def action_clear_filter(self) -> None:
        """Every call again."""
        if self.asked.dimension is not None:
            self._ask(self.asked.filtered(None))

    def palette_commands(self) -> list[PaletteCommand]:
        """The keys' entries, and one per period (``kpi: by month``)."""
        keyless = [
            PaletteCommand(f"kpi: by {by}", f"Trends by {by}", f"by('{by}')")
            for by in GRANULARITIES
        ]
        return [*palette_from_bindings(self), *keyless]
