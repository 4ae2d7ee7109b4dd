"""Dialogs of the relation-case form: a step's fields kept across a refusal, the ranked
alternatives to choose from, and a bespoke question with its reason.

Each is made from what was typed so far and the library's last message (both empty at first):
:meth:`bpsm_tui.app.DeskApp.run_step` brings the dialog back with them when the library refuses
the answers, so an explanation typed before a refusal is never lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Label, OptionList, Select
from textual.widgets.option_list import Option

from bpsm import Ask, BpsmError
from bpsm_tui.data.format import speak
from bpsm_tui.dialogs.ask_form import AskForm
from bpsm_tui.dialogs.base import FIELD_BINDINGS, Dialog

__all__ = [
    "AlternativesDialog",
    "AnswerDialog",
    "KeptAskForm",
    "ScrollingDialog",
    "suggestion_line",
]

#: The three questions of a bespoke assessment, as the form asks them, with what each weighs.
QUESTION_TEXT = {
    "feasible": "1 Is it technically feasible?",
    "want": "2 Do we want to? (policy & strategy, time, security impact, can we maintain it)",
    "budget": "3 Does it fit the customer's budget (can we invoice?) and does the customer agree?",
}
#: The four things "do we want to?" weighs, in the method's order, with their prompts.
CONSIDERATION_TEXT = {
    "policy_strategy": "Policy & strategy",
    "time": "Time",
    "security_impact": "Security impact",
    "maintainability": "Can we maintain it?",
}


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    return str(value)


class ScrollingDialog(Dialog[dict[str, Any]]):
    """A dialog of several fields (every :class:`Dialog` now scrolls its fields between the
    title and the error line, so a long form works at 80×24 and never hides what is wrong)."""


class KeptAskForm(AskForm):
    """The generic step form, filled with what was typed before and showing the last refusal."""

    def __init__(
        self,
        title: str,
        asks: Iterable[Ask],
        *,
        typed: Mapping[str, Any] | None = None,
        error: str = "",
        subtitle: str = "",
        needed: Iterable[str] = (),
    ) -> None:
        """``needed``: questions the step's guards require though the step asks them as optional
        (a refusal's explanation and options): labelled required, checked by the library."""
        super().__init__(title, asks, subtitle=subtitle)
        self._typed, self._error, self._needed = dict(typed or {}), error, set(needed)

    def body(self) -> ComposeResult:
        asks = iter(self._asks)
        for widget in super().body():
            if isinstance(widget, Label):
                ask = next(asks)
                if ask.name in self._needed:
                    widget = Label(f"{ask.prompt} (required)", markup=False)
            yield widget

    def on_mount(self) -> None:
        for ask in self._asks:
            value = self._typed.get(ask.name)
            if value is None:
                continue
            widget = self.query_one(f"#ask-{ask.name}")
            if isinstance(widget, Input):
                widget.value = _shown(value)
            elif isinstance(widget, Select):
                widget.value = value
        if self._error:
            self.show_error(self._error)
            named = [a for a in self._asks if self._error.startswith(f"{a.name}:")]
            if named:  # the field the refusal is about
                self.query_one(f"#ask-{named[0].name}").focus()


def suggestion_line(rank: int, hit: Any) -> Text:
    """``1 full     Laptop (laptop)`` or ``2 partial  Tablet (loan-device) — missing: pen`` for a
    :class:`bpsm.Suggestion`."""
    what = (
        f"{hit.name} ({hit.service_id})"
        if hit.kind == "service"
        else f"{hit.name} (standard delivery {hit.standard_delivery_id})"
    )
    line = Text.assemble(
        (f"{rank:>2} ", "bold"),
        (f"{hit.fit:<8}", "green" if hit.fit == "full" else "yellow"),
        what,
    )
    if hit.missing:
        line.append(f" — missing: {', '.join(hit.missing)}", style="italic")
    if hit.via:
        line.append(f" (via {hit.via})", style="dim")
    return line


class AlternativesDialog(Dialog[dict[str, Any]]):
    """The alternatives proposed on a case, best first: enter on one registers it."""

    KEYS = "↑/↓ choose · enter the customer takes it · esc cancel"

    def __init__(
        self, title: str, proposed: Sequence[Any], *, error: str = "", subtitle: str = ""
    ) -> None:
        super().__init__(title, subtitle)
        self._proposed, self._error = list(proposed), error

    def body(self) -> ComposeResult:
        yield Label("Full fits first; a partial fit says what is missing.")
        yield OptionList(
            *[
                Option(suggestion_line(i, hit), id=str(i - 1))
                for i, hit in enumerate(self._proposed, 1)
            ],
            id="alternatives",
        )

    def on_mount(self) -> None:
        if self._error:
            self.show_error(self._error)
        self.query_one("#alternatives", OptionList).focus()

    @on(OptionList.OptionSelected, "#alternatives")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        hit = self._proposed[int(event.option.id or 0)]
        if hit.kind == "service":
            self.dismiss({"service": hit.service_id})
        else:
            self.dismiss({"standard_delivery": hit.standard_delivery_id})


class AnswerDialog(ScrollingDialog):
    """One of the three bespoke questions: yes or no, and why (the four considerations of
    "do we want to?" in words, each optional)."""

    KEYS = "y/n answer · tab/enter next field · enter on the last field or ctrl+s records · esc"
    BINDINGS: ClassVar[list[BindingType]] = [
        *FIELD_BINDINGS,
        Binding(
            "ctrl+s",
            "confirm",
            "Record",
            priority=True,
            id="relation.answer-confirm",
            tooltip="Record the answer and its reason",
        ),
        Binding(
            "y",
            "choose(True)",
            "Yes",
            priority=True,
            id="relation.answer-yes",
            tooltip="Answer yes (on the yes/no field)",
        ),
        Binding(
            "n",
            "choose(False)",
            "No",
            priority=True,
            id="relation.answer-no",
            tooltip="Answer no (on the yes/no field)",
        ),
    ]
    """y or n answers (on the yes/no field), enter moves on, ctrl+s records."""

    def __init__(
        self,
        title: str,
        step_asks: Sequence[Ask],
        question: str,
        *,
        typed: Mapping[str, Any] | None = None,
        error: str = "",
    ) -> None:
        super().__init__(title, QUESTION_TEXT.get(question, question))
        self._asks = {a.name: a for a in step_asks}
        self._question, self._typed, self._error = question, dict(typed or {}), error

    def body(self) -> ComposeResult:
        yield Label("Yes or no?")
        yield Select([("yes", True), ("no", False)], id="answer-yes", allow_blank=True)
        yield Label("Why? (recorded with the answer)")
        yield Input(id="answer-reason")
        if self._question == "want":
            for name, prompt in CONSIDERATION_TEXT.items():
                yield Label(f"{prompt} (optional)")
                yield Input(id=f"answer-{name}")

    def on_mount(self) -> None:
        if self._typed.get("yes") is not None:
            self.query_one("#answer-yes", Select).value = self._typed["yes"]
        self.query_one("#answer-reason", Input).value = _shown(self._typed.get("reason"))
        for name, value in (self._typed.get("considerations") or {}).items():
            self.query(f"#answer-{name}").first(Input).value = _shown(value)
        if self._error:
            self.show_error(self._error)
        self.query_one("#answer-yes", Select).focus()

    def action_choose(self, yes: bool) -> None:
        """Answer yes or no, and go on to the reason (in a text field, y and n are letters)."""
        if isinstance(self.focused, Input):
            raise SkipAction
        self.query_one("#answer-yes", Select).value = yes
        self.query_one("#answer-reason", Input).focus()

    def confirm(self) -> None:
        """Check the answer as the library will, then record it."""
        chosen = self.query_one("#answer-yes", Select).value
        if chosen is Select.NULL:
            self.show_error(f"{self._question}: answer yes or no")
            return
        notes = {
            name: text
            for name in CONSIDERATION_TEXT
            for text in [v.value.strip() for v in self.query(f"#answer-{name}").results(Input)]
            if text
        }
        raw = {
            "question": self._question,
            "yes": chosen,
            "reason": self.query_one("#answer-reason", Input).value.strip() or None,
            "considerations": notes or None,
        }
        try:
            answers = {
                name: self._asks[name].take({name: value}) if name in self._asks else value
                for name, value in raw.items()
            }
        except (BpsmError, ValueError) as err:
            self.show_error(speak(str(err)))
            return
        self.dismiss(answers)
