"""The new-call form, driven by keys: the catalogue search with the chosen service's FAQ and
terms, the three decisions (standard, exception, refer) one key each, refusals that keep what was
typed, keys typed in bursts, and the form at 80×24 and 130×22 with every field reachable.
"""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Footer, Input

from bpsm import Desk
from bpsm_tui.dialogs.self_service_dialog import SelfServiceDialog
from bpsm_tui.screens import NewCallOutcome, NewCallScreen
from bpsm_tui.screens.help import keys_of
from tests.tui.driver import Session, running

FIELDS = ("#caller", "#channel", "#service-query", "#summary", "#solution", "#reason")


def screen(s: Session) -> NewCallScreen:
    assert isinstance(s.app.screen, NewCallScreen)
    return s.app.screen


def value(s: Session, selector: str) -> str:
    return s.app.screen.query_one(selector, Input).value


async def fill(s: Session, *keys: str) -> None:
    """Open the form and send ``keys`` in one burst (characters of a word given as one text)."""
    await s.press("n")
    screen(s)
    await s.burst(*[k for part in keys for k in ([part] if part in _KEYS else list(part))])


_KEYS = {"tab", "shift+tab", "enter", "up", "down", "ctrl+s", "ctrl+o", "ctrl+r", "escape"}


def visible(s: Session, widget: Widget) -> bool:
    """The widget's whole region is on the screen and inside the form's scrolled view."""
    region = widget.region
    if not region.area:
        return False
    size = s.app.screen.size
    return Region(0, 0, size.width, size.height).contains_region(region) and (
        s.app.screen.query_one("#new-call-form", VerticalScroll).region.contains_region(region)
        or widget.id == "form-error"
    )


async def test_search_shows_the_faq_and_terms_and_ctrl_s_registers_a_standard_call(
    desk: Desk,
) -> None:
    async with running(desk) as s:
        await fill(s, "Kim Jansen", "tab", "tab", "laptop")
        terms = s.text("#terms-side")
        assert terms.startswith("Standard laptop  laptop · IT")
        assert "Q: My laptop is broken. Do I get a replacement straight away?" in terms
        assert "A: Yes. Bring it to the IT service point" in terms
        assert "Lead time 5 days · IT service point" in terms
        assert "standard: response 4 h, resolution 2 days" in terms
        assert "How to order: " in terms and "Desk hours: mon–thu 08:00–17:30" in terms
        await s.burst("down")  # the pane follows the highlight
        assert not s.text("#terms-side").startswith("Standard laptop")
        await s.burst("up", "enter")
        assert "Chosen: Standard laptop (IT)" in s.text("#service-chosen")
        assert s.app.focused is screen(s).query_one("#summary")
        await s.burst(*"Screen cracked", "ctrl+s")
        [call] = desk.calls.queue().items
        assert (call.state, call.service_id, call.caller, call.summary) == (
            "in_progress",
            "laptop",
            "Kim Jansen",
            "Screen cracked",
        )
        assert not call.first_time_right
        assert f"{call.number} registered and accepted" in s.infos()


async def test_a_burst_with_a_solution_resolves_at_first_contact(desk: Desk) -> None:
    async with running(desk) as s:
        # everything in one burst: the search's results arrive after the enter meant for them,
        # and the decision waits for that choice
        await fill(
            s, "Kim", "tab", "tab", "password", "enter", "Locked out", "tab", "Reset", "ctrl+s"
        )
        [call] = desk.calls.find(filter="resolved").items
        assert (call.caller, call.service_id, call.summary, call.solution) == (
            "Kim",
            "password-reset",
            "Locked out",
            "Reset",
        )
        assert call.first_time_right
        assert not isinstance(s.app.screen, NewCallScreen)  # on to the survey


async def test_exception_and_referral_register_with_the_reason(desk: Desk) -> None:
    outcomes: list[NewCallOutcome | None] = []
    async with running(desk) as s:
        s.app.push_screen(NewCallScreen(), outcomes.append)  # as the queue does, callback too
        await s.settle()
        await s.burst(*"Board", "tab", "tab", *"ipad board", "up", "enter", *"iPad for the board")
        assert "not in the catalogue" in s.text("#service-chosen")
        await s.burst("tab", "tab", *"One-off for the board", "ctrl+o")
        [call] = desk.calls.queue().items
        assert (call.state, call.service_id, call.is_exception, call.exception_reason) == (
            "in_progress",
            None,
            True,
            "One-off for the board",
        )
        assert outcomes[-1] == NewCallOutcome(call, "exception")
        assert outcomes[-1].line == f"{call.number} registered as an exception"

        s.app.push_screen(NewCallScreen(), outcomes.append)
        await s.settle()
        await s.burst(*"Sam", "tab", "tab", *"laptop", "enter", *"Wants a 3D printer")
        await s.burst("tab", "tab", *"Not a standard service", "ctrl+r")
        [referred] = desk.calls.find(filter="referred").items
        assert (referred.caller, referred.service_id, referred.summary) == (
            "Sam",
            "laptop",
            "Wants a 3D printer",
        )
        [event] = [e for e in desk.history(referred) if e.trigger == "refer"]
        assert event.reason == "Not a standard service"
        outcome = outcomes[-1]
        assert outcome is not None and (outcome.call, outcome.decision) == (referred, "refer")
        assert (outcome.case.call_id, outcome.case.customer) == (referred.id, "Sam")
        assert outcome.line.endswith("registered and referred to relation management")


