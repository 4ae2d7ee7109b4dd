"""Set or correct a call's catalogue service: search the catalogue, choose, say why (optional).

The dialog behind the ``set_service`` step (any step that asks for an answer from the desk's
``services`` list). It reuses the new-call form's :class:`~bpsm_tui.widgets.ServiceSearch`, so the
operator finds the service the same way in both places.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Label, Static

from bpsm import Ask, BpsmError, CallView, ServiceHit, Step
from bpsm_tui.data.format import error_text
from bpsm_tui.dialogs.base import Dialog
from bpsm_tui.widgets.service_search import ServiceSearch

__all__ = ["ServiceDialog"]


class ServiceDialog(Dialog[dict[str, Any]]):
    """Choose the service a call is about; dismisses with ``{service: id, reason: text}``."""

    KEYS = "type to search · ↑/↓ move · enter chooses · then enter or ctrl+s saves · esc cancel"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+s",
            "confirm",
            "Save",
            priority=True,
            id="service.confirm",
            tooltip="Set the chosen service on the call",
        ),
    ]
    """ctrl+s saves from either field."""

    def __init__(
        self,
        call: CallView,
        step: Step,
        search: Callable[[str], list[ServiceHit]],
    ) -> None:
        """Args:
        call: the call, as last loaded.
        step: the step (its asks: the service, and any other answer such as the reason).
        search: the catalogue search (``desk.services.search``).
        """
        super().__init__(f"Service of {call.number}", f"{call.caller}: {call.summary}")
        self._call, self._search = call, search
        self._service = next(a for a in step.asks if a.choices_from == "services")
        self._others: tuple[Ask, ...] = tuple(a for a in step.asks if a is not self._service)

    def body(self) -> ComposeResult:
        call = self._call
        now = (
            f"Now: {call.service_id} v{call.service_version}"
            if call.service_id
            else "Now: no catalogue service"
        )
        yield Static(now, id="service-now", markup=False)
        yield Label(self._service.prompt, markup=False)
        yield ServiceSearch(self._search, offer_none=False, id="service-search")
        for ask in self._others:
            yield Label(ask.prompt, markup=False)
            yield Input(id=f"ask-{ask.name}", classes="ask")

    def on_mount(self) -> None:
        self.query_one("#service-query", Input).focus()

    @on(ServiceSearch.Chosen)
    def _chosen(self, event: ServiceSearch.Chosen) -> None:
        event.stop()
        self.show_error("")
        if self._others:
            self.query_one(f"#ask-{self._others[0].name}", Input).focus()
        else:
            self.action_confirm()

    @on(Input.Submitted, ".ask")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_confirm()

    def confirm(self) -> None:
        """Dismiss with the chosen service and the other answers, or say what is missing."""
        chosen = self.query_one(ServiceSearch).chosen
        if chosen is None:
            self.show_error("Choose the service first: type, ↑/↓, enter (esc cancels).")
            self.query_one("#service-query", Input).focus()
            return
        answers: dict[str, Any] = {self._service.name: chosen.id}
        try:
            for ask in self._others:
                raw = self.query_one(f"#ask-{ask.name}", Input).value
                answers[ask.name] = ask.take({ask.name: raw})
        except BpsmError as err:
            self.show_error(error_text(err))
            return
        self.dismiss(answers)
