"""The call queue: filtered, searched and sorted in the database, a page at a time by key.

The key path is one exclusive thread worker that fetches one page (``desk.calls.find``: a
keyset page, never ``OFFSET``) and what the person may do to each call on it. The count, the
page's position and today's KPIs come from workers of their own, so paging, filtering and
searching never wait for them: one count at a time (keys typed on while it runs leave only the
newest page's count waiting behind it), each filter's total kept until the next reload, the KPIs
only on a reload. The page and the count run after every action, on return from another screen
and every :attr:`QueueScreen.REFRESH_EVERY` seconds; only the newest request paints.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Input, Static
from textual.worker import get_current_worker

from bpsm import BpsmError, CallView, Cursor, KeysetPage, KpiSnapshot
from bpsm_tui.data.format import page_status
from bpsm_tui.screens.call_detail import CallDetailScreen
from bpsm_tui.screens.call_screen import (
    CALL_BINDINGS,
    COMMON_BINDINGS,
    CallScreen,
    allowed_hint,
)
from bpsm_tui.screens.new_call import NewCallOutcome, NewCallScreen
from bpsm_tui.widgets.call_table import SORTS, CallTable, sort_key
from bpsm_tui.widgets.footer import DeskFooter
from bpsm_tui.widgets.kpi_bar import KpiBar

__all__ = ["QueueScreen", "QueueView"]

FILTERS = ("open", "mine", "group", "waiting", "overdue", "resolved", "closed", "referred", "all")
"""The filters in the order ``t`` steps through them (``desk.calls.find``'s filter names)."""
_FILTER_LABELS = {"group": "my group", "resolved": "resolved, not closed"}


@dataclass(frozen=True)
class QueueView:
    """What the queue shows: filter, search text, sort column and direction, and where."""

    filter: str = "open"
    search: str = ""
    sort: str = "age"
    descending: bool = False
    after: Cursor | None = None
    before: Cursor | None = None
    at: int | None = None
    last: bool = False
    widen: bool = False
    """A jump to call ``at``: if this list hides it, show it among all calls (a reload of the
    page a jump landed on only keeps its place: a call that left the list stays out)."""

    def moved(self, **where: Any) -> QueueView:
        """The same list, at another place (first page unless ``where`` says otherwise)."""
        place: dict[str, Any] = {
            "after": None,
            "before": None,
            "at": None,
            "last": False,
            "widen": False,
        }
        return replace(self, **{**place, **where})

    def describe(self) -> str:
        """``"open · search 'kim' · by age ↑"`` for the status line."""
        parts = [_FILTER_LABELS.get(self.filter, self.filter)]
        if self.search:
            parts.append(f"search {self.search!r}")
        parts.append(f"by {self.sort} {'↓' if self.descending else '↑'}")
        return " · ".join(parts)


def cut_note(page: KeysetPage[CallView], view: QueueView) -> str:
    """The status line's note on a page whose search read only some of the calls (else "").

    ``" · searched the first 10,000 calls only — PgDn searches on"``: a short search text is
    matched a bounded number of calls at a time (no index serves it), so a page can show fewer
    matches than there are, or none; the page key on goes on from the last call read.
    """
    if not page.cut:
        return ""
    backwards = view.before is not None or view.last
    key = "PgUp" if backwards else "PgDn"
    start = view.after is None and view.before is None and view.at is None
    read = (
        f"the {'last' if view.last else 'first'} {page.scanned:,} calls"
        if start or view.last
        else f"{page.scanned:,} more calls"
    )
    return f" · searched {read} only — {key} searches on"


def _width(text: str | Text) -> int:
    return text.cell_len if isinstance(text, Text) else cell_len(text)


def _binding(key: str, action: str, label: str, id: str, tooltip: str, **kw: Any) -> Binding:
    return Binding(key, action, label, id=id, tooltip=tooltip, **kw)


QUEUE_BINDINGS: list[BindingType] = [
    _binding("t", "filter(1)", "Filter", "queue.filter-next", "Show the next filter's calls"),
    _binding("T", "filter(-1)", "Filter back", "queue.filter-previous", "The previous filter",
             show=False),
    _binding("slash", "search", "Search", "queue.search", "Search number, caller and summary",
             key_display="/", priority=True),
    _binding("greater_than_sign", "sort(1)", "Sort", "queue.sort-next", "Sort by the next column",
             key_display=">"),
    _binding("less_than_sign", "reverse", "Reverse", "queue.sort-reverse",
             "Reverse the sort order", key_display="<", show=False),
    _binding("number_sign,ctrl+g", "jump", "Jump to", "queue.jump", "Jump to a call number",
             key_display="#", priority=True),
    _binding("pagedown,right_square_bracket", "page(1)", "Next page", "view.next-page",
             "Show the next page of calls", priority=True, show=False),
    _binding("pageup,left_square_bracket", "page(-1)", "Previous page", "view.previous-page",
             "Show the previous page of calls", priority=True, show=False),
    _binding("ctrl+home", "first_page", "First page", "view.first-page",
             "Jump to the first page", show=False, priority=True),
    _binding("ctrl+end", "last_page", "Last page", "view.last-page", "Jump to the last page",
             show=False, priority=True),
    _binding("escape", "leave_box", "Leave the box", "queue.leave-box",
             "Leave the search or jump box (a search clears)", priority=True, show=False),
    _binding("g", "refresh", "Refresh", "view.refresh", "Load the queue and the KPIs again"),
]  # fmt: skip
"""t/T filter, / search, >/< sort, # or ctrl+g jump, PgDn/PgUp (or ]/[) page, g refresh.

The keys that open the box and the page keys are priority keys: the app runs them the moment it
reads them, so what is typed right after (``/kim``, ``#123⏎``) lands in the box, in order.
"""

_TYPED_IN_BOX = frozenset({"search", "jump", "page", "first_page", "last_page"})
"""Actions whose keys are characters for the search / jump box while it has the focus."""


class QueueScreen(CallScreen):
    """The calls of one filter, a page at a time, with today's KPIs on top."""

    CSS_PATH = "queue.tcss"

    PAGE_SIZE = 40
    """Calls per page."""
    REFRESH_EVERY = 30.0
    """Seconds between automatic refreshes."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new_call", "New call", id="call.new",
                tooltip="Register a new call (search the catalogue)"),
        Binding("enter", "open_call", "Details", id="call.details", priority=True,
                key_display="⏎", tooltip="Show the call with its contacts and audit trail"),
        *CALL_BINDINGS,
        *QUEUE_BINDINGS,
        *COMMON_BINDINGS,
    ]  # fmt: skip
    """n, enter, the call step keys and the queue's keys (:data:`QUEUE_BINDINGS`).

    The command palette lists these (:func:`~bpsm_tui.screens.call_screen.palette_from_bindings`).
    """

    class Loaded(Message):
        """A page and what the person may do to each call on it (from the page worker)."""

        def __init__(
            self,
            request: int,
            view: QueueView,
            page: KeysetPage[CallView],
            services: dict[str, str] | None,
            allowed: Mapping[int, Sequence[str]],
        ) -> None:
            super().__init__()
            self.request, self.view, self.page = request, view, page
            self.services, self.allowed = services, allowed

    class Counted(Message):
        """How many calls match and where the page starts (from the count worker; ``total`` is
        None when it did not count: the page was no longer the newest, or the count failed)."""

        def __init__(self, request: int, total: int | None, position: int) -> None:
            super().__init__()
            self.request, self.total, self.position = request, total, position

    class KpisLoaded(Message):
        """Today's KPIs for the bar on top (from their own worker)."""

        def __init__(self, kpis: KpiSnapshot) -> None:
            super().__init__()
            self.kpis = kpis

    class LoadFailed(Message):
        """The queue could not be loaded."""

        def __init__(self, error: Exception) -> None:
            super().__init__()
            self.error = error

    def __init__(self, *, page_size: int | None = None) -> None:
        super().__init__()
        self.page_size = page_size or self.PAGE_SIZE
        self.view = QueueView()
        self._page: KeysetPage[CallView] = KeysetPage([], self.page_size, None, None)
        self._services: dict[str, str] | None = None
        self._keep: int | None = None
        self._top = False
        self._requests = 0
        self._allowed: Mapping[int, Sequence[str]] = {}
        self._jumping = False
        self._box_open = False
        self._hide_box_with: int | None = None  # the box closes with this request's page
        self._painted_request = 0
        self._after_paint: list[Callable[[], None]] = []
        self._said: dict[str, str | Text] = {}
        self._status_width = 0  # the widest status shown: the status line's width
        self._cut = ""  # the status line's note on a search that read only part of the list
        self._counting = False  # a count runs (one at a time)
        self._count_next: tuple[int, QueueView, Cursor | None] | None = None
        self._totals: dict[tuple[str, str], int] = {}
        self._position: int | None = None  # where the page on screen starts in its list
        """How many calls each filter and search holds, counted since the last reload."""
        self.painted = 0
        """How many pages this screen has painted (benchmarks and tests wait on it)."""
        self._kpis_waiting = False  # today's KPIs are loaded once the first page is painted

    def compose(self) -> ComposeResult:
        yield KpiBar(id="kpi-bar")
        yield CallTable(id="calls")
        yield Input(id="queue-input", classes="hidden")
        with Horizontal(id="queue-line"):
            yield Static("Loading the queue…", id="queue-status")
            yield Static("", id="queue-view")
        yield Static("", id="call-hint")
        yield DeskFooter()

    def on_mount(self) -> None:
        self.view = QueueView(filter=self._home_filter())
        self.watch(self.app, "person", self._show_person, init=True)
        self.set_interval(self.REFRESH_EVERY, self.reload)
        self.query_one(CallTable).focus()

    def on_screen_resume(self) -> None:
        self.reload()  # also on first show: the first load happens here

    def _home_filter(self) -> str:
        """A specialist (who takes no calls) starts on their group's calls; others on all open."""
        staff = {m.id: frozenset(m.roles) for m in self.desk_app.desk.config.staff}
        roles = self.desk_app.roles or staff.get(self.desk_app.operator, frozenset())
        return "group" if "specialist" in roles and "operator" not in roles else "open"

    def _show_person(self) -> None:
        self.query_one(KpiBar).who = self.desk_app.who

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in _TYPED_IN_BOX and isinstance(self.focused, Input):
            return None  # typed into the box: / and # show dimmed (the footer keeps its keys)
        if action == "leave_box":
            return self._box_open
        return super().check_action(action, parameters)

    # -- data ----------------------------------------------------------------------------------

    def selected_call(self) -> CallView | None:
        return self.query_one(CallTable).selected_call

    def reload(self, *, keep: int | None = None, last_page: bool = False) -> None:
        """Load the page shown again (or the last one), keeping call ``keep`` or the selection."""
        selected = self.selected_call()
        self._keep = keep if keep is not None else (selected.id if selected else None)
        if last_page:
            self.view = self.view.moved(last=True)
        self._totals, self._position = {}, None  # counted again: the calls may have changed
        self._show(self.view)
        # on a reload only: paging, filtering and searching leave them be; the first time only
        # once the first page is painted (they never delay it)
        if self.painted:
            self._load_kpis()
        else:
            self._kpis_waiting = True

    def _show(self, view: QueueView, *, top: bool = False) -> None:
        # the view asked for is the view from now on: keys typed ahead (``ttt``, ``>>``) each
        # step on from the one before, not from the page still on screen
        self.view = view
        self._top = self._top or top
        self._requests += 1
        self._say("#queue-view", view.describe())
        self._load(self._requests, view, self._services is None)

    @work(thread=True, exclusive=True, group="queue")
    def _load(self, request: int, view: QueueView, with_services: bool) -> None:
        desk, person, worker = self.desk_app.desk, self.desk_app.operator, get_current_worker()
        try:
            page = self._find(view)
            if view.widen and not page.items:  # not in this list: look among all
                view = view.moved(filter="all", search="", at=view.at, widen=True)
                page = self._find(view)
            services = None
            if with_services:
                services = {s.id: s.name for s in desk.services.list(include_retired=True)}
            try:  # the person read once for the page (``desk.calls.allowed`` reads them per call)
                who, process = desk.person(person), desk.calls.process
                allowed = {c.id: process.allowed(c.state, who, record=c) for c in page.items}
            except BpsmError:  # not on the staff list: may do nothing
                allowed = {c.id: [] for c in page.items}
        except Exception as err:
            self.post_message(self.LoadFailed(err))
            return
        if not worker.is_cancelled:
            self.post_message(self.Loaded(request, view, page, services, allowed))

    def _find(self, view: QueueView) -> KeysetPage[CallView]:
        found = self.desk_app.desk.calls.find(
            filter=view.filter,
            search=view.search,
            sort=view.sort,
            descending=view.descending,
            after=view.after,
            before=view.before,
            at=view.at,
            last=view.last,
            limit=self.page_size,
            by=self._by(view),
        )
        if view.widen and found.items[:1] and found.items[0].id != view.at:
            return KeysetPage([], self.page_size, None, None)  # the call is not in this list
        return found

    def _by(self, view: QueueView) -> str | None:
        return self.desk_app.operator if view.filter in ("mine", "group") else None

    def _ask_count(self, request: int, view: QueueView, first: Cursor | None) -> None:
        """Count for the page painted: at once if no count runs, else once it is done (only
        the newest page's count waits: counts never pile up behind keys typed on)."""
        if self._counting:
            self._count_next = (request, view, first)
            return
        self._counting = True
        self._count(request, view, first)

    @work(thread=True, exclusive=True, group="queue-count")
    def _count(self, request: int, view: QueueView, first: Cursor | None) -> None:
        calls, worker = self.desk_app.desk.calls, get_current_worker()
        total: int | None = None
        position = 0
        try:
            if request != self._requests:
                return  # another page was asked for before this one's count started
            f, s, by = view.filter, view.search, self._by(view)
            totals = self._totals  # a reload meanwhile starts a new one: this one is dropped
            total = totals.get((f, s))
            if total is None:  # the total per filter and search, until the next reload
                total = totals[(f, s)] = calls.count(filter=f, search=s, by=by)
            on_first = first is None or view == view.moved()  # the first page starts at 0
            if not on_first and not worker.is_cancelled and request == self._requests:
                position = calls.count(
                    filter=f, search=s, by=by, before=first, descending=view.descending
                )
        except Exception as err:
            total = None
            self.post_message(self.LoadFailed(err))
        finally:  # always: the next count waits for this message
            self.post_message(self.Counted(request, total, position))

    @work(thread=True, exclusive=True, group="queue-kpis")
    def _load_kpis(self) -> None:
        try:
            kpis = self.desk_app.desk.kpis.today()
        except Exception as err:
            self.post_message(self.LoadFailed(err))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(self.KpisLoaded(kpis))

    def _kpis_after_first_page(self) -> None:
        if self._kpis_waiting:
            self._kpis_waiting = False
            self.call_after_refresh(self._load_kpis)

    def on_queue_screen_kpis_loaded(self, message: KpisLoaded) -> None:
        self.query_one(KpiBar).kpis = message.kpis

    def on_queue_screen_loaded(self, message: Loaded) -> None:
        if message.request != self._requests:
            return  # an older load finished after a newer one was asked for
        before, on_screen = self._page, self.view
        page, self.view, self._page = message.page, replace(message.view, widen=False), message.page
        self._position = self._known_position(before, on_screen, page, self.view)
        if message.services is not None:
            self._services = message.services
        self._allowed = message.allowed
        keep = self._keep
        table = self.query_one(CallTable)
        table.show(
            page.items,
            self._services or {},
            keep=keep,
            row=0 if self._top else None,
            sorted_by=(self.view.sort, self.view.descending),
        )
        self._top = False
        if self._hide_box_with is not None and self._hide_box_with <= message.request:
            self._hide_box()  # the box closes in the frame of the page it asked for
        self.painted += 1
        self._say("#queue-view", self.view.describe())
        self._cut = cut_note(page, self.view)
        total = self._totals.get((self.view.filter, self.view.search))
        known = total is not None and self._position is not None
        if known:  # paged on in a list counted before: no count needed, one frame for the key
            assert total is not None and self._position is not None
            self._say_count(self._position, total)
        else:
            shown = f"{len(page.items):,} calls shown · counting…" if page.items else "No calls"
            self._say("#queue-status", shown + self._cut)
        self._show_hint()
        self._painted_request = message.request
        self._kpis_after_first_page()
        if self._after_paint:  # keys for the page typed while it loaded: one by one, in order
            self._after_paint.pop(0)()
            if self._painted_request != self._requests:
                return  # that key asked for another page: counted once it is painted
        first = page.items[0] if page.items else None
        cursor = (
            Cursor(self.view.sort, sort_key(first, self.view.sort), first.id) if first else None
        )
        if not known:  # counted once the page is on screen: the count never delays a key's page
            self.call_after_refresh(self._ask_count, message.request, self.view, cursor)

    def _known_position(
        self,
        before: KeysetPage[CallView],
        on_screen: QueueView,
        page: KeysetPage[CallView],
        view: QueueView,
    ) -> int | None:
        """Where ``page`` starts in its list, when the page before it on screen tells (the page
        after or before it in the same list, the first page, the last of a list counted), else
        None (a count will tell)."""
        if view == view.moved():
            return 0
        same = (on_screen.filter, on_screen.search, on_screen.sort, on_screen.descending) == (
            view.filter,
            view.search,
            view.sort,
            view.descending,
        )
        if view.last:
            total = self._totals.get((view.filter, view.search))
            return None if total is None else max(total - len(page.items), 0)
        if not same or self._position is None:
            return None
        if view.after is not None and view.after == before.next:
            return self._position + len(before.items)
        if view.before is not None and view.before == before.previous:
            return max(self._position - len(page.items), 0)
        return None

    def _say_count(self, position: int, total: int) -> None:
        shown, size = len(self._page.items), self.page_size
        text = page_status(position, shown, total, size)
        if position % size:  # a page found by key need not start on a multiple
            text = text.split(" · page")[0]
        # room for the widest status of this list at once (its last page): paging on in it
        # never widens the line, so it never lays the screen out again
        widest = page_status(max(total - size, 0), size, total, size) + self._cut
        self._say("#queue-status", text + self._cut, room=_width(widest))

    def on_queue_screen_counted(self, message: Counted) -> None:
        self._counting = False
        if self._count_next is not None:
            waiting, self._count_next = self._count_next, None
            self._ask_count(*waiting)
        if message.request != self._requests or message.total is None:
            return
        self._position = message.position
        self._say_count(message.position, message.total)

    def on_queue_screen_load_failed(self, message: LoadFailed) -> None:
        self._painted_request, self._after_paint = self._requests, []  # keys typed for it: void
        if self._hide_box_with is not None:
            self._hide_box()
        self._kpis_after_first_page()
        self.desk_app.show_error(message.error, title="Could not load the queue")

    @on(DataTable.RowHighlighted, "#calls")
    def _show_hint(self) -> None:
        call = self.selected_call()
        self._say("#call-hint", allowed_hint(call, self._allowed.get(call.id) if call else None))

    def _say(self, line: str, text: str | Text, *, room: int = 0) -> None:
        """Show ``text`` on status line ``line`` (a selector), unless it shows it already: each
        update costs a frame of its own, and a page key must not wait behind one that changes
        nothing. ``room``: the status line's width to keep from now on, at least."""
        before = self._said.get(line)
        if before == text:
            return
        self._said[line] = text
        widget = self.query_one(line, Static)
        if line != "#queue-status":  # the hint and the view fill their width: no layout
            widget.update(text, layout=False)
            return
        # the status is as wide as the widest text it has shown: a text of another width
        # (``40 calls shown · counting…``, then ``Calls 81–120 of 271,000``) lays the screen
        # out again only when it is wider than any before, not twice a page
        room = min(room, self.size.width // 2)  # the view beside it keeps half the line
        width = max(_width(text), room) + widget.styles.gutter.width  # its padding
        wider = width > self._status_width
        if wider:
            self._status_width = width
            widget.styles.width = width
        widget.update(text, layout=wider)  # wider: drawn again once laid out

    @on(DataTable.HeaderSelected, "#calls")
    def _sort_by_header(self, event: DataTable.HeaderSelected) -> None:
        column = str(event.column_key.value)
        if column in SORTS:
            same = column == self.view.sort
            self._show(self.view.moved(sort=column, descending=same and not self.view.descending))

    # -- search and jump -----------------------------------------------------------------------

    def _open_input(self, *, jumping: bool) -> None:
        box = self.query_one("#queue-input", Input)
        self._jumping, self._box_open, self._hide_box_with = jumping, True, None
        box.placeholder = "call number, e.g. C-000123 or 123" if jumping else "search"
        box.value = "" if jumping else self.view.search
        box.remove_class("hidden")
        self.set_focus(box)  # at once, not after the keys already typed: they are for the box

    def _close_input(self, then: Callable[[str], None]) -> None:
        """Give the table the focus now (the keys typed next are for it), then call ``then`` with
        the box's text once the box has handled the keys typed into it.

        The box goes with the page ``then`` asks for: hidden in the frame that paints it, so the
        screen is laid out and the table drawn once for the key, not once for the box and again
        for the page; at once when ``then`` asks for none (or it fails)."""
        box = self.query_one("#queue-input", Input)
        self._box_open = False
        self.set_focus(self.query_one(CallTable))

        def close() -> None:
            asked = self._requests
            then(box.value.strip())
            if self._requests == asked:
                self._hide_box()
            else:
                self._hide_box_with = self._requests

        box.call_later(close)

    def _hide_box(self) -> None:
        self._hide_box_with = None
        if not self._box_open:  # not opened again meanwhile
            self.query_one("#queue-input", Input).add_class("hidden")

    @on(Input.Changed, "#queue-input")
    def _search_as_typed(self, event: Input.Changed) -> None:
        text = event.input.value.strip()  # what the box holds now: a burst's last key wins
        if self._box_open and not self._jumping and text != self.view.search:
            self._show(self.view.moved(search=text), top=True)

    def _submit_box(self) -> None:
        self._close_input(self._jump_to if self._jumping else self._search_for)

    def _search_for(self, text: str) -> None:
        if text != self.view.search:
            self._show(self.view.moved(search=text), top=True)

    def _jump_to(self, text: str) -> None:
        digits = text.upper().removeprefix("C-").removeprefix("C")
        if not digits.isdigit() or not 0 < int(digits) < 10**9:
            self.notify(f"{text!r} is not a call number", severity="error", markup=False)
            return
        self._keep = int(digits)
        self._show(self.view.moved(at=int(digits), widen=True), top=True)

    def action_leave_box(self) -> None:
        """Escape leaves the search or jump box (a search clears)."""
        self._close_input(lambda _: self._search_for("") if not self._jumping else None)

    # -- actions -------------------------------------------------------------------------------

    def action_refresh(self) -> None:
        """Load the page and the KPIs again."""
        self.reload()

    def action_filter(self, step: int) -> None:
        """Show the next (or previous) filter's calls, from the first page."""
        index = (FILTERS.index(self.view.filter) + step) % len(FILTERS)
        self._show(self.view.moved(filter=FILTERS[index]), top=True)

    def action_search(self) -> None:
        """Type to search the number, caller and summary; enter keeps it, escape clears it."""
        self._open_input(jumping=False)

    def action_jump(self) -> None:
        """Ask for a call number and show the page that starts with it."""
        self._open_input(jumping=True)

    def action_sort(self, step: int) -> None:
        """Sort by the next column (number, caller, service, state, group, age)."""
        index = (SORTS.index(self.view.sort) + step) % len(SORTS)
        self._show(self.view.moved(sort=SORTS[index], descending=False), top=True)

    def action_reverse(self) -> None:
        """Reverse the sort order."""
        self._show(self.view.moved(descending=not self.view.descending), top=True)

    def action_page(self, step: int) -> None:
        """Move to the next (``1``) or previous (``-1``) page, by key."""
        if self._waiting_for_page(lambda: self.action_page(step)):
            return
        cursor = self._page.next if step > 0 else self._page.previous
        if cursor is None:
            self.app.bell()
            return
        where = {"after": cursor} if step > 0 else {"before": cursor}
        self._show(self.view.moved(**where), top=True)

    def action_first_page(self) -> None:
        """Jump to the first page."""
        self._show(self.view.moved(), top=True)

    def action_last_page(self) -> None:
        """Jump to the last page."""
        self._show(self.view.moved(last=True), top=True)

    def _waiting_for_page(self, then: Callable[[], None]) -> bool:
        """Whether a page asked for is still on its way; if so ``then`` runs once it is painted
        (a key typed ahead — ``/kim⏎⏎``, ``]c`` — is for the page it was typed after)."""
        if self._painted_request != self._requests:
            self._after_paint.append(then)
            return True
        return False

    def action_act(self, name: str) -> None:
        """Fire step ``name`` on the selected call (of the page asked for, once painted)."""
        if not self._waiting_for_page(lambda: self.action_act(name)):
            super().action_act(name)

    def action_open_call(self) -> None:
        """Show the selected call with its contacts and audit trail (in the box: submit it)."""
        if isinstance(self.focused, Input):  # enter is a priority key: the box gets it here
            self._submit_box()
            return
        if self._waiting_for_page(self.action_open_call):
            return
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
        self.notify(outcome.line, markup=False)
        if call.state == "referred":  # out of the queue, on to relation management
            self.reload()
        else:
            self._keep = call.id
            self._show(self.view.moved(at=call.id, widen=True))
        if call.state == "resolved":
            self.desk_app.act(call, "close", first_contact=True)
