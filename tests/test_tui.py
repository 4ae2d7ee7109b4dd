"""The operator's desk in the terminal, driven by keys through Textual's pilot (App.run_test).

Every test starts from a fresh database with the example catalogue (the ``desk`` fixture) and
waits for the app's thread workers instead of sleeping.
"""

from __future__ import annotations

import pytest

from bpsm import Desk
from bpsm_tui.dialogs import EscalateDialog, SurveyDialog, TextPrompt
from bpsm_tui.screens import CallDetailScreen, NewCallScreen, QueueScreen
from bpsm_tui.widgets import CallTable
from tests.helpers import OP, call_in, new_call
from tests.tui.driver import running


async def test_queue_shows_open_calls_kpis_and_who_is_working(desk: Desk) -> None:
    first = new_call(desk, caller="Kim Jansen")
    second = call_in(desk, "in_progress", caller="Sanne de Boer", summary="VPN drops every hour")
    call_in(desk, "closed")  # closed calls are not in the queue
    async with running(desk) as s:
        assert isinstance(s.app.screen, QueueScreen)
        assert s.numbers() == [first.number, second.number]
        assert s.kpi() == (
            "First time right today: 100% (1 of 1 resolved) · Open calls: 2 · "
            "Anna de Vries (operator)"
        )
        assert s.text("#queue-status") == "Calls 1–2 of 2 · page 1/1"
        row = s.app.screen.query_one(CallTable).get_row_at(1)
        assert [str(cell) for cell in row[:5]] == [
            second.number,
            "Sanne de Boer",
            "Standard laptop",
            "in progress",
            "service-desk",
        ]
        assert s.text("#call-hint").startswith(f"{first.number} registered · keys: a accept")


@pytest.mark.postgres_too
async def test_queue_pages_through_the_database_a_page_at_a_time(desk: Desk) -> None:
    calls = [new_call(desk, caller=f"Caller {i:02d}") for i in range(45)]
    async with running(desk) as s:
        assert len(s.numbers()) == QueueScreen.PAGE_SIZE == 40
        assert s.text("#queue-status") == "Calls 1–40 of 45 · page 1/2"
        await s.press("pagedown")
        assert s.numbers() == [c.number for c in calls[40:]]
        assert s.text("#queue-status") == "Calls 41–45 of 45 · page 2/2"
        assert s.app.screen.query_one(CallTable).selected_call.number == calls[40].number
        await s.press("pagedown")  # there is no third page: nothing changes
        assert s.text("#queue-status") == "Calls 41–45 of 45 · page 2/2"
        await s.press("left_square_bracket")
        assert s.numbers()[0] == calls[0].number
        await s.press("right_square_bracket")
        assert s.numbers()[0] == calls[40].number


async def test_operator_resolves_a_new_call_at_first_contact_and_closes_it_with_the_survey(
    desk: Desk,
) -> None:
    async with running(desk) as s:
        assert "First time right today: — " in s.kpi()
        await s.press("n")
        assert isinstance(s.app.screen, NewCallScreen)
        await s.type("Kim Jansen")
        await s.press("tab", "tab")  # caller → channel (phone) → service search
        await s.type("laptop")
        await s.press("enter")  # the best match, highlighted first
        assert "Chosen: Standard laptop (IT)" in s.text("#service-chosen")
        await s.type("It quit")  # enter moved the focus to the summary; q types, it does not quit
        await s.press("tab")
        await s.type("Rebooted")
        await s.press("ctrl+s")  # standard, with a solution: resolved at first contact

        [call] = desk.calls.queue().items
        assert (call.state, call.service_id, call.first_time_right) == ("resolved", "laptop", True)
        assert (call.caller, call.summary, call.solution) == ("Kim Jansen", "It quit", "Rebooted")
        assert isinstance(s.app.screen, SurveyDialog)  # asked while the customer is on the line

        await s.type("2")
        await s.press("enter")  # to the satisfaction question
        await s.type("5")
        await s.press("enter")
        closed = desk.calls.get(call.id)
        assert (closed.state, closed.effort_score, closed.satisfaction) == ("closed", 2, 5)
        assert isinstance(s.app.screen, QueueScreen)
        assert s.kpi().startswith("First time right today: 100% (1 of 1 resolved) · Open calls: 0")
        assert f"{call.number} closed (effort 2, satisfaction 5)" in s.infos()


