"""The keys every record has: ``t`` logs time (on a call, a relation case, a change, a maintenance
task, an improvement, a recommendation), ``ctrl+f`` flags a call as a self-service opportunity;
and what each screen offers in its footer, at 80×24.

Every flow is typed as a person types it and checked in the library and on the screen; each
refusal (too many minutes, a role that may not) is said with the record's number and state, and
what was typed stays.
"""

from __future__ import annotations

from textual.widgets import Input, Static

from bpsm import Desk
from bpsm_tui.dialogs import TextPrompt
from bpsm_tui.dialogs.effort_dialog import EffortDialog, minutes_text
from bpsm_tui.dialogs.self_service_dialog import SelfServiceDialog
from bpsm_tui.screens import CallDetailScreen
from bpsm_tui.widgets import FieldPairs
from tests.helpers import call_in
from tests.tui.driver import Session, running

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
