"""The queue by keys: each filter, search by number, caller and summary, sort, jump, paging."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from freezegun import freeze_time
from textual.notifications import Notification, Notify

from bpsm import Desk
from bpsm_tui.app import DeskApp
from bpsm_tui.widgets import CallTable
from tests.helpers import call_in, new_call
from tests.tui.driver import Session

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SIZES = [(80, 24), (160, 48)]


@contextlib.asynccontextmanager
async def queue_at(
    desk: Desk, size: tuple[int, int], operator: str = "anna", page_size: int | None = None
) -> AsyncIterator[Session]:
    """The desk app at ``size``, loaded and settled."""
    app = DeskApp(desk, operator, page_size=page_size, keymap={})
    notes: list[Notification] = []

    def hook(message) -> None:
        if isinstance(message, Notify):
            notes.append(message.notification)

    async with app.run_test(size=size, message_hook=hook) as pilot:
        session = Session(pilot, notes)
        await session.settle()
        yield session


def headers(s: Session) -> list[str]:
    return [str(c.label) for c in s.app.screen.query_one(CallTable).columns.values()]


@pytest.fixture
def states(desk: Desk) -> dict[str, str]:
    """One call per state, a minute apart, plus one registered by omar; numbers by state."""
    made: dict[str, str] = {}
    with freeze_time(T0) as frozen:
        for state in ("registered", "in_progress", "waiting_customer", "resolved"):
            made[state] = call_in(desk, state, caller=f"Caller {state}").number
            frozen.tick(60)
        for state in ("closed", "referred"):
            made[state] = call_in(desk, state).number
            frozen.tick(60)
        made["omar"] = desk.calls.register(
            caller="Omar's caller", channel="phone", summary="Printer jams", by="omar"
        ).number
    return made


@pytest.mark.parametrize("size", SIZES)
async def test_operator_steps_through_every_filter(
    desk: Desk, states: dict[str, str], size: tuple[int, int]
) -> None:
    m = states
    mine = [m["registered"], m["in_progress"], m["waiting_customer"], m["resolved"]]
    expected = [
        ("mine", mine),
        ("my group", [*mine, m["omar"]]),
        ("waiting", [m["waiting_customer"]]),
        ("overdue", mine[:3]),  # registered in March: past the laptop's five days
        ("resolved, not closed", [m["resolved"]]),
        ("closed", [m["closed"]]),
        ("referred", [m["referred"]]),
        ("all", sorted(m.values())),
        ("open", [*mine, m["omar"]]),
    ]
    async with queue_at(desk, size) as s:  # the app runs on the real clock (never frozen)
        assert s.numbers() == [*mine, m["omar"]]
        assert any(h.startswith("State") for h in headers(s))
        for label, numbers in expected:
            await s.burst("t")
            assert s.numbers() == numbers, label
            assert s.text("#queue-view").startswith(label)
        await s.burst("T")
        assert s.text("#queue-view").startswith("all")


@pytest.mark.parametrize("size", SIZES)
async def test_operator_sorts_by_column_and_reverses(desk: Desk, size: tuple[int, int]) -> None:
    with freeze_time(T0) as frozen:
        cleo = new_call(desk, caller="Cleo").number
        frozen.tick(60)
        alex = new_call(desk, caller="Alex").number
    async with queue_at(desk, size) as s:
        assert s.numbers() == [cleo, alex] and "Age ▲" in headers(s)
        await s.press("greater_than_sign")  # age → number
        assert "Number ▲" in headers(s) and "by number ↑" in s.text("#queue-view")
        await s.press("greater_than_sign")  # → caller
        assert s.numbers() == [alex, cleo] and "Caller ▲" in headers(s)
        await s.press("less_than_sign")
        assert s.numbers() == [cleo, alex] and "Caller ▼" in headers(s)


async def test_the_state_shows_at_80_columns_and_every_column_at_160(desk: Desk) -> None:
    new_call(desk)
    async with queue_at(desk, (80, 24)) as s:
        assert headers(s) == ["Number", "Caller", "State", "Age ▲", "Summary"]
    async with queue_at(desk, (160, 48)) as s:
        assert headers(s) == ["Number", "Caller", "Service", "State", "Group", "Age ▲", "Summary"]
