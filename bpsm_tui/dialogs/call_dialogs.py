"""The dialogs behind steps, and :func:`dialog_for`, which picks one from what the step asks.

Every dialog dismisses with the answers as a dict keyed by the step's :attr:`bpsm.Ask.name`
(or None when cancelled). The survey, the escalation and the contact have dialogs shaped for
them; a single text becomes a :class:`TextPrompt`; anything else gets the generic
:class:`~bpsm_tui.dialogs.ask_form.AskForm`, so a new step needs no new dialog."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Label, OptionList, Select
from textual.widgets.option_list import Option

from bpsm import CallView, DeskConfig, Step
from bpsm_tui.dialogs.ask_form import AskForm
from bpsm_tui.dialogs.base import Dialog
from bpsm_tui.dialogs.text_prompt import TextPrompt

__all__ = ["EscalateDialog", "LogContactDialog", "SurveyDialog", "dialog_for"]

EFFORT_QUESTION = "How much effort did it take you to get this solved?  1 very little – 7 a lot"
SATISFACTION_QUESTION = (
    "How satisfied are you with how we handled it?  1 very unhappy – 5 very happy"
)


def _about(call: CallView) -> str:
    return f"{call.caller}: {call.summary}"


class SurveyDialog(Dialog[dict[str, Any]]):
    """Close a resolved call with the customer's two answers (both optional, digits only)."""

    AUTO_FOCUS = "#effort"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+s",
            "confirm",
            "Close call",
            id="survey.confirm",
            tooltip="Close the call with the answers given so far",
        ),
    ]
    """ctrl+s closes the call from either field."""

    def __init__(self, call: CallView, *, first_contact: bool = False) -> None:
        super().__init__(f"Close {call.number} — ask the customer", _about(call))
        self.KEYS = "enter on effort: next · enter on satisfaction / ctrl+s: close the call · " + (
            "esc: skip, the call stays resolved" if first_contact else "esc: cancel"
        )

    def body(self) -> ComposeResult:
        yield Label(EFFORT_QUESTION)
        yield Input(
            id="effort", restrict=r"[1-7]?", max_length=1, placeholder="1–7, empty if not answered"
        )
        yield Label(SATISFACTION_QUESTION)
        yield Input(
            id="satisfaction",
            restrict=r"[1-5]?",
            max_length=1,
            placeholder="1–5, empty if not answered",
        )

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "effort":
            self.query_one("#satisfaction", Input).focus()
        else:
            self.action_confirm()

    def action_confirm(self) -> None:
        """Close the call with whatever was answered."""
        effort = self.query_one("#effort", Input).value
        satisfaction = self.query_one("#satisfaction", Input).value
        self.dismiss(
            {
                "effort": int(effort) if effort else None,
                "satisfaction": int(satisfaction) if satisfaction else None,
            }
        )


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
    step: Step, call: CallView, config: DeskConfig, *, first_contact: bool = False
) -> Dialog[Any] | None:
    """The dialog ``step`` needs for ``call`` (None when it asks nothing, or the survey is not due).

    ``first_contact`` marks the close right after "resolve now": escape then skips the survey.
    """
    names = [a.name for a in step.asks]
    title = f"{step.label[:1].upper()}{step.label[1:]} {call.number}"
    if not names:
        return None
    if names == ["effort", "satisfaction"]:
        return (
            SurveyDialog(call, first_contact=first_contact) if config.survey.due(call.id) else None
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
        lists={"groups": list(config.groups), "channels": list(config.channels)},
    )
