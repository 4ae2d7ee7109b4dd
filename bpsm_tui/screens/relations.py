"""The account manager's desk: relation cases by state, and the account contacts falling due.

Cases are paged from the database (``desk.relations.queue``), open ones by default; ``f`` cycles
the filter through the open states, the closed ones and all. Enter opens the case as a guided
form (:class:`~bpsm_tui.screens.relation_case.RelationCaseScreen`); ``n`` opens a new case from
scratch (customer and request) for those the process lets open one. The panel below lists the
account-management contacts due in the next two weeks (the maintenance facade's account-contact
tasks), the person's own when they are an account manager.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import get_current_worker

from bpsm import Ask, BpsmError, Page, RelationCaseView, Relations, TaskView
from bpsm_tui.data.format import age, error_text, local_time
from bpsm_tui.dialogs.relation_dialogs import KeptAskForm
from bpsm_tui.screens.call_screen import COMMON_BINDINGS, PaletteCommand, palette_from_bindings
from bpsm_tui.screens.relation_case import RelationCaseScreen
from bpsm_tui.widgets.sized_table import SizedTable

if TYPE_CHECKING:
    from bpsm_tui.host import DeskHost

__all__ = ["FILTERS", "RelationCasesScreen"]

_PROCESS = Relations.process
_OPEN = tuple(s for s in _PROCESS.states if s not in _PROCESS.final)

#: The filter ``f`` cycles through: (its name, the states it shows; None: every state).
FILTERS: tuple[tuple[str, tuple[str, ...] | None], ...] = (
    ("open", _OPEN),
    *((s.replace("_", " "), (s,)) for s in _OPEN),
    ("closed", tuple(_PROCESS.final)),
    ("all", None),
)
NARROW = 100
"""Below this many columns the list leaves out when each case was opened and gives the customer
less room, so the request is readable at 80 columns."""
#: How far ahead the contacts panel looks, in days.
CONTACTS_AHEAD = 14
#: At most this many contacts in the panel (the rest are counted).
CONTACTS_SHOWN = 6


class RelationCasesScreen(Screen[None]):
    """Relation cases, one page at a time, and the account contacts due."""

    CSS_PATH = "relations.tcss"

    PAGE_SIZE = 30
    """Cases per page."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "open_case",
            "Open case",
            priority=True,
            key_display="⏎",
            id="relation.open-case",
            tooltip="Open the case as a guided form, step by step",
        ),
        Binding(
            "n",
            "new_case",
            "New case",
            id="relation.new",
            tooltip="Open a case for a request that did not come in as a call",
        ),
        Binding(
            "f",
            "cycle_filter",
            "Filter",
            id="relation.filter",
            tooltip="Cycle the filter: open, each open state, closed, all",
        ),
        Binding(
            "pagedown,right_square_bracket",
            "page(1)",
            "Next page",
            show=False,
            id="view.next-page",
            tooltip="Show the next page of cases",
        ),
        Binding(
            "pageup,left_square_bracket",
            "page(-1)",
            "Previous page",
            show=False,
            id="view.previous-page",
            tooltip="Show the previous page of cases",
        ),
        Binding("ctrl+r", "refresh", "Refresh", id="view.refresh", tooltip="Load the cases again"),
        *COMMON_BINDINGS,
    ]
    """Enter opens, n opens a new case, f cycles the filter, [ and ] page."""

    class Loaded(Message):
        """A page of cases and the contacts due (from the worker)."""

        def __init__(
            self, page: Page[RelationCaseView], contacts: list[TaskView], contacts_error: str
        ) -> None:
            super().__init__()
            self.page, self.contacts, self.contacts_error = page, contacts, contacts_error

    class LoadFailed(Message):
        """The cases could not be loaded."""

        def __init__(self, error: Exception) -> None:
            super().__init__()
            self.error = error

    class Opened(Message):
        """A new case was opened (from the worker)."""

        def __init__(self, case: RelationCaseView) -> None:
            super().__init__()
            self.case = case

    def __init__(self) -> None:
        super().__init__()
        self.filter_index = 0
        self.page_offset = 0
        self.cases: list[RelationCaseView] = []
        self.total = 0
        self._narrow = False
        self._width = 0

    @property
    def desk_app(self) -> DeskHost:
        """The application hosting this screen."""
        return cast("DeskHost", self.app)

    def compose(self) -> ComposeResult:
        yield Static("Relation cases", id="cases-title")
        yield SizedTable(id="cases", cursor_type="row", zebra_stripes=True)
        yield Static("", id="cases-status")
        yield Static("", id="contacts-due")
        yield Footer()

    def on_mount(self) -> None:
        self._narrow = self.app.size.width < NARROW
        self._add_columns()
        self.query_one("#cases", DataTable).focus()
        self.reload_records()

    def _add_columns(self) -> None:
        table = self.query_one("#cases", DataTable)
        table.add_column("Case", width=8, key="number")
        table.add_column("State", width=20, key="state")
        table.add_column("Customer", width=12 if self._narrow else 18, key="customer")
        if not self._narrow:  # the case's own screen says when it was opened
            table.add_column("Opened", width=7, key="opened")
        used = sum(c.width + 2 for c in table.columns.values()) + 2  # padding, the scrollbar
        self._width = self.app.size.width
        table.add_column("Request / need", width=max(self._width - used, 14), key="request")

    def on_resize(self) -> None:
        narrow = self.app.size.width < NARROW
        if narrow != self._narrow or self.app.size.width != self._width:
            selected = self.selected_case
            self._narrow = narrow
            self.query_one("#cases", DataTable).clear(columns=True)
            self._add_columns()
            self._show_cases(selected.id if selected is not None else None)

    def on_screen_resume(self) -> None:
        self.reload_records()

    @property
    def filter_name(self) -> str:
        """The filter's name: ``open``, ``received`` …, ``closed`` or ``all``."""
        return FILTERS[self.filter_index][0]

    def reload_records(self, *, keep: int | None = None) -> None:
        """Load the page of cases and the contacts due again (in a worker)."""
        self._load(FILTERS[self.filter_index][1], self.page_offset)

    @work(thread=True, exclusive=True, group="relation-cases")
    def _load(self, states: tuple[str, ...] | None, offset: int) -> None:
        desk, operator = self.desk_app.desk, self.desk_app.operator
        worker = get_current_worker()
        try:
            page = desk.relations.queue(offset=offset, limit=self.PAGE_SIZE, states=states)
        except Exception as err:
            self.post_message(self.LoadFailed(err))
            return
        contacts: list[TaskView] = []
        contacts_error = ""
        try:
            person = desk.person(operator)
            mine = operator if "account_manager" in person.roles else None
            due = desk.maintenance.due(assignee=mine, include_upcoming_days=CONTACTS_AHEAD)
            contacts = [t for t in due if t.kind == "account_contact"]
        except BpsmError as err:
            contacts_error = error_text(err)
        if not worker.is_cancelled:
            self.post_message(self.Loaded(page, contacts, contacts_error))

    def on_relation_cases_screen_loaded(self, message: Loaded) -> None:
        page = message.page
        selected = self.selected_case
        self.cases, self.total, self.page_offset = list(page.items), page.total, page.offset
        self._show_cases(selected.id if selected is not None else None)
        shown = len(page.items)
        where = (
            f"{page.offset + 1:,}–{page.offset + shown:,} of {page.total:,}"
            if shown
            else f"none of {page.total:,}"
        )
        self.query_one("#cases-title", Static).update(
            Text.assemble(
                ("Relation cases", "bold"),
                f" · {self.filter_name} · {where}",
                (f" · {self.desk_app.who}", "dim"),
            )
        )
        self.query_one("#cases-status", Static).update(
            Text("enter opens the case · n new case · [ ] page", style="dim")
        )
        self._show_contacts(message.contacts, message.contacts_error)

    def _show_cases(self, keep: int | None = None) -> None:
        table = self.query_one("#cases", DataTable)
        table.clear()
        for case in self.cases:
            cells = {
                "number": Text(case.number),
                "state": Text(case.state.replace("_", " ")),
                "customer": Text(case.customer),
                "opened": Text(age(case.opened_at)),
                "request": Text(f"{case.request}" + (f" — need: {case.need}" if case.need else "")),
            }
            table.add_row(*(cells[str(k.value)] for k in table.columns), key=str(case.id))
        if keep is not None and any(c.id == keep for c in self.cases):
            table.move_cursor(row=table.get_row_index(str(keep)))

    def _show_contacts(self, contacts: list[TaskView], error: str) -> None:
        zone = self.desk_app.desk.config.timezone
        lines = Text.assemble(
            ("Account contacts due", "bold"), f" (next {CONTACTS_AHEAD} days): {len(contacts)}"
        )
        if error:
            lines.append(f"\n  {error}", style="red")
        for task in contacts[:CONTACTS_SHOWN]:
            style = {"overdue": "red", "due": "yellow"}.get(task.status, "")
            lines.append(f"\n  {local_time(task.due_at, zone)} ")
            lines.append(f"{task.status:<8}", style=style)
            lines.append(f" {task.service_id}: {task.activity} ({task.assignee})")
        if len(contacts) > CONTACTS_SHOWN:
            lines.append(f"\n  … and {len(contacts) - CONTACTS_SHOWN} more", style="dim")
        self.query_one("#contacts-due", Static).update(lines)

    def on_relation_cases_screen_load_failed(self, message: LoadFailed) -> None:
        self.desk_app.show_error(message.error, title="Could not load the relation cases")

    @property
    def selected_case(self) -> RelationCaseView | None:
        """The case under the cursor."""
        table = self.query_one("#cases", DataTable)
        if not self.cases or table.cursor_row < 0 or table.cursor_row >= len(self.cases):
            return None
        return self.cases[table.cursor_row]

    # -- actions -------------------------------------------------------------------------------

    def action_open_case(self) -> None:
        """Open the selected case as a guided form."""
        case = self.selected_case
        if case is None:
            self.notify("No relation case selected.", severity="warning")
            return
        self.app.push_screen(RelationCaseScreen(case.id))

    @on(DataTable.RowSelected, "#cases")
    def _row_chosen(self) -> None:
        self.action_open_case()

    def action_cycle_filter(self) -> None:
        """On to the next filter, from the first page."""
        self.filter_index = (self.filter_index + 1) % len(FILTERS)
        self.page_offset = 0
        self.reload_records()

    def action_page(self, step: int) -> None:
        """The next (1) or previous (-1) page."""
        offset = self.page_offset + step * self.PAGE_SIZE
        if offset < 0 or offset >= max(self.total, 1):
            return
        self.page_offset = offset
        self.reload_records()

    def action_refresh(self) -> None:
        """Load the cases again."""
        self.reload_records()

    def action_new_case(self) -> None:
        """Ask for the customer and the request, then open the case (if this person may)."""
        person = getattr(self.app, "person", None)
        if person is not None:
            try:
                _PROCESS.require(person, "open")
            except BpsmError as err:
                self.desk_app.show_error(err)
                return
        asks = [Ask("customer", "Customer (who asks)"), Ask("request", "What do they ask for?")]

        def opened(answers: dict[str, Any] | None) -> None:
            if answers is not None:
                self._open(answers)

        self.app.push_screen(KeptAskForm("New relation case", asks), opened)

    @work(thread=True, exclusive=True, group="relation-open")
    def _open(self, answers: dict[str, Any]) -> None:
        desk, operator = self.desk_app.desk, self.desk_app.operator
        try:
            case = desk.relations.open(
                customer=answers["customer"], request=answers["request"], by=operator
            )
        except Exception as err:
            self.app.call_from_thread(self.desk_app.show_error, err)
            return
        self.post_message(self.Opened(case))

    def on_relation_cases_screen_opened(self, message: Opened) -> None:
        self.notify(f"{message.case.number} opened for {message.case.customer}", markup=False)
        self.app.push_screen(RelationCaseScreen(message.case.id))

    def palette_commands(self) -> list[PaletteCommand]:
        """This screen's palette entries (``relation: new case``...)."""
        return palette_from_bindings(self)
