"""The keys every record has: ``t`` logs time (on a call, a relation case, a change, a maintenance
task, an improvement, a recommendation), ``ctrl+f`` flags a call as a self-service opportunity;
and what each screen offers in its footer, at 80×24.

Every flow is typed as a person types it and checked in the library and on the screen; each
refusal (too many minutes, a role that may not) is said with the record's number and state, and
what was typed stays.
"""

from __future__ import annotations

from datetime import UTC, datetime

from freezegun import freeze_time
from textual.widgets import DataTable, Input, Static

from bpsm import Desk, Improvements
from bpsm_tui.data.format import record_label
from bpsm_tui.dialogs import TextPrompt
from bpsm_tui.dialogs.effort_dialog import EffortDialog, minutes_text
from bpsm_tui.dialogs.relation_dialogs import KeptAskForm
from bpsm_tui.dialogs.self_service_dialog import SelfServiceDialog
from bpsm_tui.screens import CallDetailScreen
from bpsm_tui.screens.change_board import ChangeBoardScreen
from bpsm_tui.screens.change_detail import ChangeDetailScreen
from bpsm_tui.screens.help import HelpScreen, keys_of
from bpsm_tui.screens.relation_case import RelationCaseScreen
from bpsm_tui.widgets import FieldPairs
from tests.helpers import call_in, submitted_change
from tests.tui.driver import Session, running
from tests.tui.test_proactive import on_screen, rows

SMALL = (80, 24)


def footer_keys(s: Session) -> set[str]:
    """The binding ids the footer shows now."""
    return {
        a.binding.id or a.binding.action
        for a in s.app.screen.active_bindings.values()
        if a.binding.show and a.enabled
    }


def detail_fields(s: Session) -> list[tuple[str, str]]:
    """The call detail's (label, value) pairs as shown."""
    pairs = s.app.screen.query_one("#detail-fields", Static).content
    assert isinstance(pairs, FieldPairs)
    return list(pairs._pairs())


def field(s: Session, name: str) -> str:
    return s.app.screen.query_one(f"#{name}", Input).value


async def open_call(s: Session) -> None:
    await s.press("enter")  # the queue's first call
    assert isinstance(s.app.screen, CallDetailScreen)


# -- effort on a call ------------------------------------------------------------------------------


async def test_t_logs_minutes_and_a_note_on_the_call_shown(desk: Desk) -> None:
    call = call_in(desk, "in_progress")
    desk.effort.log("call", call.id, 50, by="anna")
    async with running(desk, "anna", size=SMALL) as s:
        await open_call(s)
        assert "effort.log" in footer_keys(s)
        await s.press("t")
        assert isinstance(s.app.screen, EffortDialog)
        assert s.text("#effort-total") == "Logged so far: 50 min"
        await s.burst("1", "5", "enter", *"called the supplier", "enter")
        assert isinstance(s.app.screen, CallDetailScreen)
        [entry, _] = desk.effort.list("call", call.id).items
        assert (entry.minutes, entry.note, entry.by, entry.work) == (
            15,
            "called the supplier",
            "anna",
            "reactive",
        )
        assert desk.effort.total("call", call.id) == 65
        assert f"{call.number}: 15 min logged" in s.infos()
        await s.press("t")
        assert s.text("#effort-total") == "Logged so far: 1 h 05 min in 2 entries"
        assert not s.errors()


async def test_more_minutes_than_the_desk_allows_are_refused_in_the_dialog_keeping_the_text(
    desk: Desk,
) -> None:
    call = call_in(desk, "in_progress")
    async with running(desk, "anna", size=SMALL) as s:
        await open_call(s)
        await s.press("t")
        await s.burst(*"721", "tab", *"a long day", "enter")
        assert isinstance(s.app.screen, EffortDialog)  # still open
        assert s.text(".dialog-error") == "minutes: 721 is not a whole number from 1 to 720"
        assert (field(s, "minutes"), field(s, "note")) == ("721", "a long day")
        assert s.app.focused is s.app.screen.query_one("#minutes")
        await s.burst("backspace", "backspace", "backspace", *"abc", "enter", "enter")
        assert s.text(".dialog-error") == "minutes: 'abc' is not a whole number from 1 to 720"
        assert desk.effort.total("call", call.id) == 0
        assert field(s, "note") == "a long day"
        await s.burst("ctrl+u", *"720", "enter", "enter")  # the most one entry may record
        assert desk.effort.total("call", call.id) == 720
        assert isinstance(s.app.screen, CallDetailScreen)


