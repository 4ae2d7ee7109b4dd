"""One call in full: every field, the contacts with the customer, the recommendations made on it,
and the audit trail.

The same action keys as on the queue work here; after an action the screen reloads. The footer
offers only the steps the library allows this person on the call in its state (a key pressed
anyway is refused with the reason). ``d`` recommends something to the caller (an add-on from the
price list, or a lead by value), ``t`` logs time on the call, ``ctrl+f`` flags it as a
self-service opportunity (which FAQ entry of its service would have answered it), or clears the
flag again, and ``y`` records the customer's survey answers after the close (a phone-back, a
mail); the palette's ``survey: decline`` records that they declined.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import ActiveBinding, Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Footer, Label, Static
from textual.worker import get_current_worker

from bpsm import (
    AuditEvent,
    BpsmError,
    CallView,
    ContactView,
    Recommendations,
    RecommendationView,
    Surveys,
    SurveyView,
)
from bpsm_tui.data.actions import actions_for
from bpsm_tui.data.format import (
    event_details,
    local_time,
    record_label,
    staff_name,
    state_label,
    survey_label,
)
from bpsm_tui.dialogs.base import Dialog
from bpsm_tui.dialogs.effort_dialog import EFFORT_BINDING, LogsEffort, offer_only
from bpsm_tui.dialogs.recommend_dialog import RecommendDialog
from bpsm_tui.dialogs.self_service_dialog import SelfServiceDialog
from bpsm_tui.screens.call_screen import (
    CALL_ACTIONS,
    CALL_BINDINGS,
    COMMON_BINDINGS,
    CallScreen,
    PaletteCommand,
    allowed_hint,
)
from bpsm_tui.widgets.field_pairs import FieldPairs
from bpsm_tui.widgets.sized_table import SizedTable

__all__ = ["CallDetailScreen"]


SELF_SERVICE = ("flag_self_service", "unflag_self_service")
"""The two steps the self-service key toggles between."""
SURVEY_ACTIONS = actions_for(Surveys.process)
"""The survey's steps: ``answer`` (its key) and ``decline`` (the palette)."""