async def test_refused_decisions_say_the_librarys_line_and_keep_what_was_typed(
    desk: Desk,
) -> None:
    async with running(desk) as s:
        await s.press("n", "ctrl+s")
        assert s.text("#form-error") == "caller: must not be empty"
        assert s.app.focused is screen(s).query_one("#caller")

        await s.burst(*"Kim", "tab", "tab", *"ipad", "up", "enter", *"iPad please", "ctrl+s")
        assert s.text("#form-error").startswith("set the catalogue service first")
        assert s.app.focused is screen(s).query_one("#service-query")

        await s.burst("ctrl+r")  # refer without a reason: refused before anything is written
        assert s.text("#form-error") == "say why the request is not handled as a standard service"
        assert s.app.focused is screen(s).query_one("#reason")
        await s.burst("ctrl+o")
        assert s.text("#form-error") == "an exception needs a reason"
        assert s.app.focused is screen(s).query_one("#reason")
        assert (value(s, "#caller"), value(s, "#service-query"), value(s, "#summary")) == (
            "Kim",
            "ipad",
            "iPad please",
        )
        assert desk.calls.queue().total == 0

        await s.burst("shift+tab", "shift+tab", "shift+tab", *" now")  # typing undoes the choice
        await s.burst("ctrl+s")
        assert s.text("#form-error").startswith("service: choose a result with enter")
        assert desk.calls.queue().total == 0


async def test_the_keys_are_in_the_footer_and_the_help(desk: Desk) -> None:
    async with running(desk) as s:
        await s.press("n")
        footer = {b.binding.id for b in s.app.screen.active_bindings.values() if b.binding.show}
        assert {"new-call.standard", "new-call.exception", "new-call.refer"} <= footer
        assert s.app.screen.query(Footer)
        lines = {k.keys: k.help for k in keys_of(s.app.screen)}
        assert "resolve it at first contact" in lines["^s"]
        assert "exception" in lines["^o"] and "relation management" in lines["^r"]


async def test_every_field_and_the_error_are_reachable_at_80x24_and_130x22(desk: Desk) -> None:
    for size in ((80, 24), (130, 22)):
        async with running(desk, size=size) as s:
            await fill(s, "Kim", "tab", "tab", "laptop", "enter")
            form = screen(s)
            assert form.has_class("narrow") == (size[0] < 110)
            terms = form.query_one("#terms-inline" if size[0] < 110 else "#terms-side")
            assert "Q: My laptop is slow" in s.text(f"#{terms.id}")
            await s.burst("shift+tab", "shift+tab", "shift+tab")
            for selector in FIELDS:
                widget = form.query_one(selector)
                assert s.app.focused is widget, (size, selector)
                assert visible(s, widget), (size, selector, widget.region)
                await s.burst("tab")
            await s.burst("ctrl+r")  # refused: the reason is empty
            assert s.text("#form-error").startswith("say why the request is not handled")
            assert visible(s, form.query_one("#form-error"))
            assert visible(s, form.query_one("#reason"))
            await s.burst("ctrl+s")  # refused: no summary; the field is scrolled into view
            assert s.text("#form-error") == "summary: must not be empty"
            assert visible(s, form.query_one("#summary"))
            assert desk.calls.queue().total == 0


async def test_ctrl_f_flags_the_new_call_with_an_faq_entry_of_the_chosen_service(
    desk: Desk,
) -> None:
    faq = desk.services.get("laptop").faq
    async with running(desk, size=(80, 24)) as s:
        await fill(s, "Kim Jansen", "tab", "tab", "laptop", "enter", "Does it come with a bag")
        await s.press("ctrl+f")
        assert isinstance(s.app.screen, SelfServiceDialog)
        await s.press("down", "enter")  # entry 2
        screen(s)
        assert s.text("#self-service") == f"Self-service: FAQ 2 — {faq[1].q} · ctrl+f"
        await s.press("ctrl+s")
        [call] = desk.calls.queue().items
        assert (call.state, call.self_service_faq, call.self_service_question) == (
            "in_progress",
            2,
            faq[1].q,
        )
        assert f"{call.number} registered and accepted (self-service: FAQ 2)" in s.infos()
        assert [e.trigger for e in desk.history(call)] == [
            "register",
            "flag_self_service",
            "accept",
        ]


async def test_ctrl_f_without_a_service_is_refused_in_the_form_and_the_flag_can_be_cleared(
    desk: Desk,
) -> None:
    async with running(desk, size=(80, 24)) as s:
        await fill(s, "Kim Jansen", "tab", "tab")
        await s.press("ctrl+f")
        screen(s)  # no dialog: the form says why
        assert s.text("#form-error").startswith("self-service: choose the call's catalogue")
        assert s.app.focused is s.app.screen.query_one("#service-query")
        await s.burst(*"laptop", "enter", *"A bag?")
        await s.press("ctrl+f", "enter")  # entry 1
        assert s.app.screen.query_one("#self-service").display
        await s.press("ctrl+f")  # again: the list offers to clear it (the last entry)
        await s.press("end", "enter")
        assert not s.app.screen.query_one("#self-service").display
        assert value(s, "#caller") == "Kim Jansen" and value(s, "#summary") == "A bag?"
        await s.press("ctrl+s")
        [call] = desk.calls.queue().items
        assert call.self_service_faq is None
        assert "flag_self_service" not in [e.trigger for e in desk.history(call)]