async def test_a_manager_is_not_offered_t_and_is_told_why_naming_the_call_and_its_state(
    desk: Desk,
) -> None:
    call = call_in(desk, "waiting_customer")
    async with running(desk, "eve", size=SMALL) as s:
        await s.press("1")  # the manager lands on the KPIs; the queue
        await open_call(s)
        assert "effort.log" not in footer_keys(s)
        await s.press("t")
        assert isinstance(s.app.screen, CallDetailScreen)  # no dialog
        [error] = s.errors()
        assert error.startswith(f"{call.number} waiting: customer: 'eve' may not effort.log")
        assert desk.effort.total("call", call.id) == 0


def test_minutes_read_as_hours_and_minutes() -> None:
    assert [minutes_text(m) for m in (0, 5, 60, 65, 720)] == [
        "none",
        "5 min",
        "1 h 00 min",
        "1 h 05 min",
        "12 h 00 min",
    ]


# -- self-service on a call ------------------------------------------------------------------------


async def test_ctrl_f_flags_the_call_with_an_faq_entry_of_its_service_then_clears_it(
    desk: Desk,
) -> None:
    call = call_in(desk, "in_progress")
    faq = desk.services.get("laptop").faq
    async with running(desk, "anna", size=SMALL) as s:
        await open_call(s)
        assert "call.self-service" in footer_keys(s)
        await s.press("ctrl+f")
        assert isinstance(s.app.screen, SelfServiceDialog)
        await s.press("down", "enter")
        flagged = desk.calls.get(call.id)
        assert (flagged.self_service_faq, flagged.self_service_question) == (2, faq[1].q)
        assert isinstance(s.app.screen, CallDetailScreen)
        assert ("Self-service", f"yes: FAQ 2 — {faq[1].q}") in detail_fields(s)

        await s.press("ctrl+f")  # flagged: the key clears it (the reason is optional)
        assert isinstance(s.app.screen, TextPrompt)
        await s.burst(*"they had tried the FAQ", "enter")
        cleared = desk.calls.get(call.id)
        assert cleared.self_service_faq is None
        assert [e.trigger for e in desk.history(cleared)][-2:] == [
            "flag_self_service",
            "unflag_self_service",
        ]
        assert not s.errors()


async def test_ctrl_f_on_a_call_without_a_service_or_closed_is_refused_with_the_reason(
    desk: Desk,
) -> None:
    bare = call_in(desk, "registered", service=None)
    async with running(desk, "anna", size=SMALL) as s:
        await open_call(s)
        await s.press("ctrl+f")
        assert isinstance(s.app.screen, CallDetailScreen)
        [error] = s.errors()
        assert error.startswith(f"{bare.number} registered: ")
        assert "set the call's catalogue service first" in error
        assert desk.calls.get(bare.id).self_service_faq is None


async def test_the_call_detail_footer_offers_only_the_steps_allowed_in_the_calls_state(
    desk: Desk,
) -> None:
    call = call_in(desk, "closed")
    async with running(desk, "anna", size=SMALL) as s:
        await open_call_by_id(s, call.id)
        shown = footer_keys(s)
        for refused in ("call.accept", "call.resolve", "call.close", "call.escalate"):
            assert refused not in shown
        assert "call.self-service" not in shown  # a closed call is not flagged any more
        await s.press("r")  # pressed anyway: refused with the reason, nothing changed
        [error] = s.errors()
        assert error.startswith(f"{call.number}: cannot resolve while closed")
        assert desk.calls.get(call.id).state == "closed"


async def open_call_by_id(s: Session, call_id: int) -> None:
    await s.app.push_screen(CallDetailScreen(call_id))
    await s.settle()


# -- the same key on every other record ------------------------------------------------------------


async def log_on_screen(s: Session, minutes: str, note: str) -> None:
    """``t`` on the record shown or selected, then the minutes and the note, as typed."""
    await s.press("t")
    assert isinstance(s.app.screen, EffortDialog)
    await s.burst(*minutes, "enter", *note, "enter")
    assert not isinstance(s.app.screen, EffortDialog)


async def test_t_logs_time_on_a_relation_case(desk: Desk) -> None:
    case = desk.relations.open(customer="Kim", request="A standing desk", by="dave")
    async with on_screen(desk, "dave", "relations", SMALL) as s:
        await s.press("enter")
        assert isinstance(s.app.screen, RelationCaseScreen)
        await log_on_screen(s, "40", "asked what the desk is for")
        [entry] = desk.effort.list("relation", case.id).items
        assert (entry.minutes, entry.work, entry.note) == (
            40,
            "relation",
            "asked what the desk is for",
        )
        assert f"{case.number}: 40 min logged" in s.infos()


