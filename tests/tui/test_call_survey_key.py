"""A survey answered after the close, from the call's detail: ``y`` records the answers given on a
phone-back or by mail; the palette's ``survey: decline`` records a refusal; a call without an
open survey says why in words."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from freezegun import freeze_time

from bpsm import Desk
from bpsm_tui.dialogs.ask_form import AskForm
from bpsm_tui.dialogs.text_prompt import TextPrompt
from bpsm_tui.screens.call_detail import CallDetailScreen
from tests.helpers import OP, call_in
from tests.test_surveys import with_policy
from tests.tui.driver import Session, running

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def sampled(db_url: str, tmp_path: Path) -> Iterator[Desk]:
    """A desk that never asks at the close and surveys every closed call afterwards."""
    desk = Desk.open(db_url, catalogue=with_policy(tmp_path / "catalogue"))
    yield desk
    desk.close()


async def _detail(s: Session, call_id: int) -> CallDetailScreen:
    await s.app.push_screen(CallDetailScreen(call_id))
    await s.settle()
    screen = s.app.screen
    assert isinstance(screen, CallDetailScreen)
    return screen


def _offered(screen: CallDetailScreen) -> set[str]:
    """The binding ids the footer shows now."""
    return {
        b.binding.id for b in screen.active_bindings.values() if b.binding.show and b.binding.id
    }


async def test_answers_after_the_close_are_recorded_with_y(sampled: Desk) -> None:
    with freeze_time(T0):
        call = sampled.calls.close(call_in(sampled, "resolved").id, by=OP)
    assert sampled.surveys.for_call(call.id).state == "pending"
    async with running(sampled, "anna") as s:
        screen = await _detail(s, call.id)
        assert "survey.answer" in _offered(screen)
        await s.press("y")
        assert isinstance(s.app.screen, AskForm)
        await s.burst("2", "enter", "5", "ctrl+s")
        await s.settle()
        survey = sampled.surveys.for_call(call.id)
        assert (survey.state, survey.effort_score, survey.satisfaction) == ("answered", 2, 5)
        closed = sampled.calls.get(call.id)
        assert (closed.survey, closed.effort_score, closed.satisfaction) == ("answered", 2, 5)
        assert f"{call.number}'s survey answered (effort 2, satisfaction 5)" in s.infos()
        assert isinstance(s.app.screen, CallDetailScreen)
        assert "survey.answer" not in _offered(s.app.screen)  # answered: nothing left to record
        await s.press("y")  # pressed anyway: refused in words, nothing changes
        assert s.errors() and "answered" in s.errors()[-1]
        assert sampled.surveys.for_call(call.id).version == survey.version


async def test_a_declined_survey_from_the_palette_and_a_call_without_one(sampled: Desk) -> None:
    with freeze_time(T0):
        closed = sampled.calls.close(call_in(sampled, "resolved").id, by=OP)
    still_open = call_in(sampled, "in_progress")
    async with running(sampled, "anna") as s:
        screen = await _detail(s, closed.id)
        assert "survey: decline" in {c.name for c in screen.palette_commands()}
        screen.action_survey("decline")
        await s.settle()
        assert isinstance(s.app.screen, TextPrompt)  # why not (optional)
        await s.burst(*"no time", "enter")
        await s.settle()
        assert sampled.surveys.for_call(closed.id).state == "declined"
        assert sampled.calls.get(closed.id).survey == "not_answered"
        assert f"{closed.number}'s survey: the customer declined" in s.infos()
        s.app.pop_screen()
        await _detail(s, still_open.id)
        await s.press("y")
        warned = [n.message for n in s.notes if n.severity == "warning"]
        assert warned[-1] == f"{still_open.number} has no survey to answer (it is still open)"
