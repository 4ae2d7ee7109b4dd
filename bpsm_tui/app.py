"""The desk app: who is working, the screens by area (Textual ``MODES``), and one action runner.

Every step a person fires goes through :meth:`DeskApp.act`: a quick pre-flight check
(permission and transition, with the library's own errors), the dialog built from what the step
asks, then ``desk.<facade>.fire`` in a thread worker with ``expected_version`` so two people
never overwrite each other. Results come back as :class:`DeskApp.ActionDone` /
:class:`DeskApp.ActionFailed` messages; any :class:`bpsm.BpsmError` becomes an error toast and
changes nothing. The runner knows no process: the change board, relation cases and proactive
screens use it as the call screens do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from textual import work
from textual.app import App
from textual.message import Message
from textual.reactive import reactive

from bpsm import (
    BpsmError,
    ConcurrentModification,
    Desk,
    GuardFailed,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    Person,
    Settings,
    ValidationError,
)
from bpsm_tui.areas import AREAS
from bpsm_tui.commands import DeskCommands
from bpsm_tui.data.actions import RecordAction, perform, preflight
from bpsm_tui.data.format import error_text
from bpsm_tui.dialogs.base import Dialog
from bpsm_tui.dialogs.call_dialogs import dialog_for
from bpsm_tui.screens.call_screen import CALL_ACTIONS, CallScreen

__all__ = ["DeskApp", "run"]

_ERROR_TITLES: tuple[tuple[type[BaseException], str], ...] = (
    (ConcurrentModification, "Changed by someone else — reloaded, please try again"),
    (PermissionDenied, "Not allowed"),
    (InvalidTransition, "Not possible in this state"),
    (GuardFailed, "Something is missing"),
    (ValidationError, "Invalid input"),
    (NotFound, "Not found"),
)


class DeskApp(App[None]):
    """The service desk for one operator on one :class:`bpsm.Desk`."""

    CSS_PATH = "app.tcss"
    TITLE = "bpsm desk"
    COMMANDS = App.COMMANDS | {DeskCommands}
    NOTIFICATION_TIMEOUT = 8
    person: reactive[Person | None] = reactive(None, always_update=True)
    """The operator as the desk knows them (None until looked up, or if not on the staff list)."""

    class Identified(Message):
        """The operator was looked up on the staff list (``error`` when they are not on it)."""

        def __init__(self, person: Person | None, error: BpsmError | None = None) -> None:
            super().__init__()
            self.person, self.error = person, error

    class ActionDone(Message):
        """A step succeeded; ``record`` is the record as it now stands."""

        def __init__(self, record: Any, text: str) -> None:
            super().__init__()
            self.record, self.text = record, text

    class ActionFailed(Message):
        """A step was refused (or failed); nothing was changed."""

        def __init__(
            self,
            record: Any,
            action: str,
            error: Exception,
            retry: Callable[[], None] | None = None,
        ) -> None:
            super().__init__()
            self.record, self.action, self.error, self.retry = record, action, error, retry

    def __init__(
        self,
        desk: Desk,
        operator: str,
        *,
        page_size: int | None = None,
        keymap: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.desk = desk
        self.operator = operator
        self._identity_error: BpsmError | None = None
        self._acting = False
        self._keymap = dict(Settings().keymap if keymap is None else keymap)
        for area in AREAS:  # one mode per area of work (bpsm_tui.areas: one row each)
            options = {"page_size": page_size} if area.mode == "calls" else {}
            self.add_mode(area.mode, area.factory(**options))

    @property
    def who(self) -> str:
        """The operator for the KPI bar: ``Anna de Vries (operator)``."""
        if self.person is not None:
            return f"{self.person.name} ({', '.join(sorted(self.person.roles))})"
        return f"{self.operator} (not on the staff list)" if self._identity_error else self.operator

    def on_mount(self) -> None:
        self.title = self.desk.config.name
        self.sub_title = self.operator
        self.set_keymap(self._keymap)
        self._identify()
        self.switch_mode("calls")

    @work(thread=True, exclusive=True, group="staff")
    def _identify(self) -> None:
        try:
            self.post_message(self.Identified(self.desk.person(self.operator)))
        except BpsmError as err:
            self.post_message(self.Identified(None, err))

    def on_desk_app_identified(self, message: Identified) -> None:
        if message.error is not None:
            self._identity_error = message.error
            self.show_error(message.error, title="You cannot act on this desk")
        self.person = message.person

    # -- running a step ----------------------------------------------------------------------------

    def act(self, call: Any, name: str, *, first_contact: bool = False) -> None:
        """Run call step ``name`` (a key of :data:`~bpsm_tui.screens.call_screen.CALL_ACTIONS`)."""
        self.run_step("calls", call, CALL_ACTIONS[name], first_contact=first_contact)

    def run_step(
        self,
        facade: str,
        record: Any,
        action: RecordAction,
        *,
        first_contact: bool = False,
        dialog: Callable[[Mapping[str, Any], str], Dialog[Any]] | None = None,
    ) -> None:
        """Fire ``action`` on ``record`` via ``desk.<facade>``: check, ask what it needs, run it.

        Args:
            facade: the desk attribute of the record's process (``calls``, ``changes``...).
            record: the record as the person last saw it (its ``version`` guards the change).
            action: the step, with this desk's key for it.
            first_contact: the close right after "resolve now": escape skips the survey.
            dialog: a dialog shaped for this step, made from the answers typed so far and an
                error line (both empty at first). When the library refuses the answers (a guard
                or a validation), the dialog comes back with what was typed and the library's
                message, so nothing typed is lost.
        """
        if self._acting:
            self.notify("Still saving the previous action — one moment.", severity="warning")
            return
        if self._identity_error is not None:
            self.show_error(self._identity_error, title="You cannot act on this desk")
            return
        try:
            preflight(getattr(self.desk, facade).process, self.person, record, action)
        except BpsmError as err:
            self.show_error(err)
            return
        if dialog is not None:
            self._ask(facade, record, action, dialog, {}, "")
            return
        generic = dialog_for(
            action.step,
            record,
            self.desk.config,
            first_contact=first_contact,
            search=self.desk.services.search,
        )
        if generic is None:
            self._start(facade, record, action, {})
            return

        def answered(answers: dict[str, Any] | None) -> None:
            if answers is not None:
                self._start(facade, record, action, answers)
            elif first_contact:
                self.notify(f"{record.number} stays resolved; close it later with c.", markup=False)

        self.push_screen(generic, answered)

    def _ask(
        self,
        facade: str,
        record: Any,
        action: RecordAction,
        dialog: Callable[[Mapping[str, Any], str], Dialog[Any]],
        typed: Mapping[str, Any],
        error: str,
    ) -> None:
        def answered(answers: dict[str, Any] | None) -> None:
            if answers is None:
                return

            def retry(err: str) -> None:
                self._ask(facade, record, action, dialog, answers, err)

            self._start(facade, record, action, answers, retry)

        self.push_screen(dialog(typed, error), answered)

    def _start(
        self,
        facade: str,
        record: Any,
        action: RecordAction,
        answers: dict[str, Any],
        retry: Callable[[str], None] | None = None,
    ) -> None:
        self._acting = True  # until the worker reports back: one action at a time
        self._perform(facade, record, action, answers, retry)

    @work(thread=True, exclusive=True, group="step")
    def _perform(
        self,
        facade: str,
        record: Any,
        action: RecordAction,
        answers: dict[str, Any],
        retry: Callable[[str], None] | None = None,
    ) -> None:
        try:
            view, text = perform(self.desk, facade, self.operator, record, action, answers)
        except Exception as err:
            again = None
            if retry is not None and isinstance(err, GuardFailed | ValidationError):
                again = partial(retry, error_text(err))
            self.post_message(self.ActionFailed(record, action.name, err, again))
            return
        self.post_message(self.ActionDone(view, text))

    def on_desk_app_action_done(self, message: ActionDone) -> None:
        self._acting = False
        self.notify(message.text, markup=False)
        self.reload_screens(keep=message.record.id)

    def on_desk_app_action_failed(self, message: ActionFailed) -> None:
        self._acting = False
        self.show_error(message.error)
        if message.retry is not None:
            message.retry()  # the dialog again, with what was typed and the library's message
        if isinstance(message.error, ConcurrentModification | NotFound):
            self.reload_screens(keep=message.record.id)

    def reload_screens(self, *, keep: int | None = None) -> None:
        """Reload every screen on the stack that shows records (the queue under a detail too)."""
        for screen in self.screen_stack:
            reload = screen.reload if isinstance(screen, CallScreen) else None
            reload = reload or getattr(screen, "reload_records", None)  # the other areas' screens
            if callable(reload):
                reload(keep=keep)

    def show_error(self, error: BaseException, *, title: str | None = None) -> None:
        """Show an error toast with the library's own message."""
        if title is None:
            title = next((t for kind, t in _ERROR_TITLES if isinstance(error, kind)), "Error")
        self.notify(error_text(error), title=title, severity="error", markup=False)


def run(desk: Desk, operator: str) -> None:
    """Run the desk TUI for ``operator`` (a staff id from desk.yaml) until they quit."""
    DeskApp(desk, operator).run()
