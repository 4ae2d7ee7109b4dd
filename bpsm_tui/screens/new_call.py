"""The new-call form: who calls, how, which catalogue service, what about — and the decision.

While the operator searches the catalogue, the highlighted service's FAQ and delivery terms (lead
time, where it is delivered, the quality levels, how to order, when the desk is open) are shown
beside the form (below the search on a narrow terminal), so the question can be answered at
first contact. Then one key decides, as the method asks: ``ctrl+s`` *standard* registers and
accepts the call (and resolves it when a solution is typed: solved at first contact), ``ctrl+o``
makes an exception and ``ctrl+r`` refers the customer to relation management, both with the
reason typed. What the library refuses is shown in one line, the field concerned gets the focus,
and everything typed stays. ``ctrl+f`` flags the call as a self-service opportunity: which entry
of the chosen service's FAQ would have answered it (the call is registered with it,
``self_service_faq``); ``ctrl+f`` again changes or clears it.

The form scrolls, so every field and the error line are reachable at 80×24; keys typed in one
burst land where they were typed (the field keys are priority bindings, and a decision waits
until every field has handled the keys sent before it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual import events, work
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Footer, Input, Label, Select, Static
from textual.worker import get_current_worker

from bpsm import CallView, DeskConfig, GuardFailed, Service, ServiceHit
from bpsm_tui.data.format import error_text
from bpsm_tui.dialogs.self_service_dialog import CLEAR, SelfServiceDialog
from bpsm_tui.screens.catalogue import duration_text
from bpsm_tui.widgets.service_search import ServiceSearch

if TYPE_CHECKING:
    from bpsm_tui.host import DeskHost

__all__ = ["DECISIONS", "NARROW", "SHORT", "NewCallOutcome", "NewCallScreen", "service_terms"]

NARROW = 110
"""Below this many columns the FAQ and terms go below the search instead of beside the form."""

SHORT = 32
"""Below this many rows the fields are one line high (no frame), so the form fits 24 rows."""

DECISIONS = {"standard": "accept", "exception": "make_exception", "refer": "refer"}
"""Each decision and the library step it takes after registering."""

_FIELD_FOR = {
    "caller": "#caller",
    "summary": "#summary",
    "channel": "#channel",
    "service": "#service-query",
    "service_in_catalogue": "#service-query",
    "solution": "#solution",
    "reason": "#reason",
    "referral_reason": "#reason",
    "exception_reason": "#reason",
    "solution_recorded": "#solution",
}
_DONE = {
    "standard": "registered and accepted",
    "exception": "registered as an exception",
    "refer": "registered and referred to relation management",
}


@dataclass(frozen=True)
class NewCallOutcome:
    """What the form did: the call as it stands after registering and the decision.

    Attributes:
        call: the call (in progress, resolved, an exception in progress, or referred).
        decision: ``standard``, ``exception`` or ``refer``.
        case: the relation case a referral opened (a :class:`bpsm.RelationCaseView`), else None.
    """

    call: CallView
    decision: str = "standard"
    case: Any = None

    @property
    def line(self) -> str:
        """One line saying what happened, for a notification."""
        flagged = self.call.self_service_faq
        also = f" (self-service: FAQ {flagged})" if flagged is not None else ""
        if self.call.state == "resolved":
            return f"{self.call.number} resolved at first contact{also}"
        if self.decision == "standard" and self.call.state == "registered":
            return f"{self.call.number} registered{also}"  # the decision step did not happen
        return f"{self.call.number} {_DONE[self.decision]}{also}"


def _hours(config: DeskConfig) -> str:
    """The desk's opening hours in one line, days with the same hours run together."""
    runs: list[tuple[list[str], str]] = []
    for day, hours in config.hours.items():
        opening = "closed" if hours is None else f"{hours[0]:%H:%M}–{hours[1]:%H:%M}"
        if runs and runs[-1][1] == opening:
            runs[-1][0].append(day)
        else:
            runs.append(([day], opening))
    parts = [
        (days[0][:3] if len(days) == 1 else f"{days[0][:3]}–{days[-1][:3]}") + f" {opening}"
        for days, opening in runs
    ]
    return ", ".join(parts) + f" ({config.timezone})"


