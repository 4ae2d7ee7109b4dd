"""Proactive service delivery: add-ons and leads, the leaderboard and the potential calculator.

* **Add-ons** (``o``): by state (``f``); ``a`` the customer accepts (the value is booked),
  ``x`` declines.
* **Leads** (``e``): by state; ``p`` the proposal is sent, ``w`` won (with the final value),
  ``l`` lost (with the reason).
* **Leaderboard** (``b``): per person, over the last 30, 90 or 365 days (``f``): jobs,
  recommendations per job, hit rates and value booked — recognition, not pressure.
* **Potential** (``c``): the brief's formula with its inputs taken from the same figures, each
  overridable by typing; recomputed as you type, in a worker. ``ctrl+r`` takes the figures from
  the data again, escape leaves the fields.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Input, Label, Static, TabbedContent, TabPane, Tabs

from bpsm import (
    BpsmError,
    Desk,
    DeskConfig,
    Page,
    Potential,
    Recommendations,
    RecommendationStats,
    RecommendationView,
    potential,
)
from bpsm_tui.data.actions import actions_for
from bpsm_tui.data.format import error_text, local_time, record_label, staff_name
from bpsm_tui.dialogs.effort_dialog import EFFORT_BINDING, LogsEffort
from bpsm_tui.widgets.record_tabs import NARROW, RecordTab, RecordTabsScreen, step_bindings
from bpsm_tui.widgets.sized_table import SizedTable

__all__ = ["RecommendationsScreen"]

ACTIONS = actions_for(Recommendations.process)
WINDOWS = (90, 30, 365)
"""The leaderboard's windows in days, ``f`` cycles through them."""

#: The potential's inputs: (argument, label, shown as a percentage).
INPUTS: tuple[tuple[str, str, bool], ...] = (
    ("jobs", "Jobs handled", False),
    ("add_on_rate", "Add-ons offered per 100 jobs", True),
    ("add_on_hit_rate", "Add-on hit rate (%)", True),
    ("add_on_value", "Average add-on value", False),
    ("lead_rate", "Leads per 100 jobs", True),
    ("lead_hit_rate", "Lead hit rate (%)", True),
    ("lead_value", "Average lead value", False),
    ("baseline", "Already booked (baseline)", False),
)


def _call(rec: RecommendationView) -> str:
    return record_label("call", rec.call_id) if rec.call_id is not None else "—"


def _money(value: float | None, currency: str = "") -> str:
    return "—" if value is None else f"{currency} {value:,.0f}".strip()


def _add_on_row(rec: RecommendationView, config: DeskConfig) -> list[str | Text]:
    return [
        record_label("recommendation", rec.id),
        rec.state,
        _money(rec.value, rec.currency),
        Text(rec.customer),
        _call(rec),
        Text(staff_name(config, rec.recommended_by)),
        local_time(rec.recommended_at, config.timezone),
        Text(rec.description),
    ]


def _lead_row(rec: RecommendationView, config: DeskConfig) -> list[str | Text]:
    turnaround = rec.turnaround
    return [
        record_label("recommendation", rec.id),
        rec.state.replace("_", " "),
        _money(rec.value, rec.currency),
        _money(rec.booked_value, rec.currency),
        "—" if turnaround is None else f"{turnaround.total_seconds() / 86400:.1f} d",
        Text(rec.customer),
        Text(staff_name(config, rec.recommended_by)),
        Text(rec.description),
    ]


def _of_kind(kind: str) -> Any:
    def fetch(
        desk: Desk, where: dict[str, Any], offset: int, limit: int
    ) -> Page[RecommendationView]:
        return desk.recommendations.page(kind=kind, offset=offset, limit=limit, **where)

    return fetch


