"""The footer of the desk's screens: Textual's, rebuilt only when it must show a key it lacks.

Textual's footer rebuilds all its keys each time the screen's bindings are refreshed — on every
focus change and screen-stack update, several times while a screen opens — which mounts a new
widget per key and lays the screen out again. :class:`DeskFooter` compares the keys it would
show (the bindings marked ``show``, one per action, then the command palette's) with the keys it
has: the same keys are left as they are; keys enabled or disabled, or fewer keys (the queue's
search box takes the focus: the letter keys type into it), are shown, hidden, dimmed in place;
only a key it has no widget for rebuilds it. Key groups (none on the desk's screens) always
rebuild.
"""

from __future__ import annotations

from itertools import groupby
from typing import Any, NamedTuple

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

__all__ = ["DeskFooter"]


class _Key(NamedTuple):
    """One key of the footer: what it shows (``face``), the key it presses, its state."""

    face: tuple[str, str, str, bool]  # key display, description, action, the palette's
    key: str
    enabled: bool
    tooltip: str


class DeskFooter(Footer):
    """A :class:`~textual.widgets.Footer` that is rebuilt only when it lacks a key to show."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shown: tuple[_Key, ...] | None = None
        self._built: tuple[tuple[str, str, str, bool], ...] = ()
        self._compact = False
        self.rebuilds = 0
        """How many times the keys were built (tests check that a focus change builds none)."""

    def _keys(self) -> tuple[_Key, ...] | None:
        """The keys to show as of now, as :meth:`Footer.compose` makes them (None: a key group
        is among them)."""
        app, active = self.app, self.screen.active_bindings
        first: dict[str, tuple[Binding, bool, str]] = {}
        for _, binding, enabled, tip in active.values():
            if binding.show and binding.action not in first:
                first[binding.action] = (binding, enabled, tip)
        keys: list[_Key] = []
        for group, run in groupby(first.values(), lambda shown: shown[0].group):
            together = list(run)
            if group is not None and len(together) > 1:
                return None
            for b, enabled, tip in together:
                face = (app.get_key_display(b), b.description, b.action, False)
                keys.append(_Key(face, b.key, enabled, tip or ""))
        if self.show_command_palette and app.ENABLE_COMMAND_PALETTE:
            palette = active.get(app.COMMAND_PALETTE_BINDING)
            if palette is not None:
                _, b, enabled, _tip = palette
                face = (app.get_key_display(b), b.description, b.action, True)
                keys.append(_Key(face, b.key, enabled, b.tooltip or b.description))
        return tuple(keys)

    def compose(self) -> ComposeResult:
        self._shown = self._keys() if self._bindings_ready else None
        self._built = tuple(k.face for k in self._shown or ())
        self._compact = self.compact
        if self._bindings_ready:
            self.rebuilds += 1
        yield from super().compose()

    async def recompose(self) -> None:
        if self._shown is not None and self.is_attached and self._compact == self.compact:
            keys = self._keys()
            if keys == self._shown or (keys is not None and self._show_in_place(keys)):
                return  # the keys shown are the keys to show
        await super().recompose()

    def _show_in_place(self, keys: tuple[_Key, ...]) -> bool:
        """Show ``keys`` with the key widgets there are, hiding the others (False: one of
        ``keys`` has no widget, or not in this order — the footer must be rebuilt)."""
        widgets = list(self.query(FooterKey))
        if len(widgets) != len(self._built):
            return False
        wanted = iter(keys)
        key = next(wanted, None)
        plan: list[tuple[FooterKey, _Key | None]] = []
        for widget, face in zip(widgets, self._built, strict=True):
            if key is not None and key.face == face:
                plan.append((widget, key))
                key = next(wanted, None)
            else:
                plan.append((widget, None))
        if key is not None:
            return False  # a key to show that no widget shows (or not in this order)
        for widget, shown in plan:
            widget.display = shown is not None
            if shown is None:
                continue
            widget.key = shown.key
            if widget._disabled == shown.enabled:
                widget._disabled = not shown.enabled
                widget.set_class(not shown.enabled, "-disabled")
            if (widget.tooltip or "") != shown.tooltip:
                widget.tooltip = shown.tooltip or None
        self._shown = keys
        return True
