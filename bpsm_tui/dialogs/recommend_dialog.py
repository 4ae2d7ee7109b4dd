"""Recommend something while on a call: an add-on from the price list, or anything else by value.

The price list is ``desk.yaml``'s ``recommendations.price_list``; the items of the call's service
come first. Choosing an item fills in what is recommended; "something else" asks for its value
instead. The library decides the kind from the value: at or below the lead threshold an add-on
(settled on the spot), above it a lead handed to sales. The dialog says which as you type.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from bpsm import CallView, DeskConfig
from bpsm_tui.dialogs.base import FIELD_BINDINGS, Dialog

__all__ = ["RecommendDialog"]

OTHER = "other"
"""The option id for anything not on the price list."""


class RecommendDialog(Dialog[dict[str, Any]]):
    """Dismisses with ``register``'s answers: customer, description, and ``item`` or ``value``."""

    CSS_PATH = "recommend_dialog.tcss"
    KEYS = "↑/↓ item · tab/enter move · ctrl+s or enter on the last field confirms · esc cancel"
    BINDINGS: ClassVar[list[BindingType]] = [
        *FIELD_BINDINGS,
        Binding(
            "ctrl+s",
            "confirm",
            "Recommend",
            priority=True,
            id="recommend.confirm",
            tooltip="Register the recommendation on this call",
        ),
    ]
    """Enter/tab move on, ctrl+s (or enter on the last field) registers it."""

    def __init__(self, call: CallView, config: DeskConfig) -> None:
        super().__init__(f"Recommend on {call.number}", f"{call.caller}: {call.summary}")
        self._call, self._policy = call, config.recommendations
        items = sorted(self._policy.price_list, key=lambda p: p.service != call.service_id)
        self._items = {p.id: p for p in items}

    def body(self) -> ComposeResult:
        cur = self._policy.currency
        options = [
            Option(f"{p.name} — {cur} {p.price:,.0f}", id=p.id) for p in self._items.values()
        ]
        yield Label("From the price list (or the last line: something else)")
        yield OptionList(*options, Option("Something else: type what and its value", id=OTHER),
                         id="items")  # fmt: skip
        yield Label("What is recommended")
        yield Input(id="description")
        yield Label(f"Value in {cur} (only for something else)")
        yield Input(id="value", type="number", disabled=True)
        yield Label("Customer")
        yield Input(self._call.caller, id="customer")
        yield Static("", id="recommend-kind")

    def on_mount(self) -> None:
        items = self.query_one("#items", OptionList)
        items.highlighted = 0
        items.focus()
        self._chosen(self._item_id())

    def _item_id(self) -> str:
        items = self.query_one("#items", OptionList)
        if items.highlighted is None:
            return OTHER
        return items.get_option_at_index(items.highlighted).id or OTHER

    @on(OptionList.OptionHighlighted, "#items")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._chosen(event.option.id or OTHER)

    @on(OptionList.OptionSelected, "#items")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._chosen(event.option.id or OTHER)
        self.query_one("#description", Input).focus()

    def _chosen(self, item_id: str) -> None:
        description = self.query_one("#description", Input)
        value = self.query_one("#value", Input)
        value.disabled = item_id != OTHER
        if item_id == OTHER:
            if description.value in {p.name for p in self._items.values()}:
                description.value = ""
        else:
            description.value = self._items[item_id].name
            value.value = ""
        self._say_kind()

    @on(Input.Changed, "#value")
    def _value_typed(self, event: Input.Changed) -> None:
        event.stop()
        self._say_kind()

    def _amount(self) -> float | None:
        item = self._item_id()
        if item != OTHER:
            return float(self._items[item].price)
        try:
            return float(self.query_one("#value", Input).value)
        except ValueError:
            return None

    def _say_kind(self) -> None:
        amount, threshold = self._amount(), self._policy.lead_threshold
        if amount is None:
            text = "Type its value: it decides add-on or lead."
        elif amount <= threshold:
            text = f"An add-on (up to {threshold:,.0f}): offer it now, settle it on the spot."
        else:
            text = f"A lead (above {threshold:,.0f}): handed over to sales."
        self.query_one("#recommend-kind", Static).update(text)

    def confirm(self) -> None:
        """Dismiss with what ``desk.recommendations.register`` takes, or say what is missing."""
        description = self.query_one("#description", Input).value.strip()
        customer = self.query_one("#customer", Input).value.strip()
        if not description:
            self.show_error("Say what is recommended.")
            return
        if not customer:
            self.show_error("Say who the customer is.")
            return
        answers: dict[str, Any] = {"customer": customer, "description": description}
        item = self._item_id()
        if item == OTHER:
            amount = self._amount()
            if amount is None or amount <= 0:
                self.show_error("Type its value (a positive amount), or choose from the list.")
                return
            answers["value"] = amount
        else:
            answers["item"] = item
        self.dismiss(answers)
