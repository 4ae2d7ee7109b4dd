"""The generic form a step gets from what it asks, filled by keys sent in one burst.

Enter and tab move on before the next key is handed to a field, and the form confirms only once
every field holds what was typed into it (``bpsm_tui.dialogs.base.FIELD_BINDINGS``).
"""

from __future__ import annotations

import pytest

from bpsm import Calls, Desk, Step
from bpsm.processes.base import Ask, text
from bpsm.processes.calls.steps import REACTIVE
from bpsm_tui.data.actions import actions_for
from bpsm_tui.dialogs import AskForm
from tests.helpers import new_call
from tests.tui.driver import running

MINUTES = Step.row(
    "book_time",
    "registered",
    None,
    {"operator"},
    "book the minutes spent on the call so far",
    asks=[
        Ask("minutes", "Minutes spent", "int", low=1, high=480),
        text("reason", "On what?", guard="time_note", why="say what the time went on"),
    ],
)


@pytest.fixture
def booking(monkeypatch: pytest.MonkeyPatch) -> object:
    process = REACTIVE.with_steps(MINUTES)
    monkeypatch.setattr(Calls, "process", process)
    return process


@pytest.mark.parametrize(
    "keys", [("1", "5", "enter", "x", "enter"), ("1", "5", "tab", "x", "ctrl+s")], ids=" ".join
)
async def test_a_generic_form_filled_in_one_burst_gets_every_answer(
    desk: Desk, booking: object, keys: tuple[str, ...]
) -> None:
    action = actions_for(booking)["book_time"]  # type: ignore[arg-type]
    calls = [new_call(desk) for _ in range(5)]
    async with running(desk) as s:
        for call in calls:
            s.app.run_step("calls", call, action)
            await s.settle()
            assert isinstance(s.app.screen, AskForm)
            await s.burst(*keys)
            last = desk.history(call)[-1]
            assert (last.trigger, last.reason) == ("book_time", "x"), call.number


async def test_a_generic_form_refuses_an_answer_out_of_range_and_stays_open(
    desk: Desk, booking: object
) -> None:
    call = new_call(desk)
    async with running(desk) as s:
        s.app.run_step("calls", call, actions_for(booking)["book_time"])  # type: ignore[arg-type]
        await s.settle()
        form = s.app.screen
        await s.burst("9", "9", "9", "enter", "x", "enter")
        assert s.app.screen is form
        assert s.text(".dialog-error") == "minutes: 999 is not an answer from 1 to 480"
    assert desk.history(call)[-1].trigger == "register"
