"""The account manager's relation cases in the desk, driven by keys as Dave would.

A case opened from scratch is taken through the method: the need, the ranked alternatives (the
customer declines them), the three bespoke questions, and a refusal — first without the
explanation and the options (the library refuses, the form comes back with what was typed), then
with them. Another case is steered to a standard alternative, which registers the call.
"""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from textual.widgets import DataTable, Label, Static

from bpsm import Desk
from bpsm_tui.dialogs.relation_dialogs import AlternativesDialog, AnswerDialog, KeptAskForm
from bpsm_tui.screens.relation_case import RelationCaseScreen, method_line
from bpsm_tui.screens.relations import RelationCasesScreen
from tests.tui.driver import Session, running

SIZES = [(80, 24), (160, 48)]


async def to_relations(s: Session) -> RelationCasesScreen:
    """The relation-case area, as the account manager lands on it."""
    s.app.switch_mode("relations")
    await s.settle()
    assert isinstance(s.app.screen, RelationCasesScreen)
    return s.app.screen


async def fill(s: Session, *fields: str) -> None:
    """Type into the dialog's fields one after the other (tab between them)."""
    for i, text in enumerate(fields):
        if i:
            await s.press("tab")
        await s.type(text)


def shown(s: Session, selector: str) -> str:
    """What a Static on the current screen shows, as plain text (tables and groups too)."""
    console = Console(file=io.StringIO(), width=200, record=True, color_system=None)
    console.print(s.app.screen.query_one(selector, Static).content)
    return console.export_text()


def case_screen(s: Session) -> RelationCaseScreen:
    screen = s.app.screen
    assert isinstance(screen, RelationCaseScreen), screen
    return screen


async def answer(s: Session, key: str, yes: str, reason: str) -> None:
    await s.press(key)
    assert isinstance(s.app.screen, AnswerDialog)
    await s.press(yes)
    await s.type(reason)
    await s.press("ctrl+s")
    assert not isinstance(s.app.screen, AnswerDialog), (s.errors(), shown(s, ".dialog-error"))


@pytest.mark.parametrize("size", SIZES, ids=lambda v: f"{v[0]}x{v[1]}")
async def test_account_manager_refusal_needs_the_explanation_and_options_and_keeps_the_typing(
    desk: Desk, size: tuple[int, int]
) -> None:
    async with running(desk, "dave") as s:
        await s.pilot.resize_terminal(*size)
        await to_relations(s)
        await s.press("n")
        await fill(s, "R&D lab", "A 3D printer for the lab")
        await s.press("enter")
        screen = case_screen(s)
        assert screen.case is not None and screen.case.state == "received"
        assert "▶ 1 need" in method_line(screen.case.state).plain
        number = screen.case.number

        await s.press("n")  # the need: why, not what
        await fill(s, "print prototype parts for product tests within a day", "3D printer")
        await s.press("enter")
        assert case_screen(s).case.state == "need_clarified"  # type: ignore[union-attr]

        await s.press("p", "enter")  # rank the alternatives (default how many)
        await s.settle()
        case = case_screen(s).case
        assert case is not None and case.state == "alternative_proposed"
        assert case.suggestions[0].service_id == "printing"
        assert "printing" in shown(s, "#case-facts")

        await s.press("d")
        await s.type("the print service prints paper, not parts")
        await s.press("enter")
        assert case_screen(s).case.state == "bespoke_assessment"  # type: ignore[union-attr]

        await answer(s, "1", "y", "the supplier sells and services them")
        await answer(s, "3", "n", "EUR 4,000 and the lab's budget is spent")
        facts = shown(s, "#case-facts")
        assert "the supplier sells and services them" in facts
        assert "EUR 4,000" in facts

        await s.press("r")  # refuse, but say nothing yet but the explanation
        assert isinstance(s.app.screen, KeptAskForm)
        labels = [str(label.content) for label in s.app.screen.query(Label)]
        assert "Which options are left? (required)" in labels
        await s.type("The lab's budget is spent this year")
        await s.press("ctrl+s")
        refusal = s.app.screen
        assert isinstance(refusal, KeptAskForm), "the refusal form comes back"
        assert "which options are left" in shown(s, ".dialog-error")
        assert s.errors()[-1].endswith("tell the customer which options are left")
        typed = refusal.query_one("#ask-explanation").value  # type: ignore[attr-defined]
        assert typed == "The lab's budget is spent this year"
        assert desk.relations.get(case.id).state == "bespoke_assessment"

        await s.press("tab")
        await s.type("budget it next year; use the supplier's print-on-demand service")
        await s.press("ctrl+s")
        case = desk.relations.get(case.id)
        assert case.state == "refused"
        assert case.explanation == "The lab's budget is spent this year"
        assert case.options == ["budget it next year", "use the supplier's print-on-demand service"]
        final = case_screen(s)
        assert "Options left: budget it next year" in shown(s, "#case-facts")
        assert "nothing left for you to do" in shown(s, "#case-hint")
        assert number in shown(s, "#case-title")
        assert not final.check_action("step", ("refuse",))