async def test_the_survey_after_resolve_now_can_be_skipped(desk: Desk) -> None:
    async with running(desk) as s:
        await s.fill_new_call("Kim", "password", "Locked out", "Reset")
        await s.press("ctrl+s")
        assert isinstance(s.app.screen, SurveyDialog)
        await s.press("escape")
        [call] = desk.calls.queue().items
        assert (call.state, call.service_id) == ("resolved", "password-reset")
        assert s.numbers() == [call.number]


async def test_call_not_in_the_catalogue_stays_registered_then_becomes_an_exception(
    desk: Desk,
) -> None:
    call = new_call(desk, service=None)  # the new-call form decides at once: see test_new_call
    async with running(desk) as s:
        await s.press("x")
        assert isinstance(s.app.screen, TextPrompt)
        await s.press("enter")  # a reason is required: the prompt stays
        assert isinstance(s.app.screen, TextPrompt)
        await s.type("One-off")
        await s.press("enter")
        call = desk.calls.get(call.id)
        assert (call.state, call.is_exception, call.exception_reason) == (
            "in_progress",
            True,
            "One-off",
        )


async def test_illegal_action_shows_the_error_and_changes_nothing(desk: Desk) -> None:
    call = call_in(desk, "in_progress")
    trail = desk.history(call)
    async with running(desk) as s:
        await s.press("c")
        assert isinstance(s.app.screen, QueueScreen)  # no survey asked for a call that cannot close
        [error] = s.errors()
        assert f"{call.number}: cannot close while in progress" in error
    assert desk.calls.get(call.id) == call
    assert desk.history(call) == trail


async def test_accept_without_a_catalogue_service_is_refused_by_the_guard(desk: Desk) -> None:
    call = new_call(desk, service=None)
    async with running(desk) as s:
        await s.press("a")
        assert any(
            e.startswith(f"{call.number} registered: set the catalogue service first")
            for e in s.errors()
        )
    assert desk.calls.get(call.id).state == "registered"


async def test_a_manager_cannot_act_on_calls(desk: Desk) -> None:
    call = call_in(desk, "in_progress")
    async with running(desk, "eve") as s:
        await s.press("1")  # a manager lands on the KPIs; the calls are one key away
        assert "Eve Smit (manager)" in s.kpi()
        assert "you cannot act on this call" in s.text("#call-hint")
        await s.press("r")
        assert isinstance(s.app.screen, QueueScreen)
        assert any("'eve' may not call.resolve" in e for e in s.errors())
        await s.press("n")
        await s.type("Kim")
        await s.press("ctrl+s")
        assert "'eve' may not call.register" in s.text("#form-error")
    assert desk.calls.get(call.id) == call
    assert desk.calls.queue().total == 1


async def test_a_change_by_another_operator_is_never_overwritten(desk: Desk) -> None:
    call = call_in(desk, "in_progress")
    async with running(desk) as s:
        desk.calls.escalate(
            call.id, to_group="second-line-it", reason="needs on-site repair", by="omar"
        )
        await s.press("r")
        await s.type("Rebooted")
        await s.press("enter")
        [error] = s.errors()
        assert "was changed by someone else" in error
        now = desk.calls.get(call.id)
        assert (now.state, now.solution, now.group) == ("in_progress", None, "second-line-it")

        await s.press("r")  # the queue reloaded: acting again works on the current version
        await s.press("enter")  # the solution typed before is still there
        assert desk.calls.get(call.id).state == "resolved"


async def test_cursor_stays_on_the_same_call_after_a_refresh(desk: Desk) -> None:
    first, second, third = (new_call(desk, caller=name) for name in ("Ann", "Bob", "Cas"))
    async with running(desk) as s:
        await s.press("down", "down")
        table = s.app.screen.query_one(CallTable)
        assert table.selected_call.id == third.id
        desk.calls.cancel(first.id, reason="withdrawn", by=OP)
        await s.press("g")
        assert s.numbers() == [second.number, third.number]
        assert table.selected_call.id == third.id


async def test_call_details_show_fields_contacts_and_history_and_take_the_same_keys(
    desk: Desk,
) -> None:
    call = call_in(desk, "in_progress")
    async with running(desk) as s:
        await s.press("enter")
        screen = s.app.screen
        assert isinstance(screen, CallDetailScreen)
        assert s.text("#detail-title").startswith(f"{call.number}  Laptop will not start")
        assert screen.query_one("#contacts").row_count == 1
        assert screen.query_one("#history").row_count == len(desk.history(call)) == 2

        await s.press("w")
        assert desk.calls.get(call.id).state == "waiting_customer"
        assert screen.query_one("#history").row_count == 3
        await s.press("l")
        await s.type("Rang back")
        await s.press("enter")
        assert [c.note for c in desk.calls.contacts(call.id)] == ["registered", "Rang back"]
        assert screen.query_one("#contacts").row_count == 2

        await s.press("escape")
        assert isinstance(s.app.screen, QueueScreen)
        assert s.text("#call-hint").startswith(f"{call.number} waiting: customer")


