"""One change in full: the proposal, the service diff, the checklist and the audit timeline.

:class:`ChangeScreen` is what the board and this screen share: the change step keys (from the
change process's step table, fired only through the app's one action runner), a message area
that shows a refusal whole (an approval refused lists every unmet item) and the hint line saying
which keys work on the selected change for this person in its state.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Label, Static
from textual.worker import get_current_worker

from bpsm import AuditEvent, BpsmError, Changes, ChangeView, DefinitionDiff
from bpsm_tui.data.actions import RecordAction, actions_for
from bpsm_tui.data.format import error_text, event_details, local_time, record_label, staff_name
from bpsm_tui.dialogs.definition_dialog import DefinitionDialog, definition_text
from bpsm_tui.dialogs.effort_dialog import EFFORT_BINDING, LogsEffort, offer_only
from bpsm_tui.screens.call_screen import (
    COMMON_BINDINGS,
    PaletteCommand,
    bindings_for,
    palette_from_bindings,
)
from bpsm_tui.widgets.checklist import ChecklistView
from bpsm_tui.widgets.service_diff import ServiceDiff

if TYPE_CHECKING:
    from bpsm_tui.host import DeskHost

__all__ = [
    "CHANGE_ACTIONS",
    "CHANGE_BINDINGS",
    "ChangeDetailScreen",
    "ChangeScreen",
    "change_hint",
    "refusal_text",
]

CHANGE_ACTIONS: dict[str, RecordAction] = actions_for(Changes.process)
"""Each step of the change process, by this desk's name for it (``mark``, ``approve``...)."""

CHANGE_BINDINGS = bindings_for(CHANGE_ACTIONS)
"""The change step keys shared by the board and the detail screen (ids ``change.<name>``)."""

EDIT_ID = "change.edit-definition"
"""The detail screen's key for editing the proposed service (an amend of its definition)."""

_KINDS = {"add": "add a service", "modify": "modify a service", "retire": "retire a service"}


def state_words(state: str) -> str:
    """A change state in words: ``rolled_back`` → ``rolled back``."""
    return state.replace("_", " ")


def refusal_text(number: str, action: str, error: BaseException) -> Text:
    """A refused step, whole: the library's message, each unmet checklist item on its own line."""
    message = error_text(error)
    _, sep, rest = message.partition("unmet: ")
    out = Text.assemble((f"{number}: {action} refused — ", "bold red"))
    if not sep:
        return out + Text(message)
    out.append("the checklist is not met:")
    for item in re.split(r"(?<=\)); ", rest):  # "id (text); id (text); rollback plan: ..."
        out.append(f"\n  ✗ {item}")
    return out


def change_hint(change: ChangeView | None, allowed: Sequence[str] | None) -> Text:
    """``CH-000003 submitted · keys: k mark item · a approve …`` for the selected change."""
    if change is None:
        return Text("")
    head = Text.assemble((change.number, "bold"), f" {state_words(change.state)} · ")
    if allowed is None:
        return head + Text("…")
    keys = [
        f"{a.key} {a.step.label}" for a in CHANGE_ACTIONS.values() if a.trigger in allowed and a.key
    ]
    if not keys:
        return head + Text("you cannot act on this change", style="italic")
    return head + Text("keys: " + " · ".join(keys), style="dim")


class ChangeScreen(LogsEffort, Screen[None]):
    """A screen with a selected change that the change step keys (and ``t``) work on."""

    @property
    def desk_app(self) -> DeskHost:
        """The application hosting this screen (:class:`~bpsm_tui.host.DeskHost`)."""
        return cast("DeskHost", self.app)

    def effort_record(self) -> ChangeView | None:
        return self.selected_change()

    def allowed_now(self) -> Sequence[str] | None:
        """The steps the library allows this person on the selected change (None: not known)."""
        return None

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        """The footer offers only the steps allowed on the selected change now (the keys still
        work: one pressed anyway is refused with the reason, in the message area)."""
        return offer_only(super().active_bindings, self._offered)

    def _offered(self, binding: Binding) -> bool:
        allowed = self.allowed_now()
        if binding.id == EDIT_ID:  # editing the proposed service amends the change
            return allowed is None or "amend" in allowed
        action = next((a for a in CHANGE_ACTIONS.values() if a.id == binding.id), None)
        return action is None or allowed is None or action.trigger in allowed

    def selected_change(self) -> ChangeView | None:
        """The change the step keys act on, as last loaded."""
        raise NotImplementedError  # abstract: each screen knows its own selection

    def reload(self, *, keep: int | None = None) -> None:
        """Reload the screen's data in a worker (the app calls this after every action)."""
        raise NotImplementedError  # abstract: each screen knows its own data

    def action_act(self, name: str) -> None:
        """Run change step ``name`` on the selected change (the step's own dialog asks first)."""
        change = self.selected_change()
        if change is None:
            self.notify("No change selected.", severity="warning")
            return
        self.say(Text(""))
        self.desk_app.run_step("changes", change, CHANGE_ACTIONS[name])

    def step_done(self, record: Any, text: str) -> None:
        """The app reports a step that succeeded: say so in the message area."""
        self.say(Text(text, style="green"))

    def step_failed(self, record: Any, action: str, error: BaseException) -> None:
        """The app reports a refused step: show the library's whole message, never cut short."""
        number = getattr(record, "number", str(getattr(record, "id", "")))
        label = getattr(CHANGE_ACTIONS.get(action), "step", None)
        self.say(refusal_text(number, label.label if label else action, error))

    def say(self, text: Text) -> None:
        """Put ``text`` in the screen's message area (empty text hides it)."""
        area = self.query_one("#change-message", Static)
        area.update(text)
        area.display = bool(text.plain)

    def palette_commands(self) -> list[PaletteCommand]:
        """This screen's palette entries: its bindings, plus steps without a key."""
        keyless = [
            PaletteCommand(a.command, a.help, f"act('{a.name}')")
            for a in CHANGE_ACTIONS.values()
            if not a.key
        ]
        return [*palette_from_bindings(self), *keyless]