@pytest.mark.parametrize("size", SIZES, ids=lambda v: f"{v[0]}x{v[1]}")
async def test_account_manager_steers_a_case_to_a_standard_alternative_which_registers_the_call(
    desk: Desk, size: tuple[int, int]
) -> None:
    case = desk.relations.open(
        customer="Board secretariat", request="A phone that is always on", by="dave"
    )
    async with running(desk, "dave") as s:
        await s.pilot.resize_terminal(*size)
        cases = await to_relations(s)
        assert [c.number for c in cases.cases] == [case.number]
        await s.press("enter")
        await s.press("n")
        await s.type("reachable on the move for urgent board decisions")
        await s.press("ctrl+s")  # the asked-for item is optional
        await s.press("p", "enter")
        await s.press("a")
        choose = s.app.screen
        assert isinstance(choose, AlternativesDialog), (s.errors(), shown(s, "#case-hint"))
        proposed = [x.service_id for x in desk.relations.get(case.id).suggestions]
        await s.press(*["down"] * proposed.index("smartphone"), "enter")
        after = desk.relations.get(case.id)
        assert (after.state, after.alternative_service_id) == ("accepted", "smartphone")
        call = desk.calls.get(after.alternative_call_id)  # type: ignore[arg-type]
        assert (call.state, call.registered_by) == ("in_progress", "dave")
        assert call.number in shown(s, "#case-facts")
        assert "✓ 1 need" in shown(s, "#case-method")


async def test_cases_filter_cycles_through_the_states_and_the_contacts_due_are_listed(
    desk: Desk,
) -> None:
    open_one = desk.relations.open(customer="Kim", request="A standing desk", by="dave")
    gone = desk.relations.open(customer="Lee", request="A second screen", by="dave")
    desk.relations.withdraw(gone.id, reason="bought one himself", by="dave")
    async with running(desk, "dave", page_size=None) as s:
        cases = await to_relations(s)
        assert [c.number for c in cases.cases] == [open_one.number]
        # the header says whose desk this is, as every home screen does
        assert shown(s, "#cases-title").startswith("Relation cases · open · 1–1 of 1 · Dave")
        assert "(account manager)" in shown(s, "#cases-title")
        assert "Account contacts due" in shown(s, "#contacts-due")
        while cases.filter_name != "closed":
            await s.press("f")
        assert [c.number for c in cases.cases] == [gone.number]
        await s.press("f")
        assert cases.filter_name == "all"
        assert {c.number for c in cases.cases} == {open_one.number, gone.number}


async def test_manager_sees_the_cases_but_opening_one_is_refused_with_the_reason(
    desk: Desk,
) -> None:
    async with running(desk, "eve") as s:
        await to_relations(s)
        await s.press("n")
        assert isinstance(s.app.screen, RelationCasesScreen)
        assert any("relation.open" in e for e in s.errors())


async def test_a_no_chosen_in_a_yes_no_field_is_sent_as_no_not_as_unanswered() -> None:
    from textual.app import App
    from textual.widgets import Select

    from bpsm import Ask

    got: list[object] = []

    class Host(App[None]):
        def on_mount(self) -> None:
            asks = [Ask("customer_agrees", "Does the customer agree?", "yes_no")]
            self.push_screen(KeptAskForm("Agree", asks), got.append)

    app = Host()
    async with app.run_test() as pilot:
        app.screen.query_one("#ask-customer_agrees", Select).value = False
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert got == [{"customer_agrees": False}]


def delivered_case(desk: Desk) -> int:
    case = desk.relations.open(customer="HR", request="A digital signing tool", by="dave")
    desk.relations.clarify_need(case.id, need="contracts signed remotely within a day", by="dave")
    desk.relations.assess_bespoke(case.id, reason="nothing signs documents", by="dave")
    for q in ("feasible", "want", "budget"):
        desk.relations.answer(case.id, q, yes=True, reason=f"{q}: yes", by="dave")
    desk.relations.agree(case.id, customer_agrees=True, by="dave")
    desk.relations.deliver(case.id, notes="set up for HR", steps=["buy", "configure"], by="dave")
    return case.id