def service_terms(service: Service, config: DeskConfig) -> Text:
    """A service's FAQ (questions and answers) and delivery terms, as the form shows them."""

    def head(title: str) -> Text:
        return Text(title, style="bold underline")

    parts: list[Text] = [
        Text.assemble((service.name, "bold"), (f"  {service.id} · {service.department}", "dim")),
        head("FAQ"),
    ]
    for entry in service.faq:
        parts += [Text(f"Q: {entry.q}", style="bold"), Text(f"A: {entry.a}")]
    parts += [
        head("Terms"),
        Text(f"Lead time {duration_text(service.delivery.lead_time)} · {service.delivery.pickup}"),
    ]
    for level in service.quality_levels:
        parts.append(
            Text(
                f"{level.name}: response {duration_text(level.response_time)}, resolution "
                f"{duration_text(level.resolution_time)} — {level.description}"
            )
        )
    parts += [
        Text(f"How to order: {service.ordering}"),
        Text(f"Desk hours: {_hours(config)}", style="dim"),
    ]
    return Text("\n").join(parts)


_NO_SERVICE = Text(
    "No catalogue service highlighted: its FAQ and delivery terms show here.", style="dim italic"
)


class NewCallScreen(ModalScreen[NewCallOutcome | None]):
    """Register a call while the customer is on the line, and decide: standard, exception, refer."""

    AUTO_FOCUS = "#caller"
    CSS_PATH = "new_call.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+s",
            "decide('standard')",
            "Standard",
            id="new-call.standard",
            priority=True,
            tooltip=(
                "Standard service: register and accept the call (and resolve it at first contact "
                "if a solution is typed)"
            ),
        ),
        Binding(
            "ctrl+o",
            "decide('exception')",
            "Exception",
            id="new-call.exception",
            priority=True,
            tooltip="Not standard, but we make an exception: register it with the reason typed",
        ),
        Binding(
            "ctrl+r",
            "decide('refer')",
            "Refer",
            id="new-call.refer",
            priority=True,
            tooltip="Not standard, no exception: register and refer to relation management",
        ),
        Binding(
            "ctrl+f",
            "self_service",
            "Self-service",
            id="new-call.self-service",
            priority=True,
            tooltip=(
                "Self-service opportunity: choose the FAQ entry of the service that would have "
                "answered it (again: change or clear it)"
            ),
        ),
        Binding(
            "escape",
            "cancel",
            "Cancel",
            id="new-call.cancel",
            tooltip="Close the form without registering",
        ),
        Binding(
            "pagedown",
            "scroll_terms(1)",
            "Scroll FAQ",
            show=False,
            priority=True,
            id="new-call.terms-down",
            tooltip="Scroll the FAQ and terms down",
        ),
        Binding(
            "pageup",
            "scroll_terms(-1)",
            "Scroll FAQ back",
            show=False,
            priority=True,
            id="new-call.terms-up",
            tooltip="Scroll the FAQ and terms up",
        ),
        # Priority: the app runs these before it forwards the next key, so a fast typist's (or a
        # scripted terminal's) text after a tab or enter lands in the next field.
        Binding(
            "enter",
            "submit_field",
            "Next / choose",
            show=False,
            priority=True,
            id="new-call.submit-field",
            tooltip="In the search: choose the highlighted result; elsewhere: the next field",
        ),
        Binding(
            "tab",
            "next_field",
            "Next field",
            id="new-call.next-field",
            show=False,
            priority=True,
            tooltip="Go to the next field",
        ),
        Binding(
            "shift+tab",
            "previous_field",
            "Previous field",
            id="new-call.previous-field",
            show=False,
            priority=True,
            tooltip="Go back to the previous field",
        ),
    ]
    """ctrl+s standard, ctrl+o exception, ctrl+r refer, ctrl+f self-service, escape cancels,
    enter/tab move."""

    class Decided(Message):
        """The call was registered and the decision taken."""

        def __init__(self, outcome: NewCallOutcome, warning: BaseException | None = None) -> None:
            super().__init__()
            self.outcome, self.warning = outcome, warning

    class Refused(Message):
        """The library refused; nothing was written. ``field``: the field it is about."""

        def __init__(self, error: BaseException, field: str | None = None) -> None:
            super().__init__()
            self.error, self.field = error, field

    class TermsRead(Message):
        """A service's definition was read for the FAQ and terms pane."""

        def __init__(self, service_id: str, service: Service | None, error: str = "") -> None:
            super().__init__()
            self.service_id, self.service, self.error = service_id, service, error

    def __init__(self) -> None:
        super().__init__()
        self._busy = False
        self._terms: dict[str, Service] = {}
        self._showing: str | None = None
        self._waiting: Callable[[], None] | None = None  # a decision waiting for the choice
        self._flag: tuple[str, int, str] | None = None  # self-service: service, FAQ entry, question
        self._faq_for: str | None = None  # the service whose FAQ the flag waits to read

    @property
    def desk_app(self) -> DeskHost:
        return cast("DeskHost", self.app)

    def compose(self) -> ComposeResult:
        config = self.desk_app.desk.config
        channels = list(config.channels)
        default = "phone" if "phone" in channels else channels[0]
        with Vertical(id="new-call-box"):
            yield Static(
                Text("New call — is this part of our standard service?", style="bold"),
                classes="form-title",
            )
            with Horizontal(id="new-call-body"):
                with VerticalScroll(id="new-call-form", can_focus=False):
                    with Horizontal(classes="form-row"):
                        yield Label("Caller", classes="form-label")
                        yield Input(placeholder="Name of the customer", id="caller")
                    with Horizontal(classes="form-row"):
                        yield Label("Channel", classes="form-label")
                        yield Select(
                            [(c, c) for c in channels],
                            value=default,
                            allow_blank=False,
                            id="channel",
                        )
                    with Horizontal(classes="form-row"):
                        yield Label("Service", classes="form-label")
                        yield ServiceSearch(self.desk_app.desk.services.search, id="service-search")
                    with VerticalScroll(id="terms-inline-pane", can_focus=False):
                        yield Static(_NO_SERVICE, id="terms-inline", classes="terms")
                    yield Static("", id="self-service")
                    with Horizontal(classes="form-row"):
                        yield Label("Summary", classes="form-label")
                        yield Input(
                            placeholder="What the customer needs, in their words", id="summary"
                        )
                    with Horizontal(classes="form-row"):
                        yield Label("Solution", classes="form-label")
                        yield Input(
                            placeholder="Standard: what solved it now (first contact)",
                            id="solution",
                        )
                    with Horizontal(classes="form-row"):
                        yield Label("Reason", classes="form-label")
                        yield Input(
                            placeholder="Exception or refer: why it is not standard service",
                            id="reason",
                        )
                with VerticalScroll(id="terms-pane", can_focus=False):
                    yield Static(_NO_SERVICE, id="terms-side", classes="terms")
            yield Static("", id="form-error")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#self-service", Static).display = False

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < NARROW, "narrow")
        self.set_class(event.size.height < SHORT, "short")

    # -- keys ----------------------------------------------------------------------------------

    def action_cancel(self) -> None:
        """Close the form; nothing is registered."""
        if not self._busy:
            self.dismiss(None)

    def action_decide(self, decision: str) -> None:
        """Register the call and take ``decision`` (standard, exception or refer), once every
        field holds what was typed into it and the service search has made its choice."""
        self._after_typing(lambda: self._submit(decision))

    def action_next_field(self) -> None:
        """Move to the next field now, before the next key is handed on."""
        self.focus_next()

    def action_previous_field(self) -> None:
        """Move to the previous field now, before the next key is handed on."""
        self.focus_previous()

    def action_submit_field(self) -> None:
        """Enter: in the search box choose the highlighted result, in a text field go on."""
        focused = self.focused
        if not isinstance(focused, Input):
            raise SkipAction  # the channel choice: enter opens it
        if focused.id == "service-query":
            self.query_one(ServiceSearch).choose_highlighted()
            self.set_focus(self.query_one("#summary", Input))  # now, not after the queued keys
        elif focused.id != "reason":
            self.focus_next()

    def action_scroll_terms(self, step: int) -> None:
        """Page through the FAQ and terms."""
        pane = self.query_one("#terms-inline-pane" if self.has_class("narrow") else "#terms-pane")
        assert isinstance(pane, VerticalScroll)
        if step > 0:
            pane.scroll_page_down(animate=False)
        else:
            pane.scroll_page_up(animate=False)

    def _after_typing(self, then: Callable[[], None]) -> None:
        """Run ``then`` once every field (and the search behind its box) has handled the keys
        already sent to it, and a choice asked of the search has been made."""
        fields: list[Widget] = [*self.query(Input), self.query_one(ServiceSearch)]

        def done() -> None:
            if not self.is_active:
                return
            if self.query_one(ServiceSearch).pending:
                self._waiting = then  # run when the results arrive and the choice is made
            else:
                then()

        def visit(index: int) -> None:
            if index == len(fields):
                done()
            elif not fields[index].call_later(visit, index + 1):
                visit(index + 1)

        visit(0)

    # -- the catalogue's FAQ and terms ---------------------------------------------------------

    def on_service_search_highlighted(self, event: ServiceSearch.Highlighted) -> None:
        self._show_terms(event.hit)

    def on_service_search_chosen(self, event: ServiceSearch.Chosen) -> None:
        self._show_terms(event.hit)
        if self._flag is not None and (event.hit is None or event.hit.id != self._flag[0]):
            self._set_flag(None)  # the entry was the other service's

    def on_service_search_settled(self, event: ServiceSearch.Settled) -> None:
        waiting, self._waiting = self._waiting, None
        if waiting is not None and self.is_active:
            waiting()

    def _show_terms(self, hit: ServiceHit | None) -> None:
        self._showing = hit.id if hit else None
        if hit is None:
            self._set_terms(_NO_SERVICE)
        elif hit.id in self._terms:
            self._set_terms(service_terms(self._terms[hit.id], self.desk_app.desk.config))
        else:
            self._read_terms(hit.id)

    @work(thread=True, exclusive=True, group="new-call-terms")
    def _read_terms(self, service_id: str) -> None:
        worker = get_current_worker()
        try:
            service = self.desk_app.desk.services.get(service_id)
        except Exception as err:
            self.post_message(self.TermsRead(service_id, None, error_text(err)))
            return
        if not worker.is_cancelled:
            self.post_message(self.TermsRead(service_id, service))

    def on_new_call_screen_terms_read(self, message: TermsRead) -> None:
        if message.service is not None:
            self._terms[message.service_id] = message.service
        if message.service_id == self._faq_for:
            self._faq_for = None
            if message.service is None:
                self._refuse(f"self-service: {message.error}", "#service-query")
            else:
                self._ask_faq(message.service)
        if message.service_id != self._showing:
            return
        if message.service is None:
            self._set_terms(Text(message.error, style="red"))
        else:
            self._set_terms(service_terms(message.service, self.desk_app.desk.config))

    def _set_terms(self, content: Any) -> None:
        for terms in self.query(".terms").results(Static):
            terms.update(content)
        for pane in self.query("#terms-pane, #terms-inline-pane").results(VerticalScroll):
            pane.scroll_home(animate=False)

    # -- the self-service flag ------------------------------------------------------------------

    def action_self_service(self) -> None:
        """Choose the FAQ entry of the chosen service that would have answered the call (or
        change or clear it), once the search has made its choice."""
        self._after_typing(self._self_service)

    def _self_service(self) -> None:
        search = self.query_one(ServiceSearch)
        if search.chosen is None:
            self._refuse(
                "self-service: choose the call's catalogue service first (the FAQ entry is one "
                "of its)",
                "#service-query",
            )
            return
        service = self._terms.get(search.chosen.id)
        if service is None:  # its definition is being read for the terms pane
            self._faq_for = search.chosen.id
            self._read_terms(search.chosen.id)
            return
        self._ask_faq(service)

    def _ask_faq(self, service: Service) -> None:
        current = self._flag[1] if self._flag and self._flag[0] == service.id else None

        def chosen(answer: dict[str, Any] | None) -> None:
            if answer is None:
                return
            n = int(answer["faq"])
            self._set_flag(None if n == CLEAR else (service.id, n, service.faq[n - 1].q))

        dialog = SelfServiceDialog(
            "Self-service: the new call",
            f"{service.id} · {service.name}",
            [entry.q for entry in service.faq],
            current=current,
            clearable=True,
            other_service="Choose that service for the call first",
        )
        self.app.push_screen(dialog, chosen)

    def _set_flag(self, flag: tuple[str, int, str] | None) -> None:
        self._flag = flag
        line = self.query_one("#self-service", Static)
        line.display = flag is not None
        if flag is not None:
            line.update(
                Text.assemble(
                    ("Self-service: ", "bold"), f"FAQ {flag[1]} — {flag[2]}", (" · ctrl+f", "dim")
                )
            )

    # -- submitting ----------------------------------------------------------------------------

    def _submit(self, decision: str) -> None:
        if self._busy:
            return
        search = self.query_one(ServiceSearch)
        if search.query_text.strip() and not search.decided:
            self._refuse(
                "service: choose a result with enter, or “Not in the catalogue” (the last entry)",
                "#service-query",
            )
            return
        self._busy = True
        self._say(Text("Registering…", style="italic"))
        solution = self.query_one("#solution", Input).value.strip()
        self._register(
            decision,
            caller=self.query_one("#caller", Input).value,
            channel=str(self.query_one("#channel", Select).value),
            summary=self.query_one("#summary", Input).value,
            service=search.chosen.id if search.chosen else None,
            solution=solution or None,
            reason=self.query_one("#reason", Input).value,
            self_service_faq=(
                self._flag[1]
                if self._flag and search.chosen and self._flag[0] == search.chosen.id
                else None
            ),
        )

    @work(thread=True, exclusive=True, group="new-call")
    def _register(
        self,
        decision: str,
        *,
        caller: str,
        channel: str,
        summary: str,
        service: str | None,
        solution: str | None,
        reason: str,
        self_service_faq: int | None = None,
    ) -> None:
        desk, by = self.desk_app.desk, self.desk_app.operator
        standard = decision == "standard"
        if not standard:
            # The library's own checks of the decision, before anything is written: may this
            # person take the step, and is the reason one the step accepts?
            try:
                process = desk.calls.process
                process.require(desk.person(by), DECISIONS[decision])
                for ask in process.step(DECISIONS[decision], "registered").asks:
                    ask.take({"reason": reason})
            except Exception as err:
                self.post_message(self.Refused(err, "#reason"))
                return
        try:  # one transaction: registered, accepted and resolved together, or not at all
            call = desk.calls.register(
                caller=caller,
                channel=channel,
                summary=summary,
                service=service,
                by=by,
                accept=standard,
                solution=solution if standard else None,
                self_service_faq=self_service_faq,
            )
        except Exception as err:
            self.post_message(self.Refused(err))
            return
        outcome = NewCallOutcome(call, decision)
        try:
            if decision == "exception":
                outcome = NewCallOutcome(
                    desk.calls.make_exception(
                        call.id, reason=reason, by=by, expected_version=call.version
                    ),
                    decision,
                )
            elif decision == "refer":
                referred, case = desk.calls.refer(
                    call.id, reason=reason, by=by, expected_version=call.version
                )
                outcome = NewCallOutcome(referred, decision, case)
        except Exception as err:  # registered, but the decision failed after its own checks
            self.post_message(self.Decided(NewCallOutcome(call, "standard"), err))
            return
        self.post_message(self.Decided(outcome))

    def on_new_call_screen_decided(self, message: Decided) -> None:
        self._busy = False
        if message.warning is not None:
            self.desk_app.show_error(message.warning, title="Registered, not decided")
        self.dismiss(message.outcome)

    def on_new_call_screen_refused(self, message: Refused) -> None:
        self._busy = False
        text = error_text(message.error)
        field = message.field or (  # a guard is shown in words only: found by its name
            _FIELD_FOR.get(message.error.guard)
            if isinstance(message.error, GuardFailed)
            else next((f for name, f in _FIELD_FOR.items() if text.startswith(f"{name}:")), None)
        )
        self._refuse(text, field)

    def _refuse(self, text: str, field: str | None = None) -> None:
        self._say(Text(text, style="bold"))
        if field:
            widget = self.query_one(field)
            self.set_focus(widget)
            self.query_one("#new-call-form", VerticalScroll).scroll_to_widget(widget, animate=False)

    def _say(self, text: Text) -> None:
        self.query_one("#form-error", Static).update(text)