async def test_escalate_asks_for_the_group_and_the_reason(desk: Desk) -> None:
    call = call_in(desk, "in_progress")
    async with running(desk) as s:
        await s.press("e")
        assert isinstance(s.app.screen, EscalateDialog)
        await s.press("down", "enter")  # second-line-it, facilities-team, hr-services
        await s.type("Chair")
        await s.press("enter")
        now = desk.calls.get(call.id)
        assert (now.group, now.escalation_count) == ("facilities-team", 1)
        assert f"{call.number} escalated to facilities-team" in s.infos()


async def test_wait_for_supplier_takes_an_optional_reason_and_resume_picks_it_up(
    desk: Desk,
) -> None:
    call = call_in(desk, "in_progress")
    async with running(desk) as s:
        await s.press("s", "enter")
        assert desk.calls.get(call.id).state == "waiting_supplier"
        await s.press("u")
        assert desk.calls.get(call.id).state == "in_progress"


async def test_command_palette_runs_namespaced_call_actions(desk: Desk) -> None:
    call = new_call(desk)
    async with running(desk) as s:
        await s.press("ctrl+p")
        await s.type("call: accept")
        await s.press("enter")
        assert desk.calls.get(call.id).state == "in_progress"
        await s.press("ctrl+p")
        await s.type("view: refresh")
        await s.press("enter")
        assert s.text("#call-hint").startswith(f"{call.number} in progress")


async def test_someone_not_on_the_staff_list_sees_the_queue_but_cannot_act(desk: Desk) -> None:
    call = new_call(desk)
    async with running(desk, "zed") as s:
        assert "zed (not on the staff list)" in s.kpi()
        assert s.numbers() == [call.number]
        await s.press("a")
        assert isinstance(s.app.screen, QueueScreen)
        assert any("'zed' may not act on this desk" in e for e in s.errors())
    assert desk.calls.get(call.id) == call


async def test_resolve_now_is_all_or_nothing(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    from bpsm.processes.base import Guard
    from bpsm.processes.calls.steps import REACTIVE

    down = Guard("solution_recorded", "the knowledge base is down", lambda ctx: False)
    monkeypatch.setattr(
        REACTIVE,
        "table",
        tuple(
            replace(s, guards=(*s.guards, down)) if s.trigger == "resolve" else s
            for s in REACTIVE.table
        ),
    )
    async with running(desk) as s:
        await s.fill_new_call("Kim", "laptop", "Dead", "Swapped")
        await s.press("ctrl+s")
        assert isinstance(s.app.screen, NewCallScreen)  # the form stays open with the reason
        assert "the knowledge base is down" in s.text("#form-error")
        assert desk.calls.queue().total == 0  # not even registered: one transaction


async def test_the_queue_refreshes_itself_on_a_timer(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(QueueScreen, "REFRESH_EVERY", 0.05)
    async with running(desk) as s:
        assert s.numbers() == []
        call = new_call(desk)  # another operator registers a call
        # the timer fires every 50 ms and starts a page and a count worker each time, so the
        # workers are never all done: poll what the screen shows (up to 10 s on a busy machine)
        for _ in range(200):
            await s.pilot.pause(0.05)
            if s.numbers() == [call.number] and "Open calls: 1" in s.kpi():
                break
        assert s.numbers() == [call.number]
        assert "Open calls: 1" in s.kpi()


async def test_keys_are_remapped_from_the_keymap_by_binding_id(desk: Desk) -> None:
    call = new_call(desk)
    async with running(desk, keymap={"call.accept": "A"}) as s:
        await s.press("a")  # the old key does nothing any more
        assert desk.calls.get(call.id).state == "registered"
        await s.press("A")
        assert desk.calls.get(call.id).state == "in_progress"


async def test_the_palette_lists_every_binding_of_the_screen_with_its_key(desk: Desk) -> None:
    new_call(desk)
    async with running(desk) as s:
        names = {c.name: c.help for c in s.app.screen.palette_commands()}
        assert {
            "call: new call",
            "call: details",
            "call: accept",
            "call: exception",
            "call: log contact",
            "view: refresh",
            "view: next page",
            "view: first page",
            "view: last page",
        } <= set(names)
        assert names["call: accept"].endswith("· key a")
        assert not [n for n in names if n.startswith("app:")]
