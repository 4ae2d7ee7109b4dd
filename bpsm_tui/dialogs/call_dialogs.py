"""The dialogs behind call actions, and :func:`dialog_for`, which picks the one an action asks."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Select
from textual.widgets.option_list import Option

from bpsm import CallView, DeskConfig
from bpsm_tui.data.actions import CallAction, Contact, Escalation, Survey
from bpsm_tui.dialogs.base import Dialog
from bpsm_tui.dialogs.text_prompt import TextPrompt

__all__ = ["EscalateDialog", "LogContactDialog", "SurveyDialog", "dialog_for"]

EFFORT_QUESTION = "How much effort did it take you to get this solved?  1 very little – 7 a lot"
SATISFACTION_QUESTION = "How satisfied are you with how we handled it?  1 very unhappy – 5 very happy"


def _about(call: CallView) -> str:
    return f"{call.caller}: {call.summary}"


class SurveyDialog(Dialog[Survey]):
    """Close a resolved call with the customer's two answers (both optional, digits only)."""

    AUTO_FOCUS = "#effort"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "confirm", "Close call", id="survey.confirm",
                tooltip="Close the call with the answers given so far"),
    ]
    """ctrl+s closes the call from either field."""

    def __init__(self, call: CallView, *, first_contact: bool = False) -> None:
        super().__init__(f"Close {call.number} — ask the customer", _about(call))
        self.KEYS = ("enter on effort: next · enter on satisfaction / ctrl+s: close the call · "
                     + ("esc: skip, the call stays resolved" if first_contact else "esc: cancel"))

    def body(self) -> ComposeResult:
        yield Label(EFFORT_QUESTION)
        yield Input(id="effort", restrict=r"[1-7]?", max_length=1, placeholder="1–7, empty if not answered")
        yield Label(SATISFACTION_QUESTION)
        yield Input(id="satisfaction", restrict=r"[1-5]?", max_length=1,
                    placeholder="1–5, empty if not answered")

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
        self.dismiss(Survey(int(effort) if effort else None, int(satisfaction) if satisfaction else None))


class EscalateDialog(Dialog[Escalation]):
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
        self.dismiss(Escalation(group, event.value.strip()))


class LogContactDialog(Dialog[Contact]):
    """Another contact with the customer: the channel and an optional note."""

    AUTO_FOCUS = "#note"
    KEYS = "tab/shift+tab move · enter confirm · esc cancel"

    def __init__(self, call: CallView, channels: list[str]) -> None:
        super().__init__(f"Log a contact on {call.number}", _about(call))
        self._channels = channels
        self._default = call.channel if call.channel in channels else channels[0]

    def body(self) -> ComposeResult:
        yield Label("Channel")
        yield Select([(c, c) for c in self._channels], value=self._default, allow_blank=False, id="channel")
        yield Label("Note (optional)")
        yield Input(placeholder="e.g. customer called back: still broken", id="note")

    @on(Input.Submitted, "#note")
    def _confirm(self, event: Input.Submitted) -> None:
        event.stop()
        channel = self.query_one("#channel", Select).value
        self.dismiss(Contact(str(channel), event.value.strip() or None))


def dialog_for(action: CallAction, call: CallView, config: DeskConfig, *,
               first_contact: bool = False) -> ModalScreen[object] | None:
    """The dialog ``action`` needs for ``call`` (None when it asks nothing).

    ``first_contact`` marks the close right after "resolve now": escape then skips the survey.
    """
    title = f"{action.label} {call.number}"
    match action.asks:
        case "reason" | "solution":
            return TextPrompt(title, action.prompt, subtitle=_about(call))
        case "optional_reason":
            return TextPrompt(title, action.prompt, subtitle=_about(call), required=False)
        case "survey":
            return SurveyDialog(call, first_contact=first_contact) if config.survey.due(call.id) else None
        case "escalation":
            return EscalateDialog(call, list(config.groups))
        case "contact":
            return LogContactDialog(call, list(config.channels))
    return None