async def test_account_manager_standardizes_a_delivered_solution_into_a_change_proposal(
    desk: Desk,
) -> None:
    case_id = delivered_case(desk)
    async with running(desk, "dave") as s:
        await to_relations(s)
        while case_screen_or_none(s) is None:
            await s.press("f")  # on to the "delivered" filter
            if any(c.id == case_id for c in s.app.screen.cases):  # type: ignore[attr-defined]
                await s.press("enter")
        await s.press("s")
        await s.settle()  # the library's draft is loaded in a worker
        assert s.app.screen.query_one("#std-id").value  # type: ignore[attr-defined]
        await s.press(*["tab"] * 6)
        for text in [
            "Ask the desk for a signing licence",
            "2 days",
            "By mail with the login",
            "HR team lead",
            "How do I sign?",
            "Open the document and click sign.",
            "Is it legally binding?",
            "Yes, for employment contracts.",
            "standard",
            "Office hours support",
            "4 hours",
            "2 days",
        ]:
            await s.type(text)
            await s.press("tab")
        await s.press("ctrl+s")
        case = desk.relations.get(case_id)
        assert case.state == "standardized" and case.change_id is not None, s.errors()
        assert desk.changes.get(case.change_id).state == "draft"
        assert f"CH-{case.change_id:06d}" in shown(s, "#case-facts")


def case_screen_or_none(s: Session) -> RelationCaseScreen | None:
    return s.app.screen if isinstance(s.app.screen, RelationCaseScreen) else None


def test_the_relation_area_is_the_account_managers_home_and_the_catalogue_is_everyones() -> None:
    from bpsm_tui.areas import AREAS, EVERYONE

    areas = {a.mode: a for a in AREAS}
    assert areas["relations"].home_for == {"account_manager"}
    assert {"operator", "specialist", "account_manager"} <= areas["relations"].roles
    assert "change_manager" not in areas["relations"].roles
    assert areas["catalogue"].roles == EVERYONE
    assert (areas["relations"].key, areas["catalogue"].key) == ("3", "6")


async def test_a_refusal_typed_on_a_case_someone_else_changed_meanwhile_is_kept(
    desk: Desk,
) -> None:
    case = desk.relations.open(customer="R&D lab", request="A 3D printer", by="dave")
    desk.relations.clarify_need(case.id, need="print prototype parts within a day", by="dave")
    desk.relations.propose_alternatives(case.id, by="dave")
    desk.relations.decline_alternative(case.id, reason="paper only", by="dave")
    async with running(desk, "dave", size=(80, 24)) as s:
        await to_relations(s)
        await s.press("enter")
        assert case_screen(s).case is not None
        desk.relations.answer(case.id, "budget", yes=False, reason="the budget is spent", by="dave")
        await s.press("r")
        assert isinstance(s.app.screen, KeptAskForm)
        await fill(s, "The lab's budget is spent", "budget it next year")
        await s.press("ctrl+s")
        assert s.errors()[-1] == (
            f"{case.number} was changed by someone else meanwhile; it has been reloaded"
        )
        assert desk.relations.get(case.id).state == "bespoke_assessment"
        await s.settle()
        if isinstance(s.app.screen, KeptAskForm):  # the form itself came back: close it
            await s.press("escape")
        await s.press("r")  # the case reloaded; the form opens with what was typed
        form = s.app.screen
        assert isinstance(form, KeptAskForm)
        assert form.query_one("#ask-explanation").value == "The lab's budget is spent"  # type: ignore[attr-defined]
        await s.press("ctrl+s")
        refused = desk.relations.get(case.id)
        assert (refused.state, refused.explanation) == ("refused", "The lab's budget is spent")
        assert s.app.draft("relations", case.id, "refuse") is None


@pytest.mark.parametrize("size", SIZES, ids=lambda v: f"{v[0]}x{v[1]}")
async def test_the_case_list_shows_the_request_across_the_width_left(
    desk: Desk, size: tuple[int, int]
) -> None:
    desk.relations.open(customer="HR", request="A digital signing tool for contracts", by="dave")
    async with running(desk, "dave", size=size) as s:
        screen = await to_relations(s)
        table = screen.query_one("#cases", DataTable)
        widths = [c.get_render_width(table) for c in table.columns.values()]
        assert sum(widths) + 2 >= size[0] - 1  # the request takes what the others leave
        assert "A digital signing tool for" in str(table.get_row_at(0)[-1])
