"""The dialogs behind steps, and :func:`dialog_for`, which picks one from what the step asks.

Every dialog dismisses with the answers as a dict keyed by the step's :attr:`bpsm.Ask.name`
(or None when cancelled). The survey, the escalation and the contact have dialogs shaped for
them, a catalogue service gets the catalogue search (:class:`ServiceDialog`); a single text
becomes a :class:`TextPrompt`; anything else gets the generic
:class:`~bpsm_tui.dialogs.ask_form.AskForm`, so a new step needs no new dialog."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Label, OptionList, Select
from textual.widgets.option_list import Option

from bpsm import BpsmError, CallView, DeskConfig, ServiceHit, Step, SurveyView
from bpsm_tui.data.format import error_text, record_label
from bpsm_tui.dialogs.ask_form import AskForm
from bpsm_tui.dialogs.base import FIELD_BINDINGS, Dialog
from bpsm_tui.dialogs.service_dialog import ServiceDialog
from bpsm_tui.dialogs.text_prompt import TextPrompt

__all__ = ["EscalateDialog", "LogContactDialog", "SurveyDialog", "dialog_for"]


def _about(record: Any) -> str:
    """The subtitle: a call's caller and summary; any other record's title or summary."""
    if isinstance(record, CallView):
        return f"{record.caller}: {record.summary}"
    if isinstance(record, SurveyView):
        if record.call_id is not None:
            return f"{record.caller}, about {record_label('call', record.call_id)}"
        return f"{record.department}: the relationship survey"
    for name in ("title", "summary", "description"):
        if text := getattr(record, name, None):
            return str(text)
    return ""


def _typed(text: str) -> int | str | None:
    """A typed answer as the library takes it: a whole number, or the text for it to refuse."""
    text = text.strip()
    if not text:
        return None
    return int(text) if text.isascii() and text.isdigit() else text


class SurveyDialog(Dialog[dict[str, Any]]):
    """Close a resolved call with the customer's answers, or record that they gave none.

    The questions are the close step's own (:attr:`bpsm.Step.asks`), and each answer is checked
    as the library will check it: ``99`` or ``abc`` is explained on the spot and never sent.
    Enter on effort goes to satisfaction, enter on satisfaction (or ctrl+s) closes the call with
    the answers; ctrl+n records that the customer did not answer. Closing with no answer at all
    is not a key: the dialog says to answer or press ctrl+n. Keys sent in one burst land in the
    field they were typed for (:data:`~bpsm_tui.dialogs.base.FIELD_BINDINGS`).
    """

    AUTO_FOCUS = "#effort"
    BINDINGS: ClassVar[list[BindingType]] = [
        *FIELD_BINDINGS,
        Binding(
            "ctrl+s",
            "confirm",
            "Close call",
            priority=True,
            id="survey.confirm",
            tooltip="Close the call with the answers given",
        ),
        Binding(
            "ctrl+n",
            "not_answered",
            "Did not answer",
            priority=True,
            id="survey.not-answered",
            tooltip="Close the call, recording that the customer did not answer the survey",
        ),
    ]
    """Enter moves on and closes, ctrl+s closes, ctrl+n: the customer did not answer."""

    FIELDS = ("effort", "satisfaction")
    """The answers this dialog asks for, by :attr:`bpsm.Ask.name`."""

    def __init__(self, call: CallView, step: Step, *, first_contact: bool = False) -> None:
        super().__init__(f"Close {call.number} — ask the customer", _about(call))
        self._asks = {a.name: a for a in step.asks if a.name in self.FIELDS}
        self._typing_error = False
        self.KEYS = "enter: next question, then close · ctrl+n: customer did not answer · " + (
            "esc: skip, the call stays resolved" if first_contact else "esc: cancel"
        )

    def body(self) -> ComposeResult:
        for name in self.FIELDS:
            ask = self._asks[name]
            yield Label(ask.prompt, markup=False)
            span = (
                f"{ask.low:g}–{ask.high:g}"
                if ask.low is not None and ask.high is not None
                else "a number"
            )
            yield Input(id=name, placeholder=f"{span}, empty if not answered")

    def _problem(self, name: str) -> str | None:
        """What is wrong with the answer typed for ``name`` (the library's words), or None."""
        try:
            self._asks[name].take({name: _typed(self.query_one(f"#{name}", Input).value)})
        except BpsmError as err:
            return error_text(err)
        return None

    @on(Input.Changed)
    def _check_as_typed(self, event: Input.Changed) -> None:
        # only this check's own message is cleared: a Changed arriving late (after a burst)
        # must not wipe what the confirmation just said
        event.stop()
        problems = [p for p in map(self._problem, self.FIELDS) if p]
        if problems or self._typing_error:
            super().show_error(problems[0] if problems else "")
            self._typing_error = bool(problems)

    def show_error(self, message: str) -> None:
        self._typing_error = False
        super().show_error(message)

    def _answers(self) -> dict[str, Any] | None:
        """The answers, or None after showing what is wrong (focus on the first wrong field)."""
        for name in self.FIELDS:
            problem = self._problem(name)
            if problem:
                self.show_error(problem)
                self._typing_error = True  # a field's problem: correcting the field clears it
                self.query_one(f"#{name}", Input).focus()
                return None
        return {n: _typed(self.query_one(f"#{n}", Input).value) for n in self.FIELDS}

    def confirm(self) -> None:
        """Close the call with the answers given (at least one), or say what is wrong."""
        answers = self._answers()
        if answers is None:
            return
        if all(v is None for v in answers.values()):
            self.show_error("No answers yet: type them, or ctrl+n if the customer did not answer.")
            return
        self.dismiss(answers)

    def action_not_answered(self) -> None:
        """Close the call recording that the customer did not answer (once typing has landed)."""
        self.after_typing(self._not_answered)

    def _not_answered(self) -> None:
        if any(self.query_one(f"#{n}", Input).value.strip() for n in self.FIELDS):
            self.show_error(
                "Answers are typed: close with them (enter), or clear them for 'did not answer'."
            )
            return
        self.dismiss({"survey": "not_answered"})


class EscalateDialog(Dialog[dict[str, Any]]):
    """Pick the group to hand the call to, and say why."""

    KEYS = "↑/↓ group · tab/enter to the reason · enter confirm · esc cancel"

    def __init__(self, call: CallView, groups: list[str]) -> None:
        super().__init__(f"Escalate {call.number}", _about(call))
        self._call = call
        self._groups = [g for g in groups if g != call.group]

    def body(self) -> ComposeResult:
        yield Label(f"Now with {self._call.group}. Hand over to:", markup=False)
        yield OptionList(*[Option(g, id=g) for g in self._groups], id="groups")
        yield Label("Why is it escalated?")
        yield Input(placeholder="e.g. needs a hardware swap on site", id="reason")

    def on_mount(self) -> None:
        groups = self.query_one("#groups", OptionList)
        groups.highlighted = 0 if self._groups else None
        groups.focus()

    @on(OptionList.OptionSelected, "#groups")
    def _group_chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.query_one("#reason", Input).focus()

    @on(Input.Submitted, "#reason")
    def _confirm(self, event: Input.Submitted) -> None:
        event.stop()
        groups = self.query_one("#groups", OptionList)
        if groups.highlighted is None:
            self.show_error("Choose the group to hand the call to.")
            return
        if not event.value.strip():
            self.show_error("Say why the call is escalated (esc cancels).")
            return
        group = groups.get_option_at_index(groups.highlighted).id or ""
        self.dismiss({"to_group": group, "reason": event.value.strip()})


class LogContactDialog(Dialog[dict[str, Any]]):
    """Another contact with the customer: the channel and an optional note."""

    AUTO_FOCUS = "#note"
    KEYS = "tab/shift+tab move · enter confirm · esc cancel"

    def __init__(self, call: CallView, channels: list[str]) -> None:
        super().__init__(f"Log a contact on {call.number}", _about(call))
        self._channels = channels
        self._default = call.channel if call.channel in channels else channels[0]

    def body(self) -> ComposeResult:
        yield Label("Channel")
        yield Select(
            [(c, c) for c in self._channels], value=self._default, allow_blank=False, id="channel"
        )
        yield Label("Note (optional)")
        yield Input(placeholder="e.g. customer called back: still broken", id="note")

    @on(Input.Submitted, "#note")
    def _confirm(self, event: Input.Submitted) -> None:
        event.stop()
        channel = self.query_one("#channel", Select).value
        self.dismiss({"channel": str(channel), "note": event.value.strip() or None})


def dialog_for(
    step: Step,
    call: CallView,
    config: DeskConfig,
    *,
    first_contact: bool = False,
    search: Callable[[str], list[ServiceHit]] | None = None,
) -> Dialog[Any] | None:
    """The dialog ``step`` needs for ``call`` (None when it asks nothing, or the survey is not due).

    Args:
        first_contact: the close right after "resolve now": escape then skips the survey.
        search: the catalogue search (``desk.services.search``); with it, a step that asks for
            a catalogue service gets the search dialog (else the generic form's text field).
    """
    names = [a.name for a in step.asks]
    number = getattr(call, "number", None) or record_label(getattr(call, "audit_type", ""), call.id)
    title = f"{step.label[:1].upper()}{step.label[1:]} {number.strip()}"
    if not names:
        return None
    if search is not None and any(a.choices_from == "services" for a in step.asks):
        return ServiceDialog(call, step, search)
    if {"effort", "satisfaction", "survey"} <= set(names):  # the close (answers or not)
        return (
            SurveyDialog(call, step, first_contact=first_contact)
            if config.survey.due(call.id)
            else None
        )
    if names == ["to_group", "reason"]:
        return EscalateDialog(call, list(config.groups))
    if names == ["channel", "note"]:
        return LogContactDialog(call, list(config.channels))
    if len(step.asks) == 1 and step.asks[0].kind == "text":
        ask = step.asks[0]
        prompt = (
            ask.prompt if ask.required or "(optional)" in ask.prompt else f"{ask.prompt} (optional)"
        )
        return TextPrompt(
            title, prompt, subtitle=_about(call), required=ask.required, name=ask.name
        )
    return AskForm(
        title,
        step.asks,
        subtitle=_about(call),
        lists={
            "groups": list(config.groups),
            "channels": list(config.channels),
            "checklist": [item.id for item in config.checklist],
        },
    )
