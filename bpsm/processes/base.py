"""What every process shares: a step table, one shared machine, and firing a step on a record.

A process is its table of :class:`Step` rows, read top to bottom. A row is the whole step: its
trigger, the states it leaves from and the one it goes to, the roles that may fire it, what the
person must be asked (:class:`Ask`), the guards that may refuse it (:class:`Guard`, each with a
name and the reason it gives) and its effect on the record. From that one table come:

* the single ``transitions`` machine per process (``model=None``: no record is ever attached);
* the permission table (:data:`bpsm.processes.PERMISSIONS`);
* what a person may do now (:meth:`Process.allowed`, with what each step asks, less the steps
  a guard on the record refuses);
* :meth:`Process.fire`, the one way a step runs: permission, transition, answers, guards,
  effect, state column and audit event, all in the caller's unit of work;
* the mermaid diagram and the transition table in ``docs/processes.md``.

A step whose ``source`` is empty opens a record (``register``, ``propose``...): it has roles and
appears in the diagram as ``[*] --> initial``, but records are created by the process's own
function, which asks :meth:`Process.require` first.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.orm import Session
from transitions import Machine, MachineError

from bpsm import clock
from bpsm.errors import (
    ConcurrentModification,
    GuardFailed,
    InvalidTransition,
    NotFound,
    Problem,
    ValidationError,
)
from bpsm.roles import Person, require
from bpsm.store.tables import AuditEventRow
from bpsm.validation import (
    INT_MAX,
    INT_MIN,
    PAGE_LIMIT,
    TEXT_LIMIT,
    clean_structure,
    clean_text,
    record_id,
    shown,
    whole_number,
)

if TYPE_CHECKING:
    from bpsm.store.uow import UnitOfWork

__all__ = ["Action", "Ask", "Context", "Guard", "Process", "Step", "audit", "load_row"]

RowT = TypeVar("RowT")
_MISSING = object()


# -- what a step asks ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ask:
    """One thing the person must be asked before a step fires (an argument of :meth:`Process.fire`).

    Attributes:
        name: the keyword it is passed as (``reason``, ``solution``, ``effort``...).
        prompt: the question, in words fit for a screen.
        kind: what sort of answer: ``text``, ``lines`` (a list of texts), ``int``, ``number``,
            ``yes_no``, ``choice`` (one of ``choices``, or of a desk list named by
            ``choices_from``), ``mapping`` or ``any``. A screen picks its widget from it.
        required: whether the step needs an answer. A missing required answer is refused by
            the guard named ``missing`` (with ``why``), or else a :class:`ValidationError`.
        low / high: the inclusive range of an ``int`` or ``number`` answer.
        choices: the allowed answers of a ``choice``.
        choices_from: a desk list the answer must come from (``groups``, ``channels``,
            ``checklist``); checked by the step's guards or effect, shown by screens.
        check: a further test of a given answer, returning what is wrong with it (or None).
        max_length: the most characters a text answer (or each line) may have; default the
            length of a ``Text`` column (:data:`bpsm.validation.TEXT_LIMIT`). Give the column's
            own with ``max_length=limit_of(Row.column)``. Every text, inside ``lines``,
            ``mapping`` and ``any`` answers too, also obeys :func:`bpsm.validation.clean_text`'s
            rules: no NUL character, no lone surrogate.
    """

    name: str
    prompt: str
    kind: str = "text"
    required: bool = True
    missing: str | None = None
    why: str | None = None
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    choices_from: str | None = None
    check: Callable[[Any], str | None] | None = None
    max_length: int | None = None

    def take(self, answers: Mapping[str, Any]) -> Any:
        """The cleaned answer from ``answers`` (text stripped), or raise what a bad one deserves.

        Raises:
            ValidationError: an answer of the wrong kind or out of range, naming the field.
            GuardFailed: a required answer is missing and :attr:`missing` names the guard.
        """
        value = self._clean(answers.get(self.name))
        if value is None and self.required:
            if self.missing:
                raise GuardFailed(self.missing, self.why or f"{self.name} is required")
            self._refuse("must not be empty")
        if value is not None and self.check is not None:
            wrong = self.check(value)
            if wrong:
                self._refuse(wrong)
        return value

    def _refuse(self, message: str, field: str | None = None) -> None:
        raise ValidationError(Problem(message, field=field or self.name))

    def _clean(self, value: Any) -> Any:
        if value is None:
            return None
        limit = self.max_length or TEXT_LIMIT
        if self.kind == "text":
            return clean_text(self.name, value, limit=limit, required=False)
        if self.kind == "lines":
            if isinstance(value, str) or not isinstance(value, list | tuple):
                self._refuse(f"{shown(value)} must be a list of texts")
            if len(value) > PAGE_LIMIT:
                self._refuse(f"at most {PAGE_LIMIT:,} entries (got {len(value):,})")
            for i, v in enumerate(value):
                if not isinstance(v, str) or not v.strip():
                    self._refuse(f"{shown(v)} must be a non-empty text", f"{self.name}[{i}]")
                clean_text(f"{self.name}[{i}]", v, limit=limit)
            return [v.strip() for v in value] or None
        if self.kind in ("int", "number"):
            self._number(value)
        elif self.kind == "yes_no" and not isinstance(value, bool):
            self._refuse(f"{shown(value)} must be True or False")
        elif self.kind == "choice":
            clean_text(self.name, value, limit=limit, required=False, strip=False)
            if self.choices and value not in self.choices:
                self._refuse(f"{shown(value)} is not one of {', '.join(self.choices)}")
        elif self.kind == "mapping" and not isinstance(value, Mapping):
            self._refuse(f"{shown(value)} must map names to values")
        elif self.kind in ("mapping", "any"):
            clean_structure(self.name, value, limit=limit)
        return value

    def _number(self, value: Any) -> None:
        whole = self.kind == "int"
        low = self.low if self.low is not None else (INT_MIN if whole else None)
        high = self.high if self.high is not None else (INT_MAX if whole else None)
        number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
        if (
            number is None
            or (whole and not isinstance(number, int))
            or (isinstance(number, float) and not math.isfinite(number))
            or (low is not None and number < low)
            or (high is not None and number > high)
        ):
            span = (
                f"from {_figure(low)} to {_figure(high)}"
                if low is not None and high is not None
                else (f"of at least {_figure(low)}" if low is not None else "")
            )
            what = "an answer" if whole else "a number"
            self._refuse(f"{shown(value)} is not {what} {span}".rstrip())


def _figure(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:g}"


def text(
    name: str,
    prompt: str,
    *,
    guard: str | None = None,
    why: str | None = None,
    required: bool = True,
) -> Ask:
    """A text answer; when ``guard`` is given, leaving it empty is refused by that named guard."""
    return Ask(name, prompt, "text", required, guard, why)


def reason(prompt: str, *, guard: str, why: str) -> Ask:
    """The step's ``reason`` (its audit event's why), refused by ``guard`` when left empty."""
    return text("reason", prompt, guard=guard, why=why)


def optional(name: str, prompt: str, kind: str = "text", **more: Any) -> Ask:
    """An answer the person may leave out."""
    return Ask(name, prompt, kind, False, **more)


# -- guards ----------------------------------------------------------------------------------------


Verdict = bool | str | None


@dataclass(frozen=True)
class Guard:
    """A named precondition of a step. ``test`` returns True (or None) to let the step pass;
    False to refuse with ``reason``, or a text to refuse with that more specific reason.

    A guard made with :meth:`on_record` reads only the record, so it can be judged before the
    person is asked anything: :meth:`Process.allowed` leaves its step out while it refuses, and
    :meth:`Process.check` refuses with it before a screen opens a dialog.
    """

    name: str
    reason: str
    test: Callable[[Context], Verdict]
    record_test: Callable[[Any], Verdict] | None = None

    @classmethod
    def on_record(cls, name: str, reason: str, test: Callable[[Any], Verdict]) -> Guard:
        """A guard whose ``test`` reads only the record (a row or its view), never the answers."""
        return cls(name, reason, lambda ctx: test(ctx.row), test)

    def check(self, ctx: Context) -> None:
        """Raise :class:`GuardFailed` unless the test passes."""
        self._judge(self.test(ctx))

    def check_record(self, record: Any) -> None:
        """Raise :class:`GuardFailed` if this guard reads only the record and refuses it."""
        if self.record_test is not None:
            self._judge(self.record_test(record))

    def _judge(self, verdict: Verdict) -> None:
        if verdict is False or isinstance(verdict, str):
            raise GuardFailed(self.name, verdict if isinstance(verdict, str) else self.reason)


# -- a step ----------------------------------------------------------------------------------------


Effect = Callable[["Context"], Any]


@dataclass(frozen=True)
class Step:
    """One row of a process's table: the whole step.

    Attributes:
        trigger: its name (``resolve``); the permission is ``"<process>.<trigger>"``.
        source: the states it may fire from (empty: it opens a record).
        dest: the state it goes to (None: it records a fact and stays in the same state).
        roles: who may fire it.
        doc: one line on what it means, for the docs and screens.
        asks: what the person is asked, in order.
        guards: named preconditions, checked in order after the answers.
        effect: what it does to the record (and around it) besides the state; may set
            ``ctx.reason``, ``ctx.data`` (the audit event's) and ``ctx.result``.
        reason: the answer that becomes the audit event's reason (default: ``reason`` if asked).
        label: a short name for buttons and the palette (default: from the trigger).
    """

    trigger: str
    source: tuple[str, ...]
    dest: str | None
    roles: frozenset[str]
    doc: str = ""
    asks: tuple[Ask, ...] = ()
    guards: tuple[Guard, ...] = ()
    effect: Effect | None = None
    reason: str | None = None
    label: str = ""

    @classmethod
    def row(
        cls,
        trigger: str,
        source: str | Iterable[str],
        dest: str | None,
        roles: Iterable[str],
        doc: str = "",
        *,
        asks: Iterable[Ask] = (),
        guards: Iterable[Guard] = (),
        effect: Effect | None = None,
        reason: str | None = None,
        label: str = "",
    ) -> Step:
        """A step row: ``source`` may be one state or several."""
        sources = (source,) if isinstance(source, str) else tuple(source)
        return cls(
            trigger,
            sources,
            dest,
            frozenset(roles),
            doc,
            tuple(asks),
            tuple(guards),
            effect,
            reason,
            label or trigger.replace("_", " "),
        )

    @property
    def opens(self) -> bool:
        """True for a step that creates a record (no source state)."""
        return not self.source

    def ask(self, name: str) -> Ask | None:
        """The question named ``name``, if the step asks it."""
        return next((a for a in self.asks if a.name == name), None)


class Action(str):
    """A trigger a person may fire now (compares equal to its name), carrying its :class:`Step`.

    ``action.step.asks`` says what to ask; ``action.step.doc`` what it means.
    """

    step: Step

    def __new__(cls, step: Step) -> Action:
        made = super().__new__(cls, step.trigger)
        made.step = step
        return made


@dataclass
class Context:
    """What a guard or an effect sees while a step fires.

    Attributes:
        uow: the unit of work (``uow.session``; ``uow.after_commit(fn)`` for work outside the
            database).
        row: the record (its ``state`` is already the destination while the effect runs).
        by: who fires the step.
        step: the step.
        source: the state it fired from.
        answers: the cleaned answers, by :attr:`Ask.name`, plus anything else the caller passed.
        env: what the process needs from the desk (``config``, ``catalogue``...).
        reason / data: the audit event's reason and data; the effect may fill them in.
        result: anything else the effect hands back (a new relation case, a follow-up task...).
    """

    uow: UnitOfWork
    row: Any
    by: Person
    step: Step
    source: str
    answers: dict[str, Any]
    env: Any = None
    reason: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    result: Any = None

    @property
    def session(self) -> Session:
        return self.uow.session

    def __getattr__(self, name: str) -> Any:
        # answers read as attributes in guards and effects: ``ctx.solution``
        answers = self.__dict__.get("answers", {})
        if name in answers:
            return answers[name]
        raise AttributeError(name)


class _Probe:
    """A throwaway stand-in the shared machine moves, so records are never attached to it."""

    __slots__ = ("state",)

    def __init__(self, state: str):
        self.state = state


# -- a process -------------------------------------------------------------------------------------


@dataclass
class Process:
    """A process type: its states and its step table, and the one machine built from them."""

    name: str
    states: tuple[str, ...]
    initial: str
    table: tuple[Step, ...]
    final: tuple[str, ...] = ()
    title: str = ""
    machine: Machine = field(init=False, repr=False)

    def __post_init__(self) -> None:
        for step in self.table:
            unknown = {*step.source, *([step.dest] if step.dest else [])} - set(self.states)
            if unknown:
                raise ValueError(f"{self.name}.{step.trigger}: unknown state(s) {sorted(unknown)}")
            if not step.roles:
                raise ValueError(f"{self.name}.{step.trigger}: a step without roles can never fire")
            if step.opens and step.dest is None:
                raise ValueError(
                    f"{self.name}.{step.trigger}: a step that opens a record names its first state"
                )
        self.machine = Machine(
            model=None,
            states=list(self.states),
            initial=self.initial,
            transitions=[
                {"trigger": s.trigger, "source": list(s.source), "dest": s.dest}
                for s in self.table
                if not s.opens
            ],
            auto_transitions=False,
            name=self.name,
        )

    def with_steps(self, *steps: Step) -> Process:
        """A copy of this process with ``steps`` in the table, replacing any same-trigger rows."""
        new = {s.trigger for s in steps}
        return replace(self, table=(*[s for s in self.table if s.trigger not in new], *steps))

    @property
    def triggers(self) -> tuple[str, ...]:
        """Every trigger that moves a record, in table order (not the steps that open records)."""
        return tuple(dict.fromkeys(s.trigger for s in self.table if not s.opens))

    def step(self, trigger: str, state: str | None = None) -> Step:
        """The row for ``trigger`` (the one that leaves ``state``, when given)."""
        rows = [s for s in self.table if s.trigger == trigger]
        if state is not None:
            rows = [s for s in rows if state in s.source] or rows
        if not rows:
            raise KeyError(f"{self.name} has no step {trigger!r}")
        return rows[0]

    def roles(self, trigger: str) -> frozenset[str]:
        """Who may fire ``trigger`` (empty for an unknown trigger: nobody)."""
        return frozenset().union(*(s.roles for s in self.table if s.trigger == trigger))

    def permissions(self) -> dict[str, frozenset[str]]:
        """``"<process>.<trigger>"`` → roles, for every step."""
        return {
            f"{self.name}.{t}": self.roles(t) for t in dict.fromkeys(s.trigger for s in self.table)
        }

    def may(self, person: Person, trigger: str) -> bool:
        """Whether ``person`` holds a role that may fire ``trigger``."""
        return bool(self.roles(trigger) & person.roles)

    def require(self, person: Person, trigger: str) -> None:
        """Raise :class:`~bpsm.errors.PermissionDenied` unless ``person`` may fire ``trigger``."""
        require(person, f"{self.name}.{trigger}", self.roles(trigger))

    def allowed(
        self, state: str, person: Person | None = None, *, record: Any = None
    ) -> list[Action]:
        """The steps that may fire from ``state`` (by ``person``, if given), in table order.

        With ``record`` (a row or its view), steps a guard on the record refuses are left out:
        ``accept`` is not offered for a call without a catalogue service.
        """
        found: dict[str, Action] = {}
        for step in self.table:
            if (
                state in step.source
                and step.trigger not in found
                and (person is None or step.roles & person.roles)
                and (record is None or _passes_record_guards(step, record))
            ):
                found[step.trigger] = Action(step)
        return list(found.values())

    def next_state(self, state: str, trigger: str, record: str = "") -> str:
        """Destination of ``trigger`` from ``state``, or :class:`InvalidTransition`."""
        probe = _Probe(state)
        event = self.machine.events.get(trigger)
        try:
            if event is None:
                raise MachineError(f"no trigger {trigger!r}")
            event.trigger(probe)
        except MachineError:
            raise InvalidTransition(
                record or self.name, trigger, state, list(self.allowed(state))
            ) from None
        return probe.state

    def _label(self, row: Any) -> str:
        return f"{self.name} {row.id}" if getattr(row, "id", None) is not None else self.name

    def check(self, row: Any, trigger: str, by: Person) -> str:
        """Permission, transition, then the guards on the record: the destination, or the error.

        So a trigger that is illegal in the record's state is reported as such, not as a failed
        guard, and screens can ask before they open a dialog. Guards that need the answers are
        left to :meth:`fire`.
        """
        self.require(by, trigger)
        dest = self.next_state(row.state, trigger, self._label(row))
        for guard in self.step(trigger, row.state).guards:
            guard.check_record(row)
        return dest

    def fire(
        self,
        uow: UnitOfWork,
        row: Any,
        trigger: str,
        by: Person,
        *,
        env: Any = None,
        **answers: Any,
    ) -> Context:
        """Fire ``trigger`` on ``row`` as ``by``: the one way a step runs.

        In order: permission; transition from the row's state; the answers the step asks
        (cleaned; a missing one refused by its named guard); the guards; then the state column,
        the effect and one audit event, all added to ``uow`` — its commit writes them together,
        and any error leaves the record and the trail untouched.

        Returns:
            The context, with ``result`` set by the effect (if it hands anything back).

        Raises:
            PermissionDenied, InvalidTransition, ValidationError, GuardFailed.
        """
        source = row.state
        self.require(by, trigger)
        dest = self.next_state(source, trigger, self._label(row))
        step = self.step(trigger, source)
        cleaned = dict(answers)
        for ask in step.asks:
            cleaned[ask.name] = ask.take(answers)
        ctx = Context(uow, row, by, step, source, cleaned, env)
        for guard in step.guards:
            guard.check(ctx)
        reason_key = step.reason or ("reason" if step.ask("reason") else None)
        ctx.reason = cleaned.get(reason_key) if reason_key else None
        row.state = dest
        row.updated_at = clock.now()
        if step.effect is not None:
            step.effect(ctx)
        audit(uow.session, by, self.name, row.id, trigger, source, dest, ctx.reason, ctx.data)
        return ctx

    def mermaid(self) -> str:
        """The state diagram as mermaid ``stateDiagram-v2`` text, generated from the table."""
        opening = [f"    [*] --> {s.dest}: {s.trigger}" for s in self.table if s.opens]
        lines = ["stateDiagram-v2", *(opening or [f"    [*] --> {self.initial}"])]
        for step in self.table:
            for src in step.source:
                lines.append(f"    {src} --> {step.dest or src}: {step.trigger}")
        lines += [f"    {s} --> [*]" for s in self.final]
        return "\n".join(lines)


def _passes_record_guards(step: Step, record: Any) -> bool:
    try:
        for guard in step.guards:
            guard.check_record(record)
    except GuardFailed:
        return False
    return True


def load_row(
    session: Session,
    row_type: type[RowT],
    label: str,
    ident: object,
    expected_version: int | None = None,
) -> RowT:
    """Fetch a process record by id, checking the version the caller last saw.

    Raises:
        NotFound: no such record.
        ConcurrentModification: it changed since the caller read ``expected_version``.
    """
    ident = record_id(label, ident)
    if expected_version is not None:
        whole_number("expected_version", expected_version)
    row = session.get(row_type, ident)
    if row is None:
        raise NotFound(label, ident)
    if expected_version is not None and row.version != expected_version:  # type: ignore[attr-defined]
        raise ConcurrentModification(f"{label} {ident}", expected_version, row.version)  # type: ignore[attr-defined]
    return row


def audit(
    session: Session,
    by: Person,
    record_type: str,
    record_id: object,
    trigger: str,
    from_state: str | None,
    to_state: str | None,
    reason: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Add one append-only audit event to the session (committed with the change it records)."""
    session.add(
        AuditEventRow(
            at=clock.now(),
            actor=by.id,
            record_type=record_type,
            record_id=str(record_id),
            trigger=trigger,
            from_state=from_state,
            to_state=to_state,
            reason=reason,
            data=data or None,
        )
    )
