"""The desk application: who is working, the queue screen, and running call actions.

Every call action goes through :meth:`DeskApp.act`: a quick pre-flight check (permission and
transition, with the library's own errors), the dialog the action needs, then the library call in
a thread worker with ``expected_version`` so two operators never overwrite each other. Results come
back as messages; any :class:`bpsm.BpsmError` becomes an error toast and changes nothing.
"""

from __future__ import annotations

from textual import work
from textual.app import App
from textual.message import Message
from textual.reactive import reactive

from bpsm import (
    BpsmError,
    CallView,
    ConcurrentModification,
    Desk,
    GuardFailed,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from bpsm.roles import Person
from bpsm_tui.commands import DeskCommands
from bpsm_tui.data.actions import ACTIONS, CallAction, perform, preflight
from bpsm_tui.data.format import error_text
from bpsm_tui.dialogs.call_dialogs import dialog_for
from bpsm_tui.screens.call_screen import CallScreen
from bpsm_tui.screens.queue import QueueScreen

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

    class CallActionDone(Message):
        """A call action succeeded; ``call`` is the call as it now stands."""

        def __init__(self, call: CallView, text: str) -> None:
            super().__init__()
            self.call, self.text = call, text

    class CallActionFailed(Message):
        """A call action was refused (or failed); nothing was changed."""

        def __init__(self, call: CallView, action: str, error: Exception) -> None:
            super().__init__()
            self.call, self.action, self.error = call, action, error

    def __init__(self, desk: Desk, operator: str, *, page_size: int | None = None) -> None:
        super().__init__()
        self.desk = desk
        self.operator = operator
        self._page_size = page_size
        self._identity_error: BpsmError | None = None
        self._acting = False

    @property
    def who(self) -> str:
        """The operator for the KPI bar: ``Anna de Vries (operator)``."""
        if self.person is not None:
            return f"{self.person.name} ({', '.join(sorted(self.person.roles))})"
        return f"{self.operator} (not on the staff list)" if self._identity_error else self.operator

    def on_mount(self) -> None:
        self.title = self.desk.config.name
        self.sub_title = self.operator
        self._identify()
        self.push_screen(QueueScreen(page_size=self._page_size))

    @work(thread=True, exclusive=True, group="staff")
    def _identify(self) -> None:
        try:
            self.post_message(self.Identified(self.desk.person(self.operator)))
        except BpsmError as err:
            self.post_message(self.Identified(None, err))

    def on_desk_app_identified(self, message: Identified) -> None:
        if message.error is not None:
            self._identity_error = message.error
            self.show_error(message.error, title="You cannot act on calls")
        self.person = message.person

    # -- call actions --------------------------------------------------------------------------

    def act(self, call: CallView, name: str, *, first_contact: bool = False) -> None:
        """Run call action ``name`` on ``call``: check, ask what it needs, then run it in a worker.

        Args:
            call: the call as the operator last saw it (its ``version`` guards the change).
            name: a key of :data:`bpsm_tui.data.actions.ACTIONS`.
            first_contact: the close right after "resolve now"; escape skips the survey.
        """
        action = ACTIONS[name]
        if self._acting:
            self.notify("Still saving the previous action — one moment.", severity="warning")
            return
        if self._identity_error is not None:
            self.show_error(self._identity_error, title="You cannot act on calls")
            return
        try:
            preflight(self.desk, self.person, call, action)
        except BpsmError as err:
            self.show_error(err)
            return
        dialog = dialog_for(action, call, self.desk.config, first_contact=first_contact)
        if dialog is None:
            self._start(call, action, None)
            return

        def answered(answer: object) -> None:
            if answer is not None:
                self._start(call, action, answer)
            elif first_contact:
                self.notify(f"{call.number} stays resolved; close it later with c.", markup=False)

        self.push_screen(dialog, answered)

    def _start(self, call: CallView, action: CallAction, answer: object) -> None:
        self._acting = True  # until the worker reports back: one action at a time
        self._perform(call, action, answer)

    @work(thread=True, exclusive=True, group="call-action")
    def _perform(self, call: CallView, action: CallAction, answer: object) -> None:
        try:
            view, text = perform(self.desk, self.operator, call, action, answer)  # type: ignore[arg-type]
        except Exception as err:  # noqa: BLE001 - every failure is shown; the library rolled back
            self.post_message(self.CallActionFailed(call, action.name, err))
            return
        self.post_message(self.CallActionDone(view, text))

    def on_desk_app_call_action_done(self, message: CallActionDone) -> None:
        self._acting = False
        self.notify(message.text, markup=False)
        self.reload_screens(keep=message.call.id)

    def on_desk_app_call_action_failed(self, message: CallActionFailed) -> None:
        self._acting = False
        self.show_error(message.error)
        if isinstance(message.error, ConcurrentModification | NotFound):
            self.reload_screens(keep=message.call.id)

    def reload_screens(self, *, keep: int | None = None) -> None:
        """Reload every call screen on the stack (the queue under a detail screen too)."""
        for screen in self.screen_stack:
            if isinstance(screen, CallScreen):
                screen.reload(keep=keep)

    def show_error(self, error: BaseException, *, title: str | None = None) -> None:
        """Show an error toast with the library's own message."""
        if title is None:
            title = next((t for kind, t in _ERROR_TITLES if isinstance(error, kind)), "Error")
        self.notify(error_text(error), title=title, severity="error", markup=False)


def run(desk: Desk, operator: str) -> None:
    """Run the desk TUI for ``operator`` (a staff id from desk.yaml) until they quit."""
    DeskApp(desk, operator).run()
