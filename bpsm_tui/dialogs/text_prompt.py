"""Ask for one line of text: a reason, a solution, what we are waiting for."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, Label

from bpsm_tui.dialogs.base import Dialog

__all__ = ["TextPrompt"]


class TextPrompt(Dialog[dict[str, str | None]]):
    """Dismisses with ``{name: text}`` (stripped; None if empty and not ``required``), or None."""

    AUTO_FOCUS = "#answer"

    def __init__(
        self,
        title: str,
        prompt: str,
        *,
        subtitle: str = "",
        required: bool = True,
        placeholder: str = "",
        value: str = "",
        name: str = "reason",
    ) -> None:
        super().__init__(title, subtitle)
        self._answer = name
        self._prompt, self._required = prompt, required
        self._placeholder, self._value = placeholder, value

    def body(self) -> ComposeResult:
        yield Label(self._prompt, markup=False)
        yield Input(self._value, placeholder=self._placeholder, id="answer")

    @on(Input.Submitted, "#answer")
    def _confirm(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if self._required and not text:
            self.show_error("This needs an answer (esc cancels).")
            return
        self.dismiss({self._answer: text or None})
