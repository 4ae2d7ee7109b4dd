"""The change board: the change manager's gate, changes to the catalogue by state, a page at a time.

Changes are paged from the database (``desk.changes.page``, newest first) in a thread worker,
filtered by state: ``f`` cycles open (draft, submitted, approved) → each state → all. Enter opens
a change (:class:`~bpsm_tui.screens.change_detail.ChangeDetailScreen`); the change step keys work
on the selected row here too, through the app's one action runner, and only the steps the library
allows this person in the change's state are offered. ``n`` proposes retiring a service (adding or
modifying one needs its whole definition: that proposal comes from a relation case's
standardization or an approved improvement, and is amended from there).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Footer, Static
from textual.worker import get_current_worker

from bpsm import Ask, BpsmError, Changes, ChangeView, Desk, Page
from bpsm_tui.data.format import error_text, staff_name
from bpsm_tui.dialogs.effort_dialog import EFFORT_BINDING
from bpsm_tui.dialogs.relation_dialogs import KeptAskForm
from bpsm_tui.screens.call_screen import COMMON_BINDINGS
from bpsm_tui.screens.change_detail import (
    CHANGE_BINDINGS,
    ChangeDetailScreen,
    ChangeScreen,
    change_hint,
    refusal_text,
    state_words,
)
from bpsm_tui.widgets.sized_table import SizedTable

__all__ = ["FILTERS", "ChangeBoardScreen"]

OPEN = ("draft", "submitted", "approved", "implemented")
"""The default filter: changes still to decide or carry out, and implemented ones, which can still
be rolled back (a rolled-back, rejected or withdrawn change is done)."""

#: The board's columns: (key, heading).
COLUMNS = (
    ("number", "Change"),
    ("state", "State"),
    ("kind", "Kind"),
    ("service", "Service"),
    ("impact", "Impact"),
    ("checklist", "Checklist"),
    ("by", "Proposed by"),
    ("summary", "Summary"),
)
NARROW = 100
"""Below this many columns the board leaves out :data:`WIDE_ONLY` (the change's own screen
shows them), so the summary is readable at 80 columns."""
WIDE_ONLY = frozenset({"impact", "by"})
IMPACTS = ("low", "medium", "high")
"""A proposal's impact, as the library takes it."""

#: The board's filters, in the order ``f`` cycles them: name → states (None: every state).
FILTERS: tuple[tuple[str, tuple[str, ...] | None], ...] = (
    ("open or implemented", OPEN),
    *((state_words(s), (s,)) for s in Changes.process.states),
    ("all", None),
)


