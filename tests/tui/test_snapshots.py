"""Snapshots of the main screens (``pytest-textual-snapshot``) at 80×24 and 160×48.

Fixed demo data (:func:`bpsm.demo.seed_demo` with its fixed random seed, and a change, relation
cases, maintenance tasks, an improvement and recommendations made through the API) on a frozen
clock, so ages, today's KPIs and record numbers are the same on every run and on SQLite and
PostgreSQL alike. The data is built once per module in a fresh database (ids from 1) and each
test gets its own copy: a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL.
Regenerate after an intended change with ``pytest tests/tui/test_snapshots.py --snapshot-update``
and review the SVGs in ``tests/tui/__snapshots__/``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from freezegun import freeze_time
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from bpsm import Desk
from bpsm.catalogue.loader import Catalogue
from bpsm.demo import seed_demo
from bpsm_tui.app import DeskApp
from tests.conftest import PG_URL
from tests.helpers import submitted_change
from tests.tui.driver import Session

pytest.importorskip(
    "pytest_textual_snapshot", reason="pytest-textual-snapshot is not installed (the test extra)"
)

NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
"""A Friday morning in Amsterdam: some of today's calls are open, some resolved."""

SnapCompare = Callable[..., Any]
"""The plugin's ``snap_compare`` fixture."""

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]


def _build(desk: Desk) -> None:
    """The demo calls, and one of everything the other areas show (run under a frozen clock)."""
    seed_demo(desk, calls=60, proactive=False)  # its own change, tasks and improvement below
    change = submitted_change(desk)
    desk.changes.check_item(change.id, "tested", evidence="piloted by HR for a week", by="carla")
    case = desk.relations.open(customer="HR", request="A digital signing tool", by="dave")
    desk.relations.clarify_need(case.id, need="contracts signed remotely within a day", by="dave")
    desk.relations.open(customer="Kim", request="A standing desk", by="dave")
    desk.maintenance.generate(by="admin")
    idea = desk.improvements.identify(
        source="new_technology",
        title="Print from phones",
        description="Customers ask to print from their phones; a print app exists.",
        service_id="printing",
        by="carla",
    )
    desk.improvements.assess(
        idea.id, worth_it=True, effort_hours=16, benefit="fewer walk-ins", by="carla"
    )
    first = desk.calls.get(6)  # C-000006: the oldest open call, first in the queue
    desk.recommendations.register(
        customer=first.caller,
        description="a docking station for home",
        item="docking-station",
        call_id=first.id,
        by="anna",
    )
    desk.recommendations.register(customer="HR", description="desks", value=3000, by="anna")


