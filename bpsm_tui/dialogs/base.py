"""The frame every dialog shares: a centred box with a title, an error line and a key hint.

The box fits any terminal (80×24 too): it is at most as wide and as high as the screen, and its
fields scroll between the title and the error line, so the error and the keys always show.

It also holds what makes a dialog of typed fields safe for keys sent in one burst (a fast typist,
a terminal paste): :data:`FIELD_BINDINGS` and :meth:`Dialog.after_typing`. The app hands each
key to the focused widget's own message queue and goes on to the next key at once; a field's
``Input.Submitted`` (and the focus move a dialog makes on it) comes back later through the
dialog's queue. So with ``2 enter 5 enter`` in one burst, ``5`` and the second ``enter`` reached
the effort field before the focus moved: the satisfaction answer was lost or the dialog was left
half filled. The field keys below are priority bindings, which the app runs itself before it
forwards the next key, so the focus has moved before ``5`` is handed on; and a confirmation
waits until every field has handled the keys already sent to it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

from rich.text import Text
from textual import events
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Input, Label, Static

__all__ = ["FIELD_BINDINGS", "Dialog"]

T = TypeVar("T")

FIELD_BINDINGS: list[BindingType] = [
    Binding(
        "enter",
        "submit_field",
        "Next / confirm",
        show=False,
        priority=True,
        id="dialog.submit-field",
        tooltip="Go to the next field; on the last field, confirm",
    ),
    Binding(
        "tab",
        "next_field",
        "Next field",
        show=False,
        priority=True,
        id="dialog.next-field",
        tooltip="Go to the next field",
    ),
    Binding(
        "shift+tab",
        "previous_field",
        "Previous field",
        show=False,
        priority=True,
        id="dialog.previous-field",
        tooltip="Go back to the previous field",
    ),
]
"""Enter, tab and shift+tab for a dialog of text fields, run before the next key is forwarded.

A dialog that lists them confirms through :meth:`Dialog.confirm`. Enter on anything but a text
field (a list, a select) does what it does there.
"""


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
            fields = VerticalScroll(classes="dialog-fields")
            fields.can_focus = False  # the fields take the focus; it scrolls to the focused one
            with fields:
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

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """Keep a focused field's question in view (see :meth:`scroll_to_center`)."""
        self.call_after_refresh(self._show_question, event.widget)

    def scroll_to_center(self, widget: Widget, *args: Any, **kwargs: Any) -> None:
        """Textual centres a focused field it cannot show whole; in a dialog whose fields
        scroll (80×24) that hid the question above it, so the question goes to the top."""
        if self._question_of(widget) is None:
            super().scroll_to_center(widget, *args, **kwargs)
        else:
            self._show_question(widget)

    def _question_of(self, field: Widget) -> Label | None:
        parent = field.parent
        if parent is None or "dialog-fields" not in parent.classes:
            return None
        siblings = list(parent.children)
        before = siblings[siblings.index(field) - 1] if siblings.index(field) > 0 else None
        return before if isinstance(before, Label) else None

    def _show_question(self, field: Widget) -> None:
        label = self._question_of(field)
        fields = field.parent
        if label is None or not isinstance(fields, VerticalScroll):
            return
        if not (fields.can_view_entire(label) and fields.can_view_entire(field)):
            fields.scroll_to_widget(label, animate=False, top=True, immediate=True)

    # -- typed fields, safe for keys sent in one burst ----------------------------------------

    def confirm(self) -> None:
        """Check the answers and dismiss with them (dialogs using :data:`FIELD_BINDINGS`)."""

    def action_confirm(self) -> None:
        """Confirm once every field holds what was typed into it."""
        self.after_typing(self.confirm)

    def after_typing(self, then: Callable[[], None]) -> None:
        """Run ``then`` once every text field has handled the keys already sent to it.

        A callback is queued behind those keys in each field's own queue, one field after the
        other, so the last one runs after the last key typed anywhere in the dialog. Nothing runs
        if the dialog was closed meanwhile (an escape, or a second enter, in the same burst).
        """
        fields = list(self.query(Input))

        def visit(index: int) -> None:
            if index == len(fields):
                if self.is_active:
                    then()
            elif not fields[index].call_later(visit, index + 1):  # the field is gone
                visit(index + 1)

        visit(0)

    def action_next_field(self) -> None:
        """Move to the next field now, before the next key is handed on."""
        self.focus_next()

    def action_previous_field(self) -> None:
        """Move to the previous field now, before the next key is handed on."""
        self.focus_previous()

    def action_submit_field(self) -> None:
        """Enter in a text field: on to the next field, or confirm on the last one."""
        if not isinstance(self.focused, Input):
            raise SkipAction  # a list or a select: enter chooses there
        if self.focused is self.focus_chain[-1]:
            self.action_confirm()
        else:
            self.focus_next()
