"""The frame every dialog shares: a centred box with a title, an error line and a key hint."""

from __future__ import annotations

from typing import ClassVar, TypeVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

__all__ = ["Dialog"]

T = TypeVar("T")


class Dialog(ModalScreen[T | None]):
    """A modal box; ``escape`` dismisses it with None, subclasses dismiss with their answer."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "cancel",
            "Cancel",
            id="dialog.cancel",
            tooltip="Close the dialog without doing anything",
        ),
    ]
    """Escape always backs out without a change."""

    KEYS = "enter confirm · esc cancel"
    """The key hint shown at the bottom of the box."""

    def __init__(self, title: str, subtitle: str = "") -> None:
        super().__init__()
        self._title, self._subtitle = title, subtitle

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self._title), classes="dialog-title")
            if self._subtitle:
                yield Static(Text(self._subtitle), classes="dialog-subtitle")
            yield from self.body()
            yield Static("", classes="dialog-error")
            yield Static(Text(self.KEYS), classes="dialog-keys")

    def body(self) -> ComposeResult:
        """The dialog's own fields."""
        yield from ()

    def show_error(self, message: str) -> None:
        """Say what is wrong, keeping the dialog open."""
        self.query_one(".dialog-error", Static).update(Text(message))

    def action_cancel(self) -> None:
        self.dismiss(None)
