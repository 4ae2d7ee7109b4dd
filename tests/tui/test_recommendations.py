"""The recommendations screen driven by keys: an add-on sold, a lead won with its value, the
leaderboard, and the potential recomputed from typed inputs, at 80×24 and 160×48."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from textual.widgets import DataTable, Input, Static

from bpsm import Desk
from bpsm_tui.dialogs import TextPrompt
from bpsm_tui.dialogs.ask_form import AskForm
from bpsm_tui.dialogs.recommend_dialog import RecommendDialog
from bpsm_tui.screens.call_detail import CallDetailScreen
from bpsm_tui.screens.recommendations import RecommendationsScreen
from tests.helpers import new_call
from tests.tui.driver import Session
from tests.tui.test_proactive import SIZES, on_screen, rows

SIZE_IDS = [f"{w}x{h}" for w, h in SIZES]


def potential_text(s: Session) -> str:
    """What the calculator's result shows, as plain text."""
    console = Console(width=100, record=True, file=io.StringIO())
    console.print(s.app.screen.query_one("#potential-result", Static).content)
    return console.export_text()


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_operator_sells_an_add_on_offered_on_a_call(
    desk: Desk, size: tuple[int, int]
) -> None:
    call = new_call(desk)
    offer = desk.recommendations.register(
        customer="Kim Jansen",
        description="docking station for home",
        item="docking-station",
        call_id=call.id,
        by="anna",
    )
    async with on_screen(desk, "anna", "recommendations", size) as s:
        assert isinstance(s.app.screen, RecommendationsScreen)
        await s.press("o")
        first = rows(s, "add-ons")[0]
        assert first[:5] == [f"REC-{offer.id:06d}", "offered", "EUR 189", "Kim Jansen", call.number]
        await s.press("a")
        assert isinstance(s.app.screen, TextPrompt)
        await s.type("signed the sheet")
        await s.press("enter")
        sold = desk.recommendations.get(offer.id)
        assert (sold.state, sold.booked_value) == ("accepted", 189.0)
        assert rows(s, "add-ons") == []  # no longer on offer
        await s.press("f")
        assert rows(s, "add-ons")[0][1] == "accepted"


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_account_manager_wins_a_lead_with_its_final_value(
    desk: Desk, size: tuple[int, int]
) -> None:
    lead = desk.recommendations.register(
        customer="Finance", description="20 laptops refresh", value=24000, by="anna"
    )
    async with on_screen(desk, "dave", "recommendations", size) as s:
        await s.press("e")
        assert rows(s, "leads")[0][:2] == [f"REC-{lead.id:06d}", "handed over"]
        await s.press("p")
        await s.type("sent by mail")
        await s.press("enter")
        assert desk.recommendations.get(lead.id).state == "proposal_sent"
        await s.press("w")
        assert isinstance(s.app.screen, AskForm)
        await s.type("26500")
        await s.press("ctrl+s")
        won = desk.recommendations.get(lead.id)
        assert (won.state, won.booked_value) == ("won", 26500.0)
        assert not s.errors()


async def test_operator_is_not_offered_the_sales_steps_on_a_lead(desk: Desk) -> None:
    lead = desk.recommendations.register(
        customer="Finance", description="20 laptops refresh", value=24000, by="anna"
    )
    async with on_screen(desk, "anna", "recommendations", (80, 24)) as s:
        await s.press("e")
        assert s.app.screen.check_action("step", ("recommendation", "win")) is False
        await s.press("p")
        assert desk.recommendations.get(lead.id).state == "handed_over"


