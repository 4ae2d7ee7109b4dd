"""``desk.improvements``: improvements through the Python API, and the recurring-disruption detector.

Every method takes ``by`` (the staff id of the person acting), runs in one transaction with its
audit event, and returns an immutable :class:`ImprovementView`. Pass ``expected_version`` (the
``version`` you last saw) to be told, instead of overwriting, when someone else got there first.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bpsm.errors import ConcurrentModification, Problem, ValidationError
from bpsm.processes.facade import ProcessFacade
from bpsm.processes.improvements import steps as improvement
from bpsm.store.tables.proactive import ImprovementRow

if TYPE_CHECKING:
    pass

__all__ = ["ImprovementView", "Improvements"]


class ImprovementView(BaseModel):
    """An improvement as it stands: source, assessment, decision and the change it opened."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    audit_type: ClassVar[str] = "improvement"

    id: int
    state: str
    source: str
    title: str
    description: str
    service_id: str | None
    identified_by: str
    identified_at: datetime
    burst_start: datetime | None
    burst_end: datetime | None
    burst_calls: int | None
    burst_window_seconds: int | None
    worth_it: bool | None
    effort_hours: float | None
    benefit: str | None
    assessed_by: str | None
    assessed_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    drop_reason: str | None
    change_id: int | None
    version: int

    @property
    def burst_window(self) -> timedelta | None:
        """The detector's window when this improvement was proposed (None for ideas from people)."""
        return None if self.burst_window_seconds is None else timedelta(seconds=self.burst_window_seconds)


class Improvements(ProcessFacade[ImprovementRow, ImprovementView]):
    """The improvement process on one desk."""

    process = improvement.IMPROVEMENT
    sources = improvement.SOURCES

    def _load(self, s: Session, ident: int, expected_version: int | None) -> ImprovementRow:
        return improvement.load(s, ident, expected_version)

    def _view(self, s: Session, row: ImprovementRow) -> ImprovementView:
        return ImprovementView.model_validate(row)

    def identify(self, *, source: str, title: str, description: str, by: str,
                 service_id: str | None = None) -> ImprovementView:
        """Record an improvement idea (state ``identified``).

        Args:
            source: one of ``recurring_disruption``, ``customer_needs``, ``new_technology``,
                ``legislation``, ``other``.
            title: a short name for the idea.
            description: what should get better, and why.
            by: staff id of the person recording it.
            service_id: the catalogue service it concerns, if any.

        Raises:
            ValidationError: unknown source, empty title/description, unknown service.
        """
        person = self._desk.person(by)
        with self._session() as s:
            row = improvement.identify(s, person, source=source, title=title, description=description,
                                       service_id=service_id)
            return ImprovementView.model_validate(row)

    def assess(self, improvement_id: int, *, worth_it: bool, effort_hours: float, benefit: str, by: str,
               expected_version: int | None = None) -> ImprovementView:
        """Record whether it is worth it: the effort in estimated person-hours against the benefit."""
        return self._act(improvement_id, by, expected_version,
                         lambda s, p, r: improvement.assess(s, p, r, worth_it=worth_it, effort_hours=effort_hours,
                                                            benefit=benefit))

    def approve(self, improvement_id: int, *, by: str, change_kind: str | None = None,
                definition: dict[str, Any] | None = None, impact: str = "medium", note: str | None = None,
                expected_version: int | None = None) -> ImprovementView:
        """Approve a worthwhile improvement; opens a change (``draft``) in the same transaction.

        With a service, the change modifies it, starting from its current definition. Without one,
        pass ``change_kind`` (e.g. ``"add"``) and the proposed service ``definition``. The new
        change's id is on the returned view (``change_id``); work it through ``desk.changes``.

        Raises:
            GuardFailed: ``worth_it`` (assessed as not worth it) or ``change_target``.
            ValidationError: the change proposal is refused (e.g. a definition that breaks the schema).
        """
        return self._act(improvement_id, by, expected_version,
                         lambda s, p, r: improvement.approve(s, p, r, change_kind=change_kind, definition=definition,
                                                             impact=impact, note=note))

    def drop(self, improvement_id: int, *, reason: str, by: str,
             expected_version: int | None = None) -> ImprovementView:
        """Do not pursue it, with the reason."""
        return self._act(improvement_id, by, expected_version, lambda s, p, r: improvement.drop(s, p, r, reason))

    def detect_recurring_disruptions(self, *, by: str) -> list[ImprovementView]:
        """Propose an improvement for every service with a fresh burst of calls; returns those created.

        The burst size and window come from ``desk.yaml`` (``recurring_disruption: {calls, window}``).
        A burst already reported is never reported again (see :mod:`bpsm.processes.improvements.steps`).

        Raises:
            ConcurrentModification: another detector reported the same burst at the same moment.
        """
        person = self._desk.person(by)
        try:
            with self._session() as s:
                rows = improvement.detect_recurring_disruptions(s, person, self._desk.config.recurring_disruption)
                return [ImprovementView.model_validate(r) for r in rows]
        except IntegrityError as exc:
            raise ConcurrentModification("improvements (recurring disruption)") from exc

    def get(self, improvement_id: int) -> ImprovementView:
        """One improvement by id (:class:`~bpsm.errors.NotFound` if there is none)."""
        with self._session() as s:
            return ImprovementView.model_validate(improvement.load(s, improvement_id))

    def list(self, *, states: tuple[str, ...] | None = None, source: str | None = None,
             service_id: str | None = None) -> list[ImprovementView]:
        """Improvements, newest first, optionally only in ``states``, from ``source`` or on ``service_id``."""
        if source is not None and source not in improvement.SOURCES:
            raise ValidationError(Problem(f"{source!r} is not one of {', '.join(improvement.SOURCES)}",
                                          field="source"))
        self._check_states(states)
        stmt = select(ImprovementRow).order_by(ImprovementRow.id.desc())
        if states:
            stmt = stmt.where(ImprovementRow.state.in_(states))
        if source is not None:
            stmt = stmt.where(ImprovementRow.source == source)
        if service_id is not None:
            stmt = stmt.where(ImprovementRow.service_id == service_id)
        with self._session() as s:
            return [ImprovementView.model_validate(r) for r in s.scalars(stmt).all()]