class ChangeDetailScreen(ChangeScreen):
    """A change's proposal, what it does to the service, its checklist and its history."""

    CSS_PATH = "change_detail.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape,backspace", "back", "Back", id="view.back", tooltip="Back to the change board"
        ),
        *CHANGE_BINDINGS,
        Binding(
            "e",
            "edit_definition",
            "Edit service",
            id=EDIT_ID,
            tooltip="Edit the proposed service definition (YAML); saving amends the change",
        ),
        Binding("g", "refresh", "Refresh", id="view.refresh", tooltip="Load the change again"),
        EFFORT_BINDING,
        *COMMON_BINDINGS,
    ]
    """Escape goes back; the change step keys act on this change; t logs time; g reloads it."""

    class Loaded(Message):
        """The change, its diff, its history and what the person may do (from the worker)."""

        def __init__(
            self,
            change: ChangeView,
            diff: DefinitionDiff,
            history: list[AuditEvent],
            allowed: Sequence[str],
        ) -> None:
            super().__init__()
            self.change, self.diff, self.history, self.allowed = change, diff, history, allowed

    class LoadFailed(Message):
        """The change could not be loaded."""

        def __init__(self, error: Exception) -> None:
            super().__init__()
            self.error = error

    def __init__(self, change_id: int) -> None:
        super().__init__()
        self.change_id = change_id
        self._change: ChangeView | None = None
        self._allowed: Sequence[str] | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text("Loading…"), id="change-title")
        with VerticalScroll(id="change-body"):
            yield Static("", id="change-fields")
            yield Label("Checklist", classes="section")
            yield ChecklistView("", id="change-checklist")
            yield Label("Proposed service", classes="section", id="change-diff-title")
            yield ServiceDiff("", id="change-diff")
            yield Label("History", classes="section")
            yield Static("", id="change-history")
        yield Static("", id="change-message")
        yield Static("", id="change-hint")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#change-message", Static).display = False
        self.query_one("#change-body", VerticalScroll).focus()
        self.reload()

    def selected_change(self) -> ChangeView | None:
        return self._change

    def action_edit_definition(self) -> None:
        """Edit the proposed service as YAML; saving amends the change (the library checks it)."""
        change = self._change
        if change is None:
            return
        if change.definition is None:
            self.say(Text(f"{change.number}: a retirement carries no definition to edit"))
            return
        amend = CHANGE_ACTIONS["amend"]

        def dialog(typed: Mapping[str, Any], error: str) -> DefinitionDialog:
            definition = typed.get("definition") or change.definition or {}
            return DefinitionDialog(
                f"Edit the proposed service · {change.number}",
                definition_text(definition),
                error=error,
                subtitle=change.summary,
            )

        self.say(Text(""))
        self.desk_app.run_step("changes", change, amend, dialog=dialog)

    def reload(self, *, keep: int | None = None) -> None:
        self._load(self.change_id)

    @work(thread=True, exclusive=True, group="change-detail")
    def _load(self, change_id: int) -> None:
        desk, operator = self.desk_app.desk, self.desk_app.operator
        worker = get_current_worker()
        try:
            change = desk.changes.get(change_id)
            diff = desk.changes.definition_diff(change_id)
            history = desk.history(change)
            try:
                allowed = [str(a) for a in desk.changes.allowed(change, operator)]
            except BpsmError:
                allowed = []
        except Exception as err:
            self.post_message(self.LoadFailed(err))
            return
        if not worker.is_cancelled:
            self.post_message(self.Loaded(change, diff, history, allowed))

    def allowed_now(self) -> Sequence[str] | None:
        return self._allowed

    def on_change_detail_screen_loaded(self, message: Loaded) -> None:
        change, diff, config = message.change, message.diff, self.desk_app.desk.config
        self._change, self._allowed = change, message.allowed
        self.refresh_bindings()
        self.query_one("#change-title", Static).update(
            Text.assemble(
                (f"{change.number}  ", "bold"),
                (change.summary, "bold"),
                f"  · {state_words(change.state)}",
            )
        )
        self.query_one("#change-fields", Static).update(self._fields(change, message.history))
        self.query_one("#change-checklist", ChecklistView).show(
            change.checklist, name=lambda who: staff_name(config, who), when=self._when
        )
        self.query_one("#change-diff-title", Label).update(_diff_title(diff))
        unchanged = "the proposal is the published definition as it is"
        if "amend" in message.allowed and change.definition is not None:
            unchanged += " · e edits the proposed service"
        self.query_one("#change-diff", ServiceDiff).show(diff.lines, empty=unchanged)
        self.query_one("#change-history", Static).update(self._history(message.history))
        self.query_one("#change-hint", Static).update(change_hint(change, message.allowed))

    def on_change_detail_screen_load_failed(self, message: LoadFailed) -> None:
        self.say(refusal_text(record_label("change", self.change_id), "loading", message.error))

    def _when(self, at: datetime | None) -> str:
        return local_time(at, self.desk_app.desk.config.timezone)

    def _fields(self, change: ChangeView, history: Sequence[AuditEvent]) -> Table:
        config = self.desk_app.desk.config
        grid = Table.grid(padding=(0, 2), expand=True)
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column(ratio=1)
        origin = (  # as the origin's own screen names it: IM-2, RC-3
            record_label(change.origin_type, change.origin_id or "") if change.origin_type else "—"
        )
        proposed = f"{self._when(change.proposed_at)} by {staff_name(config, change.proposed_by)}"
        decided = (
            f"{staff_name(config, change.decided_by)}"
            + (f": {change.decision_reason}" if change.decision_reason else "")
            if change.decided_by
            else "—"
        )
        rows = [
            ("Kind", f"{change.kind} ({_KINDS.get(change.kind, change.kind)})"),
            ("Service", change.service_id),
            ("Impact", change.impact),
            ("Rollback plan", change.rollback_plan or "none recorded"),
            ("Origin", origin),
            ("Proposed", proposed),
            ("Decided", decided),
            ("Catalogue", _versions(change, history)),
            ("Summary", change.summary),
        ]
        for label, value in rows:
            grid.add_row(label, Text(value))
        return grid

    def _history(self, events: Sequence[AuditEvent]) -> Table:
        config = self.desk_app.desk.config
        table = Table(expand=True, show_edge=False, pad_edge=False, header_style="bold")
        table.add_column("When", no_wrap=True)
        table.add_column("Who", ratio=1)
        table.add_column("What", no_wrap=True)
        table.add_column("From → to", no_wrap=True)
        table.add_column("Why / details", ratio=3)
        for e in events:
            details = event_details(e.reason, e.data)
            table.add_row(
                self._when(e.at),
                Text(staff_name(config, e.actor)),
                e.trigger.replace("_", " "),
                f"{state_words(e.from_state or '—')} → {state_words(e.to_state or '—')}",
                Text(details),
            )
        return table

    def action_back(self) -> None:
        """Back to the change board."""
        self.app.pop_screen()

    def action_refresh(self) -> None:
        """Load the change again."""
        self.reload()


def _diff_title(diff: DefinitionDiff) -> str:
    before = f"v{diff.before_version}" if diff.before_version else "nothing (new service)"
    after = f"v{diff.after_version}" if diff.after_version else "proposed"
    if diff.kind == "retire":
        after = "retired"
    return f"Proposed service {diff.service_id}: {before} → {after}"


def _versions(change: ChangeView, history: Sequence[AuditEvent]) -> str:
    """Which catalogue versions the change published and restored, from the record and audit."""
    if change.implemented_at is None:
        return "not implemented yet"
    before = f"v{change.previous_version}" if change.previous_version else "none (added)"
    after = f"v{change.published_version}" if change.published_version else "retired"
    text = f"implemented: {before} → {after}"
    rollback = next((e for e in history if e.trigger == "roll_back"), None)
    if rollback is not None and rollback.data:
        published, restores = (
            rollback.data.get("published_version"),
            rollback.data.get("restores_version"),
        )
        text += (
            f"; rolled back: v{published} restores v{restores}"
            if published
            else "; rolled back: the added service is taken out again"
        )
    return text
