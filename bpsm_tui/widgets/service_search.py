"""Incremental search over the service catalogue: type, move with ↑/↓, choose with enter.

The widget does not know the desk: it is given a ``search`` function (``desk.services.search``)
and calls it in an exclusive thread worker, a short pause after the last key, so typing never
waits for the database and only the newest query's results are shown.

Keys sent in one burst (a fast typist, a paste) land as typed: ↑/↓ and :meth:`choose_highlighted`
act once the search box has handled the keys before them, and when the results for what was
typed have not arrived yet, they are applied (and the choice made) when they do.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from bpsm import BpsmError, ServiceHit
from bpsm_tui.data.format import error_text

__all__ = ["NOT_IN_CATALOGUE", "ServiceSearch"]

NOT_IN_CATALOGUE = "-not-in-catalogue-"
"""Option id of the last entry: the request is not a catalogue service."""

_HINT = "Nothing chosen yet — ↑/↓ move, enter chooses; ↑ at the top: not in the catalogue"


class ServiceSearch(Vertical):
    """A search input over a result list, and the choice made."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "down",
            "move(1)",
            "Next result",
            show=False,
            priority=True,
            id="service-search.next",
            tooltip="Highlight the next service in the results",
        ),
        Binding(
            "up",
            "move(-1)",
            "Previous result",
            show=False,
            priority=True,
            id="service-search.previous",
            tooltip="Highlight the previous service in the results",
        ),
    ]
    """↑/↓ move through the results while typing goes on in the search box (priority keys, run
    in order behind the typed ones; see the module's docstring)."""

    class Chosen(Message):
        """The operator chose a service (``hit``), or "not in the catalogue" (``hit`` is None)."""

        def __init__(self, search: ServiceSearch, hit: ServiceHit | None) -> None:
            super().__init__()
            self.search, self.hit = search, hit

        @property
        def control(self) -> ServiceSearch:
            return self.search

    class Highlighted(Message):
        """The highlighted result changed: a service (``hit``), or none / "not in the catalogue"."""

        def __init__(self, search: ServiceSearch, hit: ServiceHit | None) -> None:
            super().__init__()
            self.search, self.hit = search, hit

        @property
        def control(self) -> ServiceSearch:
            return self.search

    class Settled(Message):
        """A choice asked for with :meth:`ServiceSearch.choose_highlighted` was made — or could
        not be (the search failed): whatever waited for it can go on."""

    class Results(Message):
        """A search finished (posted from the worker thread)."""

        def __init__(self, query: str, hits: list[ServiceHit], error: str | None = None) -> None:
            super().__init__()
            self.query, self.hits, self.error = query, hits, error

    def __init__(
        self,
        search: Callable[[str], list[ServiceHit]],
        *,
        delay: float = 0.15,
        offer_none: bool = True,
        id: str | None = None,
    ) -> None:
        """Args:
        search: the catalogue search (``desk.services.search``), run in a worker.
        delay: seconds to wait after the last key before searching.
        offer_none: end the results with "not in the catalogue" (registering a call does;
            setting a call's service does not).
        id: the widget's id.
        """
        super().__init__(id=id)
        self._search_fn = search
        self._delay = delay
        self._offer_none = offer_none
        self._hits: dict[str, ServiceHit] = {}
        self.chosen: ServiceHit | None = None
        """The service chosen (None: none, or "not in the catalogue" — see ``decided``)."""
        self.decided = False
        """True once the operator chose an entry, including "not in the catalogue"; typing a
        different query afterwards undoes the choice."""
        self._shown: str | None = None  # the query whose results the list shows
        self._chosen_for: str | None = None  # the query the choice was made from
        self._moves = 0  # ↑/↓ typed before the results they were meant for arrived
        self._choose_pending = False

    def compose(self) -> ComposeResult:
        yield Input(placeholder="Search the catalogue: name, keywords, FAQ…", id="service-query")
        results = OptionList(id="service-results")
        results.can_focus = False
        yield results
        yield Static(self._hint(), id="service-chosen", markup=False)

    def _hint(self) -> str:
        return _HINT if self._offer_none else _HINT.split(";", 1)[0]

    def on_mount(self) -> None:
        self._run_search("", delay=0)

    @property
    def query_text(self) -> str:
        """What is typed in the search box."""
        return self.query_one("#service-query", Input).value

    @property
    def pending(self) -> bool:
        """A choice was asked for (enter) and waits for the results of what was typed."""
        return self._choose_pending

    @property
    def highlighted_hit(self) -> ServiceHit | None:
        """The service highlighted in the results (None: none, or "not in the catalogue")."""
        results = self.query_one(OptionList)
        if results.highlighted is None:
            return None
        return self._hits.get(results.get_option_at_index(results.highlighted).id or "")

    def choose_highlighted(self) -> None:
        """Choose the highlighted result once the keys typed so far are handled (and, if their
        results have not arrived yet, when they do): what enter in the search box does."""
        self._choose_pending = True
        field = self.query_one("#service-query", Input)
        if not field.call_later(self.call_later, self._settle_choice):
            self._settle_choice()

    def _settle_choice(self) -> None:
        if self._choose_pending and self._shown == self.query_text:
            self._choose_pending = False
            self._choose_current()
            self.post_message(self.Settled())

    def _choose_current(self) -> None:
        results = self.query_one(OptionList)
        if results.highlighted is not None:
            self._choose(results.get_option_at_index(results.highlighted).id)

    @on(Input.Changed, "#service-query")
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        if self.decided and event.value != self._chosen_for:  # a new query: choose again
            self.decided, self.chosen, self._chosen_for = False, None, None
            chosen = self.query_one("#service-chosen", Static)
            chosen.update(self._hint())
            chosen.remove_class("chosen")
        self._run_search(event.value, delay=self._delay)

    @on(Input.Submitted, "#service-query")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.choose_highlighted()

    @on(OptionList.OptionSelected, "#service-results")
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._choose(event.option.id)

    @on(OptionList.OptionHighlighted, "#service-results")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self.post_message(self.Highlighted(self, self._hits.get(event.option.id or "")))

    def action_move(self, step: int) -> None:
        """Move the highlight in the result list without leaving the search box (after the keys
        typed before, on the results for them)."""
        field = self.query_one("#service-query", Input)
        if not field.call_later(self._move, step):
            self._move(step)

    def _move(self, step: int) -> None:
        if self._shown != self.query_text:
            self._moves += step
            return
        results = self.query_one(OptionList)
        for _ in range(abs(step)):
            if step > 0:
                results.action_cursor_down()
            else:
                results.action_cursor_up()

    @work(thread=True, exclusive=True, group="service-search")
    def _run_search(self, query: str, delay: float) -> None:
        worker = get_current_worker()
        if delay:
            time.sleep(delay)
        if worker.is_cancelled:
            return
        try:
            hits = self._search_fn(query)
        except BpsmError as err:
            self.post_message(self.Results(query, [], error_text(err)))
            return
        if not worker.is_cancelled:
            self.post_message(self.Results(query, hits))

    def on_service_search_results(self, message: ServiceSearch.Results) -> None:
        message.stop()
        if message.query != self.query_text:
            return
        results = self.query_one(OptionList)
        self._hits = {hit.id: hit for hit in message.hits}
        words = message.query.lower().split()
        options = [Option(self._prompt(hit, words), id=hit.id) for hit in message.hits]
        if message.error:
            options.insert(0, Option(Text(message.error, style="red"), id="-error-", disabled=True))
        elif not message.hits:
            options.insert(
                0,
                Option(
                    Text(f"No service matches {message.query!r}", style="italic"),
                    id="-none-",
                    disabled=True,
                ),
            )
        if self._offer_none:
            options.append(
                Option(
                    Text(
                        "Not in the catalogue — register, then make an exception or refer",
                        style="italic",
                    ),
                    id=NOT_IN_CATALOGUE,
                )
            )
        results.set_options(options)
        results.highlighted = 0 if message.hits or not self._offer_none else len(options) - 1
        self._shown = message.query
        moves, self._moves = self._moves, 0
        if moves:
            self._move(moves)
        self.post_message(self.Highlighted(self, self.highlighted_hit))
        self._settle_choice()

    def _choose(self, option_id: str | None) -> None:
        if option_id == NOT_IN_CATALOGUE:
            self.chosen, label = (
                None,
                "Chosen: not in the catalogue (register, then exception or referral)",
            )
        elif option_id in self._hits:
            hit = self._hits[option_id]
            self.chosen, label = hit, f"Chosen: {hit.name} ({hit.department})"
        else:
            return
        self.decided, self._chosen_for = True, self.query_text
        chosen = self.query_one("#service-chosen", Static)
        chosen.update(Text(label))
        chosen.add_class("chosen")
        self.post_message(self.Chosen(self, self.chosen))

    @staticmethod
    def _prompt(hit: ServiceHit, words: list[str]) -> Text:
        text = Text.assemble((hit.name, "bold"), ("  " + hit.department, "dim"))
        if hit.matched:
            snippet = Text("\n  " + hit.matched, style="dim")
            snippet.highlight_words(words, style="not dim underline", case_sensitive=False)
            text.append_text(snippet)
        return text