@pytest.fixture
def sold(desk: Desk) -> Desk:
    """anna: two calls, one add-on accepted (189), one declined; one lead won at 3,000."""
    for _ in range(2):
        new_call(desk)
    a = desk.recommendations.register(
        customer="Kim", description="dock", item="docking-station", by="anna"
    )
    desk.recommendations.accept(a.id, by="anna")
    b = desk.recommendations.register(
        customer="Kim", description="headset", item="headset", by="anna"
    )
    desk.recommendations.decline(b.id, by="anna")
    lead = desk.recommendations.register(customer="HR", description="desks", value=3000, by="anna")
    desk.recommendations.send_proposal(lead.id, by="dave")
    desk.recommendations.win(lead.id, by="dave")
    return desk


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_leaderboard_and_potential_come_from_the_data(
    sold: Desk, size: tuple[int, int]
) -> None:
    async with on_screen(sold, "eve", "recommendations", size) as s:
        await s.press("b")
        table = s.app.screen.query_one("#leaderboard-table", DataTable)
        headings = [str(c.label) for c in table.ordered_columns]
        anna = dict(zip(headings, rows(s, "leaderboard")[0], strict=True))
        assert anna["Name"] == "Anna de Vries"
        assert [anna["Jobs"], anna["Per job"], anna["Add-ons hit"]] == ["2", "1.50", "1/2 (50%)"]
        assert anna["Booked"] == "EUR 3,189"
        if size[0] < 100:  # the board fits the screen: nothing to scroll sideways for
            assert "Recs" not in anna and table.virtual_size.width <= table.size.width
        else:
            assert anna["Recs"] == "3" and "Turnaround" in anna
        await s.press("c")
        assert s.app.screen.query_one("#pot-jobs", Input).value == "2"
        # 2 jobs × 100 % × 50 % × 159 + 2 × 50 % × 100 % × 3000 − 3189 = 159 + 3000 − 3189
        text = potential_text(s)
        assert "EUR 159" in text and "EUR 3,000" in text and "EUR -30" in text


async def test_potential_is_recomputed_from_typed_inputs_and_bad_ones_are_named(
    sold: Desk,
) -> None:
    async with on_screen(sold, "eve", "recommendations", (80, 24)) as s:
        await s.press("c")
        jobs = s.app.screen.query_one("#pot-jobs", Input)
        jobs.focus()
        await s.press("ctrl+a", "ctrl+k")
        await s.type("200")
        # 200 × 100 % × 50 % × 159 + 200 × 50 % × 100 % × 3000 − 3189
        assert "EUR 15,900" in potential_text(s) and "EUR 312,711" in potential_text(s)
        hit = s.app.screen.query_one("#pot-lead_hit_rate", Input)
        hit.focus()
        await s.press("ctrl+a", "ctrl+k")
        await s.type("150")
        assert "Lead hit rate (%)" in potential_text(s)
        assert "cannot exceed 100 %" in potential_text(s)
        await s.press("escape", "ctrl+r")  # back to the data
        assert jobs.value == "2"


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
async def test_operator_offers_an_add_on_on_the_call_and_sells_it(
    desk: Desk, size: tuple[int, int]
) -> None:
    call = new_call(desk)  # a laptop call: the laptop's add-ons come first
    async with on_screen(desk, "anna", "calls", size) as s:
        await s.press("enter")
        assert isinstance(s.app.screen, CallDetailScreen)
        await s.press("d")
        assert isinstance(s.app.screen, RecommendDialog)
        await s.press("enter", "ctrl+s")  # the first item, as it is
        assert isinstance(s.app.screen, CallDetailScreen)
        [offer] = desk.recommendations.page(call_id=call.id).items
        assert (offer.kind, offer.state, offer.price_list_item, offer.customer) == (
            "add_on",
            "offered",
            "docking-station",
            "Kim Jansen",
        )
        table = s.app.screen.query_one("#recommendations", DataTable)
        assert [str(c) for c in table.get_row_at(0)][:3] == [str(offer.id), "add-on", "offered"]
        assert any(f"Add-on REC-{offer.id:06d} offered (EUR 189)" in n for n in s.infos())
        await s.app.switch_mode("recommendations")
        await s.settle()
        await s.press("o", "a", "enter")
        assert desk.recommendations.get(offer.id).state == "accepted"


async def test_operator_hands_a_lead_to_sales_from_the_call(desk: Desk) -> None:
    call = new_call(desk)
    async with on_screen(desk, "anna", "calls", (80, 24)) as s:
        await s.press("enter", "d", "end", "enter")
        await s.type("20 laptops for finance")
        await s.press("tab")
        await s.type("24000")
        await s.press("enter", "enter")
        [lead] = desk.recommendations.page(call_id=call.id).items
        assert (lead.kind, lead.state, lead.value) == ("lead", "handed_over", 24000.0)
        assert any(f"Lead REC-{lead.id:06d} handed over to sales" in n for n in s.infos())


async def test_a_recommendation_without_a_value_is_refused_in_the_dialog(desk: Desk) -> None:
    call = new_call(desk)
    async with on_screen(desk, "anna", "calls", (80, 24)) as s:
        await s.press("enter", "d", "end", "enter")
        await s.type("something big")
        await s.press("ctrl+s")
        assert isinstance(s.app.screen, RecommendDialog)
        assert "Type its value" in s.text(".dialog-error")
        assert desk.recommendations.page(call_id=call.id).total == 0
