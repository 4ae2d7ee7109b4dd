"""Closing a call with the survey, and setting its service, driven by keys as an operator would.

The survey answers are typed in one burst as well as key by key (``Session.burst`` hands every key
to the app before it handles the first, as a terminal paste or a fast typist does): every key
must land in the field it was typed for, on every one of many fresh dialogs.
"""

from __future__ import annotations

import pytest

from bpsm import Desk
from bpsm_tui.dialogs import ServiceDialog, SurveyDialog
from bpsm_tui.screens import QueueScreen
from tests.helpers import call_in, new_call
from tests.tui.driver import Session, running

BURSTS = [
    ("2", "enter", "5", "enter"),
    ("2", "tab", "5", "enter"),
    ("2", "enter", "5", "ctrl+s"),
    ("tab", "5", "shift+tab", "2", "enter", "enter"),
]


async def open_survey(s: Session) -> SurveyDialog:
    """Press ``c`` on the selected call; the survey dialog is what shows."""
    await s.press("c")
    assert isinstance(s.app.screen, SurveyDialog)
    return s.app.screen


@pytest.mark.parametrize("keys", BURSTS, ids=" ".join)
async def test_survey_answers_typed_in_one_burst_are_both_recorded_every_time(
    desk: Desk, keys: tuple[str, ...]
) -> None:
    calls = [call_in(desk, "resolved") for _ in range(8)]  # 4 bursts × 8: 32 fresh dialogs
    async with running(desk) as s:
        for call in calls:
            await open_survey(s)
            await s.burst(*keys)
            closed = desk.calls.get(call.id)
            assert (closed.state, closed.survey, closed.effort_score, closed.satisfaction) == (
                "closed",
                "answered",
                2,
                5,
            ), f"{call.number} after {' '.join(keys)}"
            assert isinstance(s.app.screen, QueueScreen)
            assert f"{call.number} closed (effort 2, satisfaction 5)" in s.infos()


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("99", "effort: 99 is not an answer from 1 to 7"),
        ("abc", "effort: 'abc' is not an answer from 1 to 7"),
        ("0", "effort: 0 is not an answer from 1 to 7"),
    ],
)
async def test_a_bad_answer_is_explained_and_the_call_stays_resolved_until_corrected(
    desk: Desk, typed: str, why: str
) -> None:
    call = call_in(desk, "resolved")
    async with running(desk) as s:
        dialog = await open_survey(s)
        await s.type(typed)
        assert s.text(".dialog-error") == why  # explained as it is typed
        await s.burst("enter", "5", "enter")
        assert s.app.screen is dialog  # not closed: the answer is refused
        assert s.text(".dialog-error") == why
        assert s.app.focused is dialog.query_one("#effort")  # back on the wrong answer
        assert desk.calls.get(call.id) == call

        await s.press(*["backspace"] * len(typed))
        assert s.text(".dialog-error") == ""
        await s.burst("3", "enter", "enter")  # satisfaction still holds 5
        closed = desk.calls.get(call.id)
        assert (closed.survey, closed.effort_score, closed.satisfaction) == ("answered", 3, 5)


async def test_an_out_of_range_satisfaction_is_explained_with_its_own_range(desk: Desk) -> None:
    call = call_in(desk, "resolved")
    async with running(desk) as s:
        await open_survey(s)
        await s.burst("2", "enter", "6", "enter")
        assert s.text(".dialog-error") == "satisfaction: 6 is not an answer from 1 to 5"
        assert desk.calls.get(call.id).state == "resolved"


async def test_enter_without_any_answer_does_not_close_the_call(desk: Desk) -> None:
    call = call_in(desk, "resolved")
    async with running(desk) as s:
        dialog = await open_survey(s)
        await s.burst("enter", "enter")
        assert s.app.screen is dialog
        assert "ctrl+n if the customer did not answer" in s.text(".dialog-error")
        assert desk.calls.get(call.id) == call


async def test_customer_did_not_answer_is_an_explicit_choice_recorded_as_such(
    desk: Desk,
) -> None:
    call = call_in(desk, "resolved")
    async with running(desk) as s:
        await open_survey(s)
        await s.press("ctrl+n")
        closed = desk.calls.get(call.id)
        assert (closed.state, closed.survey, closed.effort_score) == (
            "closed",
            "not_answered",
            None,
        )
        assert desk.history(closed)[-1].data == {"survey": "not_answered"}
        assert f"{call.number} closed (the customer did not answer the survey)" in s.infos()


async def test_did_not_answer_with_an_answer_typed_is_refused_so_no_answer_is_lost(
    desk: Desk,
) -> None:
    call = call_in(desk, "resolved")
    async with running(desk) as s:
        dialog = await open_survey(s)
        await s.burst("4", "ctrl+n")
        assert s.app.screen is dialog
        assert s.text(".dialog-error").startswith("Answers are typed")
        assert desk.calls.get(call.id) == call


async def test_accept_is_not_offered_for_a_call_without_a_service_but_setting_one_is(
    desk: Desk,
) -> None:
    call = new_call(desk, service=None)
    async with running(desk) as s:
        hint = s.text("#call-hint")
        assert hint.startswith(f"{call.number} registered · keys: ")
        assert "a accept" not in hint
        assert "x exception" in hint and hint.endswith("v service · l log contact")


async def test_operator_sets_the_service_through_the_catalogue_search_then_accepts(
    desk: Desk,
) -> None:
    call = new_call(desk, service=None, summary="Mouse stopped working")
    async with running(desk) as s:
        await s.press("v")
        dialog = s.app.screen
        assert isinstance(dialog, ServiceDialog)
        assert s.text("#service-now") == "Now: no catalogue service"
        await s.type("mouse")
        await s.press("enter")  # the best match; the focus moves to the reason
        assert "Monitors, headsets and peripherals" in s.text("#service-chosen")
        await s.type("It is the mouse")
        await s.press("enter")
        now = desk.calls.get(call.id)
        assert (now.state, now.service_id, now.service_version) == ("registered", "peripherals", 1)
        event = desk.history(now)[-1]
        assert (event.trigger, event.reason) == ("set_service", "It is the mouse")
        assert f"{call.number} is now about peripherals v1" in s.infos()
        assert "a accept" in s.text("#call-hint")  # offered now that the call has a service

        await s.press("a")
        assert desk.calls.get(call.id).state == "in_progress"


async def test_the_service_dialog_needs_a_choice_and_esc_changes_nothing(desk: Desk) -> None:
    call = call_in(desk, "in_progress")
    async with running(desk) as s:
        await s.press("v")
        assert s.text("#service-now") == "Now: laptop v1"
        await s.press("ctrl+s")
        assert isinstance(s.app.screen, ServiceDialog)
        assert s.text(".dialog-error").startswith("Choose the service first")
        await s.press("escape")
        assert isinstance(s.app.screen, QueueScreen)
    assert desk.calls.get(call.id) == call