async def test_t_logs_time_on_the_change_selected_on_the_board_and_on_the_change_shown(
    desk: Desk,
) -> None:
    change = submitted_change(desk)
    async with on_screen(desk, "carla", "changes", SMALL) as s:
        assert isinstance(s.app.screen, ChangeBoardScreen)
        await log_on_screen(s, "20", "read the proposal")
        await s.press("enter")
        assert isinstance(s.app.screen, ChangeDetailScreen)
        await log_on_screen(s, "25", "checked the rollback plan")
        entries = desk.effort.list("change", change.id).items
        assert [(e.minutes, e.work) for e in entries] == [(25, "change"), (20, "change")]
        assert f"{change.number}: 25 min logged" in s.infos()
        assert not s.errors()


async def test_t_logs_time_on_a_maintenance_task_and_on_an_improvement(desk: Desk) -> None:
    with freeze_time(datetime(2026, 1, 5, 9, tzinfo=UTC)):
        desk.maintenance.generate(by="admin")
    idea = desk.improvements.identify(
        source="other", title="Quieter printers", description="Too loud.", by="anna"
    )
    async with on_screen(desk, "ben", "proactive", SMALL) as s:
        await s.press("m")
        task = s.app.screen.selected()
        assert task is not None
        await log_on_screen(s, "30", "toner replaced")
        [entry] = desk.effort.list("task", task.id).items
        assert (entry.minutes, entry.work) == (30, "maintenance")
        await s.press("i")
        await log_on_screen(s, "10", "measured the noise")
        [entry] = desk.effort.list("improvement", idea.id).items
        assert (entry.minutes, entry.work, entry.by) == (10, "improvement", "ben")
        assert not s.errors()


async def test_t_logs_time_on_an_add_on_and_a_lead(desk: Desk) -> None:
    call = call_in(desk, "in_progress")
    offer = desk.recommendations.register(
        customer="Kim Jansen",
        description="docking station for home",
        item="docking-station",
        call_id=call.id,
        by="anna",
    )
    lead = desk.recommendations.register(
        customer="Finance", description="20 laptops refresh", value=24000, by="anna"
    )
    async with on_screen(desk, "dave", "recommendations", SMALL) as s:
        await s.press("o")
        await log_on_screen(s, "5", "sent the price")
        await s.press("e")
        await log_on_screen(s, "45", "met finance")
        assert [e.minutes for e in desk.effort.list("recommendation", offer.id).items] == [5]
        assert [e.minutes for e in desk.effort.list("recommendation", lead.id).items] == [45]
        assert not s.errors()


async def test_a_manager_pressing_t_on_a_list_is_refused_naming_the_record(desk: Desk) -> None:
    idea = desk.improvements.identify(
        source="other", title="Quieter printers", description="Too loud.", by="anna"
    )
    async with on_screen(desk, "eve", "proactive", SMALL) as s:
        await s.press("i")
        assert "effort.log" not in footer_keys(s)
        await s.press("t")
        [error] = s.errors()
        assert error.startswith(f"{record_label('improvement', idea.id)} identified: 'eve' may not")
        assert desk.effort.total("improvement", idea.id) == 0


# -- new records from the lists --------------------------------------------------------------------


async def test_n_on_the_improvements_records_an_idea_and_a_refusal_keeps_the_typing(
    desk: Desk,
) -> None:
    async with on_screen(desk, "carla", "proactive", SMALL) as s:
        await s.press("i")
        assert "improvement.identify" in footer_keys(s)
        await s.press("n")
        assert isinstance(s.app.screen, KeptAskForm)
        await s.press("tab")  # the source: the first (a recurring disruption) is chosen
        await s.burst(*"Quieter printers", "tab", *"Too loud.", "tab", *"nosuch", "ctrl+s")
        assert isinstance(s.app.screen, KeptAskForm)  # refused: the unknown service
        assert "service_id" in s.text(".dialog-error")
        assert field(s, "ask-title") == "Quieter printers"
        await s.burst("ctrl+u", *"printing", "ctrl+s")
        [idea] = desk.improvements.page().items
        assert (idea.source, idea.title, idea.service_id, idea.state, idea.identified_by) == (
            Improvements.sources[0],
            "Quieter printers",
            "printing",
            "identified",
            "carla",
        )
        assert f"IM-{idea.id:06d} identified: Quieter printers" in s.infos()
        assert rows(s, "improvements")[0][:2] == [f"IM-{idea.id:06d}", "identified"]


