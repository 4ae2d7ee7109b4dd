"""The desk's shell: each role lands in its home area, number keys, the menu and the palette reach
the areas a role may open, ``?`` lists the current screen's keys, refusals speak the screen's
language, and what a person typed survives a refused step. At 80×24 and at 160×48.
"""

from __future__ import annotations

from typing import ClassVar

import pytest
from textual.binding import BindingType
from textual.widgets import DataTable, Input, OptionList

import bpsm_tui.app
import bpsm_tui.areas
import bpsm_tui.commands
import bpsm_tui.screens.menu
from bpsm import ConcurrentModification, Desk, InvalidTransition, NotFound
from bpsm_tui.app import DeskApp, area_bindings
from bpsm_tui.areas import AREAS, Area
from bpsm_tui.data.format import error_text, record_label, speak
from bpsm_tui.dialogs import EscalateDialog, TextPrompt
from bpsm_tui.screens import QueueScreen
from bpsm_tui.screens.help import HelpScreen
from bpsm_tui.screens.kpis import KpiScreen
from bpsm_tui.screens.menu import AreaMenu
from tests.helpers import call_in
from tests.tui.driver import running

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((160, 48), id="160x48")]

#: The home each person of the example catalogue should land in (the issue's list).
HOMES = {
    "anna": ("calls", "Anna de Vries (operator)"),
    "ben": ("calls", "Ben Jansen (specialist)"),
    "carla": ("changes", "Carla Mulder (change manager)"),
    "dave": ("relations", "Dave Peters (account manager)"),
    "eve": ("kpis", "Eve Smit (manager)"),
}
MODES = {a.mode for a in AREAS}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("person", sorted(HOMES))
async def test_each_person_starts_in_their_roles_home_area(
    desk: Desk, person: str, size: tuple[int, int]
) -> None:
    home, header = HOMES[person]
    async with running(desk, person, size=size) as s:
        # an area another branch adds is asserted once its row exists; until then the person
        # lands in the first area they may open (the calls)
        assert s.app.current_mode == (home if home in MODES else "calls")
        assert s.app.sub_title == header


@pytest.mark.parametrize("size", SIZES)
async def test_number_keys_switch_between_the_areas(desk: Desk, size: tuple[int, int]) -> None:
    async with running(desk, "anna", size=size) as s:
        await s.press("7")
        assert s.app.current_mode == "kpis"
        assert isinstance(s.app.screen, KpiScreen)
        await s.press("1")
        assert s.app.current_mode == "calls"
        assert isinstance(s.app.screen, QueueScreen)


GATE = Area(
    "gate",
    "Gate",
    "9",
    "bpsm_tui.screens.kpis:KpiScreen",
    roles=frozenset({"change_manager", "admin"}),
)


class GatedDesk(DeskApp):
    """The desk with an area only change managers may open (the change board's row)."""

    BINDINGS: ClassVar[list[BindingType]] = [*area_bindings((*AREAS, GATE))]


@pytest.fixture
def gated(monkeypatch: pytest.MonkeyPatch) -> type[DeskApp]:
    """The desk app with :data:`GATE` added to the areas every part of the shell reads."""
    for module in (bpsm_tui.areas, bpsm_tui.app, bpsm_tui.commands, bpsm_tui.screens.menu):
        monkeypatch.setattr(module, "AREAS", (*AREAS, GATE))
    return GatedDesk


@pytest.mark.parametrize("size", SIZES)
async def test_an_area_not_for_the_role_is_refused_in_one_line(
    desk: Desk, gated: type[DeskApp], size: tuple[int, int]
) -> None:
    async with running(desk, "anna", size=size, app_type=gated) as s:
        await s.press("9")
        assert s.app.current_mode == "calls"
        [refusal] = [n.message for n in s.notes if n.severity == "warning"]
        assert refusal == "Gate is for admin, change manager; you are operator."
        await s.press("m")
        menu = s.app.screen
        assert isinstance(menu, AreaMenu)
        options = menu.query_one(OptionList)
        gate = options.get_option("gate")
        assert gate.disabled
        assert "for admin, change manager" in str(gate.prompt)
        assert not options.get_option("kpis").disabled
    async with running(desk, "carla", size=size, app_type=gated) as s:
        await s.press("9")
        assert s.app.current_mode == "gate"  # the roles are the row's, not code's


@pytest.mark.parametrize("size", SIZES)
async def test_the_menu_opens_the_area_chosen(desk: Desk, size: tuple[int, int]) -> None:
    async with running(desk, "anna", size=size) as s:
        await s.press("f2")
        assert isinstance(s.app.screen, AreaMenu)
        await s.press("end", "enter")
        assert s.app.current_mode == AREAS[-1].mode


async def test_the_palette_offers_go_entries_for_the_areas_the_role_may_open(
    desk: Desk, gated: type[DeskApp]
) -> None:
    async with running(desk, "anna", app_type=gated) as s:
        await s.press("ctrl+p")
        await s.type("go:")
        await s.pilot.wait_for_scheduled_animations()
        await s.settle()
        results = s.app.screen.query_one(OptionList)
        offered = [str(results.get_option_at_index(i).prompt) for i in range(results.option_count)]
        assert any("go: KPIs" in o for o in offered) and any("go: calls" in o for o in offered)
        assert not any("go: gate" in o.lower() for o in offered)  # not for an operator
        await s.type(" KP")
        await s.press("enter")
        assert s.app.current_mode == "kpis"


