"""What every ``desk.<process>`` facade shares: one transaction per action, views out, allowed actions."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from sqlalchemy.orm import Session

from bpsm.errors import Problem, ValidationError
from bpsm.processes.base import Process
from bpsm.roles import Person

if TYPE_CHECKING:
    from bpsm.desk import Desk

__all__ = ["ProcessFacade"]

RowT = TypeVar("RowT")
ViewT = TypeVar("ViewT")


class ProcessFacade(ABC, Generic[RowT, ViewT]):
    """Base of ``desk.calls``, ``desk.relations`` and the other process facades.

    A subclass names its :attr:`process`, how to load a row (:meth:`_load`) and how to turn a row
    into the view it returns (:meth:`_view`); :meth:`_act` runs one action as one unit of work.
    """

    process: ClassVar[Process]

    def __init__(self, desk: Desk):
        self._desk = desk

    @abstractmethod
    def _load(self, s: Session, ident: int, expected_version: int | None) -> RowT:
        """Fetch the row, raising NotFound / ConcurrentModification."""

    @abstractmethod
    def _view(self, s: Session, row: RowT) -> ViewT:
        """The immutable view of ``row`` handed back to callers."""

    def _unit(self) -> AbstractContextManager[Session]:
        """The unit of work an action runs in (a desk transaction)."""
        return self._desk.transaction()

    def _act(self, ident: int, by: str, expected_version: int | None,
             action: Callable[[Session, Person, RowT], Any]) -> ViewT:
        """Run ``action`` on the row as ``by``, in one transaction; return the row's new view."""
        person = self._desk.person(by)
        with self._unit() as s:
            row = self._load(s, ident, expected_version)
            action(s, person, row)
            s.flush()
            return self._view(s, row)

    def _check_states(self, states: Iterable[str] | None) -> None:
        """Refuse state names the process does not have (a filter that silently matches nothing)."""
        bad = [st for st in states or () if st not in self.process.states]
        if bad:
            raise ValidationError(Problem(f"{bad!r}: not states of the {self.process.name} process "
                                          f"({', '.join(self.process.states)})", field="states"))

    def allowed(self, record: Any, by: str) -> list[str]:
        """The triggers ``by`` may fire on ``record`` (a view) in its current state."""
        return self.process.allowed(record.state, self._desk.person(by))
