"""The change board driven by keys as a change manager works it, and refused to an operator.

A change fails the gate (approve is refused with every unmet item shown in the screen's message
area), its checklist is marked item by item with evidence, it is approved, implemented (the
catalogue's published version moves and the file is written back) and rolled back (the restored
version and its lineage shown) — at 80×24 and at 160×48.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from rich.console import Console
from textual.message import Message
from textual.notifications import Notification, Notify
from textual.widgets import DataTable, Static, TextArea

from bpsm import ChangeView, Desk
from bpsm_tui.app import DeskApp
from bpsm_tui.areas import AREAS
from bpsm_tui.dialogs.ask_form import AskForm
from bpsm_tui.dialogs.definition_dialog import DefinitionDialog
from bpsm_tui.screens.change_board import ChangeBoardScreen
from bpsm_tui.screens.change_detail import ChangeDetailScreen
from tests.conftest import CATALOGUE
from tests.helpers import submitted_change
from tests.tui.driver import Session
from tests.tui.test_record_keys import footer_keys

ITEMS = ["tested", "rollback-plan", "desk-ready", "documentation", "parties-informed"]
SIZES = [(80, 24), (160, 48)]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "catalogue"
    shutil.copytree(CATALOGUE, root)  # the change process writes service files back
    return root


@pytest.fixture
def cdesk(db_url: str, folder: Path) -> Iterator[Desk]:
    d = Desk.open(db_url, catalogue=folder)
    yield d
    d.close()


def laptop_version(desk: Desk) -> int:
    return next(s.current_version for s in desk.services.list() if s.id == "laptop")


@contextlib.asynccontextmanager
async def on_board(desk: Desk, operator: str, size: tuple[int, int]) -> AsyncIterator[Session]:
    """The desk at ``size`` with the change board showing, loaded and settled."""
    app = DeskApp(desk, operator, keymap={})
    notes: list[Notification] = []

    def hook(message: Message) -> None:
        if isinstance(message, Notify):
            notes.append(message.notification)

    async with app.run_test(size=size, message_hook=hook) as pilot:
        s = Session(pilot, notes)
        await s.settle()
        if not isinstance(app.screen, ChangeBoardScreen):
            await app.switch_mode("changes")
        await s.settle()
        assert isinstance(app.screen, ChangeBoardScreen)
        yield s


def shown(s: Session, selector: str) -> str:
    """What a Static on the current screen shows, as plain text (tables rendered)."""
    console = Console(width=200, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(s.app.screen.query_one(selector, Static).content)
    return console.export_text()


def visible(s: Session, selector: str) -> bool:
    """The widget is displayed and lies on the screen (not pushed off at small sizes)."""
    widget = s.app.screen.query_one(selector)
    region, screen = widget.region, s.app.screen.region
    return widget.display and region.height > 0 and screen.contains_region(region)


async def mark(s: Session, index: int, evidence: str) -> None:
    """k: choose the index-th checklist item, type the evidence, confirm."""
    await s.press("k")
    assert isinstance(s.app.screen, AskForm)
    await s.press("enter", *(["down"] * index), "enter", "tab")
    await s.type(evidence)
    await s.press("ctrl+s")


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
async def test_change_manager_fails_the_gate_marks_the_checklist_approves_implements_and_rolls_back(
    cdesk: Desk, folder: Path, size: tuple[int, int]
) -> None:
    change = submitted_change(cdesk)
    before = laptop_version(cdesk)
    async with on_board(cdesk, "carla", size) as s:
        assert change.number in shown(s, "#change-hint")
        await s.press("enter")
        assert isinstance(s.app.screen, ChangeDetailScreen)
        assert "+  lead_time: P3D" in shown(s, "#change-diff")
        assert f"laptop: v{before} → proposed" in shown(s, "#change-diff-title")

        await s.press("a", "enter")  # approve, no note
        refusal = shown(s, "#change-message")
        assert "approve refused" in refusal and "the checklist is not met" in refusal
        assert all(f"✗ {item} (" in refusal for item in ITEMS), refusal
        assert "✗ rollback-plan (A rollback plan exists; the higher" in refusal
        assert visible(s, "#change-message")
        assert cdesk.changes.get(change.id).state == "submitted"

        for index, item in enumerate(ITEMS):
            await mark(s, index, f"{item}: pilot report")
        marked = cdesk.changes.get(change.id)
        assert marked.unmet == [] and {i.by for i in marked.checklist} == {"carla"}
        checklist = shown(s, "#change-checklist")
        assert "Carla Mulder" in checklist and "documentation: pilot report" in checklist

        await s.press("a", "enter")
        assert cdesk.changes.get(change.id).state == "approved"
        await s.press("i")
        assert f"laptop v{before + 1} published" in shown(s, "#change-message")
        assert laptop_version(cdesk) == before + 1
        assert "lead_time: P3D" in (folder / "services" / "laptop.yaml").read_text()
        assert f"implemented: v{before} → v{before + 1}" in shown(s, "#change-fields")

        await s.press("b")
        await s.type("suppliers cannot keep up")
        await s.press("enter")
        rolled = cdesk.changes.get(change.id)
        assert rolled.state == "rolled_back" and laptop_version(cdesk) == before + 2
        assert f"rolled back: v{before + 2} restores v{before}" in shown(s, "#change-fields")
        assert f"laptop v{before} restored" in shown(s, "#change-message")
        assert (folder / "services" / "laptop.yaml").read_text() == (
            CATALOGUE / "services" / "laptop.yaml"
        ).read_text()
        assert not s.errors(), s.errors()  # said in the message area, no toast on top

        await s.press("escape")
        assert isinstance(s.app.screen, ChangeBoardScreen)
        assert change.number not in shown(s, "#change-hint")  # gone from the open changes
        await s.press("f", "f", "f", "f", "f", "f")  # open → draft … → rolled back
        assert "rolled back" in shown(s, "#board-title")
        assert change.number in shown(s, "#change-hint")


def test_the_board_is_not_offered_to_operators_and_is_home_for_the_change_manager() -> None:
    area = next(a for a in AREAS if a.mode == "changes")
    assert "operator" not in area.roles
    assert {"change_manager", "manager", "specialist", "account_manager"} <= area.roles
    assert area.home_for == frozenset({"change_manager"})


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
async def test_operator_approving_a_change_is_refused_with_the_librarys_reason(
    cdesk: Desk, size: tuple[int, int]
) -> None:
    change = submitted_change(cdesk)
    async with on_board(cdesk, "anna", size) as s:
        assert "you cannot act on this change" in shown(s, "#change-hint")
        await s.press("a")
        refusal = shown(s, "#change-message")
        assert "'anna' may not change.approve: needs role change_manager" in refusal
        assert visible(s, "#change-message")
        assert cdesk.changes.get(change.id).state == "submitted"


@pytest.mark.postgres_too
async def test_board_filters_cycle_and_pages_come_from_the_database(cdesk: Desk) -> None:
    ids = [submitted_change(cdesk).id for _ in range(3)]
    async with on_board(cdesk, "carla", (80, 24)) as s:
        board = s.app.screen
        assert isinstance(board, ChangeBoardScreen)
        board.PAGE_SIZE = 2
        await s.press("g")
        assert "1–2 of 3" in shown(s, "#board-status")
        await s.press("pagedown")
        assert "3–3 of 3" in shown(s, "#board-status")
        assert f"CH-{ids[0]:06d}" in shown(s, "#change-hint")
        await s.press("F")  # open ← all
        assert "· all" in shown(s, "#board-title")
        await s.press("f", "f")  # all → open → draft
        assert "no changes with this filter" in shown(s, "#board-status")


async def test_marking_an_item_not_met_withdraws_the_earlier_mark(cdesk: Desk) -> None:
    change = submitted_change(cdesk)
    async with on_board(cdesk, "ben", (80, 24)) as s:  # a specialist marks items too
        await mark(s, 0, "pilot week went fine")
        assert cdesk.changes.get(change.id).unmet == ITEMS[1:]
        await s.press("k", "enter", "enter", "tab")  # the first item again
        await s.type("the pilot found a driver problem")
        await s.press("tab", "enter", "down", "down", "enter")  # met? blank → yes → no
        await s.press("ctrl+s")
        withdrawn = cdesk.changes.get(change.id).checklist[0]
        assert (withdrawn.met, withdrawn.evidence) == (False, "the pilot found a driver problem")
        assert "CH-000001: tested marked not met" in shown(s, "#change-message")


async def test_enter_typed_right_after_down_opens_the_change_moved_to(cdesk: Desk) -> None:
    ids = [submitted_change(cdesk).id for _ in range(3)]
    async with on_board(cdesk, "carla", (80, 24)) as s:
        await s.burst("down", "enter")  # as a fast typist sends them: both before the first runs
        assert isinstance(s.app.screen, ChangeDetailScreen)
        assert s.app.screen.change_id == ids[1]


async def test_the_palette_lists_the_change_steps_namespaced_with_their_keys(cdesk: Desk) -> None:
    submitted_change(cdesk)
    async with on_board(cdesk, "carla", (80, 24)) as s:
        board = s.app.screen
        assert isinstance(board, ChangeBoardScreen)
        names = {c.name: c.help for c in board.palette_commands()}
        assert {"change: approve", "change: implement", "change: roll back"} <= set(names)
        assert "key a" in names["change: approve"]
        await s.press("ctrl+p")
        await s.type("change: appr")
        await s.press("enter", "enter")  # the entry, then the approval's note prompt
        assert "the checklist is not met" in shown(s, "#change-message")


def implemented_change(desk: Desk) -> ChangeView:
    """Faster laptop delivery, through the gate and published."""
    change = submitted_change(desk)
    for item in ITEMS:
        desk.changes.check_item(change.id, item, evidence=f"{item}: pilot report", by="carla")
    desk.changes.approve(change.id, by="carla")
    return desk.changes.implement(change.id, by="carla")


async def test_an_implemented_change_stays_on_the_default_filter_to_be_rolled_back(
    cdesk: Desk,
) -> None:
    change = implemented_change(cdesk)
    before = laptop_version(cdesk)
    async with on_board(cdesk, "carla", (80, 24)) as s:
        assert "open or implemented" in shown(s, "#board-title")  # the board as it opens
        assert change.number in shown(s, "#change-hint")
        await s.press("b")  # roll back right from the board
        await s.type("suppliers cannot keep up")
        await s.press("enter")
        assert cdesk.changes.get(change.id).state == "rolled_back"
        assert laptop_version(cdesk) == before + 1
        assert change.number not in shown(s, "#change-hint")  # done: gone from the default


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
async def test_a_change_from_an_improvement_is_edited_into_a_real_proposal_before_the_gate(
    cdesk: Desk, size: tuple[int, int]
) -> None:
    idea = cdesk.improvements.identify(
        source="new_technology",
        title="Print from phones",
        description="Customers ask to print from their phones.",
        service_id="printing",
        by="carla",
    )
    cdesk.improvements.assess(idea.id, worth_it=True, effort_hours=8, benefit="less", by="carla")
    change_id = cdesk.improvements.approve(idea.id, by="carla").change_id
    assert change_id is not None
    async with on_board(cdesk, "carla", size) as s:
        await s.press("enter")
        assert isinstance(s.app.screen, ChangeDetailScreen)
        assert "e edits the proposed service" in shown(s, "#change-diff")
        await s.press("s")  # submit as it is: refused, nothing would change
        refusal = " ".join(shown(s, "#change-message").split())
        assert "submit refused" in refusal and "exactly as published (v1)" in refusal, refusal
        assert cdesk.changes.get(change_id).state == "draft"

        await s.press("e")
        editor = s.app.screen
        assert isinstance(editor, DefinitionDialog)
        area = editor.query_one(TextArea)
        assert area.text.startswith("id: printing")
        area.text = area.text.replace("lead_time:", "lead_time: P1D\n  old_lead_time:", 1)
        await s.press("ctrl+s")  # an unknown field: the library refuses, the text stays
        assert isinstance(s.app.screen, DefinitionDialog)
        assert "old_lead_time" in s.app.screen.query_one(TextArea).text
        assert "old_lead_time" in shown(s, ".dialog-error")
        area = s.app.screen.query_one(TextArea)
        area.text = area.text.replace("lead_time: P1D\n  old_lead_time:", "lead_time:", 1)
        area.text = area.text.replace("\nname: ", "\nname: Mobile ", 1)
        await s.press("ctrl+s")
        assert isinstance(s.app.screen, ChangeDetailScreen)
        assert cdesk.changes.get(change_id).definition["name"].startswith("Mobile ")  # type: ignore[index]
        assert "+name: Mobile " in shown(s, "#change-diff")
        await s.press("s")
        assert cdesk.changes.get(change_id).state == "submitted"


async def test_the_selected_changes_summary_is_shown_whole_at_80_columns(cdesk: Desk) -> None:
    summary = "Say where the badge desk is and when it is open, on every page of the FAQ"
    change = cdesk.changes.propose(
        kind="retire", service_id="laptop", summary=summary, impact="low", by="carla"
    )
    async with on_board(cdesk, "carla", (80, 24)) as s:
        table = s.app.screen.query_one("#changes", DataTable)
        cells = [getattr(c, "plain", str(c)) for c in table.get_row_at(0)]
        assert change.number in cells and summary in cells  # the column is wider than the screen
        hint = " ".join(shown(s, "#change-hint").split())
        assert summary in hint and visible(s, "#change-hint")


async def test_the_footer_follows_the_selected_change(cdesk: Desk) -> None:
    submitted = submitted_change(cdesk)  # older: the second row (newest first)
    implemented = implemented_change(cdesk)
    async with on_board(cdesk, "carla", (80, 24)) as s:
        assert shown(s, "#change-hint").startswith(implemented.number)
        offered = footer_keys(s)
        assert "change.roll_back" in offered
        assert not {"change.mark", "change.approve"} & offered
        await s.press("down")
        assert shown(s, "#change-hint").startswith(submitted.number)
        offered = footer_keys(s)
        assert {"change.mark", "change.approve"} <= offered
        assert "change.roll_back" not in offered
