"""The desk app: who is working, the screens by area (Textual ``MODES``), and one action runner.

Every step a person fires goes through :meth:`DeskApp.act`: a quick pre-flight check
(permission and transition, with the library's own errors), the dialog built from what the step
asks, then ``desk.<facade>.fire`` in a thread worker with ``expected_version`` so two people
never overwrite each other. Results come back as :class:`DeskApp.ActionDone` /
:class:`DeskApp.ActionFailed` messages; any :class:`bpsm.BpsmError` becomes an error toast and
changes nothing. The runner knows no process: the change board, relation cases and proactive
screens use it as the call screens do. When a step is refused, what the person typed is kept and
the next dialog for that record and step opens with it.

The shell is generated from :data:`bpsm_tui.areas.AREAS`: one mode per area, the person lands in
their role's home area, number keys and the menu (F2, ``m``) switch areas they may open, ``?``
lists the current screen's keys (:mod:`bpsm_tui.screens.help`).
"""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, OptionList, Select

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
from bpsm_tui.areas import AREAS, Area, area, home_area, roles_text
from bpsm_tui.commands import DeskCommands
from bpsm_tui.data.actions import RecordAction, perform, preflight
from bpsm_tui.data.format import error_text, record_label, speak, state_label
from bpsm_tui.dialogs.base import Dialog
from bpsm_tui.dialogs.call_dialogs import dialog_for
from bpsm_tui.keys import OneKeyAtATime
from bpsm_tui.screens.call_screen import CALL_ACTIONS
from bpsm_tui.screens.help import HelpScreen, keys_of
from bpsm_tui.screens.menu import AreaMenu

__all__ = ["EXIT_AFTER_FIRST_PAINT", "DeskApp", "area_bindings", "prefill", "run"]

EXIT_AFTER_FIRST_PAINT = "BPSM_EXIT_AFTER_FIRST_PAINT"
"""Environment variable: ``1`` makes the desk exit right after its first queue page is painted,
printing nothing (``benchmarks/bench_queue.py`` times the start-up with it)."""

_ERROR_TITLES: tuple[tuple[type[BaseException], str], ...] = (
    (ConcurrentModification, "Changed by someone else — reloaded, please try again"),
    (PermissionDenied, "Not allowed"),
    (InvalidTransition, "Not possible in this state"),
    (GuardFailed, "Something is missing"),
    (ValidationError, "Invalid input"),
    (NotFound, "Not found"),
)


def area_bindings(areas: Sequence[Area] = AREAS) -> list[Binding]:
    """One number-key binding per area (id ``go.<mode>``, remappable in the keymap)."""
    return [
        Binding(
            a.key,
            f"app.go('{a.mode}')",
            a.title,
            show=False,
            id=f"go.{a.mode}",
            tooltip=f"Go to {a.title}",
        )
        for a in areas
    ]


def prefill(dialog: Screen[Any], answers: Mapping[str, Any]) -> None:
    """Put earlier answers back into a dialog's fields (found by the answer's name).

    A field is the widget with id ``<name>`` or ``ask-<name>``, else a list offering the value
    (highlighted again); a dialog with a single text field
    whose single text answer found no field by name (a reason prompt) takes it there.
    """
    rest = dict(answers)
    for name, value in answers.items():
        for widget in dialog.query(f"#{name}, #ask-{name}"):
            if isinstance(widget, Input) and value is not None:
                widget.value = "; ".join(value) if isinstance(value, list) else str(value)
            elif isinstance(widget, Select) and value is not None:
                widget.value = value
            elif isinstance(widget, OptionList):
                found = [i for i, o in enumerate(widget.options) if o.id == value]
                widget.highlighted = found[0] if found else widget.highlighted
            else:
                continue
            rest.pop(name, None)
            break
    for name, value in list(rest.items()):  # a choice from a list (the group to escalate to)
        for choices in dialog.query(OptionList):
            found = [i for i, o in enumerate(choices.options) if o.id == value]
            if found:
                choices.highlighted = found[0]
                rest.pop(name)
                break
    fields = list(dialog.query(Input))
    texts = [v for v in answers.values() if isinstance(v, str)]
    if len(rest) == len(answers) == len(texts) == len(fields) == 1:  # nothing placed by name
        fields[0].value = texts[0]