class CallDetailScreen(LogsEffort, CallScreen):
    """A call's fields, contacts and history."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,backspace", "back", "Back", id="view.back", tooltip="Back to the queue"),
        *CALL_BINDINGS,
        Binding("g", "refresh", "Refresh", id="view.refresh", tooltip="Load the call again"),
        Binding(
            "d",
            "recommend",
            "Recommend",
            id="recommendation.register",
            tooltip="Recommend an add-on from the price list, or a lead, to this caller",
        ),
        Binding(
            "ctrl+f",
            "self_service",
            "Self-service",
            id="call.self-service",
            tooltip=(
                "Flag the call as a self-service opportunity (which FAQ entry of its service "
                "would have answered it), or clear the flag"
            ),
        ),
        EFFORT_BINDING,
        Binding(
            SURVEY_ACTIONS["answer"].key,
            "survey('answer')",
            "Survey",
            id=SURVEY_ACTIONS["answer"].id,
            tooltip="Record the customer's survey answers given after the close (phone-back, mail)",
        ),
        *COMMON_BINDINGS,
    ]
    """Escape goes back; the call action keys act on this call; t logs time, ctrl+f flags it,
    y records survey answers."""

    class Loaded(Message):
        """The call, contacts, audit trail and what the operator may do (from the worker)."""

        def __init__(
            self,
            call: CallView,
            contacts: list[ContactView],
            history: list[AuditEvent],
            allowed: Sequence[str],
            service: str | None,
            faq: Sequence[str] = (),
            survey: SurveyView | None = None,
        ) -> None:
            super().__init__()
            self.call, self.contacts, self.history, self.allowed, self.service = (
                call,
                contacts,
                history,
                allowed,
                service,
            )
            self.faq, self.survey = faq, survey

    class LoadFailed(Message):
        """The call could not be loaded."""

        def __init__(self, error: Exception) -> None:
            super().__init__()
            self.error = error

    def __init__(self, call_id: int) -> None:
        super().__init__()
        self.call_id = call_id
        self._call: CallView | None = None
        self._allowed: Sequence[str] | None = None
        self._service: str | None = None
        self._faq: Sequence[str] = ()
        self._survey: SurveyView | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text("Loading…"), id="detail-title")
        with VerticalScroll(id="detail-body"):
            yield Static("", id="detail-fields")
            yield Label("Contacts", classes="section")
            yield SizedTable(id="contacts", cursor_type="row", zebra_stripes=True)
            yield Label("Recommendations", classes="section")
            yield SizedTable(id="recommendations", cursor_type="row", zebra_stripes=True)
            yield Label("History", classes="section")
            yield SizedTable(id="history", cursor_type="row", zebra_stripes=True)
        yield Static("", id="call-hint")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#contacts", DataTable).add_columns("#", "When", "Channel", "By", "Note")
        self.query_one("#history", DataTable).add_columns(
            "When", "Who", "What", "From → to", "Why / details"
        )
        self.query_one("#recommendations", DataTable).add_columns(
            "#", "Kind", "State", "What", "Value", "By"
        )
        self.query_one("#history", DataTable).focus()
        self.reload()

    def selected_call(self) -> CallView | None:
        return self._call

    def effort_record(self) -> CallView | None:
        return self._call

    @property
    def active_bindings(self) -> dict[str, ActiveBinding]:
        """The footer offers only what the library allows on the call now (the keys still
        work: one pressed anyway is refused with the reason)."""
        return offer_only(super().active_bindings, self._offered)

    def _offered(self, binding: Binding) -> bool:
        allowed = self._allowed
        if binding.id == "recommendation.register":
            person = getattr(self.app, "person", None)
            roles = Recommendations.process.roles("register")
            return person is None or bool(roles & person.roles)
        if allowed is None:
            return True  # not loaded yet
        if binding.id == "call.self-service":
            return any(t in allowed for t in SELF_SERVICE)
        if binding.id == SURVEY_ACTIONS["answer"].id:
            person = getattr(self.app, "person", None)
            survey = self._survey
            return (
                survey is not None
                and survey.state in Surveys.process.step("answer").source
                and (person is None or Surveys.process.may(person, "answer"))
            )
        action = next((a for a in CALL_ACTIONS.values() if a.id == binding.id), None)
        return action is None or action.trigger in allowed

    def reload(self, *, keep: int | None = None) -> None:
        self._load(self.call_id)
        self._load_recommendations(self.call_id)

    @work(thread=True, exclusive=True, group="call-detail")
    def _load(self, call_id: int) -> None:
        desk, operator = self.desk_app.desk, self.desk_app.operator
        worker = get_current_worker()
        try:
            call = desk.calls.get(call_id)
            contacts = desk.calls.contacts(call_id)
            history = desk.history(call)
            definition = (
                desk.services.get(call.service_id, call.service_version)
                if call.service_id
                else None
            )
            service = definition.name if definition else None
            faq = [entry.q for entry in definition.faq] if definition else []
            survey = desk.surveys.for_call(call_id)
            try:
                allowed = desk.calls.allowed(call, operator)
            except BpsmError:
                allowed = []
        except Exception as err:
            self.post_message(self.LoadFailed(err))
            return
        if not worker.is_cancelled:
            self.post_message(self.Loaded(call, contacts, history, allowed, service, faq, survey))

    def on_call_detail_screen_loaded(self, message: Loaded) -> None:
        call, zone, config = (
            message.call,
            self.desk_app.desk.config.timezone,
            self.desk_app.desk.config,
        )
        self._call, self._allowed = call, message.allowed
        self._service, self._faq, self._survey = message.service, message.faq, message.survey
        self.query_one("#detail-title", Static).update(
            Text.assemble(
                (f"{call.number}  ", "bold"), (call.summary, "bold"), f"  · {call.caller}"
            )
        )
        self.query_one("#detail-fields", Static).update(self._fields(call, message.service))
        contacts = self.query_one("#contacts", DataTable)
        contacts.clear()
        for c in message.contacts:
            contacts.add_row(
                str(c.seq),
                local_time(c.at, zone),
                c.channel,
                Text(staff_name(config, c.by)),
                Text(c.note or ""),
            )
        history = self.query_one("#history", DataTable)
        history.clear()
        for e in message.history:
            moved = f"{state_label(e.from_state or '—')} → {state_label(e.to_state or '—')}"
            details = event_details(e.reason, e.data)
            history.add_row(
                local_time(e.at, zone),
                Text(staff_name(config, e.actor)),
                e.trigger.replace("_", " "),
                moved,
                Text(details),
            )
        self.query_one("#call-hint", Static).update(allowed_hint(call, message.allowed))
        self.refresh_bindings()

    def on_call_detail_screen_load_failed(self, message: LoadFailed) -> None:
        self.desk_app.show_error(message.error, title="Could not load the call")

    def _fields(self, call: CallView, service: str | None) -> FieldPairs:
        config = self.desk_app.desk.config
        zone = config.timezone
        service_text = (
            f"{service} ({call.service_id} v{call.service_version})"
            if call.service_id
            else "not in the catalogue"
        )
        said = state_label(call.state)  # "waiting: customer" names whom already
        waiting = (
            f" for the {call.waiting_for}" if call.waiting_for not in (None, *said.split()) else ""
        )
        ftr = "yes" if call.first_time_right else ("no" if call.resolved_at else "—")

        def opt(value: object) -> str:
            return "—" if value is None else str(value)

        rows = [
            ("Caller", call.caller, "State", said + waiting),
            ("Channel", call.channel, "Group", call.group),
            (
                "Service",
                service_text,
                "Exception",
                f"yes: {call.exception_reason}" if call.is_exception else "no",
            ),
            (
                "Registered",
                (
                    f"{local_time(call.registered_at, zone)} by "
                    f"{staff_name(config, call.registered_by)}"
                ),
                "Contacts",
                str(call.contact_count),
            ),
            (
                "Resolved",
                local_time(call.resolved_at, zone),
                "Resolved at contact",
                opt(call.resolved_at_contact),
            ),
            ("Closed", local_time(call.closed_at, zone), "First time right", ftr),
            ("Escalations", str(call.escalation_count), "Reopened", str(call.reopen_count)),
            ("Effort (1–7)", opt(call.effort_score), "Satisfaction (1–5)", opt(call.satisfaction)),
            ("Survey", survey_label(call.survey), "Version", str(call.version)),
            (
                "Self-service",
                (
                    f"yes: FAQ {call.self_service_faq} — {call.self_service_question}"
                    if call.self_service_faq is not None
                    else "no"
                ),
                "",
                "",
            ),
            ("Solution", opt(call.solution), "", ""),
            ("Summary", call.summary, "", ""),
        ]
        return FieldPairs(rows)  # two columns on a wide screen, one on a narrow one

    def palette_commands(self) -> list[PaletteCommand]:
        """The call's palette entries; ``call: self-service`` is the key's (flag or clear);
        ``survey: decline`` records a declined survey."""
        decline = SURVEY_ACTIONS["decline"]
        return [
            *(
                c
                for c in super().palette_commands()
                if c.action not in {f"act('{t}')" for t in SELF_SERVICE}
            ),
            PaletteCommand(decline.command, decline.help, "survey('decline')"),
        ]

    def action_self_service(self) -> None:
        """Flag the call as a self-service opportunity (choosing the FAQ entry of its service
        that would have answered it), or, when it is flagged, clear the flag."""
        call = self._call
        if call is None:
            return
        if call.self_service_faq is not None:
            self.desk_app.run_step("calls", call, CALL_ACTIONS["unflag_self_service"])
            return
        service = f"{call.service_id} v{call.service_version} · {self._service}"
        questions = list(self._faq)

        def dialog(typed: Mapping[str, Any], error: str) -> Dialog[Any]:
            return SelfServiceDialog(
                f"Self-service: {call.number}",
                service,
                questions,
                current=call.self_service_faq,
                typed=typed,
                error=error,
                other_service="Correct the call's service first (v), then flag it",
            )

        self.desk_app.run_step("calls", call, CALL_ACTIONS["flag_self_service"], dialog=dialog)

    def action_survey(self, name: str) -> None:
        """Record the customer's answers to the call's survey (``answer``), or that they declined
        (``decline``); refused in words when the call has no open survey."""
        call, survey = self._call, self._survey
        if call is None:
            return
        if survey is None:
            why = "it is still open" if call.closed_at is None else survey_label(call.survey)
            self.notify(
                f"{call.number} has no survey to answer ({why})", severity="warning", markup=False
            )
            return
        self.desk_app.run_step("surveys", survey, SURVEY_ACTIONS[name])

    def action_back(self) -> None:
        """Back to the queue."""
        self.app.pop_screen()

    def action_refresh(self) -> None:
        """Load the call again."""
        self.reload()

    # -- recommendations made on this call -----------------------------------------------------

    class Recommended(Message):
        """The recommendations on the call (after loading or registering one), or an error."""

        def __init__(
            self,
            items: list[RecommendationView],
            made: RecommendationView | None = None,
            error: Exception | None = None,
        ) -> None:
            super().__init__()
            self.items, self.made, self.error = items, made, error

    @work(thread=True, exclusive=True, group="call-recommendations")
    def _load_recommendations(self, call_id: int) -> None:
        try:
            page = self.desk_app.desk.recommendations.page(call_id=call_id, limit=100)
        except BpsmError as err:
            self.post_message(self.Recommended([], error=err))
            return
        self.post_message(self.Recommended(page.items))

    def action_recommend(self) -> None:
        """Recommend something to the caller: an add-on from the price list, or a lead."""
        call, person = self._call, getattr(self.app, "person", None)
        if call is None:
            return
        try:
            if person is not None:
                Recommendations.process.require(person, "register")
        except BpsmError as err:
            self.desk_app.show_error(err)
            return

        def answered(answers: dict[str, object] | None) -> None:
            if answers is not None:
                self._register(call.id, answers)

        self.app.push_screen(RecommendDialog(call, self.desk_app.desk.config), answered)

    @work(thread=True, exclusive=True, group="call-recommend")
    def _register(self, call_id: int, answers: dict[str, object]) -> None:
        desk = self.desk_app.desk
        try:
            made = desk.recommendations.register(
                call_id=call_id,
                by=self.desk_app.operator,
                **answers,  # type: ignore[arg-type]
            )
            page = desk.recommendations.page(call_id=call_id, limit=100)
        except BpsmError as err:
            self.post_message(self.Recommended([], error=err))
            return
        self.post_message(self.Recommended(page.items, made))

    def on_call_detail_screen_recommended(self, message: Recommended) -> None:
        if message.error is not None:
            self.desk_app.show_error(message.error)
            return
        config = self.desk_app.desk.config
        table = self.query_one("#recommendations", DataTable)
        table.clear()
        for r in message.items:
            table.add_row(
                str(r.id),
                r.kind.replace("_", "-"),
                r.state.replace("_", " "),
                Text(r.description),
                f"{r.currency} {r.value:,.0f}",
                Text(staff_name(config, r.recommended_by)),
            )
        made = message.made
        if made is not None:
            what = (
                f"Add-on {record_label('recommendation', made.id)} offered "
                f"({made.currency} {made.value:,.0f}): "
                "settle it on the recommendations screen"
                if made.kind == "add_on"
                else f"Lead {record_label('recommendation', made.id)} handed over to sales "
                f"({made.currency} {made.value:,.0f})"
            )
            self.notify(what, markup=False)