def _admin(url: str) -> Any:
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def _pg_database(name: str, *, template: str | None = None) -> str:
    """A new PostgreSQL database ``name`` (an empty one, or a copy of ``template``); its URL."""
    assert PG_URL
    admin = _admin(PG_URL)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        copy = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    admin.dispose()
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="module")
def _seeded(
    _template: str, catalogue: Catalogue, tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> str:
    """The demo data built once for this module: a SQLite file, or a PostgreSQL database name."""
    if PG_URL:
        name = f"{make_url(PG_URL).database}_snap_{worker_id}".replace("-", "_")
        url = _pg_database(name)
    else:
        path = tmp_path_factory.mktemp("snapshots") / "seeded.sqlite3"
        shutil.copyfile(_template, path)
        name, url = str(path), f"sqlite:///{path}"
    with freeze_time(NOW):  # the catalogue is published as the desk opens: its versions' dates
        desk = Desk.open(url, catalogue=catalogue)
        _build(desk)
    desk.close()
    return name


@pytest.fixture
def demo_desk(_seeded: str, catalogue: Catalogue, tmp_path: Path) -> Iterator[Desk]:
    """A copy of the seeded data for one test."""
    if PG_URL:
        url = _pg_database(f"{_seeded}_copy", template=_seeded)
    else:
        target = tmp_path / "desk.sqlite3"
        shutil.copyfile(_seeded, target)
        url = f"sqlite:///{target}"
    desk = Desk.open(url, catalogue=catalogue)
    yield desk
    desk.close()


def _shot(
    snap_compare: SnapCompare,
    desk: Desk,
    person: str,
    size: tuple[int, int],
    *keys: str,
    mode: str | None = None,
) -> bool:
    """The screen ``person`` sees at ``size`` after opening area ``mode`` and pressing ``keys``."""

    async def settle(pilot: Pilot[None]) -> None:
        session = Session(pilot)
        await session.settle()
        if mode is not None:
            await pilot.app.switch_mode(mode)
            await session.settle()
        if keys:
            await session.press(*keys)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False  # a blinking cursor is on or off by the split second
        # A table measures its columns when idle and may have painted its header before that:
        # paint every table once more, from its final widths.
        for table in pilot.app.screen.query(DataTable):
            table._clear_caches()
            table.refresh()
        await session.settle()

    # the clock ticks from NOW (Textual's timers need time to pass); ages are whole minutes
    with freeze_time(NOW, tick=True, real_asyncio=True):
        app = DeskApp(desk, person, keymap={})
        return bool(snap_compare(app, terminal_size=size, run_before=settle))


@pytest.mark.parametrize("size", SIZES)
def test_queue_snapshot(demo_desk: Desk, snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    assert _shot(snap_compare, demo_desk, "anna", size)


def _dashboard_data(desk: Desk) -> None:
    """What only the KPI dashboard shows, on this test's copy: time logged, self-service flags and
    the recurring disruptions the detector proposed (run at NOW, as the nightly job would)."""
    with freeze_time(NOW):
        for call_id, minutes, by in ((6, 30, "anna"), (7, 45, "ben"), (8, 20, "anna")):
            desk.effort.log("call", call_id, minutes, by=by)
        desk.effort.log("improvement", 1, 60, by="carla")
        for faq, service in ((1, "password-reset"), (1, "password-reset"), (2, "printing")):
            desk.calls.register(
                caller="Kim Jansen",
                channel="portal",
                summary="How do I do this myself?",
                service=service,
                self_service_faq=faq,
                by="anna",
            )
        for hours in range(5, 0, -1):  # a burst of calls on one service: a disruption
            with freeze_time(NOW - timedelta(hours=hours)):
                desk.calls.register(
                    caller="Sanne de Boer",
                    channel="phone",
                    summary="The printer on floor 2 jams again",
                    service="printing",
                    by="anna",
                )
        desk.improvements.detect_recurring_disruptions(by="eve")


@pytest.mark.parametrize("size", SIZES)
def test_kpi_screen_snapshot(
    demo_desk: Desk, snap_compare: SnapCompare, size: tuple[int, int]
) -> None:
    """The manager's dashboard: trends by week, the time against target, self-service and the
    recurring disruptions; at 80×24 the panels stack and scroll."""
    _dashboard_data(demo_desk)
    assert _shot(snap_compare, demo_desk, "eve", size)


@pytest.mark.parametrize("size", SIZES)
def test_kpi_dashboard_filtered_snapshot(
    demo_desk: Desk, snap_compare: SnapCompare, size: tuple[int, int]
) -> None:
    """By day, of the laptop service (picked by typing in the filter picker)."""
    _dashboard_data(demo_desk)
    assert _shot(snap_compare, demo_desk, "eve", size, "p", "p", "f", "l", "a", "p", "enter")


@pytest.mark.parametrize("size", SIZES)
def test_call_detail_snapshot(
    demo_desk: Desk, snap_compare: SnapCompare, size: tuple[int, int]
) -> None:
    """C-000006 with its contact, the add-on offered on it and its history."""
    assert _shot(snap_compare, demo_desk, "anna", size, "enter")


@pytest.mark.parametrize("size", SIZES)
def test_change_board_snapshot(
    demo_desk: Desk, snap_compare: SnapCompare, size: tuple[int, int]
) -> None:
    assert _shot(snap_compare, demo_desk, "carla", size)


@pytest.mark.parametrize("size", SIZES)
def test_change_detail_snapshot(
    demo_desk: Desk, snap_compare: SnapCompare, size: tuple[int, int]
) -> None:
    """CH-000001: the checklist (one item met) and the diff; at 80×24 a page down shows both."""
    keys = ("enter", "pagedown", "pagedown") if size[1] < 30 else ("enter",)
    assert _shot(snap_compare, demo_desk, "carla", size, *keys)


@pytest.mark.parametrize("size", SIZES)
def test_relation_cases_snapshot(
    demo_desk: Desk, snap_compare: SnapCompare, size: tuple[int, int]
) -> None:
    assert _shot(snap_compare, demo_desk, "dave", size)


@pytest.mark.parametrize("size", SIZES)
def test_relation_case_snapshot(
    demo_desk: Desk, snap_compare: SnapCompare, size: tuple[int, int]
) -> None:
    """R-000002, its need clarified: the method's next step."""
    assert _shot(snap_compare, demo_desk, "dave", size, "down", "enter")


@pytest.mark.parametrize("size", SIZES)
def test_proactive_snapshot(
    demo_desk: Desk, snap_compare: SnapCompare, size: tuple[int, int]
) -> None:
    assert _shot(snap_compare, demo_desk, "eve", size, mode="proactive")


@pytest.mark.parametrize("size", SIZES)
def test_recommendations_snapshot(
    demo_desk: Desk, snap_compare: SnapCompare, size: tuple[int, int]
) -> None:
    assert _shot(snap_compare, demo_desk, "eve", size, mode="recommendations")


@pytest.mark.parametrize("size", SIZES)
def test_catalogue_snapshot(
    demo_desk: Desk, snap_compare: SnapCompare, size: tuple[int, int]
) -> None:
    assert _shot(snap_compare, demo_desk, "eve", size, mode="catalogue")


@pytest.mark.parametrize("size", SIZES)
def test_help_snapshot(demo_desk: Desk, snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """The queue's keys: the last column wraps at 80 columns."""
    assert _shot(snap_compare, demo_desk, "anna", size, "question_mark")