class DeskApp(OneKeyAtATime):
    """The service desk for one person on one :class:`bpsm.Desk`."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *area_bindings(),
        Binding(
            "f2,m",
            "menu",
            "Menu",
            id="app.menu",
            tooltip="Choose an area of the desk",
        ),
        Binding(
            "question_mark",
            "help",
            "Keys",
            id="app.help",
            tooltip="List every key of this screen (F1 also while typing in a field)",
        ),
        Binding("f1", "help", "Keys", show=False, id="app.help"),  # one line of help with ?
    ]
    """Number keys open areas (:data:`~bpsm_tui.areas.AREAS`), F2/m the menu, ? or F1 the keys."""

    CSS_PATH = Path(__file__).with_name("app.tcss")  # beside this module, for subclasses too
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
        self._moved = False  # the person chose an area before they were looked up
        self._drafts: dict[tuple[str, Any, str], dict[str, Any]] = {}
        self._keymap = dict(Settings().keymap if keymap is None else keymap)
        self._exit_after_paint = os.environ.get(EXIT_AFTER_FIRST_PAINT) == "1"
        self._exit_after_paint_done = False
        for row in AREAS:  # one mode per area of work (bpsm_tui.areas: one row each)
            options = {"page_size": page_size} if row.mode == "calls" else {}
            self.add_mode(row.mode, row.factory(**options))

    @property
    def who(self) -> str:
        """The person for the header: ``Anna de Vries (operator)``, ``Carla Mulder (change
        manager)``."""
        if self.person is not None:
            return f"{self.person.name} ({roles_text(self.person.roles)})"
        return f"{self.operator} (not on the staff list)" if self._identity_error else self.operator

    @property
    def roles(self) -> frozenset[str]:
        """The person's roles (none until looked up, or if not on the staff list)."""
        return self.person.roles if self.person is not None else frozenset()

    def on_mount(self) -> None:
        self.title = self.desk.config.name
        self.sub_title = self.operator
        self.set_keymap(self._keymap)
        self._identify()
        # land at once where the catalogue's staff list says (no database on the loop);
        # the person as the database knows them may move it when they are looked up
        staff = {m.id: frozenset(m.roles) for m in self.desk.config.staff}
        self.switch_mode(home_area(staff.get(self.operator, frozenset())).mode)

    @work(thread=True, exclusive=True, group="staff")
    def _identify(self) -> None:
        try:
            self.post_message(self.Identified(self.desk.person(self.operator)))
        except BpsmError as err:
            self.post_message(self.Identified(None, err))

    def on_queue_screen_loaded(self) -> None:
        # the queue's page message bubbles up here once the screen has shown it
        if self._exit_after_paint and not self._exit_after_paint_done:
            self._exit_after_paint_done = True
            self.call_after_refresh(self.exit)

    def on_desk_app_identified(self, message: Identified) -> None:
        if message.error is not None:
            self._identity_error = message.error
            self.show_error(message.error, title="You cannot act on this desk")
        self.person = message.person
        self.sub_title = self.who
        home = home_area(self.roles)
        if not self._moved and self.current_mode != home.mode:
            self.switch_mode(home.mode)

    # -- areas, the menu and the keys --------------------------------------------------------------

    def may_open(self, where: Area) -> bool:
        """Whether the person's roles reach area ``where``."""
        return bool(where.roles & self.roles)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # not over a dialog or a form: the key belongs to it
        return not (action in ("go", "menu") and isinstance(self.screen, ModalScreen))

    def action_go(self, mode: str) -> None:
        """Open area ``mode``, or say in one line which roles may."""
        where = area(mode)
        if self.person is None and self._identity_error is None:
            self.notify("Still looking you up on the staff list — one moment.", severity="warning")
            return
        if not self.may_open(where):
            yours = roles_text(self.roles) or "not on the staff list"
            self.notify(
                f"{where.title} is for {roles_text(where.roles)}; you are {yours}.",
                title="Not for your role",
                severity="warning",
                markup=False,
            )
            return
        self._moved = True
        if self.current_mode != mode:
            self.switch_mode(mode)

    def action_menu(self) -> None:
        """Open the menu of areas; the one chosen is opened."""

        def chosen(mode: str | None) -> None:
            if mode is not None:
                self.action_go(mode)

        self.push_screen(AreaMenu(self.roles, self.current_mode), chosen)

    def action_help(self) -> None:
        """List every key of the current screen, the keymap applied."""
        screen = self.screen
        if isinstance(screen, HelpScreen):
            return
        about = (type(screen).__doc__ or type(screen).__name__).strip().splitlines()[0]
        about = about.replace("``", "")
        here = next((a.title for a in AREAS if a.mode == self.current_mode), "")
        self.push_screen(HelpScreen(f"{here} · {about}" if here else about, keys_of(screen)))

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
            self._refused(record, action.name, err)
            return
        if dialog is not None:  # what was typed before a refusal (a conflict) comes back
            typed = self._drafts.get((facade, record.id, action.trigger), {})
            self._ask(facade, record, action, dialog, typed, "")
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
        draft_key = (facade, record.id, action.trigger)

        def answered(answers: dict[str, Any] | None) -> None:
            if answers is not None:
                self._drafts[draft_key] = answers  # kept until the step succeeds
                self._start(facade, record, action, answers)
            elif first_contact:
                self.notify(f"{record.number} stays resolved; close it later with c.", markup=False)

        self.push_screen(generic, answered)
        if draft := self._drafts.get(draft_key):
            generic.call_after_refresh(prefill, generic, draft)

    def draft(self, facade: str, record_id: Any, trigger: str) -> dict[str, Any] | None:
        """What was typed for ``trigger`` on a record the last time it was refused, if anything."""
        return self._drafts.get((facade, record_id, trigger))

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
            self._drafts[(facade, record.id, action.trigger)] = answers  # until it succeeds

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
        self._drafts.pop((facade, record.id, action.trigger), None)
        self.post_message(self.ActionDone(view, text))

    def on_desk_app_action_done(self, message: ActionDone) -> None:
        self._acting = False
        if callable(done := getattr(self.screen, "step_done", None)):
            done(message.record, speak(message.text))  # a screen with a message area says it there
        else:
            self.notify(speak(message.text), markup=False)
        self.reload_screens(keep=message.record.id)

    def on_desk_app_action_failed(self, message: ActionFailed) -> None:
        self._acting = False
        self._refused(message.record, message.action, message.error)
        if message.retry is not None:
            message.retry()  # the dialog again, with what was typed and the library's message
        if isinstance(message.error, ConcurrentModification | NotFound):
            self.reload_screens(keep=message.record.id)

    def _refused(self, record: Any, action: str, error: BaseException) -> None:
        """Say a step was refused: in the screen's own message area if it has one (it has
        ``step_failed``, as the change board does: the whole message, never cut), else a toast."""
        if callable(failed := getattr(self.screen, "step_failed", None)):
            failed(record, action, error)
        else:
            self.show_error(error, about=record)

    def reload_screens(self, *, keep: int | None = None) -> None:
        """Reload every screen on the stack that has records (the list under a detail too)."""
        for screen in self.screen_stack:
            # CallScreen, ChangeScreen... have ``reload``; the relation screens ``reload_records``
            reload = getattr(screen, "reload", None) or getattr(screen, "reload_records", None)
            if callable(reload):
                reload(keep=keep)

    def show_error(
        self, error: BaseException, *, title: str | None = None, about: Any = None
    ) -> None:
        """Show an error toast: the library's message, records and states as the screens say.

        With ``about`` (the record a refused step was for), a message that does not name it
        (a permission refusal) starts with its number and state: ``C-000006 waiting: customer:``.
        """
        if title is None:
            title = next((t for kind, t in _ERROR_TITLES if isinstance(error, kind)), "Error")
        text = error_text(error)
        if about is not None and getattr(about, "id", None) is not None:
            number = getattr(about, "number", None) or record_label(
                getattr(about, "audit_type", ""), about.id
            )
            if number not in text:
                state = getattr(about, "status", None) or state_label(
                    str(getattr(about, "state", "")),
                    is_exception=bool(getattr(about, "is_exception", False)),
                )
                text = f"{number} {state}: {text}"
        self.notify(text, title=title, severity="error", markup=False)


def run(desk: Desk, operator: str) -> None:
    """Run the desk TUI for ``operator`` (a staff id from desk.yaml) until they quit.

    With ``BPSM_EXIT_AFTER_FIRST_PAINT=1`` the desk quits right after its first queue page is
    painted and the process ends at once, without waiting for background workers still running
    (counts, KPIs), printing nothing: ``benchmarks/bench_queue.py`` times the start-up with it.
    """
    app = DeskApp(desk, operator)
    # what the start made (modules, tables, the catalogue) lives as long as the process: out of
    # the collector's sight, a full collection no longer walks it (on a million-call desk a
    # page key that met one took 100-120 ms more; 17 ms frozen)
    gc.freeze()
    if not app._exit_after_paint:
        app.run()
        return

    async def run_then_end() -> None:
        await app.run_async()
        os._exit(0)  # before asyncio waits for the worker threads

    asyncio.run(run_then_end())
