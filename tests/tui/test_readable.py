"""What the screens say is what a person reads: the desk's own help on every screen's ``?``,
the question of a focused field in view at 80×24, improvement sources in words, change history
and board entries naming records as the screens do (``IM-000001``, not ``improvement 1``)."""

from __future__ import annotations

import pytest
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Label, Select

from bpsm import Desk
from bpsm_tui.dialogs.ask_form import AskForm
from bpsm_tui.screens.change_detail import ChangeDetailScreen
from bpsm_tui.screens.help import HelpScreen
from tests.tui.driver import Session, running
from tests.tui.test_change_board import shown

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]


def assessed_idea(desk: Desk) -> int:
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
    return idea.id


def help_actions(s: Session) -> list[str]:
    screen = s.app.screen
    assert isinstance(screen, HelpScreen), type(screen).__name__
    table = screen.query_one(DataTable)
    return [str(table.get_row_at(i)[1]) for i in range(table.row_count)]


@pytest.mark.parametrize(
    ("operator", "area", "own_key"),
    [
        ("carla", "proactive", "Detect now"),
        ("anna", "recommendations", "Leaderboard"),
        ("carla", "changes", "Approve"),
        ("anna", "catalogue", "Search"),
        ("dave", "relations", "New case"),
    ],
)
async def test_question_mark_opens_the_desks_help_with_the_screens_own_keys(
    desk: Desk, operator: str, area: str, own_key: str
) -> None:
    async with running(desk, operator, size=(80, 24)) as s:
        await s.app.switch_mode(area)
        await s.settle()
        if area == "proactive":
            await s.press("d")  # the disruptions tab: its detector key
        # the catalogue opens in its search field, where ? is typed: F1 works there too
        await s.press("f1" if area == "catalogue" else "question_mark")
        actions = help_actions(s)
        assert not s.app.screen.query("HelpPanel")  # not Textual's key panel
        assert own_key in actions, actions
        assert "Menu" in actions  # and the desk's keys
        await s.press("escape")
        assert not isinstance(s.app.screen, HelpScreen)


async def test_a_dialog_that_scrolls_at_80x24_keeps_each_focused_fields_question_in_view(
    desk: Desk,
) -> None:
    async with running(desk, "carla", size=(80, 24)) as s:
        await s.app.switch_mode("proactive")
        await s.settle()
        await s.press("i", "n")
        form = s.app.screen
        assert isinstance(form, AskForm)
        fields = form.query_one(".dialog-fields", VerticalScroll)
        labels = list(fields.query(Label))
        for index, label in enumerate(labels):
            if index:
                await s.press("tab")
            assert fields.can_view_entire(label), f"question {index} hidden: {label.content}"
            assert fields.can_view_entire(s.app.focused), f"field {index} hidden"  # type: ignore[arg-type]


async def test_the_improvement_sources_are_offered_in_words(desk: Desk) -> None:
    async with running(desk, "carla", size=(80, 24)) as s:
        await s.app.switch_mode("proactive")
        await s.settle()
        await s.press("i", "n")
        source = s.app.screen.query_one("#ask-source", Select)
        prompts = [str(prompt) for prompt, _ in source._options]
        assert "recurring disruption" in prompts and "new technology" in prompts
        assert not any("_" in p for p in prompts)


@pytest.mark.parametrize("size", SIZES)
async def test_a_change_from_an_improvement_names_it_on_the_board_and_in_its_history(
    desk: Desk, size: tuple[int, int]
) -> None:
    idea = assessed_idea(desk)
    approved = desk.improvements.approve(idea, by="carla")
    number = f"IM-{idea:06d}"
    async with running(desk, "carla", size=size) as s:
        await s.app.switch_mode("changes")
        await s.settle()
        board = s.app.screen.query_one(DataTable)
        summaries = [
            " ".join(getattr(c, "plain", str(c)) for c in board.get_row_at(i))
            for i in range(board.row_count)
        ]
        assert any(number in row for row in summaries), summaries
        assert not any("Improvement 1" in row for row in summaries)
        await s.press("enter")
        assert isinstance(s.app.screen, ChangeDetailScreen)
        said = " ".join(shown(s, "#change-history").split())
        assert number in said, said
        assert "origin=" not in said and "improvement 1" not in said
        assert "_id=" not in said and "service_id" not in said
    assert approved.change_id is not None


async def test_a_refused_change_step_names_the_change_and_its_state_as_the_board_shows_them(
    desk: Desk,
) -> None:
    idea = assessed_idea(desk)
    change_id = desk.improvements.approve(idea, by="carla").change_id
    assert change_id is not None
    async with running(desk, "carla", size=(80, 24)) as s:
        await s.app.switch_mode("changes")
        await s.settle()
        await s.press("a")  # approve a draft: refused
        said = " ".join([*s.errors(), s.text("#change-message")])
        assert f"CH-{change_id:06d}" in said, said
        assert "change " + str(change_id) not in said and "_" not in said
