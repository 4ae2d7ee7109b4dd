"""What the queue and the detail screen share: the call action keys, palette entries and hint line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual.binding import Binding
from textual.screen import Screen

from bpsm import CallView
from bpsm_tui.data.actions import ACTIONS, for_triggers
from bpsm_tui.data.format import state_label

if TYPE_CHECKING:
    from bpsm_tui.app import DeskApp

__all__ = ["CALL_BINDINGS", "CallScreen", "PaletteCommand", "allowed_hint"]

CALL_BINDINGS = [
    Binding(a.key, f"act('{a.name}')", a.label, show=a.footer, id=f"call.{a.name}", tooltip=a.help)
    for a in ACTIONS.values()
]
"""One key per call action (see :data:`bpsm_tui.data.actions.ACTIONS`); ids are ``call.<name>``."""

COMMON_BINDINGS = [
    Binding("question_mark", "toggle_keys", "Keys", id="app.keys", tooltip="Show or hide every key on this screen"),
    Binding("q", "app.quit", "Quit", id="app.quit", tooltip="Quit the desk"),
]
"""Keys every call screen has."""


@dataclass(frozen=True)
class PaletteCommand:
    """A command-palette entry: a namespaced name (``call: resolve``), help, and the action it runs."""

    name: str
    help: str
    action: str


class CallScreen(Screen[None]):
    """A screen with a selected call that the call action keys work on."""

    @property
    def desk_app(self) -> DeskApp:
        """The running :class:`~bpsm_tui.app.DeskApp`."""
        return cast("DeskApp", self.app)

    def selected_call(self) -> CallView | None:
        """The call the action keys act on, as last loaded."""
        raise NotImplementedError  # abstract: each screen knows its own selection and data

    def reload(self, *, keep: int | None = None) -> None:
        """Load the screen's data again (in a worker), keeping call ``keep`` selected if possible."""
        raise NotImplementedError  # abstract: each screen knows its own selection and data

    def action_act(self, name: str) -> None:
        """Run call action ``name`` on the selected call (asks what it needs first)."""
        call = self.selected_call()
        if call is None:
            self.notify("No call selected.", severity="warning")
            return
        self.desk_app.act(call, name)

    def action_toggle_keys(self) -> None:
        """Show or hide the panel that lists every key."""
        if self.query("HelpPanel"):
            self.app.action_hide_help_panel()
        else:
            self.app.action_show_help_panel()

    def palette_commands(self) -> list[PaletteCommand]:
        """This screen's entries for the command palette."""
        return [PaletteCommand(a.command, f"{a.help} · key {a.key}", f"act('{a.name}')") for a in ACTIONS.values()]


def allowed_hint(call: CallView | None, allowed: list[str] | None) -> Text:
    """``C-000012 in progress · keys: r resolve · e escalate …`` for the selected call."""
    if call is None:
        return Text("")
    head = Text.assemble((call.number, "bold"), f" {state_label(call.state, is_exception=call.is_exception)} · ")
    if allowed is None:
        return head + Text("…")
    actions = for_triggers(allowed)
    if not actions:
        return head + Text("you cannot act on this call", style="italic")
    keys = [f"{a.key} {a.label.lower()}" for a in actions] + [f"{ACTIONS['contact'].key} log contact"]
    return head + Text("keys: " + " · ".join(keys), style="dim")
