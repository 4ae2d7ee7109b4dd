"""What every process shares: a transition table, one shared machine, and applying a trigger.

A process is declared as data (:class:`Step` rows). From that one table we build a single
``transitions`` machine per process type (``model=None``: no record is ever attached), the list
of actions allowed in a state, and the mermaid diagram in the docs. :meth:`Process.apply` fires
a trigger on a database row: it checks the permission, asks the machine for the destination
(``MachineError`` → :class:`InvalidTransition`), sets the state column and adds the audit event to
the same session, so the caller's unit of work commits both or neither.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.orm import Session
from transitions import Machine, MachineError

from bpsm import clock
from bpsm.errors import ConcurrentModification, InvalidTransition, NotFound
from bpsm.roles import Person, may, require
from bpsm.store.tables import AuditEventRow

__all__ = ["Process", "Step", "audit", "load_row"]

RowT = TypeVar("RowT")


@dataclass(frozen=True)
class Step:
    """One row of a process's transition table."""

    trigger: str
    source: tuple[str, ...]
    dest: str | None  # None: an internal step that records a fact and stays in the same state
    doc: str = ""

    @classmethod
    def row(cls, trigger: str, source: str | tuple[str, ...], dest: str | None, doc: str = "") -> Step:
        return cls(trigger, (source,) if isinstance(source, str) else tuple(source), dest, doc)


class _Probe:
    """A throwaway stand-in the shared machine moves, so records are never attached to it."""

    __slots__ = ("state",)

    def __init__(self, state: str):
        self.state = state


@dataclass
class Process:
    """A process type: its states, its table, and the one machine built from them."""

    name: str
    states: tuple[str, ...]
    initial: str
    table: tuple[Step, ...]
    final: tuple[str, ...] = ()
    machine: Machine = field(init=False, repr=False)

    def __post_init__(self) -> None:
        for step in self.table:
            unknown = {*step.source, *([step.dest] if step.dest else [])} - set(self.states)
            if unknown:
                raise ValueError(f"{self.name}.{step.trigger}: unknown state(s) {sorted(unknown)}")
        self.machine = Machine(
            model=None,
            states=list(self.states),
            initial=self.initial,
            transitions=[{"trigger": s.trigger, "source": list(s.source), "dest": s.dest} for s in self.table],
            auto_transitions=False,
            name=self.name,
        )

    @property
    def triggers(self) -> tuple[str, ...]:
        """Every trigger in the table, in order of first appearance."""
        return tuple(dict.fromkeys(s.trigger for s in self.table))

    def allowed(self, state: str, person: Person | None = None) -> list[str]:
        """Triggers that may fire from ``state`` (and that ``person`` may fire, if given)."""
        found = [s.trigger for s in self.table if state in s.source]
        if person is not None:
            found = [t for t in found if may(person, f"{self.name}.{t}")]
        return list(dict.fromkeys(found))

    def next_state(self, state: str, trigger: str, record: str = "") -> str:
        """Destination of ``trigger`` from ``state``, or :class:`InvalidTransition`."""
        probe = _Probe(state)
        event = self.machine.events.get(trigger)
        try:
            if event is None:
                raise MachineError(f"no trigger {trigger!r}")
            event.trigger(probe)
        except MachineError:
            raise InvalidTransition(record or self.name, trigger, state, self.allowed(state)) from None
        return probe.state

    def check(self, row: Any, trigger: str, by: Person) -> str:
        """Permission and transition check only (call before evaluating guards); returns the destination.

        So a trigger that is illegal in the record's state is reported as such, not as a failed guard.
        """
        require(by, f"{self.name}.{trigger}")
        label = f"{self.name} {row.id}" if getattr(row, "id", None) is not None else self.name
        return self.next_state(row.state, trigger, label)

    def apply(self, session: Session, row: Any, trigger: str, by: Person, *, reason: str | None = None,
              data: dict[str, Any] | None = None) -> str:
        """Fire ``trigger`` on ``row``: permission, transition, state column and audit event.

        Nothing is committed here: the caller's unit of work commits row and event together.
        Returns the new state.
        """
        require(by, f"{self.name}.{trigger}")
        label = f"{self.name} {row.id}" if getattr(row, "id", None) is not None else self.name
        source = row.state
        dest = self.next_state(source, trigger, label)
        row.state = dest
        row.updated_at = clock.now()
        audit(session, by, self.name, row.id, trigger, source, dest, reason, data)
        return dest

    def mermaid(self) -> str:
        """The state diagram as mermaid ``stateDiagram-v2`` text, generated from the table."""
        lines = ["stateDiagram-v2", f"    [*] --> {self.initial}"]
        for step in self.table:
            for src in step.source:
                lines.append(f"    {src} --> {step.dest or src}: {step.trigger}")
        lines += [f"    {s} --> [*]" for s in self.final]
        return "\n".join(lines)


def load_row(session: Session, row_type: type[RowT], label: str, ident: object,
             expected_version: int | None = None) -> RowT:
    """Fetch a process record by id, checking the version the caller last saw.

    Raises:
        NotFound: no such record.
        ConcurrentModification: it changed since the caller read ``expected_version``.
    """
    row = session.get(row_type, ident)
    if row is None:
        raise NotFound(label, ident)
    if expected_version is not None and row.version != expected_version:  # type: ignore[attr-defined]
        raise ConcurrentModification(f"{label} {ident}", expected_version, row.version)  # type: ignore[attr-defined]
    return row


def audit(session: Session, by: Person, record_type: str, record_id: object, trigger: str,
          from_state: str | None, to_state: str | None, reason: str | None = None,
          data: dict[str, Any] | None = None) -> None:
    """Add one append-only audit event to the session (committed with the change it records)."""
    session.add(AuditEventRow(at=clock.now(), actor=by.id, record_type=record_type, record_id=str(record_id),
                              trigger=trigger, from_state=from_state, to_state=to_state, reason=reason,
                              data=data or None))
