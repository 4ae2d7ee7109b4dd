"""A dialog from what a step asks: one field per :class:`bpsm.Ask`, checked as the library will.

Used for every step that has no dialog shaped for it, so a step added to a process's table can be
fired from the desk at once. Answers are cleaned with the library's own :meth:`bpsm.Ask.take`, so
the dialog refuses exactly what the library would, with the same words, before anything is sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Label, Select

from bpsm import Ask, BpsmError
from bpsm_tui.data.format import speak
from bpsm_tui.dialogs.base import FIELD_BINDINGS, Dialog

__all__ = ["AskForm"]

_YES_NO = [("yes", True), ("no", False)]


class AskForm(Dialog[dict[str, Any]]):
    """One labelled field per question; enter on the last field (or ctrl+s) confirms."""

    KEYS = "tab/shift+tab/enter move · enter on the last field or ctrl+s confirms · esc cancel"
    BINDINGS: ClassVar[list[BindingType]] = [
        *FIELD_BINDINGS,
        Binding(
            "ctrl+s",
            "confirm",
            "Confirm",
            priority=True,
            id="ask.confirm",
            tooltip="Check the answers and fire the step",
        ),
    ]
    """Enter moves on (and confirms on the last field), tab/shift+tab move, ctrl+s confirms."""

    def __init__(
        self,
        title: str,
        asks: Iterable[Ask],
        *,
        subtitle: str = "",
        lists: Mapping[str, list[str]] | None = None,
    ) -> None:
        super().__init__(title, subtitle)
        self._asks = tuple(asks)
        self._lists = dict(lists or {})

    def _choices(self, ask: Ask) -> list[tuple[str, Any]]:
        if ask.kind == "yes_no":
            return _YES_NO
        values = list(ask.choices) or self._lists.get(ask.choices_from or "", [])
        return [(str(v).replace("_", " "), v) for v in values]  # words, the value as sent

    def body(self) -> ComposeResult:
        for ask in self._asks:
            said = ask.required or "(optional)" in ask.prompt  # the prompt may say it already
            yield Label(ask.prompt + ("" if said else " (optional)"), markup=False)
            field_id = f"ask-{ask.name}"
            if ask.kind in ("yes_no", "choice") and self._choices(ask):
                yield Select(
                    self._choices(ask),
                    id=field_id,
                    allow_blank=not ask.required or ask.kind == "yes_no",
                )
            elif ask.kind in ("int", "number"):
                yield Input(id=field_id, type="integer" if ask.kind == "int" else "number")
            else:
                hint = "one per line, separated by ;" if ask.kind == "lines" else ""
                yield Input(id=field_id, placeholder=hint)

    def _raw(self, ask: Ask) -> Any:
        widget = self.query_one(f"#ask-{ask.name}")
        if isinstance(widget, Select):
            return None if widget.is_blank() else widget.value
        value = widget.value.strip() if isinstance(widget, Input) else ""
        if not value:
            return None
        if ask.kind == "int":
            return int(value)
        if ask.kind == "number":
            return float(value)
        if ask.kind == "lines":
            return [part.strip() for part in value.split(";") if part.strip()]
        return value

    def confirm(self) -> None:
        """Check every answer as the library will; dismiss with them, or say what is wrong."""
        answers: dict[str, Any] = {}
        try:
            for ask in self._asks:
                answers[ask.name] = ask.take({ask.name: self._raw(ask)})
        except (BpsmError, ValueError) as err:
            self.show_error(speak(str(err)))
            return
        self.dismiss(answers)
