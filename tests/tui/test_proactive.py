"""The proactive screen driven by keys: maintenance done and skipped, an improvement approved into a
change, the recurring-disruption detector run from the screen, at 80×24 and 160×48.

Tasks are generated through the API under a frozen clock in January 2026, so by the time the app
runs (on the real clock) they are overdue: the screen shows them first, highlighted.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from freezegun import freeze_time
from textual.message import Message
from textual.notifications import Notification, Notify
from textual.widgets import DataTable

from bpsm import Desk
from bpsm_tui.app import DeskApp
from bpsm_tui.dialogs import TextPrompt
from bpsm_tui.dialogs.ask_form import AskForm
from bpsm_tui.screens.proactive import ProactiveScreen
from tests.helpers import new_call
from tests.tui.driver import Session

SIZES = [(80, 24), (160, 48)]


@contextlib.asynccontextmanager
async def on_screen(
    desk: Desk, operator: str, mode: str, size: tuple[int, int]
) -> AsyncIterator[Session]:
    """The desk app for ``operator`` at ``size``, switched to area ``mode`` and settled."""
    app = DeskApp(desk, operator, keymap={})
    notes: list[Notification] = []

    def hook(message: Message) -> None:
        if isinstance(message, Notify):
            notes.append(message.notification)

    async with app.run_test(size=size, message_hook=hook) as pilot:
        s = Session(pilot, notes)
        await s.settle()
        await app.switch_mode(mode)
        await s.settle()
        yield s


def rows(s: Session, table: str) -> list[list[str]]:
    """The cells of a table on the current screen, as plain text."""
    widget = s.app.screen.query_one(f"#{table}-table", DataTable)
    return [
        [getattr(c, "plain", str(c)) for c in widget.get_row_at(i)] for i in range(widget.row_count)
    ]


@pytest.fixture
def tasks_due(desk: Desk) -> Desk:
    with freeze_time(datetime(2026, 1, 5, 9, tzinfo=UTC)):
        desk.maintenance.generate(by="admin")
    return desk


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_specialist_completes_one_maintenance_task_and_skips_the_next(
    tasks_due: Desk, size: tuple[int, int]
) -> None:
    desk = tasks_due
    todo = desk.maintenance.tasks(
        kind="maintenance", states=("scheduled",), assignee=["ben", "second-line-it"], limit=2
    ).items
    async with on_screen(desk, "ben", "proactive", size) as s:
        assert isinstance(s.app.screen, ProactiveScreen)
        await s.press("m")
        shown = rows(s, "tasks")
        assert shown[0][1] == "overdue" and shown[0][2] == todo[0].service_id
        await s.press("c")
        assert isinstance(s.app.screen, TextPrompt)
        await s.type("toner replaced")
        await s.press("enter")
        done = desk.maintenance.get(todo[0].id)
        assert (done.state, done.note, done.done_by) == ("done", "toner replaced", "ben")
        await s.press("s")
        await s.type("printer out of service this week")
        await s.press("enter")
        skipped = desk.maintenance.get(todo[1].id)
        assert (skipped.state, skipped.skip_reason) == (
            "skipped",
            "printer out of service this week",
        )
        assert not s.errors()
        assert todo[0].id not in [t.id for t in desk.maintenance.due()]


async def test_skip_without_a_reason_is_refused_and_the_task_stays_scheduled(
    tasks_due: Desk,
) -> None:
    first = tasks_due.maintenance.tasks(kind="maintenance", states=("scheduled",), limit=1).items[0]
    async with on_screen(tasks_due, "ben", "proactive", (80, 24)) as s:
        await s.press("s", "enter")
        assert isinstance(s.app.screen, TextPrompt)  # the prompt stays, saying what is missing
        await s.press("escape")
        assert tasks_due.maintenance.get(first.id).state == "scheduled"


async def test_account_manager_sees_their_contacts_due_first_then_everyones(
    tasks_due: Desk,
) -> None:
    async with on_screen(tasks_due, "dave", "proactive", (160, 48)) as s:
        await s.press("o")
        shown = rows(s, "contacts")
        assert shown, "the account-contact plans have tasks"
        assert {r[1] for r in shown} == {"overdue"}
        assert {r[3] for r in shown} == {"Dave Peters"}
        await s.press("f")
        assert len({r[3] for r in rows(s, "contacts")}) > 1
        await s.press("f", "f", "f", "f")  # done, skipped, all, back to mine
        await s.press("c")
        await s.type("finance wants docking stations")
        await s.press("enter")
        assert not s.errors()
        assert "finance wants docking stations" in [
            t.note for t in tasks_due.maintenance.tasks(kind="account_contact", limit=100).items
        ]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_change_manager_approves_an_improvement_into_a_change_and_sees_its_number(
    desk: Desk, size: tuple[int, int]
) -> None:
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
    async with on_screen(desk, "carla", "proactive", size) as s:
        await s.press("i")
        assert rows(s, "improvements")[0][1] == "assessed"
        await s.press("p")
        assert isinstance(s.app.screen, AskForm)
        await s.press("ctrl+s")
        approved = desk.improvements.get(idea.id)
        assert approved.state == "approved" and approved.change_id is not None
        assert f"IM-{idea.id:06d} approved: CH-{approved.change_id:06d} opened" in s.infos()
        assert rows(s, "improvements") == []  # gone from the open ones
        await s.press("f", "f", "f")  # open → identified → assessed → approved
        assert "approved" in s.text("#improvements-status")
        assert f"CH-{approved.change_id:06d}" in rows(s, "improvements")[0]  # the change column
        assert desk.changes.get(approved.change_id).state == "draft"


async def test_operator_is_not_offered_approve_and_the_library_refuses_it(desk: Desk) -> None:
    idea = desk.improvements.identify(
        source="other", title="Quieter printers", description="Too loud.", by="anna"
    )
    async with on_screen(desk, "anna", "proactive", (80, 24)) as s:
        await s.press("i")
        screen = s.app.screen
        assert screen.check_action("step", ("improvement", "approve")) is False
        await s.press("p")
        assert desk.improvements.get(idea.id).state == "identified"


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
async def test_change_manager_runs_the_detector_and_sees_the_burst(
    desk: Desk, size: tuple[int, int]
) -> None:
    for n in range(5):
        new_call(desk, service="printing", summary=f"Printer jams again ({n})")
    async with on_screen(desk, "carla", "proactive", size) as s:
        await s.press("d")
        assert rows(s, "disruptions") == []
        await s.press("r")
        found = rows(s, "disruptions")
        assert len(found) == 1
        assert found[0][1:5] == ["identified", "printing", "5", "7 days"]
        await s.press("r")  # the same burst is never reported twice
        assert len(rows(s, "disruptions")) == 1
        assert any("No new recurring disruption" in n for n in s.infos())


async def test_palette_lists_what_the_change_manager_may_do_here(desk: Desk) -> None:
    async with on_screen(desk, "carla", "proactive", (80, 24)) as s:
        await s.press("d")
        names = {c.name for c in s.app.screen.palette_commands()}  # type: ignore[attr-defined]
        assert {"improvement: approve", "improvement: detect now", "list: filter"} <= names
        assert "task: complete" not in names  # a change manager does not complete tasks


async def test_specialist_assesses_and_the_change_manager_drops_with_a_reason(desk: Desk) -> None:
    idea = desk.improvements.identify(
        source="customer_needs", title="Quieter printers", description="Too loud.", by="anna"
    )
    async with on_screen(desk, "ben", "proactive", (160, 48)) as s:
        await s.press("i", "a")
        assert isinstance(s.app.screen, AskForm)
        await s.press("enter", "down", "enter")  # worth it? the first choice: yes
        await s.press("tab")
        await s.type("4")
        await s.press("tab")
        await s.type("fewer complaints")
        await s.press("ctrl+s")
        assessed = desk.improvements.get(idea.id)
        assert (assessed.state, assessed.worth_it, assessed.effort_hours) == ("assessed", True, 4.0)
    async with on_screen(desk, "carla", "proactive", (80, 24)) as s:
        await s.press("i", "x")
        await s.press("enter")  # no reason: refused in the prompt
        assert isinstance(s.app.screen, TextPrompt)
        await s.type("the new printers are quiet")
        await s.press("enter")
        dropped = desk.improvements.get(idea.id)
        assert (dropped.state, dropped.drop_reason) == ("dropped", "the new printers are quiet")
