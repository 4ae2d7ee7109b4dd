"""One call in full: every field, the contacts with the customer, the recommendations made on it,
and the audit trail.

The same action keys as on the queue work here; after an action the screen reloads. ``d``
recommends something to the caller (an add-on from the price list, or a lead by value).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Footer, Label, Static
from textual.worker import get_current_worker

from bpsm import AuditEvent, BpsmError, CallView, ContactView, Recommendations, RecommendationView
from bpsm_tui.data.format import local_time, staff_name, state_label, survey_label
from bpsm_tui.dialogs.recommend_dialog import RecommendDialog
from bpsm_tui.screens.call_screen import (
    CALL_BINDINGS,
    COMMON_BINDINGS,
    CallScreen,
    allowed_hint,
)
from bpsm_tui.widgets.field_pairs import FieldPairs

__all__ = ["CallDetailScreen"]


class CallDetailScreen(CallScreen):
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
        *COMMON_BINDINGS,
    ]
    """Escape goes back; the call action keys act on this call."""

    class Loaded(Message):
        """The call, contacts, audit trail and what the operator may do (from the worker)."""

        def __init__(
            self,
            call: CallView,
            contacts: list[ContactView],
            history: list[AuditEvent],
            allowed: Sequence[str],
            service: str | None,
        ) -> None:
            super().__init__()
            self.call, self.contacts, self.history, self.allowed, self.service = (
                call,
                contacts,
                history,
                allowed,
                service,
            )

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

    def compose(self) -> ComposeResult:
        yield Static(Text("Loading…"), id="detail-title")
        with VerticalScroll(id="detail-body"):
            yield Static("", id="detail-fields")
            yield Label("Contacts", classes="section")
            yield DataTable(id="contacts", cursor_type="row", zebra_stripes=True)
            yield Label("Recommendations", classes="section")
            yield DataTable(id="recommendations", cursor_type="row", zebra_stripes=True)
            yield Label("History", classes="section")
            yield DataTable(id="history", cursor_type="row", zebra_stripes=True)
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
            service = (
                desk.services.get(call.service_id, call.service_version).name
                if call.service_id
                else None
            )
            try:
                allowed = desk.calls.allowed(call, operator)
            except BpsmError:
                allowed = []
        except Exception as err:
            self.post_message(self.LoadFailed(err))
            return
        if not worker.is_cancelled:
            self.post_message(self.Loaded(call, contacts, history, allowed, service))

    def on_call_detail_screen_loaded(self, message: Loaded) -> None:
        call, zone, config = (
            message.call,
            self.desk_app.desk.config.timezone,
            self.desk_app.desk.config,
        )
        self._call, self._allowed = call, message.allowed
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
            details = e.reason or ""
            if e.data:
                extra = ", ".join(f"{k}={v}" for k, v in e.data.items() if v is not None)
                details = f"{details} ({extra})" if details and extra else details or extra
            history.add_row(
                local_time(e.at, zone),
                Text(staff_name(config, e.actor)),
                e.trigger.replace("_", " "),
                moved,
                Text(details),
            )
        self.query_one("#call-hint", Static).update(allowed_hint(call, message.allowed))

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
        waiting = f" for the {call.waiting_for}" if call.waiting_for else ""
        ftr = "yes" if call.first_time_right else ("no" if call.resolved_at else "—")

        def opt(value: object) -> str:
            return "—" if value is None else str(value)

        rows = [
            ("Caller", call.caller, "State", state_label(call.state) + waiting),
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
            ("Solution", opt(call.solution), "", ""),
            ("Summary", call.summary, "", ""),
        ]
        return FieldPairs(rows)  # two columns on a wide screen, one on a narrow one

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
                f"Add-on {made.id} offered ({made.currency} {made.value:,.0f}): "
                "settle it on the recommendations screen"
                if made.kind == "add_on"
                else f"Lead {made.id} handed over to sales ({made.currency} {made.value:,.0f})"
            )
            self.notify(what, markup=False)