def _figure(value: float) -> str:
    """A prefilled input: at most two decimals, no trailing zeros (``0.53``, ``24000``)."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def prefill(board: list[RecommendationStats]) -> dict[str, float]:
    """The potential's inputs from everyone's figures together (rates as fractions)."""

    def total(name: str) -> float:
        return float(sum(getattr(p, name) for p in board))

    def ratio(part: float, whole: float) -> float:
        return part / whole if whole else 0.0

    jobs, add_ons, leads = total("jobs"), total("add_ons"), total("leads")
    accepted, won = total("add_ons_accepted"), total("leads_won")
    add_on_sum = sum((p.add_on_value or 0.0) * p.add_ons for p in board)
    lead_sum = sum((p.lead_value or 0.0) * p.leads for p in board)
    return {
        "jobs": jobs,
        "add_on_rate": ratio(add_ons, jobs),
        "add_on_hit_rate": ratio(accepted, accepted + total("add_ons_declined")),
        "add_on_value": ratio(add_on_sum, add_ons),
        "lead_rate": ratio(leads, jobs),
        "lead_hit_rate": ratio(won, won + total("leads_lost")),
        "lead_value": ratio(lead_sum, leads),
        "baseline": total("booked_value"),
    }


LEADERBOARD = (
    ("rank", "#"),
    ("name", "Name"),
    ("jobs", "Jobs"),
    ("recs", "Recs"),
    ("rate", "Per job"),
    ("add_ons", "Add-ons hit"),
    ("leads", "Leads hit"),
    ("booked", "Booked"),
    ("turnaround", "Turnaround"),
)
"""The leaderboard's columns: (key, heading)."""
LEADERBOARD_WIDE_ONLY = frozenset({"recs", "turnaround"})
"""Left out below the lists' narrow width, so the leaderboard fits 80 columns unscrolled (the
recommendations per job stay; a lead's turnaround is on the leads list)."""


