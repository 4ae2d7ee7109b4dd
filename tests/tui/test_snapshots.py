"""Snapshots of the main screens (``pytest-textual-snapshot``): the queue and the KPI area.

Fixed demo data (:func:`bpsm.demo.seed_demo` with its fixed random seed) on a frozen clock, so
ages, today's KPIs and call numbers are the same on every run and on SQLite and PostgreSQL alike
(the test databases restart their ids). Regenerate after an intended change with
``pytest tests/tui/test_snapshots.py --snapshot-update`` and review the SVGs in
``tests/tui/__snapshots__/``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from freezegun import freeze_time
from textual.pilot import Pilot

from bpsm import Desk
from bpsm.demo import seed_demo
from bpsm_tui.app import DeskApp
from tests.tui.driver import Session

pytest.importorskip(
    "pytest_textual_snapshot", reason="pytest-textual-snapshot is not installed (the test extra)"
)

NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
"""A Friday morning in Amsterdam: some of today's calls are open, some resolved."""

SnapCompare = Callable[..., Any]
"""The plugin's ``snap_compare`` fixture."""

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]


@pytest.fixture
def demo_desk(desk: Desk) -> Desk:
    with freeze_time(NOW):
        seed_demo(desk, calls=60)
    return desk


def _shot(
    snap_compare: SnapCompare, desk: Desk, person: str, size: tuple[int, int], *keys: str
) -> bool:
    async def settle(pilot: Pilot[None]) -> None:
        session = Session(pilot)
        await session.settle()
        if keys:
            await session.press(*keys)

    # the clock ticks from NOW (Textual's timers need time to pass); ages are whole minutes
    with freeze_time(NOW, tick=True, real_asyncio=True):
        app = DeskApp(desk, person, keymap={})
        return bool(snap_compare(app, terminal_size=size, run_before=settle))


@pytest.mark.parametrize("size", SIZES)
def test_queue_snapshot(demo_desk: Desk, snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    assert _shot(snap_compare, demo_desk, "anna", size)


@pytest.mark.parametrize("size", SIZES)
def test_kpi_screen_snapshot(
    demo_desk: Desk, snap_compare: SnapCompare, size: tuple[int, int]
) -> None:
    assert _shot(snap_compare, demo_desk, "eve", size)
