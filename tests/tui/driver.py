"""Driving the desk TUI in tests: start it headless, wait for its workers, read what it shows."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from textual import events
from textual.keys import _character_to_key
from textual.message import Message
from textual.notifications import Notification, Notify
from textual.pilot import Pilot
from textual.widgets import Static
from textual.worker import WorkerCancelled

from bpsm import Desk
from bpsm_tui.app import DeskApp
from bpsm_tui.widgets import CallTable, KpiBar

SIZE = (160, 48)
_CHARACTERS = {
    "enter": "\r",
    "tab": "\t",
    "space": " ",
    "backspace": "\x08",
    "slash": "/",
    "number_sign": "#",
    "right_square_bracket": "]",
    "left_square_bracket": "[",
    "greater_than_sign": ">",
    "less_than_sign": "<",
}


@dataclass
class Session:
    """A running app, its pilot, and every notification it showed."""

    pilot: Pilot[None]
    notes: list[Notification] = field(default_factory=list)

    @property
    def app(self) -> DeskApp:
        return self.pilot.app  # type: ignore[return-value]

    async def settle(self) -> None:
        """Wait until no worker runs and what they reported has been handled (no sleeping)."""
        for _ in range(100):
            await self.pilot.pause()
            if self.app.keys_pending:
                continue
            if not list(self.app.workers):
                await self.pilot.pause()
                if not list(self.app.workers):
                    return
            with contextlib.suppress(WorkerCancelled):
                await self.app.workers.wait_for_complete()
        raise AssertionError(f"workers still running: {list(self.app.workers)}")

    async def press(self, *keys: str) -> None:
        """Press keys one by one, then settle."""
        await self.pilot.press(*keys)
        await self.settle()

    async def burst(self, *keys: str) -> None:
        """Send keys in one burst, as a paste or a fast typist does: every key reaches the app
        before it handles the first one (``press`` waits for the app between keys). Then settle."""
        for key in keys:
            char = key if len(key) == 1 else _CHARACTERS.get(key)
            self.app.post_message(events.Key(key, char))
        await self.settle()

    async def type(self, text: str) -> None:
        """Type text as a typist does, every character a key press in one burst, then settle
        (the app hands each key on once the one before it has been handled)."""
        for char in text:
            key = char if char.isalnum() else _character_to_key(char)
            self.app.post_message(events.Key(key, char))
        await self.settle()

    async def fill_new_call(
        self, caller: str, search: str, summary: str, solution: str | None = None
    ) -> None:
        """Open the new-call form with ``n`` and fill it by keys: caller, the best search match,
        summary, and (tab) the solution; the caller decides with ctrl+s (standard: resolved
        when a solution was typed), ctrl+o (exception) or ctrl+r (refer)."""
        await self.press("n")
        await self.type(caller)
        await self.press("tab", "tab")  # caller → channel (phone) → service search
        await self.type(search)
        await self.press("enter")  # the best match; the focus moves to the summary
        await self.type(summary)
        if solution is not None:
            await self.press("tab")
            await self.type(solution)

    def text(self, selector: str) -> str:
        """The plain text a Static on the current screen shows."""
        content = self.app.screen.query_one(selector, Static).content
        return getattr(content, "plain", str(content))

    def kpi(self) -> str:
        bar = self.app.screen.query_one(KpiBar)
        return bar.render().plain

    def numbers(self) -> list[str]:
        """Call numbers in the queue table, top to bottom."""
        return [c.number for c in self.app.screen.query_one(CallTable).calls]

    def errors(self) -> list[str]:
        return [n.message for n in self.notes if n.severity == "error"]

    def infos(self) -> list[str]:
        return [n.message for n in self.notes if n.severity == "information"]


@contextlib.asynccontextmanager
async def running(
    desk: Desk,
    operator: str = "anna",
    *,
    page_size: int | None = None,
    keymap: dict[str, str] | None = None,
    size: tuple[int, int] = SIZE,
    app_type: type[DeskApp] = DeskApp,
) -> AsyncIterator[Session]:
    """Run the desk app headless (160×48 unless ``size``), loaded and settled (no keymap unless
    given); ``app_type`` runs a subclass (a test's own areas)."""
    app = app_type(desk, operator, page_size=page_size, keymap=keymap or {})
    notes: list[Notification] = []

    def hook(message: Message) -> None:
        if isinstance(message, Notify):
            notes.append(message.notification)

    async with app.run_test(size=size, message_hook=hook) as pilot:
        session = Session(pilot, notes)
        await session.settle()
        yield session
