"""Keys typed ahead land where the person meant them: one key at a time, in order.

Textual hands a key to the focused widget's own message queue and reads the next key at once.
Whatever the first key sets off happens later: its binding runs when the key has bubbled up to
the screen, a dialog it opens mounts and takes the focus later still, and ``focus()`` itself is a
callback queued on the app. So a burst such as ``c 2 ⏎ 5 ⏎`` (close, then the survey answers),
``↓ ↓ ⏎`` or ``/ kim`` reached the widget that had the focus before the first key took effect:
keys were lost, or opened the wrong row.

:class:`OneKeyAtATime` gives an app a key queue of its own. A key is handed on only once the one
before it has been handled all the way: by the widget that got it and each container it bubbled
through up to its screen, by a screen it opened (mounted and focused), and by what it queued on
the app itself. A key is read a few event-loop turns later, never dropped; a wait that takes
longer than :attr:`OneKeyAtATime.KEY_WAIT` seconds (a handler that hangs) lets the next key go.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from typing import Any, ClassVar

from textual import events
from textual.app import App
from textual.message_pump import MessagePump
from textual.widget import Widget

__all__ = ["OneKeyAtATime"]


class OneKeyAtATime(App[Any]):
    """An app that handles the keys it reads one by one (see the module's description)."""

    KEY_WAIT: ClassVar[float] = 3.0
    """Seconds one step of a key's handling may take before the next key is handed on anyway."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._keys: deque[events.Key] = deque()
        self._key_task: asyncio.Task[None] | None = None

    @property
    def keys_pending(self) -> bool:
        """Whether keys read are still waiting for the ones before them (tests wait on it)."""
        return bool(self._keys) or (self._key_task is not None and not self._key_task.done())

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            self._keys.append(event)
            if self._key_task is None or self._key_task.done():
                self._key_task = asyncio.create_task(self._hand_on_keys())
            return
        await super().on_event(event)

    async def _hand_on_keys(self) -> None:
        while self._keys:
            key = self._keys.popleft()
            screen, target = self.screen, self.focused or self.screen
            await super().on_event(key)
            if key.is_forwarded:  # not a priority key: it went to the widget's own queue
                await self._handled_by(target)
            if self.screen is not screen:  # it opened (or closed) a screen: let it settle
                await self._handled_by(self.screen)
            await self._after(self)  # focus moves and other callbacks it queued on the app

    async def _handled_by(self, node: Widget) -> None:
        """Wait until ``node`` and each of its containers up to its screen has handled what is in
        its queue now (a key bubbles up one queue at a time)."""
        for pump in [node, *node.ancestors]:
            if pump is self:
                break
            await self._after(pump)

    async def _after(self, pump: MessagePump) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def handled() -> None:
            if not done.done():  # not given up on (timed out) meanwhile
                done.set_result(None)

        if not pump.call_later(handled):  # closed meanwhile: nothing to wait on
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done, self.KEY_WAIT)
