"""The operator's call queue: open calls one page at a time, today's KPIs on top.

The page, the KPIs and the allowed actions are loaded together in one exclusive thread worker
(never the whole queue: ``desk.calls.queue(offset, limit)`` pages in SQL), after every action,
on return from another screen and every :attr:`QueueScreen.REFRESH_EVERY` seconds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable, Footer, Static
from textual.worker import get_current_worker

from bpsm import BpsmError, CallView, KpiSnapshot, Page
from bpsm_tui.data.format import page_status
from bpsm_tui.screens.call_detail import CallDetailScreen
from bpsm_tui.screens.call_screen import (
    CALL_BINDINGS,
    COMMON_BINDINGS,
    CallScreen,
    allowed_hint,
)
from bpsm_tui.screens.new_call import NewCallOutcome, NewCallScreen
from bpsm_tui.widgets.call_table import CallTable
from bpsm_tui.widgets.kpi_bar import KpiBar

__all__ = ["QueueScreen"]


class QueueScreen(CallScreen):
    """Open calls, oldest first, a page at a time."""

    PAGE_SIZE = 40
    """Calls per page."""
    REFRESH_EVERY = 30.0
    """Seconds between automatic refreshes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "n",
            "new_call",
            "New call",
            id="call.new",
            tooltip="Register a new call (search the catalogue)",
        ),
        Binding(
            "enter",
            "open_call",
            "Details",
            id="call.details",
            priority=True,
            key_display="⏎",
            tooltip="Show the call with its contacts and audit trail",
        ),
        *CALL_BINDINGS,
        Binding(
            "pagedown,right_square_bracket",
            "page(1)",
            "Next page",
            id="view.next-page",
            priority=True,
            show=False,
            tooltip="Show the next page of calls",
        ),
        Binding(
            "pageup,left_square_bracket",
            "page(-1)",
            "Previous page",
            id="view.previous-page",
            priority=True,
            show=False,
            tooltip="Show the previous page of calls",
        ),
        Binding(
            "ctrl+home",
            "first_page",
            "First page",
            id="view.first-page",
            show=False,
            tooltip="Jump to the oldest open calls",
        ),
        Binding(
            "ctrl+end",
            "last_page",
            "Last page",
            id="view.last-page",
            show=False,
            tooltip="Jump to the newest open calls",
        ),
        Binding(
            "g",
            "refresh",
            "Refresh",
            id="view.refresh",
            tooltip="Load the queue and the KPIs again",
        ),
        *COMMON_BINDINGS,
    ]
    """n, enter and the call step keys; PgDn/PgUp (or ]/[) page, ctrl+home/end jump; g refreshes.

    The command palette lists these (:func:`~bpsm_tui.screens.call_screen.palette_from_bindings`).
    """

    class Loaded(Message):
        """A page, today's KPIs and what the operator may do to each call (from the worker)."""

        def __init__(
            self,
            request: int,
            page: Page[CallView],
            kpis: KpiSnapshot,
            services: dict[str, str],
            allowed: Mapping[int, Sequence[str]],
        ) -> None:
            super().__init__()
            self.request, self.page, self.kpis, self.services, self.allowed = (
                request,
                page,
                kpis,
                services,
                allowed,
            )

    class LoadFailed(Message):
        """The queue could not be loaded."""

        def __init__(self, error: Exception) -> None:
            super().__init__()
            self.error = error

    def __init__(self, *, page_size: int | None = None) -> None:
        super().__init__()
        self.page_size = page_size or self.PAGE_SIZE
        self._offset = 0
        self._total = 0
        self._keep: int | None = None
        self._pending_keep: int | None = None
        self._pending_last = False
        self._top = False
        self._requests = 0
        self._allowed: Mapping[int, Sequence[str]] = {}

    def compose(self) -> ComposeResult:
        yield KpiBar(id="kpi-bar")
        yield CallTable(id="calls")
        yield Static("Loading the queue…", id="queue-status")
        yield Static("", id="call-hint")
        yield Footer()

    def on_mount(self) -> None:
        self.watch(self.app, "person", self._show_person, init=True)
        self.set_interval(self.REFRESH_EVERY, self.reload)
        self.query_one(CallTable).focus()

    def on_screen_resume(self) -> None:
        # also on first show: the first load happens here
        self.reload()

    def _show_person(self) -> None:
        self.query_one(KpiBar).who = self.desk_app.who

    # -- data ----------------------------------------------------------------------------------

    def selected_call(self) -> CallView | None:
        return self.query_one(CallTable).selected_call

    def reload(self, *, keep: int | None = None, last_page: bool = False) -> None:
        # a call to keep in view (or a jump to the last page) asked for earlier stays wanted until
        # a load has delivered it, even if a newer reload overtakes the one that asked
        if keep is not None:
            self._pending_keep = keep
        self._pending_last = self._pending_last or last_page
        selected = self.selected_call()
        self._keep = (
            self._pending_keep
            if self._pending_keep is not None
            else (selected.id if selected else None)
        )
        self._requests += 1
        self._load(self._requests, self._offset, self._pending_last)

    @work(thread=True, exclusive=True, group="queue")
    def _load(self, request: int, offset: int, last_page: bool) -> None:
        desk, operator, size = self.desk_app.desk, self.desk_app.operator, self.page_size
        worker = get_current_worker()
        try:
            page = desk.calls.queue(offset=offset, limit=size)
            if page.total and (last_page or not page.items):
                last = (page.total - 1) // size * size
                if last != page.offset:
                    page = desk.calls.queue(offset=last, limit=size)
            kpis = desk.kpis.today()
            services = {s.id: s.name for s in desk.services.list(include_retired=True)}
            try:
                allowed = {c.id: desk.calls.allowed(c, operator) for c in page.items}
            except BpsmError:  # not on the staff list: may do nothing
                allowed = {c.id: [] for c in page.items}
        except Exception as err:
            self.post_message(self.LoadFailed(err))
            return
        if not worker.is_cancelled:
            self.post_message(self.Loaded(request, page, kpis, services, allowed))

    def on_queue_screen_loaded(self, message: Loaded) -> None:
        if message.request != self._requests:
            return  # an older load finished after a newer one was asked for
        page = message.page
        self._pending_keep, self._pending_last = None, False
        self._offset, self._total, self._allowed = page.offset, page.total, message.allowed
        table = self.query_one(CallTable)
        table.show(page.items, message.services, keep=self._keep, row=0 if self._top else None)
        self._top = False
        self.query_one(KpiBar).kpis = message.kpis
        self.query_one("#queue-status", Static).update(
            page_status(page.offset, len(page.items), page.total, self.page_size)
        )
        self._show_hint()

    def on_queue_screen_load_failed(self, message: LoadFailed) -> None:
        self.desk_app.show_error(message.error, title="Could not load the queue")

    @on(DataTable.RowHighlighted, "#calls")
    def _show_hint(self) -> None:
        call = self.selected_call()
        self.query_one("#call-hint", Static).update(
            allowed_hint(call, self._allowed.get(call.id) if call else None)
        )

    # -- actions -------------------------------------------------------------------------------

    def action_refresh(self) -> None:
        """Load the page and the KPIs again."""
        self.reload()

    def action_page(self, step: int) -> None:
        """Move ``step`` pages forward (or back)."""
        offset = self._offset + step * self.page_size
        if offset < 0 or offset >= max(self._total, 1):
            self.app.bell()
            return
        self._offset, self._top = offset, True
        self.reload()

    def action_first_page(self) -> None:
        """Jump to the oldest calls."""
        self._offset, self._top = 0, True
        self.reload()

    def action_last_page(self) -> None:
        """Jump to the newest calls."""
        self._top = True
        self.reload(last_page=True)

    def action_open_call(self) -> None:
        """Show the selected call with its contacts and audit trail."""
        call = self.selected_call()
        if call is None:
            self.notify("No call selected.", severity="warning")
            return
        self.app.push_screen(CallDetailScreen(call.id))

    def action_new_call(self) -> None:
        """Open the new-call form."""
        self.app.push_screen(NewCallScreen(), self._new_call_done)

    def _new_call_done(self, outcome: NewCallOutcome | None) -> None:
        if outcome is None:
            return
        call = outcome.call
        done = {"resolved": "resolved at first contact", "in_progress": "registered and accepted"}
        self.notify(f"{call.number} {done.get(call.state, 'registered')}", markup=False)
        self.reload(keep=call.id, last_page=True)
        if call.state == "resolved":
            self.desk_app.act(call, "close", first_contact=True)
