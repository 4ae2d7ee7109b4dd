"""What every ``desk.<process>`` facade shares: ``fire`` and ``allowed``, a unit of work per action.

A facade is a thin set of names over its process's step table: ``desk.calls.resolve(7,
solution=..., by="anna")`` is ``desk.calls.fire(7, "resolve", solution=..., by="anna")``. Facades
see the desk only through :class:`DeskPort` — processes never import :class:`bpsm.Desk`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy.orm import Session

from bpsm.errors import Problem, ValidationError
from bpsm.port import DeskPort
from bpsm.processes.base import Action, Context, Process, load_row
from bpsm.validation import shown, some_of

__all__ = ["DeskPort", "ProcessFacade"]

RowT = TypeVar("RowT")
ViewT = TypeVar("ViewT")


class ProcessFacade(Generic[RowT, ViewT]):
    """Base of ``desk.calls``, ``desk.relations`` and the other process facades.

    A subclass names its :attr:`process`, its :attr:`row_type` and :attr:`label` (for "no call 7"),
    and how a row becomes the view it returns (:meth:`_view`, default ``view_type.model_validate``).
    """

    process: ClassVar[Process]
    row_type: ClassVar[type[Any]]
    view_type: ClassVar[type[Any]]
    label: ClassVar[str] = ""

    def __init__(self, desk: DeskPort):
        self._desk = desk

    # -- the two operations every process has ----------------------------------------------------

    def fire(
        self,
        record_id: int,
        trigger: str,
        *,
        by: str,
        expected_version: int | None = None,
        **answers: Any,
    ) -> ViewT:
        """Fire step ``trigger`` on the record as ``by``, with the answers the step asks.

        One unit of work: the record, anything the step creates and its audit event are written
        together, or nothing is.

        Raises:
            NotFound, ConcurrentModification, PermissionDenied, InvalidTransition, ValidationError,
            GuardFailed: nothing was changed.
        """
        return self._fire(record_id, trigger, by, expected_version, answers)[0]

    def allowed(self, record: Any, by: str) -> list[Action]:
        """The steps ``by`` may fire on ``record`` (a view) in its state, less those a guard on
        the record refuses (``accept`` on a call without a catalogue service).

        Each one's ``.step.asks`` says what it asks.

        Raises:
            ValidationError: ``record`` is not a record of this process (it has no known state).
        """
        state = getattr(record, "state", None)
        if not isinstance(state, str) or state not in self.process.states:
            raise ValidationError(
                Problem(f"{shown(record)} is not a {self.process.name} record", field="record")
            )
        return self.process.allowed(state, self._desk.person(by), record=record)

    # -- for subclasses ---------------------------------------------------------------------------

    def _env(self) -> Any:
        """What the steps' guards and effects read as ``ctx.env`` (the desk)."""
        return self._desk

    def _load(self, s: Session, ident: int, expected_version: int | None = None) -> RowT:
        return load_row(s, self.row_type, self.label or self.process.name, ident, expected_version)

    def _view(self, s: Session, row: RowT) -> ViewT:
        """The immutable view of ``row`` handed back to callers."""
        return self.view_type.model_validate(row)

    def _fire(
        self,
        record_id: int,
        trigger: str,
        by: str,
        expected_version: int | None,
        answers: dict[str, Any],
    ) -> tuple[ViewT, Context]:
        if not isinstance(trigger, str):
            raise ValidationError(Problem(f"{shown(trigger)} is not a step name", field="trigger"))
        person = self._desk.person(by)
        with self._desk.unit() as uow:
            row = self._load(uow.session, record_id, expected_version)
            ctx = self.process.fire(uow, row, trigger, person, env=self._env(), **answers)
            uow.session.flush()
            return self._view(uow.session, row), ctx

    @contextmanager
    def _session(self) -> Iterator[Session]:
        """One unit of work's session, for reads and for the functions that open records."""
        with self._desk.unit() as uow:
            yield uow.session

    def _check_states(self, states: Any) -> tuple[str, ...] | None:
        """The states to filter on (None: no filter), refusing names the process does not have.

        A filter that silently matches nothing would hide the mistake. One state name is taken
        as a list of one.

        Raises:
            ValidationError: ``states: ['done']: not states of the improvement process (...)``.
        """
        if states is None:
            return None
        return some_of(
            "states",
            states,
            self.process.states,
            what=f"states of the {self.process.name} process",
        )
