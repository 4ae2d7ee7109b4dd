"""Which FAQ entry would have answered the call: the self-service flag's dialog.

A call is a self-service opportunity when an entry of its catalogue service's FAQ (at the call's
service version) would have answered the customer — the library takes the entry's number
(``flag_self_service``, ``desk.calls.register(self_service_faq=...)``). The dialog lists that
service's questions; an entry of another service's FAQ means the call's service is wrong:
correct it first (the library clears the flag when the service changes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from bpsm_tui.dialogs.base import Dialog

__all__ = ["CLEAR", "SelfServiceDialog"]

CLEAR = 0
"""The answer ``{"faq": CLEAR}``: not a self-service opportunity after all (clear the flag)."""


class SelfServiceDialog(Dialog[dict[str, Any]]):
    """The service's FAQ questions; dismisses with ``{"faq": n}`` (1 = the first entry)."""

    KEYS = "↑/↓ move · enter chooses · esc cancel"

    def __init__(
        self,
        title: str,
        service: str,
        questions: Sequence[str],
        *,
        current: int | None = None,
        clearable: bool = False,
        typed: Mapping[str, Any] | None = None,
        error: str = "",
        other_service: str = "Correct the call's service first",
    ) -> None:
        """Args:
        title: the dialog's title (``Self-service: C-000012``).
        service: the service whose FAQ is listed (``laptop v1 · Laptop``).
        questions: its FAQ questions, entry 1 first.
        current: the entry the call is flagged with now, marked and highlighted.
        clearable: offer "not self-service" too (the new-call form's flag, not yet saved).
        typed: the answer chosen before a refusal, highlighted again.
        error: the library's message after a refusal.
        other_service: how to reach another service's FAQ, said under the list.
        """
        super().__init__(title, f"Which FAQ entry of {service} would have answered it?")
        self._questions, self._current, self._clearable = list(questions), current, clearable
        self._chosen = (typed or {}).get("faq", current)
        self._error, self._other = error, other_service

    def body(self) -> ComposeResult:
        options = [
            Option(
                Text(f"{n}. {q}" + ("  (flagged now)" if n == self._current else "")),
                id=f"faq-{n}",
            )
            for n, q in enumerate(self._questions, 1)
        ]
        if self._clearable and self._current is not None:
            options.append(Option(Text("Not self-service (clear the flag)"), id="faq-0"))
        yield OptionList(*options, id="faq-choices")
        yield Static(
            Text(f"An entry of another service's FAQ? {self._other}.", style="dim"),
            id="faq-other",
        )

    def on_mount(self) -> None:
        choices = self.query_one("#faq-choices", OptionList)
        if not self._questions:
            self.show_error("The service has no FAQ entries: nothing to flag.")
        elif self._error:
            self.show_error(self._error)
        if isinstance(self._chosen, int) and 1 <= self._chosen <= len(self._questions):
            choices.highlighted = self._chosen - 1
        choices.focus()

    @on(OptionList.OptionSelected, "#faq-choices")
    def _chosen_entry(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss({"faq": int(str(event.option.id).removeprefix("faq-"))})
