"""Edit a change's proposed service definition as YAML, the way the catalogue files read.

A change opened from an improvement starts as the service exactly as published; the change
manager (or the proposer) writes what should be different here. ``ctrl+s`` amends the change
with the edited definition; the library checks it with the catalogue's own schema, and a refusal
brings the dialog back with the text as typed and the library's message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import yaml
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Label, TextArea

from bpsm_tui.dialogs.base import Dialog

__all__ = ["DefinitionDialog", "definition_text"]


def definition_text(definition: Mapping[str, Any]) -> str:
    """A definition as YAML, keys in the schema's order, long text kept readable."""
    return yaml.safe_dump(dict(definition), sort_keys=False, allow_unicode=True, width=88)


class DefinitionDialog(Dialog[dict[str, Any]]):
    """Dismisses with ``{"definition": {...}}`` when the text is YAML of a mapping."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="definition.save", tooltip="Amend the change"),
        Binding("escape", "cancel", "Cancel", priority=True, id="dialog.cancel",
                tooltip="Close without amending (the text area would keep escape)"),
    ]  # fmt: skip
    """ctrl+s amends the change with the edited definition; escape cancels."""

    KEYS = "ctrl+s save · esc cancel · arrows, PgUp/PgDn move in the text"

    DEFAULT_CSS = """
    DefinitionDialog .dialog { width: 96%; max-width: 110; height: 92%; }
    DefinitionDialog .dialog-fields { height: 1fr; }
    DefinitionDialog #definition { height: 1fr; min-height: 6; }
    """

    AUTO_FOCUS = "#definition"

    def __init__(self, title: str, text: str, *, error: str = "", subtitle: str = "") -> None:
        super().__init__(title, subtitle)
        self._text, self._error = text, error

    def body(self) -> ComposeResult:
        yield Label("The proposed service (YAML, as in the catalogue files)", markup=False)
        yield TextArea(self._text, id="definition", soft_wrap=False, show_line_numbers=True)

    def on_mount(self) -> None:
        if self._error:
            self.show_error(self._error)

    def action_save(self) -> None:
        """Parse the text; dismiss with the definition, or say where the YAML is wrong."""
        text = self.query_one("#definition", TextArea).text
        try:
            parsed = yaml.safe_load(text)
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            where = f"line {mark.line + 1}: " if mark is not None else ""
            problem = getattr(err, "problem", None) or "not valid YAML"
            self.show_error(f"definition: {where}{problem}")
            return
        if not isinstance(parsed, dict):
            self.show_error("definition: must be a mapping of fields (id, name, ...)")
            return
        self.dismiss({"definition": parsed})
