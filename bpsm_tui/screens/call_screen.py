"""What the queue and the detail screen share: the call step keys, the palette and the hint line.

The keys come from the reactive process's step table (:func:`bpsm_tui.data.actions.actions_for`);
the palette is generated from each screen's bindings (:func:`palette_from_bindings`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual.binding import Binding
from textual.screen import Screen

from bpsm import Calls, CallView
from bpsm_tui.data.actions import RecordAction, actions_for
from bpsm_tui.data.format import state_label

if TYPE_CHECKING:
    from bpsm_tui.host import DeskHost

__all__ = [
    "CALL_ACTIONS",
    "CALL_BINDINGS",
    "CallScreen",
    "PaletteCommand",
    "allowed_hint",
    "bindings_for",
    "palette_from_bindings",
]

CALL_ACTIONS: dict[str, RecordAction] = actions_for(Calls.process)
"""Each step of the reactive process, by this desk's name for it (``exception``, ``resolve``...)."""


def bindings_for(actions: dict[str, RecordAction]) -> list[Binding]:
    """One binding per step with a key; ids are ``<process>.<name>``, remappable in the keymap."""
    return [
        Binding(a.key, f"act('{a.name}')", a.label, show=a.footer, id=a.id, tooltip=a.help)
        for a in actions.values()
        if a.key
    ]


CALL_BINDINGS = bindings_for(CALL_ACTIONS)
"""The call step keys shared by the queue and the detail screen."""

COMMON_BINDINGS = [
    Binding(
        "question_mark",
        "app.help",
        "Keys",
        id="app.keys",
        tooltip="List every key of this screen",
    ),
    Binding("q", "app.quit", "Quit", id="app.quit", tooltip="Quit the desk"),
]
"""Keys every call screen has."""


@dataclass(frozen=True)
class PaletteCommand:
    """A command-palette entry: namespaced name (``call: resolve``), help and the action it runs."""

    name: str
    help: str
    action: str


class CallScreen(Screen[None]):
    """A screen with a selected call that the call action keys work on."""

    @property
    def desk_app(self) -> DeskHost:
        """The application hosting this screen (:class:`~bpsm_tui.host.DeskHost`)."""
        return cast("DeskHost", self.app)

    def selected_call(self) -> CallView | None:
        """The call the action keys act on, as last loaded."""
        raise NotImplementedError  # abstract: each screen knows its own selection and data

    def reload(self, *, keep: int | None = None) -> None:
        """Reload the screen's data (in a worker), keeping call ``keep`` selected if possible."""
        raise NotImplementedError  # abstract: each screen knows its own selection and data

    def action_act(self, name: str) -> None:
        """Run call action ``name`` on the selected call (asks what it needs first)."""
        call = self.selected_call()
        if call is None:
            self.notify("No call selected.", severity="warning")
            return
        self.desk_app.act(call, name)

    def palette_commands(self) -> list[PaletteCommand]:
        """This screen's entries for the command palette: its bindings, plus steps without a key."""
        keyless = [
            PaletteCommand(a.command, a.help, f"act('{a.name}')")
            for a in CALL_ACTIONS.values()
            if not a.key
        ]
        return [*palette_from_bindings(self), *keyless]


def palette_from_bindings(screen: Screen[None]) -> list[PaletteCommand]:
    """A palette entry per binding with an id, with its keys.

    The entry ``call: resolve`` comes from the id ``call.resolve``.
    """
    found: dict[str, PaletteCommand] = {}
    for binding in screen.BINDINGS:
        if not isinstance(binding, Binding) or not binding.id or binding.id.startswith("app."):
            continue
        space = binding.id.split(".", 1)[0]
        keys = screen.app.get_key_display(binding) if screen.is_attached else binding.key
        name = f"{space}: {binding.description.lower()}"
        found.setdefault(
            name, PaletteCommand(name, f"{binding.tooltip} · key {keys}", binding.action)
        )
    return list(found.values())


def allowed_hint(call: CallView | None, allowed: Sequence[str] | None) -> Text:
    """``C-000012 in progress · keys: r resolve · e escalate …`` for the selected call."""
    if call is None:
        return Text("")
    head = Text.assemble(
        (call.number, "bold"), f" {state_label(call.state, is_exception=call.is_exception)} · "
    )
    if allowed is None:
        return head + Text("…")
    actions = [a for a in CALL_ACTIONS.values() if a.trigger in allowed and a.key]
    if not actions:
        return head + Text("you cannot act on this call", style="italic")
    # steps that record a fact and stay (log contact, set service) last: moves matter more
    actions.sort(key=lambda a: a.step.dest is None)
    keys = [f"{a.key} {a.step.label}" for a in actions]
    return head + Text("keys: " + " · ".join(keys), style="dim")
