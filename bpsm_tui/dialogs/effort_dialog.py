"""Logging time on a record: one key (``t``, binding id ``effort.log``) on every record screen.

:class:`EffortDialog` asks the minutes and an optional note, shows what is logged on the record
so far, and logs through ``desk.effort.log`` in a worker. The library's rules decide (minutes a
whole number from 1 to ``desk.yaml``'s ``effort.max_minutes``, the note's length); a refusal is
said in the dialog, which stays open with what was typed.

:class:`LogsEffort` is what a screen adds to have the key: it says which record the key is for
(:meth:`LogsEffort.effort_record`, the call shown, the change under the cursor...); the key, the
permission check before the dialog opens and the confirmation are the mixin's, the same on every
screen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Label, Static

from bpsm import BpsmError, Desk, Effort, EffortEntry
from bpsm_tui.data.format import error_text, record_label, state_label
from bpsm_tui.dialogs.base import FIELD_BINDINGS, Dialog

if TYPE_CHECKING:
    from bpsm_tui.host import DeskHost

__all__ = [
    "EFFORT_BINDING",
    "EffortDialog",
    "LogsEffort",
    "minutes_text",
    "offer_only",
    "record_name",
]

EFFORT_BINDING = Binding(
    "t",
    "log_effort",
    "Log time",
    id="effort.log",
    tooltip="Log the minutes you spent on this record (with a note)",
)
"""The one key that logs time on the record a screen shows or has under its cursor."""


def record_name(record: Any) -> str:
    """A record as the screens name it: its own number (``C-000012``), else its label."""
    return getattr(record, "number", None) or record_label(record.audit_type, record.id)


def minutes_text(minutes: int) -> str:
    """``"1 h 05 min"`` for 65 minutes, ``"15 min"`` for 15, ``"none"`` for 0."""
    if minutes <= 0:
        return "none"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest:02d} min" if hours else f"{rest} min"


def offer_only(
    bindings: dict[str, ActiveBinding], offered: Callable[[Binding], bool]
) -> dict[str, ActiveBinding]:
    """``bindings`` with the ones not ``offered`` now left out of the footer.

    The keys still work, so a key pressed anyway is refused with the library's reason (the
    record's number and state), and the help screen still lists it.
    """
    return {
        key: active
        if not active.binding.show or offered(active.binding)
        else active._replace(binding=replace(active.binding, show=False))
        for key, active in bindings.items()
    }


class EffortDialog(Dialog[EffortEntry]):
    """Minutes and a note for one record; logs them itself and dismisses with the entry."""

    BINDINGS: ClassVar[list[BindingType]] = FIELD_BINDINGS
    KEYS = "enter next / log · esc cancel"

    class Logged(Message):
        """The worker logged the entry, or the library refused it."""

        def __init__(self, entry: EffortEntry | None, error: BaseException | None) -> None:
            super().__init__()
            self.entry, self.error = entry, error

    class Total(Message):
        """What is logged on the record so far: minutes and entries (or why it is not known)."""

        def __init__(self, minutes: int, entries: int, error: str = "") -> None:
            super().__init__()
            self.minutes, self.entries, self.error = minutes, entries, error

    def __init__(self, desk: Desk, by: str, record: Any, *, about: str = "") -> None:
        self.record, self.kind = record, str(record.audit_type)
        self._desk, self._by, self._busy = desk, by, False
        state = getattr(record, "status", None) or state_label(str(record.state))
        super().__init__(f"Log time on {record_name(record)} ({state})", about)

    def body(self) -> ComposeResult:
        limit = self._desk.config.effort.max_minutes
        yield Static(Text("Logged so far: …", style="dim"), id="effort-total")
        yield Label(f"Minutes (1–{limit:,})")
        yield Input(placeholder="e.g. 15", id="minutes")
        yield Label("Note (optional)")
        yield Input(placeholder="What the time went on", id="note")

    def on_mount(self) -> None:
        self.query_one("#minutes", Input).focus()
        self._load_total()

    @work(thread=True, exclusive=True, group="effort-total")
    def _load_total(self) -> None:
        try:
            minutes = self._desk.effort.total(self.kind, self.record.id)
            entries = self._desk.effort.list(self.kind, self.record.id, limit=1).total
        except BpsmError as err:
            self.post_message(self.Total(0, 0, error_text(err)))
            return
        self.post_message(self.Total(minutes, entries))

    def on_effort_dialog_total(self, message: Total) -> None:
        if message.error:
            text = Text(message.error, style="red")
        else:
            count = f" in {message.entries} entries" if message.entries > 1 else ""
            text = Text(f"Logged so far: {minutes_text(message.minutes)}{count}", style="dim")
        self.query_one("#effort-total", Static).update(text)

    def confirm(self) -> None:
        if self._busy:
            return
        typed = self.query_one("#minutes", Input).value.strip()
        # a whole number goes as one; anything else as typed, for the library to name it
        minutes: Any = int(typed) if typed.isdigit() else typed
        note = self.query_one("#note", Input).value.strip() or None
        self._busy = True
        self.show_error("Logging…")
        self._log(minutes, note)

    @work(thread=True, exclusive=True, group="effort-log")
    def _log(self, minutes: Any, note: str | None) -> None:
        try:
            entry = self._desk.effort.log(
                self.kind, self.record.id, minutes, by=self._by, note=note
            )
        except BpsmError as err:
            self.post_message(self.Logged(None, err))
            return
        self.post_message(self.Logged(entry, None))

    def on_effort_dialog_logged(self, message: Logged) -> None:
        self._busy = False
        if message.entry is not None:
            self.dismiss(message.entry)
            return
        text = error_text(message.error or ValueError())
        self.show_error(text)  # what was typed stays; the field it is about gets the focus
        self.query_one("#note" if text.startswith("note:") else "#minutes", Input).focus()


class LogsEffort(Screen[Any]):
    """A screen whose record (shown, or under the cursor) takes the effort key.

    Subclasses list :data:`EFFORT_BINDING` in their bindings and say which record it is for.
    """

    @property
    def desk_app(self) -> DeskHost:
        """The application hosting this screen."""
        return cast("DeskHost", self.app)

    def effort_record(self) -> Any | None:
        """The record the effort key logs on (a call, change, case, task... view), as loaded."""
        return None

    def effort_about(self, record: Any) -> str:
        """A line under the dialog's title saying what the record is about."""
        for name in ("summary", "request", "title", "activity", "description"):
            if text := getattr(record, name, None):
                return str(text)
        return ""

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        """The footer offers the effort key only to a role that may log effort (pressed anyway,
        it is refused with the reason)."""
        return offer_only(
            super().active_bindings,
            lambda binding: binding.id != EFFORT_BINDING.id or self.may_log_effort(),
        )

    def may_log_effort(self) -> bool:
        """Whether the person's role may log effort (unknown yet: offered)."""
        person = getattr(self.app, "person", None)
        return person is None or bool(Effort.roles & person.roles)

    def action_log_effort(self) -> None:
        """Ask the minutes and a note for the selected record, and log them."""
        record = self.effort_record()
        if record is None:
            self.notify("Nothing selected to log time on.", severity="warning")
            return
        person = getattr(self.app, "person", None)
        try:
            if person is not None:
                Effort.check(person)
        except BpsmError as err:
            failed = getattr(self, "step_failed", None)
            if callable(failed):  # a screen with a message area says it there
                failed(record, "log time", err)
            else:
                self.desk_app.show_error(err, title="Not allowed", about=record)
            return

        def logged(entry: EffortEntry | None) -> None:
            if entry is None:
                return
            self.notify(
                f"{record_name(record)}: {minutes_text(entry.minutes)} logged", markup=False
            )
            self.effort_logged(record)

        dialog = EffortDialog(
            self.desk_app.desk, self.desk_app.operator, record, about=self.effort_about(record)
        )
        self.app.push_screen(dialog, logged)

    def effort_logged(self, record: Any) -> None:
        """After an entry: reload what the screen shows (the history names the entry)."""
        for name in ("reload", "reload_records"):
            if callable(reload := getattr(self, name, None)):
                reload(keep=record.id)
                return
