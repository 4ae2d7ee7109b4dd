"""Each role's main flow, keyboard only, as one app session at 80×24, where the other test files do
not already drive it end to end by keys.

Already covered elsewhere and not repeated here: resolve at first contact (tests/test_tui.py), the
relation case to a refusal (test_relations.py), the change gate failed, passed, implemented and
rolled back (test_change_board.py), maintenance done and skipped, an assessed improvement approved
(test_proactive.py), an add-on sold and a lead won (test_recommendations.py).

What a person types into a dialog is sent in one burst (``Session.burst``), as a fast typist or a
paste does; the key that opens a dialog is pressed on its own. Each flow checks the outcome in the
library and on the screen.
"""

from __future__ import annotations

from textual.widgets import DataTable

from bpsm import Desk
from bpsm_tui.dialogs import SurveyDialog, TextPrompt
from bpsm_tui.dialogs.ask_form import AskForm
from bpsm_tui.screens import CallDetailScreen, QueueScreen
from bpsm_tui.screens.proactive import ProactiveScreen
from tests.helpers import call_in, new_call
from tests.tui.driver import running

SMALL = (80, 24)


def cells(s: object, table: str) -> list[list[str]]:
    """The rows of table ``#<table>-table`` on the current screen, as plain text."""
    widget = s.app.screen.query_one(f"#{table}-table", DataTable)  # type: ignore[attr-defined]
    return [
        [getattr(c, "plain", str(c)) for c in widget.get_row_at(i)] for i in range(widget.row_count)
    ]


async def test_operator_registers_accepts_resolves_and_closes_a_call(desk: Desk) -> None:
    async with running(desk, "anna", size=SMALL) as s:
        await s.fill_new_call("Kim Jansen", "laptop", "Screen flickers")
        await s.press("ctrl+s")  # register; with a catalogue service it is accepted too
        [call] = desk.calls.queue().items
        assert (call.state, call.service_id, call.registered_by) == (
            "in_progress",
            "laptop",
            "anna",
        )
        assert isinstance(s.app.screen, QueueScreen)
        assert s.numbers() == [call.number]
        assert f"{call.number} registered and accepted" in s.infos()
        assert s.text("#call-hint").startswith(f"{call.number} in progress · keys: ")

        await s.press("r")
        assert isinstance(s.app.screen, TextPrompt)
        await s.burst(*"Replaced the display cable", "enter")
        resolved = desk.calls.get(call.id)
        assert (resolved.state, resolved.solution) == ("resolved", "Replaced the display cable")
        assert s.text("#call-hint").startswith(f"{call.number} resolved · keys: ")

        await s.press("c")
        assert isinstance(s.app.screen, SurveyDialog)
        await s.burst("3", "enter", "4", "enter")
        closed = desk.calls.get(call.id)
        assert (closed.state, closed.effort_score, closed.satisfaction) == ("closed", 3, 4)
        assert isinstance(s.app.screen, QueueScreen)
        assert s.numbers() == []  # closed calls leave the open queue
        assert f"{call.number} closed (effort 3, satisfaction 4)" in s.infos()
        assert [e.trigger for e in desk.history(closed)][-3:] == ["accept", "resolve", "close"]
        assert not s.errors()


async def test_change_manager_detects_a_disruption_assesses_it_and_approves_it_into_a_change(
    desk: Desk,
) -> None:
    for n in range(5):
        new_call(desk, service="printing", summary=f"Printer jams again ({n})")
    async with running(desk, "carla", size=SMALL) as s:
        await s.press("4", "d", "r")  # proactive → disruptions → detect now
        assert isinstance(s.app.screen, ProactiveScreen)
        [found] = cells(s, "disruptions")
        assert found[1:3] == ["identified", "printing"]
        [idea] = desk.improvements.page(states=("identified",)).items

        await s.press("i", "a")  # the open improvements; assess the one found
        assert isinstance(s.app.screen, AskForm)
        await s.press("enter", "down", "enter")  # worth it? yes
        await s.press("tab")
        await s.burst(*"6", "tab", *"fewer printer calls")
        await s.press("ctrl+s")
        assessed = desk.improvements.get(idea.id)
        assert (assessed.state, assessed.effort_hours, assessed.benefit) == (
            "assessed",
            6.0,
            "fewer printer calls",
        )
        assert cells(s, "improvements")[0][1] == "assessed"

        await s.press("p")
        assert isinstance(s.app.screen, AskForm)
        await s.press("ctrl+s")
        approved = desk.improvements.get(idea.id)
        assert approved.state == "approved" and approved.change_id is not None
        assert desk.changes.get(approved.change_id).state == "draft"
        assert f"IM-{idea.id:06d} approved: CH-{approved.change_id:06d} opened" in s.infos()
        assert cells(s, "improvements") == []  # no longer open
        assert not s.errors()


async def test_enter_typed_right_after_down_in_the_queue_opens_the_call_moved_to(
    desk: Desk,
) -> None:
    """The queue's enter runs in the app itself (a priority binding): it waits until the table
    has moved for the downs typed before it."""
    calls = [new_call(desk, caller=f"Caller {i}") for i in range(3)]
    async with running(desk, "anna", size=SMALL) as s:
        await s.burst("down", "down", "enter")
        assert isinstance(s.app.screen, CallDetailScreen)
        assert s.app.screen.call_id == calls[2].id


async def test_the_survey_answers_typed_ahead_with_c_close_the_call(desk: Desk) -> None:
    """Keys typed right after c wait for the survey to open: none reaches the queue (2 was the
    change board, enter the call's details)."""
    call = call_in(desk, "resolved")
    async with running(desk, "anna", size=SMALL) as s:
        await s.burst("c", "2", "enter", "5", "enter")
        closed = desk.calls.get(call.id)
        assert (closed.state, closed.effort_score, closed.satisfaction) == ("closed", 2, 5)
        assert isinstance(s.app.screen, QueueScreen)
        assert [n.severity for n in s.notes] == ["information"]  # closed, nothing refused


async def test_a_step_the_role_may_not_take_is_refused_naming_the_call_and_its_state(
    desk: Desk,
) -> None:
    call = call_in(desk, "waiting_customer")
    async with running(desk, "eve", size=SMALL) as s:
        await s.press("1", "u")  # the manager lands on the KPIs; resume the waiting call
        [error] = s.errors()
        assert error.startswith(f"{call.number} waiting: customer: 'eve' may not call.resume")
        assert desk.calls.get(call.id) == call


async def test_a_choice_made_in_a_list_then_fields_typed_ahead_land_where_typed(
    desk: Desk,
) -> None:
    idea = desk.improvements.identify(
        source="other", title="Quieter printers", description="Too loud.", by="anna"
    )
    async with running(desk, "carla", size=SMALL) as s:
        await s.press("4", "i", "a", "enter")  # assess; open the "worth it?" list
        await s.burst("down", "enter", "tab", "8", "tab", *"fewer complaints", "ctrl+s")
        assessed = desk.improvements.get(idea.id)
        assert (assessed.state, assessed.worth_it, assessed.effort_hours, assessed.benefit) == (
            "assessed",
            True,
            8.0,
            "fewer complaints",
        )
        assert cells(s, "improvements")[0][1] == "assessed"
