"""One relation case as a guided form that follows the method step by step.

The top line shows where the case is in the method (1 need → 2 alternatives → 3 bespoke →
4 standardize); the body shows what each step recorded: the need (the *why*), the ranked
alternatives (full or partial fit, and what is missing), the three bespoke questions with their
reasons, the refusal's explanation and options, and the standardization decision (the change
proposal, the standard delivery's steps). Only the steps the library allows this person now are
offered; each fires through :meth:`bpsm_tui.app.DeskApp.run_step`, with the library's own step
table deciding what is asked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.worker import get_current_worker

from bpsm import AuditEvent, BpsmError, RelationCaseView, Relations
from bpsm_tui.data.actions import RecordAction, actions_for
from bpsm_tui.data.format import local_time, record_label, staff_name
from bpsm_tui.dialogs.base import Dialog
from bpsm_tui.dialogs.effort_dialog import EFFORT_BINDING, LogsEffort
from bpsm_tui.dialogs.relation_dialogs import (
    CONSIDERATION_TEXT,
    QUESTION_TEXT,
    AlternativesDialog,
    AnswerDialog,
    KeptAskForm,
    suggestion_line,
)
from bpsm_tui.dialogs.standardize_dialog import StandardizeDialog
from bpsm_tui.screens.call_screen import COMMON_BINDINGS, PaletteCommand, palette_from_bindings

if TYPE_CHECKING:
    from bpsm_tui.host import DeskHost

__all__ = ["METHOD_STEPS", "RELATION_ACTIONS", "RELATION_KEYS", "RelationCaseScreen"]

RELATION_ACTIONS: dict[str, RecordAction] = actions_for(Relations.process)
"""Each step of the relation process that moves a case, by trigger."""

#: trigger → this screen's key for it (binding id ``relation.<trigger>``, remappable).
RELATION_KEYS: dict[str, str] = {
    "clarify_need": "n",
    "propose_alternatives": "p",
    "accept_alternative": "a",
    "decline_alternative": "d",
    "assess_bespoke": "b",
    "refuse": "r",
    "agree": "g",
    "deliver": "v",
    "standardize": "s",
    "keep_standard_delivery": "k",
    "keep_bespoke": "o",
    "withdraw": "w",
}
#: The bespoke questions each have their own key: they are one step (``answer``) of the table.
QUESTION_KEYS = {"feasible": "1", "want": "2", "budget": "3"}

#: The method's four steps and the case states that belong to each.
METHOD_STEPS: tuple[tuple[str, frozenset[str]], ...] = (
    ("need", frozenset({"received"})),
    ("alternatives", frozenset({"need_clarified", "alternative_proposed", "accepted"})),
    ("bespoke", frozenset({"bespoke_assessment", "refused", "bespoke_agreed"})),
    ("standardize", frozenset({"delivered", "standardized", "standard_delivery", "kept_bespoke"})),
)

_OUTCOMES = {
    "accepted": "closed: the customer took a standard alternative",
    "refused": "closed: refused, the customer was told why and the options left",
    "standardized": "closed: added to the catalogue through a change proposal",
    "standard_delivery": "closed: kept as a standard delivery",
    "kept_bespoke": "closed: kept bespoke (a one-off)",
    "withdrawn": "closed: withdrawn by the customer",
}


def method_line(state: str) -> Text:
    """``✓ 1 need → ▶ 2 alternatives → 3 bespoke → 4 standardize`` for a case in ``state``."""
    at = next((i for i, (_, states) in enumerate(METHOD_STEPS) if state in states), None)
    line = Text("Method: ")
    for i, (name, _) in enumerate(METHOD_STEPS):
        if i:
            line.append(" → ", style="dim")
        if at is None or i > at:
            line.append(f"{i + 1} {name}", style="dim")
        elif i < at:
            line.append(f"✓ {i + 1} {name}", style="green")
        else:
            line.append(f"▶ {i + 1} {name}", style="bold reverse")
    line.append(f"   · {_OUTCOMES.get(state, state.replace('_', ' '))}", style="italic")
    return line


def _step_bindings() -> list[Binding]:
    found = [
        Binding(
            RELATION_KEYS[t],
            f"step('{t}')",
            RELATION_ACTIONS[t].label,
            id=f"relation.{t.replace('_', '-')}",
            tooltip=RELATION_ACTIONS[t].help,
        )
        for t in RELATION_KEYS
        if t in RELATION_ACTIONS
    ]
    found += [
        Binding(
            key,
            f"answer('{q}')",
            f"Answer: {q}",
            show=False,
            id=f"relation.answer-{q}",
            tooltip=QUESTION_TEXT[q][2:],
        )
        for q, key in QUESTION_KEYS.items()
    ]
    return found


class RelationCaseScreen(LogsEffort, Screen[None]):
    """A relation case: where it is in the method, what each step recorded, the next steps."""

    CSS_PATH = "relation_case.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,backspace", "back", "Back", id="view.back", tooltip="Back to the cases"),
        *_step_bindings(),
        Binding("ctrl+r", "refresh", "Refresh", id="view.refresh", tooltip="Load the case again"),
        EFFORT_BINDING,
        *COMMON_BINDINGS,
    ]
    """Escape goes back; one key per step of the method; 1, 2, 3 answer the bespoke questions;
    t logs time on the case."""

    class Loaded(Message):
        """The case, its audit trail and the steps this person may fire now (from the worker)."""

        def __init__(
            self, case: RelationCaseView, history: list[AuditEvent], allowed: Sequence[str]
        ) -> None:
            super().__init__()
            self.case, self.history, self.allowed = case, history, allowed

    class LoadFailed(Message):
        """The case could not be loaded."""

        def __init__(self, error: Exception) -> None:
            super().__init__()
            self.error = error

    def __init__(self, case_id: int) -> None:
        super().__init__()
        self.case_id = case_id
        self.case: RelationCaseView | None = None
        self.allowed: Sequence[str] = ()

    @property
    def desk_app(self) -> DeskHost:
        """The application hosting this screen."""
        return cast("DeskHost", self.app)

    def compose(self) -> ComposeResult:
        yield Static(Text("Loading…"), id="case-title")
        yield Static("", id="case-method")
        with VerticalScroll(id="case-body"):
            yield Static("", id="case-facts")
            yield Static("", id="case-history")
        yield Static("", id="case-hint")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#case-body").focus()
        self.reload_records()

    def effort_record(self) -> RelationCaseView | None:
        return self.case

    def reload_records(self, *, keep: int | None = None) -> None:
        """Load the case again (after a step, a conflict, or on request)."""
        self._load(self.case_id)

    @work(thread=True, exclusive=True, group="relation-case")
    def _load(self, case_id: int) -> None:
        desk, operator = self.desk_app.desk, self.desk_app.operator
        worker = get_current_worker()
        try:
            case = desk.relations.get(case_id)
            history = desk.history(case)
            try:
                allowed = [a.step.trigger for a in desk.relations.allowed(case, operator)]
            except BpsmError:
                allowed = []
        except Exception as err:
            self.post_message(self.LoadFailed(err))
            return
        if not worker.is_cancelled:
            self.post_message(self.Loaded(case, history, allowed))

    def on_relation_case_screen_loaded(self, message: Loaded) -> None:
        case, config = message.case, self.desk_app.desk.config
        self.case, self.allowed = case, message.allowed
        self.query_one("#case-title", Static).update(
            Text.assemble(
                (f"{case.number}  ", "bold"),
                (case.request, "bold"),
                f"  · {case.customer} · opened {local_time(case.opened_at, config.timezone)} by "
                f"{staff_name(config, case.opened_by)}",
            )
        )
        self.query_one("#case-method", Static).update(method_line(case.state))
        self.query_one("#case-facts", Static).update(self._facts(case))
        self.query_one("#case-history", Static).update(self._history(message.history))
        self.query_one("#case-hint", Static).update(self._hint())
        self.refresh_bindings()

    def on_relation_case_screen_load_failed(self, message: LoadFailed) -> None:
        self.desk_app.show_error(message.error, title="Could not load the relation case")

    # -- what the case shows -------------------------------------------------------------------

    def _facts(self, case: RelationCaseView) -> Group:
        parts: list[Any] = [Text("1 The need (why)", style="bold underline")]
        parts.append(Text(f"  Request: {case.request}"))
        if case.asked_for:
            parts.append(Text(f"  Asked for: {case.asked_for}"))
        parts.append(
            Text(f"  Need: {case.need}") if case.need else Text("  Need: not asked yet", "italic")
        )
        parts.append(Text("2 Standard alternatives (best first)", style="bold underline"))
        if case.suggestions:
            parts += [Text("  ") + suggestion_line(i, s) for i, s in enumerate(case.suggestions, 1)]
        else:
            parts.append(Text("  none proposed yet", style="italic"))
        if case.alternative_service_id:
            call = (
                record_label("call", case.alternative_call_id) if case.alternative_call_id else "—"
            )
            parts.append(Text(f"  Taken: {case.alternative_service_id}, call {call} registered"))
        if case.alternative_delivery_id:
            parts.append(Text(f"  Taken: standard delivery {case.alternative_delivery_id}"))
        parts.append(Text("3 Bespoke assessment", style="bold underline"))
        if case.bespoke_reason:
            parts.append(Text(f"  Why no standard service: {case.bespoke_reason}"))
        parts.append(self._answers(case))
        if case.explanation or case.options:
            parts.append(Text(f"  Told the customer: {case.explanation or '—'}"))
            parts.append(Text(f"  Options left: {'; '.join(case.options) or '—'}"))
        parts.append(Text("4 Standardization", style="bold underline"))
        parts.append(self._decision(case))
        if case.closing_reason:
            parts.append(Text(f"  Reason: {case.closing_reason}"))
        return Group(*parts)

    def _answers(self, case: RelationCaseView) -> Table:
        grid = Table.grid(padding=(0, 1))
        grid.add_column(no_wrap=True)
        grid.add_column(ratio=1)
        for q, text in QUESTION_TEXT.items():
            answer = case.answers.get(q)
            if answer is None:
                grid.add_row(f"  {text[:1]} {q}", Text("not answered", style="dim italic"))
                continue
            said = Text("yes" if answer.yes else "no", style="green" if answer.yes else "red")
            said.append(f" — {answer.reason}")
            for name, note in (answer.considerations or {}).items():
                said.append(f"\n{CONSIDERATION_TEXT.get(name, name)}: {note}", style="dim")
            grid.add_row(f"  {text[:1]} {q}", said)
        return grid

    def _decision(self, case: RelationCaseView) -> Text:
        if case.change_id is not None:
            label = record_label("change", case.change_id)
            return Text(f"  Change proposal {label} opened (draft)", "bold")
        if case.standard_delivery_id is not None or case.state == "standard_delivery":
            steps = "\n".join(f"    {i}. {s}" for i, s in enumerate(case.delivery_steps, 1))
            return Text(f"  Standard delivery {case.standard_delivery_id}:\n{steps}")
        if case.delivery_notes:
            steps = "\n".join(f"    {i}. {s}" for i, s in enumerate(case.delivery_steps, 1))
            return Text(f"  Delivered: {case.delivery_notes}" + (f"\n{steps}" if steps else ""))
        return Text("  not decided yet", style="italic")

    def _history(self, history: list[AuditEvent]) -> Group:
        config = self.desk_app.desk.config
        lines = [Text("History", style="bold underline")]
        for e in history:
            moved = f"{e.from_state or '—'} → {e.to_state or '—'}".replace("_", " ")
            lines.append(
                Text(
                    f"  {local_time(e.at, config.timezone)}  {staff_name(config, e.actor)}: "
                    f"{e.trigger.replace('_', ' ')} ({moved})"
                    + (f" — {e.reason}" if e.reason else "")
                )
            )
        return Group(*lines)

    def _hint(self) -> Text:
        case = self.case
        if case is None:
            return Text("")
        keys = [f"{RELATION_KEYS[t]} {RELATION_ACTIONS[t].step.label}" for t in self._moves()]
        if "answer" in self.allowed:
            keys += [f"{k} answer {q}" for q, k in QUESTION_KEYS.items()]
        head = Text.assemble((case.number, "bold"), f" {case.state.replace('_', ' ')} · ")
        if not keys:
            return head + Text("nothing left for you to do on this case", style="italic")
        return head + Text("next: " + " · ".join(keys), style="dim")

    def _moves(self) -> list[str]:
        return [t for t in RELATION_KEYS if t in self.allowed and t in RELATION_ACTIONS]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer a step's key only when the library allows it to this person now (the others are
        not shown; the hint line lists what is next)."""
        if action == "step" and parameters:
            return str(parameters[0]) in self.allowed
        if action == "answer":
            return "answer" in self.allowed
        return True

    # -- firing steps --------------------------------------------------------------------------

    def action_step(self, trigger: str) -> None:
        """Fire ``trigger`` on the case, with the dialog its asks need."""
        case = self.case
        if case is None:
            return
        action = RELATION_ACTIONS[trigger]
        title = f"{action.label} {case.number}"
        about = f"{case.customer}: {case.request}"
        dialog: Any
        if trigger == "accept_alternative":
            dialog = partial(self._alternatives, title, case)
        elif trigger == "standardize":
            dialog = partial(self._standardize, title, case)
        elif action.step.asks:
            dialog = partial(_kept_form, title, action, about)
        else:
            dialog = None
        self.desk_app.run_step("relations", case, action, dialog=dialog)

    def action_answer(self, question: str) -> None:
        """Answer one of the three bespoke questions, with its reason."""
        case = self.case
        if case is None:
            return
        action = next(a for a in RELATION_ACTIONS.values() if a.trigger == "answer")

        def dialog(typed: Mapping[str, Any], error: str) -> Dialog[Any]:
            return AnswerDialog(
                f"Answer {question} on {case.number}",
                action.step.asks,
                question,
                typed=typed,
                error=error,
            )

        self.desk_app.run_step("relations", case, action, dialog=dialog)

    def _alternatives(
        self, title: str, case: RelationCaseView, typed: Mapping[str, Any], error: str
    ) -> Dialog[Any]:
        return AlternativesDialog(title, case.suggestions, error=error, subtitle=case.need or "")

    def _standardize(
        self, title: str, case: RelationCaseView, typed: Mapping[str, Any], error: str
    ) -> Dialog[Any]:
        return StandardizeDialog(
            title,
            self.desk_app.desk,
            case,
            by=self.desk_app.operator,
            typed=typed,
            error=error,
        )

    def action_back(self) -> None:
        """Back to the list of cases."""
        self.app.pop_screen()

    def action_refresh(self) -> None:
        """Load the case again."""
        self.reload_records()

    def palette_commands(self) -> list[PaletteCommand]:
        """This screen's palette entries (``relation: propose alternatives``...)."""
        return palette_from_bindings(self)


#: Answers a step asks as optional but its guards require (the refusal's explanation and options).
NEEDED = {"refuse": ("explanation", "options")}


def _kept_form(
    title: str, action: RecordAction, about: str, typed: Mapping[str, Any], error: str
) -> Dialog[Any]:
    return KeptAskForm(
        title,
        action.step.asks,
        typed=typed,
        error=error,
        subtitle=about,
        needed=NEEDED.get(action.trigger, ()),
    )