class RecommendationsScreen(LogsEffort, RecordTabsScreen):
    """Add-ons and leads by state, the per-person leaderboard and the potential calculator."""

    CSS_PATH = "recommendations.tcss"
    HEADING = "Recommendations — add-ons, leads, leaderboard, potential"
    TABS = (
        RecordTab(
            "add-ons",
            "Add-ons",
            "o",
            "recommendations",
            ("Number", "State", "Value", "Customer", "Call", "By", "When", "What"),
            _add_on_row,
            _of_kind("add_on"),
            (
                ("on offer", {"states": ("offered",)}),
                ("accepted", {"states": ("accepted",)}),
                ("declined", {"states": ("declined",)}),
                ("all", {}),
            ),
            {n: a for n, a in ACTIONS.items() if "offered" in a.step.source},
            narrow=(0, 1, 2, 3, 4, 7),  # who and when: the hint line
        ),
        RecordTab(
            "leads",
            "Leads",
            "e",
            "recommendations",
            ("Number", "State", "Estimate", "Booked", "Turnaround", "Customer", "By", "What"),
            _lead_row,
            _of_kind("lead"),
            (
                ("open (handed over, proposal sent)", {"states": ("handed_over", "proposal_sent")}),
                ("won", {"states": ("won",)}),
                ("lost", {"states": ("lost",)}),
                ("all", {}),
            ),
            {n: a for n, a in ACTIONS.items() if "offered" not in a.step.source},
            narrow=(0, 1, 2, 3, 5, 7),
        ),
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(t.key, f"show_tab('{t.id}')", t.title, show=False,
                    id=f"recommendations.{t.id}", tooltip=f"Show the {t.title.lower()}")
            for t in TABS
        ),
        Binding("b", "show_tab('leaderboard')", "Leaderboard", show=False,
                id="recommendations.leaderboard", tooltip="Show the per-person leaderboard"),
        Binding("c", "show_tab('potential')", "Potential", show=False,
                id="recommendations.potential", tooltip="Show the potential calculator"),
        *step_bindings(list(ACTIONS.values())),
        Binding("ctrl+r", "prefill", "From data", id="potential.prefill",
                tooltip="Fill the calculator from the data again"),
        Binding("escape", "leave_fields", "Leave fields", show=False, id="potential.leave",
                tooltip="Leave the calculator's fields, so the screen's keys work"),
        EFFORT_BINDING,
        *RecordTabsScreen.COMMON_BINDINGS,
    ]  # fmt: skip
    """Tabs o/e/b/c; add-on keys a/x; lead keys p/w/l; f filters (the leaderboard: its window);
    t logs time on the add-on or lead."""

    class Board(Message):
        """The leaderboard for a window came back from the worker."""

        def __init__(
            self,
            days: int,
            board: list[RecommendationStats],
            everyone: list[RecommendationStats],
            error: Exception | None,
        ) -> None:
            super().__init__()
            self.days, self.board, self.everyone, self.error = days, board, everyone, error

    class Computed(Message):
        """The potential for the typed inputs (or what is wrong with them)."""

        def __init__(self, result: Potential | None, error: Exception | None) -> None:
            super().__init__()
            self.result, self.error = result, error

    def __init__(self) -> None:
        super().__init__()
        self._window = 0
        self._board: list[RecommendationStats] = []
        self._ranked: list[RecommendationStats] = []
        self._board_narrow = False
        self._typed = False

    def extra_panes(self) -> ComposeResult:
        with TabPane("Leaderboard (b)", id="leaderboard"):
            yield Static("Loading…", id="leaderboard-status", classes="list-status")
            yield SizedTable(id="leaderboard-table", cursor_type="row", zebra_stripes=True)
        with TabPane("Potential (c)", id="potential"), VerticalScroll():
            yield Static(
                Text("Potential = jobs × add-on rate × hit rate × value + jobs × lead rate × "
                     "lead hit rate × lead value − baseline. Taken from the data; type to try "
                     "other figures.", style="dim"),
                classes="potential-formula",
            )  # fmt: skip
            yield Static("", id="potential-result")  # above the fields: never scrolled away
            with Grid(id="potential-inputs"):
                for name, label, _ in INPUTS:
                    yield Label(label)
                    yield Input(id=f"pot-{name}", type="number")

    def on_mount(self) -> None:
        # Textual runs the base class's on_mount too (it lays out the lists and loads them)
        self._leaderboard_columns()

    def _leaderboard_columns(self) -> None:
        table = self.query_one("#leaderboard-table", DataTable)
        table.clear(columns=True)
        self._board_narrow = narrow = self.app.size.width < NARROW
        for key, heading in LEADERBOARD:
            if not (narrow and key in LEADERBOARD_WIDE_ONLY):
                table.add_column(heading, key=key)

    def on_resize(self) -> None:
        # Textual runs the base class's on_resize too (the lists' columns for the new width)
        if (self.app.size.width < NARROW) != self._board_narrow:
            self._leaderboard_columns()
            self._leaderboard_rows()

    def effort_record(self) -> Any | None:
        return self.selected()  # None on a pane that lists no records

    def describe(self, record: Any) -> str:
        kind = "add-on" if record.kind == "add_on" else "lead"
        config = self.desk_app.desk.config
        by = staff_name(config, record.recommended_by)
        when = local_time(record.recommended_at, config.timezone)[:10]
        return (
            f"{record_label('recommendation', record.id)} {kind} · {record.customer} · {by} {when}"
        )

    def reload(self, *, keep: int | None = None) -> None:
        super().reload(keep=keep)
        self._load_board(self.desk_app.desk, WINDOWS[self._window])

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        active = self.query_one("#record-tabs", TabbedContent).active
        if action == "filter":
            return active != "potential"
        if action == "prefill":
            return active == "potential"
        return super().check_action(action, parameters)

    def action_filter(self) -> None:
        """The next filter of the list, or the leaderboard's next window."""
        if self.query_one("#record-tabs", TabbedContent).active == "leaderboard":
            self._window = (self._window + 1) % len(WINDOWS)
            self._load_board(self.desk_app.desk, WINDOWS[self._window])
            return
        super().action_filter()

    @on(TabbedContent.TabActivated)
    def _to_the_fields(self, event: TabbedContent.TabActivated) -> None:
        if self.query_one("#record-tabs", TabbedContent).active == "potential":
            self.query_one("#pot-jobs", Input).focus()

    def action_leave_fields(self) -> None:
        """Leave the calculator's fields: the tabs take the focus, so letter keys work again."""
        self.query_one("#record-tabs", TabbedContent).query_one(Tabs).focus()

    # -- the leaderboard -----------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="leaderboard")
    def _load_board(self, desk: Desk, days: int) -> None:
        until = datetime.now(UTC) + timedelta(seconds=1)
        try:
            board = desk.recommendations.leaderboard(until - timedelta(days=days), until)
            everyone = desk.recommendations.stats(until - timedelta(days=days), until)
        except BpsmError as err:
            self.post_message(self.Board(days, [], [], err))
            return
        self.post_message(self.Board(days, board, everyone, None))

    def _leaderboard_rows(self) -> None:
        table = self.query_one("#leaderboard-table", DataTable)
        table.clear()
        currency = self.desk_app.desk.config.recommendations.currency
        for rank, p in enumerate(self._ranked, 1):
            turnaround = p.lead_turnaround
            cells = {
                "rank": str(rank),
                "name": Text(p.name),
                "jobs": str(p.jobs),
                "recs": str(p.recommendations),
                "rate": "—" if p.recommendation_rate is None else f"{p.recommendation_rate:.2f}",
                "add_ons": f"{p.add_ons_accepted}/{p.add_ons} ({_share(p.add_on_hit_rate)})",
                "leads": f"{p.leads_won}/{p.leads} ({_share(p.lead_hit_rate)})",
                "booked": _money(p.booked_value, currency),
                "turnaround": (
                    "—" if turnaround is None else f"{turnaround.total_seconds() / 86400:.1f} d"
                ),
            }
            table.add_row(*(cells[str(k.value)] for k in table.columns))

    def on_recommendations_screen_board(self, message: Board) -> None:
        if message.error is not None:
            self.desk_app.show_error(message.error, title="Leaderboard: not loaded")
            return
        self._board = message.everyone
        self._ranked = message.board
        self._leaderboard_rows()
        thanks = (
            "Thank you — every recommendation helps a customer."
            if message.board
            else "No recommendations yet in this window."
        )
        self.query_one("#leaderboard-status", Static).update(
            Text(f"Last {message.days} days · {thanks} · f: window", style="dim")
        )
        if not self._typed:
            self._fill(prefill(message.everyone))

    # -- the potential -------------------------------------------------------------------------

    def _fill(self, values: dict[str, float]) -> None:
        with self.prevent(Input.Changed):
            for name, _, percent in INPUTS:
                value = values[name] * (100 if percent else 1)
                self.query_one(f"#pot-{name}", Input).value = _figure(value)
        self._compute(self._inputs())

    def action_prefill(self) -> None:
        """Fill the calculator from the data again (typed figures are replaced)."""
        self._typed = False
        self._fill(prefill(self._board))

    def _inputs(self) -> dict[str, str]:
        return {name: self.query_one(f"#pot-{name}", Input).value for name, _, _ in INPUTS}

    @on(Input.Changed)
    def _typed_in(self, event: Input.Changed) -> None:
        if event.input.id and event.input.id.startswith("pot-"):
            self._typed = True
            self._compute(self._inputs())

    @work(thread=True, exclusive=True, group="potential")
    def _compute(self, typed: dict[str, str]) -> None:
        figures: dict[str, float] = {}
        for name, label, percent in INPUTS:
            text = typed[name].strip()
            try:
                value = float(text) if text else 0.0
            except ValueError:
                self.post_message(
                    self.Computed(None, ValueError(f"{label}: {text!r} is not a number"))
                )
                return
            figures[name] = value / 100 if percent else value
        try:
            result = potential(**figures)
        except BpsmError as err:
            self.post_message(self.Computed(None, err))
            return
        self.post_message(self.Computed(result, None))

    def on_recommendations_screen_computed(self, message: Computed) -> None:
        out = self.query_one("#potential-result", Static)
        if message.error is not None or message.result is None:
            error = message.error
            text = error_text(error) if isinstance(error, BpsmError) else str(error)
            for arg, label, percent in INPUTS:  # the library names the argument; say the label
                text = text.replace(f"{arg}: ", f"{label}: ")
                if percent:
                    text = text.replace("cannot exceed 1", "cannot exceed 100 %")
            out.update(Text(text, style="bold red"))
            return
        r, cur = message.result, self.desk_app.desk.config.recommendations.currency
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="dim")
        grid.add_column(justify="right")
        grid.add_row("Add-on sales", _money(r.add_on, cur))
        grid.add_row("Lead sales", _money(r.lead, cur))
        grid.add_row("− already booked", _money(r.baseline, cur))
        grid.add_row(Text("Potential", style="bold"), Text(_money(r.value, cur), style="bold"))
        out.update(grid)
