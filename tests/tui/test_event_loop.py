"""No database work on the event loop: every statement the desk runs while people use it runs in a
worker thread, so a slow query never freezes the screen.

A SQLAlchemy ``before_cursor_execute`` listener on the desk's engine records the thread of each
statement while an operator and a change manager go through their screens by keys.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from bpsm import Desk
from bpsm.demo import seed_demo
from bpsm_tui.screens import QueueScreen
from bpsm_tui.screens.call_detail import CallDetailScreen
from bpsm_tui.screens.change_detail import ChangeDetailScreen
from bpsm_tui.screens.kpis import KpiScreen
from tests.helpers import submitted_change
from tests.tui.driver import running

pytestmark = pytest.mark.postgres_too  # about the database: runs on PostgreSQL too


@contextmanager
def statements_on_the_loop(desk: Desk) -> Iterator[list[str]]:
    """Collect the statements the desk runs on the main thread (the event loop's) meanwhile;
    fails if the desk ran none at all elsewhere (the listener would then prove nothing)."""
    on_loop: list[str] = []
    elsewhere: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        on_main = threading.current_thread() is threading.main_thread()
        (on_loop if on_main else elsewhere).append(" ".join(statement.split())[:160])

    event.listen(desk.engine, "before_cursor_execute", seen)
    try:
        yield on_loop
    finally:
        event.remove(desk.engine, "before_cursor_execute", seen)
    assert elsewhere, "no statement ran at all: the listener saw nothing"


@pytest.fixture
def busy(desk: Desk) -> Desk:
    """The desk with demo calls and a change before the change manager."""
    seed_demo(desk, calls=45)
    submitted_change(desk)
    return desk


async def test_an_operator_and_a_change_manager_never_query_on_the_event_loop(
    busy: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bpsm.processes.calls import queue

    monkeypatch.setattr(queue, "SCAN", 4)  # a short search reads a few calls a page: cut
    closed = busy.calls.find(filter="closed").items[0].id  # asked before the listener
    with statements_on_the_loop(busy) as on_loop:
        busy.person("anna")  # the listener sees a statement run on this (the loop's) thread
        assert on_loop and "staff" in on_loop[0]
        on_loop.clear()
        async with running(busy, "anna", page_size=10, size=(130, 40)) as s:
            assert isinstance(s.app.screen, QueueScreen) and s.numbers()
            await s.press("right_square_bracket")  # the queue, paged by key
            await s.press("left_square_bracket")
            await s.press("ctrl+end", "pageup", "ctrl+home")  # the last page, back, the first
            for _ in range(6):  # sort by every column (and page in it), then reversed
                await s.press("greater_than_sign", "right_square_bracket")
            await s.press("less_than_sign", "less_than_sign")
            for _ in range(9):  # every filter, back to open
                await s.press("t")
            await s.burst("number_sign", *str(closed))
            await s.press("enter")  # a jump to a call outside the filter: among all calls
            await s.press("slash")
            await s.type("kim")  # incremental search: the index serves it
            await s.press("backspace", "backspace")  # one letter: read bounded, says it was cut
            await s.press("enter", "right_square_bracket")
            assert "searched" in s.text("#queue-status")
            await s.press("slash")
            await s.press("escape")
            await s.press("enter")  # a call's details
            assert isinstance(s.app.screen, CallDetailScreen)
            await s.press("escape")
            await s.press("7")  # the KPI area
            assert isinstance(s.app.screen, KpiScreen)
            await s.press("6")  # the catalogue
            await s.press("1")
        async with running(busy, "carla", size=(130, 40)) as s:
            assert s.app.current_mode == "changes"  # the change board
            await s.press("f")
            await s.press("F")
            await s.press("enter")  # the change: diff, checklist and history
            assert isinstance(s.app.screen, ChangeDetailScreen)
            await s.press("escape")
            await s.press("7")
            await s.press("1")
            await s.press("enter")
    assert on_loop == []
