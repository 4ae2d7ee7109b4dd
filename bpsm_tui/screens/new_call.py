"""The new-call form: who calls, how, which catalogue service, what about — and "resolve now".

``ctrl+s`` registers the call (and accepts it when a catalogue service was chosen; otherwise it
stays *registered*, to be handled as an exception or referred). ``ctrl+r`` registers, accepts and
resolves it with the solution typed: the call is solved during the first contact. The library's
validation messages are shown in the form, which stays open until the call is registered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static

from bpsm import CallView
from bpsm_tui.data.format import error_text
from bpsm_tui.widgets.service_search import ServiceSearch

if TYPE_CHECKING:
    from bpsm_tui.host import DeskHost

__all__ = ["NewCallOutcome", "NewCallScreen"]

KEYS = (
    "tab/shift+tab move · ↑/↓ results · enter choose · "
    "ctrl+s register · ctrl+r resolve now · esc cancel"
)

_FIELD_FOR = {
    "caller": "#caller",
    "summary": "#summary",
    "channel": "#channel",
    "service": "#service-query",
}


@dataclass(frozen=True)
class NewCallOutcome:
    """What the form did: the call as registered (and accepted / resolved) in one transaction."""

    call: CallView


class NewCallScreen(ModalScreen[NewCallOutcome | None]):
    """Register a call while the customer is on the line."""

    AUTO_FOCUS = "#caller"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+s",
            "register",
            "Register",
            id="new-call.register",
            tooltip="Register the call (accepted when a catalogue service is chosen)",
        ),
        Binding(
            "ctrl+r",
            "resolve_now",
            "Resolve now",
            id="new-call.resolve-now",
            tooltip="Register, accept and resolve with the solution: solved at first contact",
        ),
        Binding(
            "escape",
            "cancel",
            "Cancel",
            id="new-call.cancel",
            tooltip="Close the form without registering",
        ),
        # Priority: the app moves focus before it forwards the next keys, so a fast typist's (or a
        # scripted terminal's) text after a tab lands in the next field, not the one just left.
        Binding(
            "tab",
            "app.focus_next",
            "Next field",
            id="new-call.next-field",
            show=False,
            priority=True,
        ),
        Binding(
            "shift+tab",
            "app.focus_previous",
            "Previous field",
            id="new-call.previous-field",
            show=False,
            priority=True,
        ),
    ]
    """ctrl+s registers, ctrl+r resolves at first contact, escape cancels, tab/shift+tab move."""

    class Registered(Message):
        """The call was registered (and accepted / resolved, as asked)."""

        def __init__(self, call: CallView) -> None:
            super().__init__()
            self.call = call

    class Refused(Message):
        """The library refused to register the call; nothing was written."""

        def __init__(self, error: BaseException) -> None:
            super().__init__()
            self.error = error

    def __init__(self) -> None:
        super().__init__()
        self._busy = False

    @property
    def desk_app(self) -> DeskHost:
        return cast("DeskHost", self.app)

    def compose(self) -> ComposeResult:
        config = self.desk_app.desk.config
        channels = list(config.channels)
        default = "phone" if "phone" in channels else channels[0]
        with Vertical(id="new-call-form"):
            yield Static(
                Text("New call — is this part of our standard service?", style="bold"),
                classes="form-title",
            )
            with Horizontal(classes="form-row"):
                yield Label("Caller", classes="form-label")
                yield Input(placeholder="Name of the customer", id="caller")
                yield Label("Channel", classes="form-label")
                yield Select(
                    [(c, c) for c in channels], value=default, allow_blank=False, id="channel"
                )
            with Horizontal(classes="form-row"):
                yield Label("Service", classes="form-label")
                yield ServiceSearch(self.desk_app.desk.services.search, id="service-search")
            with Horizontal(classes="form-row"):
                yield Label("Summary", classes="form-label")
                yield Input(placeholder="What the customer needs, in their words", id="summary")
            with Horizontal(classes="form-row"):
                yield Label("Solution", classes="form-label")
                yield Input(
                    placeholder=(
                        "For ctrl+r, resolve now: what solved it while the customer is on the line"
                    ),
                    id="solution",
                )
            yield Static("", id="form-error")
            yield Static(Text(KEYS), id="form-keys")

    # -- keys ----------------------------------------------------------------------------------

    def action_cancel(self) -> None:
        """Close the form; nothing is registered."""
        if not self._busy:
            self.dismiss(None)

    def action_register(self) -> None:
        """Register the call (accepted when a catalogue service was chosen)."""
        self._submit(resolve=False)

    def action_resolve_now(self) -> None:
        """Register, accept and resolve: solved at first contact."""
        self._submit(resolve=True)

    @on(ServiceSearch.Chosen)
    def _service_chosen(self, event: ServiceSearch.Chosen) -> None:
        self.query_one("#summary", Input).focus()

    @on(Input.Submitted, "#caller, #summary, #solution")
    def _next_field(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    # -- submitting ----------------------------------------------------------------------------

    def _submit(self, *, resolve: bool) -> None:
        if self._busy:
            return
        search = self.query_one(ServiceSearch)
        solution = self.query_one("#solution", Input).value.strip()
        if search.query_text.strip() and not search.decided:
            self._refuse(
                "service: choose a result with enter, or “Not in the catalogue” (the last entry)",
                "#service-query",
            )
            return
        if resolve and search.chosen is None:
            self._refuse(
                "resolve now needs a catalogue service; for anything else register the call "
                "(ctrl+s), then make an exception or refer it",
                "#service-query",
            )
            return
        if resolve and not solution:
            self._refuse(
                "solution: type the solution given to the customer to resolve now", "#solution"
            )
            return
        self._busy = True
        self.query_one("#form-error", Static).update(Text("Registering…", style="italic"))
        self._register(
            caller=self.query_one("#caller", Input).value,
            channel=str(self.query_one("#channel", Select).value),
            summary=self.query_one("#summary", Input).value,
            service=search.chosen.id if search.chosen else None,
            solution=solution if resolve else None,
        )

    @work(thread=True, exclusive=True, group="new-call")
    def _register(
        self, *, caller: str, channel: str, summary: str, service: str | None, solution: str | None
    ) -> None:
        desk, by = self.desk_app.desk, self.desk_app.operator
        try:  # one transaction: registered, accepted and resolved together, or not at all
            call = desk.calls.register(
                caller=caller,
                channel=channel,
                summary=summary,
                service=service,
                by=by,
                accept=service is not None,
                solution=solution,
            )
        except Exception as err:
            self.post_message(self.Refused(err))
            return
        self.post_message(self.Registered(call))

    def on_new_call_screen_registered(self, message: Registered) -> None:
        self._busy = False
        self.dismiss(NewCallOutcome(message.call))

    def on_new_call_screen_refused(self, message: Refused) -> None:
        self._busy = False
        text = error_text(message.error)
        field = next((f for name, f in _FIELD_FOR.items() if text.startswith(f"{name}:")), None)
        self._refuse(text, field)

    def _refuse(self, text: str, field: str | None = None) -> None:
        self.query_one("#form-error", Static).update(Text(text, style="bold red"))
        if field:
            self.query_one(field).focus()