@pytest.mark.parametrize("size", SIZES)
async def test_help_lists_every_key_of_the_current_screen_with_the_keymap(
    desk: Desk, size: tuple[int, int]
) -> None:
    async with running(desk, "anna", size=size, keymap={"call.new": "ctrl+o"}) as s:
        await s.press("question_mark")
        helpscreen = s.app.screen
        assert isinstance(helpscreen, HelpScreen)
        table = helpscreen.query_one(DataTable)
        rows = [tuple(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]
        by_action = {r[1]: r for r in rows}
        assert by_action["New call"][0] == "^o"  # remapped from n
        assert by_action["Escalate"][0] == "e"
        assert by_action["Next page"][0] == "pgdn ]"
        assert by_action["Menu"][0] == "f2 m"
        groups = [r[0] for r in rows if not r[1]]
        assert groups == ["This screen", "The table", "The desk"]
        assert rows.index(by_action["Escalate"]) < rows.index(("The desk", "", ""))
        assert rows.index(("The desk", "", "")) < rows.index(by_action["Menu"])
        await s.press("escape")
        await s.press("7", "question_mark")
        table = s.app.screen.query_one(DataTable)
        rows = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
        assert "Refresh" in rows and "New call" not in rows  # the KPI screen's own keys


@pytest.mark.parametrize("size", SIZES)
async def test_a_refused_action_names_the_call_and_state_as_the_screen_shows_them(
    desk: Desk, size: tuple[int, int]
) -> None:
    call = call_in(desk, "waiting_customer")
    async with running(desk, "anna", size=size) as s:
        await s.press("c")
        [error] = s.errors()
        assert error.startswith(f"{call.number}: cannot close while waiting: customer")
        assert "call " not in error and "waiting_customer" not in error


@pytest.mark.postgres_too
@pytest.mark.parametrize("size", SIZES)
async def test_the_typed_reason_is_kept_after_a_concurrent_change(
    desk: Desk, size: tuple[int, int]
) -> None:
    call = call_in(desk, "in_progress")
    async with running(desk, "anna", size=size) as s:
        desk.calls.log_contact(call.id, channel="phone", note="called back", by="omar")
        await s.press("r")
        await s.type("Replaced the power adapter")
        await s.press("enter")
        [error] = s.errors()
        assert error.startswith(f"{call.number} was changed by someone else")
        assert desk.calls.get(call.id).state == "in_progress"

        await s.press("r")  # the queue reloaded; the dialog opens with what was typed
        prompt = s.app.screen
        assert isinstance(prompt, TextPrompt)
        assert prompt.query_one(Input).value == "Replaced the power adapter"
        await s.press("enter")
        assert desk.calls.get(call.id).solution == "Replaced the power adapter"
        assert s.app.draft("calls", call.id, "resolve") is None  # kept only until it succeeds


@pytest.mark.parametrize(
    ("kind", "ident", "shown"),
    [
        ("call", 159, "C-000159"),
        ("change", 12, "CH-000012"),
        ("relation", 3, "R-000003"),
        ("task", 7, "T-000007"),
        ("improvement", 2, "IM-000002"),
        ("recommendation", 5, "REC-000005"),
    ],
)
def test_every_process_names_its_records_one_way(kind: str, ident: int, shown: str) -> None:
    assert record_label(kind, ident) == shown
    assert error_text(NotFound(kind, ident)) == f"no {shown}"
    moved = error_text(ConcurrentModification(f"{kind} {ident}", 1, 2))
    assert moved == f"{shown} was changed by someone else meanwhile; it has been reloaded"


def test_library_messages_are_spoken_with_the_screens_labels_and_states() -> None:
    refused = InvalidTransition("change 12", "approve", "rolled_back", ["check_item", "withdraw"])
    assert error_text(refused) == (
        "CH-000012: cannot approve while rolled back; possible here: check item, withdraw"
    )
    assert speak("call 159 is 'waiting_customer'") == "C-000159 is waiting: customer"
    assert speak("the service 'laptop' is not 'x_y'") == "the service 'laptop' is not 'x_y'"
    assert speak("recall 12 and call 12a") == "recall 12 and call 12a"  # only whole words


async def test_the_kpi_bar_keeps_the_person_and_role_in_view_at_80_columns(desk: Desk) -> None:
    call_in(desk, "closed")
    async with running(desk, "anna", size=(80, 24)) as s:
        assert s.kpi() == "First time right 100% (1/1) · Open 0 · Anna de Vries (operator)"
    async with running(desk, "anna", size=(160, 48)) as s:
        assert s.kpi().startswith("First time right today: 100% (1 of 1 resolved)")


async def test_the_group_and_reason_of_a_refused_escalation_are_kept(desk: Desk) -> None:
    call = call_in(desk, "in_progress")
    async with running(desk, "anna", size=(80, 24)) as s:
        desk.calls.log_contact(call.id, channel="phone", note="called back", by="omar")
        await s.press("e", "down", "enter")  # second-line-it, facilities-team, ...
        await s.type("Broken chair")
        await s.press("enter")
        assert s.errors()[0].startswith(f"{call.number} was changed by someone else")

        await s.press("e")
        dialog = s.app.screen
        assert isinstance(dialog, EscalateDialog)
        groups = dialog.query_one(OptionList)
        assert groups.get_option_at_index(groups.highlighted or 0).id == "facilities-team"
        assert dialog.query_one(Input).value == "Broken chair"
        await s.press("tab", "enter")
        assert desk.calls.get(call.id).group == "facilities-team"
