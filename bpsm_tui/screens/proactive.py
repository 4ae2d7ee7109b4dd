"""Proactive management: maintenance due, account contacts due, improvements, recurring disruptions.

Four lists paged from the database (:class:`~bpsm_tui.widgets.record_tabs.RecordTabsScreen`):

* **Maintenance** (``m``): tasks of the maintenance plans by due date (first the person's own
  and their group's, ``f`` for everyone's, done, skipped, all), with the service, the
  activity and the subject; overdue in red, due today in yellow. ``c`` completes (a note),
  ``s`` skips (the reason).
* **Account contacts** (``o``): the account-contact plans' tasks, the same keys (the library
  asks what the customers said).
* **Improvements** (``i``): by state (``f``) and source (``u``); ``n`` records a new one (its
  source, title, description and service), ``a`` assesses, ``p`` approves (the change it opened
  is shown), ``x`` drops with the reason.
* **Recurring disruptions** (``d``): the improvements the detector proposed, with the burst
  (service, calls, window); ``r`` runs the detector now, in a worker.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.binding import Binding, BindingType
from textual.message import Message

from bpsm import (
    Ask,
    BpsmError,
    Desk,
    DeskConfig,
    Improvements,
    ImprovementView,
    Maintenance,
    Page,
    TaskView,
)
from bpsm_tui.data.actions import actions_for
from bpsm_tui.data.format import error_text, local_time, record_label, staff_name
from bpsm_tui.dialogs.effort_dialog import EFFORT_BINDING, LogsEffort
from bpsm_tui.dialogs.relation_dialogs import KeptAskForm
from bpsm_tui.widgets.record_tabs import MINE, RecordTab, RecordTabsScreen, step_bindings

__all__ = ["ProactiveScreen"]

TASK_ACTIONS = actions_for(Maintenance.process)
IMPROVEMENT_ACTIONS = actions_for(Improvements.process)
_STATUS_STYLE = {"overdue": "bold red", "due": "yellow", "upcoming": "", "done": "green"}


def _status(task: TaskView) -> Text:
    return Text(task.status, style=_STATUS_STYLE.get(task.status, "dim"))


def _task_row(task: TaskView, config: DeskConfig) -> list[str | Text]:
    return [
        local_time(task.due_at, config.timezone),
        _status(task),
        task.service_id,
        Text(staff_name(config, task.assignee)),
        Text(task.subject or "—"),
        Text(task.activity),
    ]


def _contact_row(task: TaskView, config: DeskConfig) -> list[str | Text]:
    return [
        local_time(task.due_at, config.timezone),
        _status(task),
        task.service_id,
        Text(staff_name(config, task.assignee)),
        Text(task.note or task.skip_reason or ""),
    ]


def _change(improvement: ImprovementView) -> str:
    change = improvement.change_id
    return record_label("change", change) if change is not None else "—"


def _improvement_row(item: ImprovementView, config: DeskConfig) -> list[str | Text]:
    return [
        record_label("improvement", item.id),
        item.state,
        item.source.replace("_", " "),
        item.service_id or "—",
        _change(item),
        Text(item.title),
    ]


def _window(item: ImprovementView) -> str:
    window = item.burst_window
    if window is None:
        return "—"
    hours = window.total_seconds() / 3600
    return f"{hours / 24:g} days" if hours >= 24 else f"{hours:g} h"


def _disruption_row(item: ImprovementView, config: DeskConfig) -> list[str | Text]:
    return [
        record_label("improvement", item.id),
        item.state,
        item.service_id or "—",
        str(item.burst_calls or "—"),
        _window(item),
        local_time(item.burst_start, config.timezone),
        local_time(item.burst_end, config.timezone),
        _change(item),
    ]


def _tasks(kind: str) -> Any:
    def fetch(desk: Desk, where: dict[str, Any], offset: int, limit: int) -> Page[TaskView]:
        return desk.maintenance.tasks(kind=kind, offset=offset, limit=limit, **where)

    return fetch


def _improvements(
    desk: Desk, where: dict[str, Any], offset: int, limit: int
) -> Page[ImprovementView]:
    return desk.improvements.page(offset=offset, limit=limit, **where)


def _disruptions(
    desk: Desk, where: dict[str, Any], offset: int, limit: int
) -> Page[ImprovementView]:
    return desk.improvements.page(
        source="recurring_disruption", offset=offset, limit=limit, **where
    )


_TASK_FILTERS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("to do: mine and my group's", {"states": ("scheduled",), "assignee": MINE}),
    ("to do: everyone's", {"states": ("scheduled",)}),
    ("done", {"states": ("done",)}),
    ("skipped", {"states": ("skipped",)}),
    ("all", {}),
)
_IMPROVEMENT_FILTERS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("open (identified, assessed)", {"states": ("identified", "assessed")}),
    *((state, {"states": (state,)}) for state in Improvements.process.states),
    ("all", {}),
)


class ProactiveScreen(LogsEffort, RecordTabsScreen):
    """Due maintenance, account contacts, improvements and recurring disruptions."""

    CSS_PATH = "proactive.tcss"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (90, "-wide")]
    """Screen classes by width: the tab labels pack tighter below 90 columns."""
    HEADING = "Proactive — maintenance, account contacts, improvements"
    TABS = (
        RecordTab(
            "tasks",
            "Maintenance",
            "m",
            "maintenance",
            ("Due", "Status", "Service", "Assigned to", "Subject", "Activity"),
            _task_row,
            _tasks("maintenance"),
            _TASK_FILTERS,
            TASK_ACTIONS,
            narrow=(0, 1, 2, 5),  # the hint line names the task; the assignee: the filter
        ),
        RecordTab(
            "contacts",
            "Account contacts",
            "o",
            "maintenance",
            ("Due", "Status", "Service", "Account manager", "Note"),
            _contact_row,
            _tasks("account_contact"),
            _TASK_FILTERS,
            TASK_ACTIONS,
            narrow=(0, 1, 2, 4),
        ),
        RecordTab(
            "improvements",
            "Improvements",
            "i",
            "improvements",
            ("Number", "State", "Source", "Service", "Change", "Title"),
            _improvement_row,
            _improvements,
            _IMPROVEMENT_FILTERS,
            IMPROVEMENT_ACTIONS,
            narrow=(0, 1, 3, 4, 5),  # the source: u cycles it
        ),
        RecordTab(
            "disruptions",
            "Recurring disruptions",
            "d",
            "improvements",
            ("Number", "State", "Service", "Calls", "Window", "From", "To", "Change"),
            _disruption_row,
            _disruptions,
            _IMPROVEMENT_FILTERS,
            IMPROVEMENT_ACTIONS,
            narrow=(0, 1, 2, 3, 4, 5, 7),  # from: the window says how long
        ),
    )
    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(t.key, f"show_tab('{t.id}')", t.title, show=False, id=f"proactive.{t.id}",
                    tooltip=f"Show {t.title.lower()}")
            for t in TABS
        ),
        *step_bindings([*TASK_ACTIONS.values(), *IMPROVEMENT_ACTIONS.values()]),
        Binding("u", "source", "Source", show=False, id="improvement.source",
                tooltip="Show the improvements of the next source"),
        Binding("n", "identify", "New", id="improvement.identify",
                tooltip="Record an improvement idea: its source, title, description, service"),
        Binding("r", "detect", "Detect now", id="improvement.detect",
                tooltip="Run the recurring-disruption detector now"),
        EFFORT_BINDING,
        *RecordTabsScreen.COMMON_BINDINGS,
    ]  # fmt: skip
    """Tabs m/o/i/d; task keys c/s; improvement keys a/p/x; r runs the detector; t logs time."""

    class Identified(Message):
        """An improvement was recorded (or refused: the answers come back to the form)."""

        def __init__(
            self,
            made: ImprovementView | None,
            answers: dict[str, Any],
            error: BpsmError | None,
        ) -> None:
            super().__init__()
            self.made, self.answers, self.error = made, answers, error

    class Detected(Message):
        """The detector ran: the improvements it proposed (or why it could not run)."""

        def __init__(self, found: list[ImprovementView], error: Exception | None) -> None:
            super().__init__()
            self.found, self.error = found, error

    def __init__(self) -> None:
        super().__init__()
        self._source: str | None = None

    def effort_record(self) -> Any | None:
        return self.selected()  # None on a pane that lists no records

    def describe(self, record: Any) -> str:
        if isinstance(record, TaskView):
            when = record.due_at.strftime("%Y-%m-%d")
            what = record.activity if len(record.activity) <= 40 else record.activity[:39] + "…"
            return f"{record_label('task', record.id)} {what} · {record.service_id} · due {when} ·"
        return record_label("improvement", record.id)  # as the toasts and dialogs name it

    def state_text(self, record: Any) -> str:
        return record.status if isinstance(record, TaskView) else super().state_text(record)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        tab = self.current
        if action == "source":
            return tab is not None and tab.id == "improvements"
        if action == "identify":
            roles = self._roles()
            may = roles is None or bool(roles & Improvements.process.roles("identify"))
            return may and tab is not None and tab.id == "improvements"
        if action == "detect":
            roles = self._roles()
            may = roles is None or bool(roles & Improvements.process.roles("detect"))
            return may and tab is not None and tab.id == "disruptions"
        return super().check_action(action, parameters)

    def action_source(self) -> None:
        """Show the improvements of the next source (then all sources again)."""
        sources = (None, *Improvements.sources)
        self._source = sources[(sources.index(self._source) + 1) % len(sources)]
        self._load(self._with_source(), None)

    def _with_source(self) -> RecordTab:
        tab = self.TABS[2]
        source = self._source

        def fetch(desk: Desk, where: dict[str, Any], offset: int, limit: int) -> Page[Any]:
            chosen: dict[str, Any] = {} if source is None else {"source": source}
            return desk.improvements.page(offset=offset, limit=limit, **chosen, **where)

        filters = tuple(
            (f"{label} · source: {(source or 'any').replace('_', ' ')}", where)
            for label, where in tab.filters
        )
        return RecordTab(
            tab.id, tab.title, tab.key, tab.facade, tab.columns, tab.row, fetch, filters,
            tab.actions, tab.narrow,
        )  # fmt: skip

    def _load(self, tab: RecordTab, keep: int | None = None) -> None:
        if tab.id == "improvements" and self._source is not None and tab is self.TABS[2]:
            tab = self._with_source()
        super()._load(tab, keep)

    def action_identify(self, typed: dict[str, Any] | None = None, error: str = "") -> None:
        """Record an improvement idea; a refusal brings the form back with what was typed."""
        asks = [
            Ask(
                "source", "Where does it come from?", "choice", choices=tuple(Improvements.sources)
            ),
            Ask("title", "A short name for the idea"),
            Ask("description", "What should get better, and why?"),
            Ask("service_id", "The catalogue service it concerns (its id)", required=False),
        ]

        def answered(answers: dict[str, Any] | None) -> None:
            if answers is not None:
                self._identify(self.desk_app.desk, self.desk_app.operator, answers)

        form = KeptAskForm("New improvement", asks, typed=typed, error=error)
        self.app.push_screen(form, answered)

    @work(thread=True, exclusive=True, group="identify")
    def _identify(self, desk: Desk, by: str, answers: dict[str, Any]) -> None:
        try:
            made = desk.improvements.identify(by=by, **answers)
        except BpsmError as err:
            self.post_message(self.Identified(None, answers, err))
            return
        self.post_message(self.Identified(made, answers, None))

    def on_proactive_screen_identified(self, message: Identified) -> None:
        if message.error is not None:  # the form again, with what was typed and why
            self.action_identify(message.answers, error_text(message.error))
            return
        assert message.made is not None
        self.notify(
            f"{record_label('improvement', message.made.id)} identified: {message.made.title}",
            markup=False,
        )
        self.reload(keep=message.made.id)

    def action_detect(self) -> None:
        """Run the recurring-disruption detector now (in a worker)."""
        self.notify("Looking for recurring disruptions…", markup=False)
        self._detect(self.desk_app.desk, self.desk_app.operator)

    @work(thread=True, exclusive=True, group="detect")
    def _detect(self, desk: Desk, by: str) -> None:
        try:
            found = desk.improvements.detect_recurring_disruptions(by=by)
        except BpsmError as err:
            self.post_message(self.Detected([], err))
            return
        self.post_message(self.Detected(list(found), None))

    def on_proactive_screen_detected(self, message: Detected) -> None:
        if message.error is not None:
            self.desk_app.show_error(message.error)
            return
        if not message.found:
            self.notify("No new recurring disruption: no fresh burst of calls.", markup=False)
        for item in message.found:
            self.notify(
                f"{record_label('improvement', item.id)}: {item.burst_calls} calls on "
                f"{item.service_id} "
                f"within {_window(item)}",
                title="Recurring disruption detected",
                markup=False,
            )
        self.reload()
