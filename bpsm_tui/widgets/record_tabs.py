"""Tabs of records paged from the database, with the step keys of each record's process.

The proactive and recommendations screens are lists of different records side by side (tasks,
improvements, add-ons, leads). Each list is one :class:`RecordTab` row: how to fetch a page, how
to show a record, its filters and its process's steps. :class:`RecordTabsScreen` builds the
tabs, loads each page in a thread worker, and fires steps only through the app's
``run_step``. A step the person's role may never fire is not offered; one the record's state
does not allow is refused by the library's pre-flight, with its reason.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual import on
from textual.actions import parse
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static, TabbedContent, TabPane

from bpsm import Desk, DeskConfig, Page
from bpsm_tui.data.actions import RecordAction

if TYPE_CHECKING:
    from bpsm_tui.host import DeskHost

__all__ = ["MINE", "PaletteEntry", "RecordTab", "RecordTabsScreen", "step_bindings"]

MINE = object()
"""A filter's ``assignee``: the person at the keyboard and their group."""

PAGE_SIZE = 100
"""Records per page: more than any terminal shows, never the whole table."""

NARROW = 100
"""Below this many columns each list shows only its :attr:`RecordTab.narrow` columns, so every
column it shows is readable (80×24 too); the hint line under the list names the record."""


@dataclass(frozen=True)
class RecordTab:
    """One tab of records.

    Attributes:
        id: the tab's id (``tasks``), also the binding id's second half for its key.
        title: the tab's label.
        key: the key that shows the tab.
        facade: the desk attribute whose ``fire`` runs the steps (``maintenance``).
        columns: the column headings.
        row: a record → its cells (``config`` for names and the time zone).
        fetch: ``(desk, filter, offset, limit)`` → a page, in a worker thread.
        filters: ``(label, filter)`` pairs; ``f`` cycles through them.
        actions: the steps offered on this tab's records, by name.
        narrow: the columns (by index) shown below :data:`NARROW` columns; () shows them all.
    """

    id: str
    title: str
    key: str
    facade: str
    columns: tuple[str, ...]
    row: Callable[[Any, DeskConfig], Sequence[str | Text]]
    fetch: Callable[[Desk, dict[str, Any], int, int], Page[Any]]
    filters: tuple[tuple[str, dict[str, Any]], ...] = (("all", {}),)
    actions: dict[str, RecordAction] = field(default_factory=dict)
    narrow: tuple[int, ...] = ()

    def shown(self, narrow: bool) -> tuple[int, ...]:
        """The indexes of the columns shown at the width (narrow or not)."""
        return self.narrow if narrow and self.narrow else tuple(range(len(self.columns)))


@dataclass(frozen=True)
class PaletteEntry:
    """A command-palette entry: namespaced name (``task: complete``), help and its action."""

    name: str
    help: str
    action: str


def step_bindings(actions: Sequence[RecordAction]) -> list[Binding]:
    """One binding per step with a key: ``step('<process>', '<name>')``, id ``<process>.<name>``."""
    found: dict[str, Binding] = {}
    for a in actions:
        if a.key and a.id not in found:
            found[a.id] = Binding(
                a.key, f"step('{a.process}', '{a.name}')", a.label, id=a.id, tooltip=a.help
            )
    return list(found.values())