class ChangeBoardScreen(ChangeScreen):
    """Changes to the catalogue, newest first, filtered by state, a page at a time."""

    CSS_PATH = "change_board.tcss"

    PAGE_SIZE = 40
    """Changes per page."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "open_change",
            "Open",
            id="change.open",
            key_display="⏎",
            tooltip="Show the change: its service diff, checklist and history",
        ),
        Binding(
            "f",
            "next_filter",
            "Filter",
            id="view.filter",
            tooltip="Cycle the states shown: open, each state, all",
        ),
        Binding(
            "F",
            "next_filter(-1)",
            "Previous filter",
            id="view.previous-filter",
            show=False,
            tooltip="Cycle the states shown backwards",
        ),
        *CHANGE_BINDINGS,
        Binding(
            "n",
            "propose",
            "Propose retirement",
            id="change.propose",
            tooltip="Propose retiring a catalogue service: service, summary, impact, rollback",
        ),
        Binding(
            "pagedown,right_square_bracket",
            "page(1)",
            "Next page",
            id="view.next-page",
            priority=True,
            show=False,
            tooltip="Show the next page of changes",
        ),
        Binding(
            "pageup,left_square_bracket",
            "page(-1)",
            "Previous page",
            id="view.previous-page",
            priority=True,
            show=False,
            tooltip="Show the previous page of changes",
        ),
        Binding("g", "refresh", "Refresh", id="view.refresh", tooltip="Load the board again"),
        EFFORT_BINDING,
        *COMMON_BINDINGS,
    ]
    """Enter opens, f/F cycle the state filter, the change step keys act on the selected row,
    PgDn/PgUp (or ]/[) page, g reloads."""

    class Loaded(Message):
        """A page of changes and what the person may do to each (from the worker)."""

        def __init__(
            self, request: int, page: Page[ChangeView], allowed: Mapping[int, Sequence[str]]
        ) -> None:
            super().__init__()
            self.request, self.page, self.allowed = request, page, allowed

    class Proposed(Message):
        """A retirement was proposed (or refused: the answers come back to the form)."""

        def __init__(
            self, made: ChangeView | None, answers: dict[str, Any], error: BpsmError | None
        ) -> None:
            super().__init__()
            self.made, self.answers, self.error = made, answers, error

    class LoadFailed(Message):
        """The page could not be loaded."""

        def __init__(self, error: Exception) -> None:
            super().__init__()
            self.error = error

    def __init__(self) -> None:
        super().__init__()
        self.filter_index = 0
        self._offset = 0
        self._page: Page[ChangeView] | None = None
        self._allowed: Mapping[int, Sequence[str]] = {}
        self._keep: int | None = None
        self._request = 0
        self._narrow = False

    def compose(self) -> ComposeResult:
        yield Static("", id="board-title")
        yield SizedTable(id="changes", cursor_type="row", zebra_stripes=True)
        yield Static("", id="board-status")
        yield Static("", id="change-message")
        yield Static("", id="change-hint")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#change-message", Static).display = False
        self._narrow = self.app.size.width < NARROW
        self._add_columns()
        self.query_one("#changes", DataTable).focus()
        self._show_title()
        self.reload()

    def _add_columns(self) -> None:
        table = self.query_one("#changes", DataTable)
        for key, heading in COLUMNS:
            if not (self._narrow and key in WIDE_ONLY):
                table.add_column(heading, key=key)

    def on_resize(self) -> None:
        narrow = self.app.size.width < NARROW
        if narrow != self._narrow:
            self._narrow = narrow
            self.query_one("#changes", DataTable).clear(columns=True)
            self._add_columns()
            if self._page is not None:
                self._show_page(self._page, self._selected_id())

    def on_screen_resume(self) -> None:
        self.reload(keep=self._selected_id())

    # -- data --------------------------------------------------------------------------------------

    def selected_change(self) -> ChangeView | None:
        if self._page is None or not self._page.items:
            return None
        row = self.query_one("#changes", DataTable).cursor_row
        return self._page.items[row] if 0 <= row < len(self._page.items) else None

    def _selected_id(self) -> int | None:
        change = self.selected_change()
        return change.id if change else None

    def reload(self, *, keep: int | None = None) -> None:
        self._keep = keep
        self._request += 1
        self._load(self._request, FILTERS[self.filter_index][1], self._offset)

    @work(thread=True, exclusive=True, group="change-board")
    def _load(self, request: int, states: tuple[str, ...] | None, offset: int) -> None:
        desk, operator = self.desk_app.desk, self.desk_app.operator
        worker = get_current_worker()
        try:
            page = desk.changes.page(states=states, offset=offset, limit=self.PAGE_SIZE)
            if page.offset and not page.items and page.total:  # the last page emptied
                last = (page.total - 1) // self.PAGE_SIZE * self.PAGE_SIZE
                page = desk.changes.page(states=states, offset=last, limit=self.PAGE_SIZE)
            allowed: dict[int, list[str]] = {}
            for change in page.items:
                try:
                    allowed[change.id] = [str(a) for a in desk.changes.allowed(change, operator)]
                except BpsmError:
                    allowed[change.id] = []
        except Exception as err:
            self.post_message(self.LoadFailed(err))
            return
        if not worker.is_cancelled:
            self.post_message(self.Loaded(request, page, allowed))

    def on_change_board_screen_loaded(self, message: Loaded) -> None:
        if message.request != self._request:
            return  # an older load finished after a newer one was asked for
        page = message.page
        self._page, self._allowed, self._offset = page, message.allowed, page.offset
        self._show_page(page, self._keep)
        self._show_title()
        first, last = page.offset + 1, page.offset + len(page.items)
        status = (
            f"{first}–{last} of {page.total:,}" if page.items else "no changes with this filter"
        )
        self.query_one("#board-status", Static).update(
            f"{status} · f filter · ⏎ open · PgDn/PgUp page"
        )
        self._show_hint()

    def _show_page(self, page: Page[ChangeView], keep: int | None) -> None:
        config = self.desk_app.desk.config
        table = self.query_one("#changes", DataTable)
        table.clear()
        cursor = 0
        for index, c in enumerate(page.items):
            met = sum(1 for i in c.checklist if i.met)
            cells = {
                "number": c.number,
                "state": state_words(c.state),
                "kind": c.kind,
                "service": c.service_id,
                "impact": c.impact,
                "checklist": f"{met}/{len(c.checklist)}",
                "by": Text(staff_name(config, c.proposed_by)),
                "summary": Text(c.summary),
            }
            table.add_row(*(cells[str(k.value)] for k in table.columns), key=str(c.id))
            if c.id == keep:
                cursor = index
        if page.items:
            table.move_cursor(row=cursor)

    def on_change_board_screen_load_failed(self, message: LoadFailed) -> None:
        self.say(refusal_text("the change board", "loading", message.error))

    @on(DataTable.RowSelected, "#changes")
    def _selected(self, event: DataTable.RowSelected) -> None:
        # enter on the table: the row it selected, after every key typed before it
        self._open(int(event.row_key.value or 0))

    @on(DataTable.RowHighlighted, "#changes")
    def _highlighted(self) -> None:
        self._show_hint()

    def allowed_now(self) -> Sequence[str] | None:
        change = self.selected_change()
        return self._allowed.get(change.id) if change else None

    def _show_hint(self) -> None:
        change = self.selected_change()
        hint = change_hint(change, self.allowed_now())
        if change is not None:  # whole, wrapped: the Summary column is cut on a narrow screen
            hint = Text.assemble(hint, "\n", change.summary)
        self.query_one("#change-hint", Static).update(hint)
        self.refresh_bindings()  # the footer offers what the selected change allows

    def _show_title(self) -> None:
        name = FILTERS[self.filter_index][0]
        self.query_one("#board-title", Static).update(
            Text.assemble(
                ("Change board", "bold"), f" · {name}", (f" · {self.desk_app.who}", "dim")
            )
        )

    # -- keys --------------------------------------------------------------------------------------

    def action_open_change(self) -> None:
        """Open the selected change."""
        change = self.selected_change()
        if change is None:
            self.notify("No change selected.", severity="warning")
            return
        self._open(change.id)

    def _open(self, change_id: int) -> None:
        self.app.push_screen(ChangeDetailScreen(change_id))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "propose":
            person = getattr(self.app, "person", None)
            return person is None or bool(Changes.process.roles("propose") & person.roles)
        return super().check_action(action, parameters)

    def action_propose(self, typed: dict[str, Any] | None = None, error: str = "") -> None:
        """Propose retiring a service; a refusal brings the form back with what was typed."""
        asks = [
            Ask("service_id", "Which catalogue service is retired? (its id)"),
            Ask("summary", "Why it goes (the proposal's summary)"),
            Ask("impact", "Impact", "choice", choices=IMPACTS),
            Ask("rollback_plan", "Rollback plan", required=False),
        ]

        def answered(answers: dict[str, Any] | None) -> None:
            if answers is not None:
                self._propose(self.desk_app.desk, self.desk_app.operator, answers)

        form = KeptAskForm("Propose retiring a service", asks, typed=typed, error=error)
        self.app.push_screen(form, answered)

    @work(thread=True, exclusive=True, group="change-propose")
    def _propose(self, desk: Desk, by: str, answers: dict[str, Any]) -> None:
        try:
            made = desk.changes.propose(kind="retire", by=by, **answers)
        except BpsmError as err:
            self.post_message(self.Proposed(None, answers, err))
            return
        self.post_message(self.Proposed(made, answers, None))

    def on_change_board_screen_proposed(self, message: Proposed) -> None:
        if message.error is not None:  # the form again, with what was typed and why
            self.action_propose(message.answers, error_text(message.error))
            return
        assert message.made is not None
        made = message.made
        self.say(Text(f"{made.number} proposed (draft): retire {made.service_id}", style="green"))
        self.reload(keep=made.id)

    def action_next_filter(self, step: int = 1) -> None:
        """Show the next (``step`` -1: previous) state filter, from its first page."""
        self.filter_index = (self.filter_index + step) % len(FILTERS)
        self._offset = 0
        self._show_title()
        self.reload()

    def action_page(self, step: int) -> None:
        """Show the next (1) or previous (-1) page."""
        page = self._page
        if page is None:
            return
        offset = page.offset + step * self.PAGE_SIZE
        if offset < 0 or (step > 0 and not page.has_next):
            return
        self._offset = offset
        self.reload()

    def action_refresh(self) -> None:
        """Load the board again, keeping the selected change."""
        self.reload(keep=self._selected_id())