async def test_n_on_the_change_board_proposes_retiring_a_service_and_a_refusal_keeps_the_typing(
    desk: Desk,
) -> None:
    async with on_screen(desk, "dave", "changes", SMALL) as s:  # an account manager proposes
        assert "change.propose" in footer_keys(s)
        await s.press("n")
        assert isinstance(s.app.screen, KeptAskForm)
        await s.burst(*"nosuch", "tab", *"Nobody books it any more", "ctrl+s")
        assert isinstance(s.app.screen, KeptAskForm)
        assert s.text(".dialog-error").startswith("service_id: 'nosuch' is not an active")
        assert field(s, "ask-summary") == "Nobody books it any more"
        assert s.app.focused is s.app.screen.query_one("#ask-service_id")
        await s.burst("ctrl+u", *"parking", "ctrl+s")
        [change] = desk.changes.page().items
        assert (change.kind, change.service_id, change.state, change.proposed_by) == (
            "retire",
            "parking",
            "draft",
            "dave",
        )
        assert isinstance(s.app.screen, ChangeBoardScreen)
        assert s.text("#change-message") == f"{change.number} proposed (draft): retire parking"
        assert s.text("#change-hint").startswith(f"{change.number} draft · keys: ")


async def test_an_operator_is_not_offered_a_proposal_on_the_change_board(desk: Desk) -> None:
    async with on_screen(desk, "anna", "changes", SMALL) as s:
        assert "change.propose" not in footer_keys(s)
        await s.press("n")
        assert not isinstance(s.app.screen, KeptAskForm)
        assert desk.changes.page().total == 0


async def test_the_help_screen_and_the_palette_list_the_record_keys_once(desk: Desk) -> None:
    call_in(desk, "in_progress")
    async with running(desk, "anna", size=SMALL) as s:
        await open_call(s)
        names = [c.name for c in s.app.screen.palette_commands()]  # type: ignore[attr-defined]
        assert len(names) == len(set(names))
        assert {"effort: log time", "call: self-service"} <= set(names)
        listed = {(k.name, k.keys) for k in keys_of(s.app.screen)}
        assert ("Log time", "t") in listed
        assert any(name == "Self-service" for name, _ in listed)
        await s.press("question_mark")
        assert isinstance(s.app.screen, HelpScreen)


# -- every column readable at 80 columns -----------------------------------------------------------


def readable(table: DataTable[object], last: int = 20) -> bool:
    """Every column but the last is shown whole, and the last (a summary, a title) has at least
    ``last`` columns of the table's width."""
    widths = [c.get_render_width(table) for c in table.columns.values()]
    return sum(widths[:-1]) + last <= table.size.width


def headings(table: DataTable[object]) -> list[str]:
    return [str(c.label) for c in table.columns.values()]


async def test_the_lists_show_every_column_readably_at_80_columns_and_all_of_them_when_wide(
    desk: Desk,
) -> None:
    submitted_change(desk)
    desk.relations.open(customer="Board secretariat", request="A phone always on", by="dave")
    with freeze_time(datetime(2026, 1, 5, 9, tzinfo=UTC)):
        desk.maintenance.generate(by="admin")
    call = call_in(desk, "in_progress")
    desk.recommendations.register(
        customer="Kim Jansen",
        description="docking station for home",
        item="docking-station",
        call_id=call.id,
        by="anna",
    )
    screens = [("changes", "#changes"), ("relations", "#cases"), ("proactive", "#tasks-table")]
    screens.append(("recommendations", "#add-ons-table"))
    async with on_screen(desk, "admin", "changes", SMALL) as s:
        for mode, selector in screens:
            await s.app.switch_mode(mode)
            await s.settle()
            table = s.app.screen.query_one(selector, DataTable)
            assert table.row_count, mode
            assert readable(table), (mode, headings(table))
        await s.app.switch_mode("changes")
        await s.settle()
        board = s.app.screen.query_one("#changes", DataTable)
        assert "Proposed by" not in headings(board)
        await s.pilot.resize_terminal(160, 48)  # wide: every column again, the rows kept
        await s.settle()
        assert headings(board) == [
            "Change",
            "State",
            "Kind",
            "Service",
            "Impact",
            "Checklist",
            "Proposed by",
            "Summary",
        ]
        assert board.row_count == 1 and readable(board)