class RecordTabsScreen(Screen[None]):
    """A screen of :class:`RecordTab` lists (and optional panes of its own)."""

    TABS: ClassVar[tuple[RecordTab, ...]] = ()
    HEADING: ClassVar[str] = ""
    COMMON_BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "filter", "Filter", id="list.filter", tooltip="Show the next filter"),
        Binding("right_square_bracket", "page(1)", "Next page", id="list.next-page",
                tooltip="The next page of this list"),
        Binding("left_square_bracket", "page(-1)", "Prev page", show=False,
                id="list.previous-page", tooltip="The previous page of this list"),
        Binding("g", "refresh", "Refresh", show=False, id="list.refresh",
                tooltip="Load the lists again"),
        Binding("question_mark", "app.help", "Keys", id="app.keys",
                tooltip="List every key of this screen"),
        Binding("q", "app.quit", "Quit", id="app.quit", tooltip="Quit the desk"),
    ]  # fmt: skip
    """Filter, page, refresh, the keys of this screen and quit."""

    class PageLoaded(Message):
        """A page of one tab came back from the worker (or the error it met)."""

        def __init__(
            self, tab: str, page: Page[Any] | None, keep: int | None, error: Exception | None
        ) -> None:
            super().__init__()
            self.tab, self.page, self.keep, self.error = tab, page, keep, error

    def __init__(self) -> None:
        super().__init__()
        self._offset = {t.id: 0 for t in self.TABS}
        self._filter = {t.id: 0 for t in self.TABS}
        self._records: dict[str, list[Any]] = {t.id: [] for t in self.TABS}
        self._narrow = False

    @property
    def desk_app(self) -> DeskHost:
        """The application hosting this screen."""
        return cast("DeskHost", self.app)

    # -- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(Text(self.HEADING, style="bold"), classes="tabs-heading")
        with TabbedContent(id="record-tabs"):
            for tab in self.TABS:
                with TabPane(f"{tab.title} ({tab.key})", id=tab.id):
                    yield Static("Loading…", id=f"{tab.id}-status", classes="list-status")
                    yield DataTable(id=f"{tab.id}-table", cursor_type="row", zebra_stripes=True)
            yield from self.extra_panes()
        yield Static("", classes="tabs-hint")
        yield Footer()

    def extra_panes(self) -> ComposeResult:
        """Panes of the screen's own after the lists (none here)."""
        yield from ()

    def on_mount(self) -> None:
        self._narrow = self.app.size.width < NARROW
        for tab in self.TABS:
            self._add_columns(tab)
        self.reload()

    def _add_columns(self, tab: RecordTab) -> None:
        table = self.query_one(f"#{tab.id}-table", DataTable)
        table.add_columns(*(tab.columns[i] for i in tab.shown(self._narrow)))

    def on_resize(self) -> None:
        narrow = self.app.size.width < NARROW
        if narrow == self._narrow:
            return
        self._narrow = narrow  # the columns for the new width, the rows as loaded
        for tab in self.TABS:
            table = self.query_one(f"#{tab.id}-table", DataTable)
            cursor = table.cursor_row
            table.clear(columns=True)
            self._add_columns(tab)
            self._fill_rows(tab, table)
            if 0 <= cursor < table.row_count:
                table.move_cursor(row=cursor)

    def _fill_rows(self, tab: RecordTab, table: DataTable[Any]) -> None:
        config, shown = self.desk_app.desk.config, tab.shown(self._narrow)
        for record in self._records[tab.id]:
            cells = tab.row(record, config)
            table.add_row(*(cells[i] for i in shown), key=str(record.id))

    @property
    def current(self) -> RecordTab | None:
        """The list tab that shows, or None on a pane of the screen's own."""
        active = self.query_one("#record-tabs", TabbedContent).active
        return next((t for t in self.TABS if t.id == active), None)

    @on(TabbedContent.TabActivated)
    def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        tab = self.current
        if tab is not None:
            self.query_one(f"#{tab.id}-table", DataTable).focus()
        self._hint()
        self.refresh_bindings()

    def action_show_tab(self, tab_id: str) -> None:
        """Show tab ``tab_id``."""
        self.query_one("#record-tabs", TabbedContent).active = tab_id

    # -- loading -------------------------------------------------------------------------------

    def reload(self, *, keep: int | None = None) -> None:
        """Load every list's current page again (in workers), keeping record ``keep`` selected."""
        for tab in self.TABS:
            self._load(tab, keep)

    def _load(self, tab: RecordTab, keep: int | None = None) -> None:
        desk = self.desk_app.desk
        where = dict(tab.filters[self._filter[tab.id]][1])
        if where.get("assignee") is MINE:
            person = getattr(self.app, "person", None)
            mine = [self.desk_app.operator] + ([person.group] if person and person.group else [])
            where["assignee"] = mine
        offset = self._offset[tab.id]

        def fetch() -> None:
            try:
                page = tab.fetch(desk, where, offset, PAGE_SIZE)
            except Exception as err:
                self.post_message(self.PageLoaded(tab.id, None, keep, err))
                return
            self.post_message(self.PageLoaded(tab.id, page, keep, None))

        self.run_worker(fetch, thread=True, exclusive=True, group=f"list-{tab.id}")

    def on_record_tabs_screen_page_loaded(self, message: PageLoaded) -> None:
        tab = next(t for t in self.TABS if t.id == message.tab)
        if message.error is not None or message.page is None:
            self.desk_app.show_error(
                message.error or ValueError(), title=f"{tab.title}: not loaded"
            )
            return
        page = message.page
        table = self.query_one(f"#{tab.id}-table", DataTable)
        before = self.selected(tab)
        keep = message.keep if message.keep is not None else (before.id if before else None)
        table.clear()
        self._records[tab.id] = list(page.items)
        self._fill_rows(tab, table)
        at = next((i for i, r in enumerate(page.items) if r.id == keep), None)
        if at is not None:
            table.move_cursor(row=at)
        shown = (
            f"{page.offset + 1:,}–{page.offset + len(page.items):,} of {page.total:,}"
            if page.items
            else f"none here · {page.total:,} in all"
        )
        label = tab.filters[self._filter[tab.id]][0]
        keys = " · f filter" if len(tab.filters) > 1 else ""
        self.query_one(f"#{tab.id}-status", Static).update(
            Text(f"{label} · {shown}{keys} · [ ] pages", style="dim")
        )
        self._hint()

    # -- selection and steps -------------------------------------------------------------------

    def selected(self, tab: RecordTab | None = None) -> Any | None:
        """The record under the cursor of ``tab`` (default: the tab that shows), as loaded."""
        tab = tab or self.current
        if tab is None:
            return None
        rows = self._records[tab.id]
        cursor = self.query_one(f"#{tab.id}-table", DataTable).cursor_row
        return rows[cursor] if 0 <= cursor < len(rows) else None

    @on(DataTable.RowHighlighted)
    def _row_moved(self, event: DataTable.RowHighlighted) -> None:
        self._hint()

    def _hint(self) -> None:
        tab, record = self.current, self.selected()
        hint = self.query_one(".tabs-hint", Static)
        if tab is None or record is None:
            hint.update("")
            return
        offered = [
            a
            for a in tab.actions.values()
            if a.key and self._may(a) and record.state in a.step.source
        ]
        keys = " · ".join(f"{a.key} {a.step.label}" for a in offered)
        state = self.state_text(record)
        hint.update(
            Text.assemble(
                (f"{self.describe(record)} ", "bold"),
                f"{state} · ",
                (f"keys: {keys}", "dim") if keys else ("nothing to do on it", "italic"),
            )
        )

    def describe(self, record: Any) -> str:
        """How the hint line names a record (``task 12``)."""
        return f"{record.audit_type} {record.id}"

    def state_text(self, record: Any) -> str:
        """How the hint line says a record's state (``handed over``)."""
        return str(record.state).replace("_", " ")

    def _roles(self) -> frozenset[str] | None:
        person = getattr(self.app, "person", None)
        return None if person is None else frozenset(person.roles)

    def _may(self, action: RecordAction) -> bool:
        roles = self._roles()
        return roles is None or bool(roles & action.step.roles)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "step":
            tab = self.current
            found = tab.actions.get(str(parameters[1])) if tab is not None else None
            return found is not None and found.process == parameters[0] and self._may(found)
        if action in ("filter", "page"):
            return self.current is not None
        return True

    def action_step(self, process: str, name: str) -> None:
        """Fire step ``name`` on the selected record (through the app's one action runner)."""
        tab, record = self.current, self.selected()
        if tab is None or name not in tab.actions:
            return
        if record is None:
            self.notify("Nothing selected.", severity="warning")
            return
        self.desk_app.run_step(tab.facade, record, tab.actions[name])

    def action_filter(self) -> None:
        """Show the current list's next filter, from its first page."""
        tab = self.current
        if tab is None:
            return
        self._filter[tab.id] = (self._filter[tab.id] + 1) % len(tab.filters)
        self._offset[tab.id] = 0
        self._load(tab)

    def action_page(self, step: int) -> None:
        """The next (``1``) or previous (``-1``) page of the current list."""
        tab = self.current
        if tab is None:
            return
        offset = max(0, self._offset[tab.id] + step * PAGE_SIZE)
        if step > 0 and len(self._records[tab.id]) < PAGE_SIZE:
            self.notify("This is the last page.", severity="warning")
            return
        self._offset[tab.id] = offset
        self._load(tab)

    def action_refresh(self) -> None:
        """Load the lists again."""
        self.reload()

    def palette_commands(self) -> list[PaletteEntry]:
        """The palette's entries: every binding with an id that is offered here now."""
        found: dict[str, PaletteEntry] = {}
        for binding in self.BINDINGS:
            if not isinstance(binding, Binding) or not binding.id or binding.id.startswith("app."):
                continue
            _, action, params = parse(binding.action)
            if not self.check_action(action, params):
                continue
            name = f"{binding.id.split('.', 1)[0]}: {binding.description.lower()}"
            keys = self.app.get_key_display(binding)
            found.setdefault(
                name, PaletteEntry(name, f"{binding.tooltip} · key {keys}", binding.action)
            )
        return list(found.values())
