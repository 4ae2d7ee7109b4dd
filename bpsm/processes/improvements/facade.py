"""``desk.improvements``: improvements through the Python API and the recurring-disruption detector.

Every method takes ``by`` (the staff id of the person acting), runs in one transaction with its
audit event, and returns an immutable :class:`ImprovementView`. Pass ``expected_version`` (the
``version`` you last saw) to be told, instead of overwriting, when someone else got there first.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, select

from bpsm.errors import Problem, ValidationError
from bpsm.processes.facade import ProcessFacade
from bpsm.processes.improvements import steps as improvement
from bpsm.processes.improvements.views import ImprovementView
from bpsm.store.tables.proactive import ImprovementRow
from bpsm.validation import clean_text, limit_of, paging
from bpsm.views import Page

__all__ = ["ImprovementView", "Improvements"]


class Improvements(ProcessFacade[ImprovementRow, ImprovementView]):
    """The improvement process on one desk."""

    process = improvement.IMPROVEMENT
    sources = improvement.SOURCES

    row_type = ImprovementRow
    view_type = ImprovementView

    def identify(
        self, *, source: str, title: str, description: str, by: str, service_id: str | None = None
    ) -> ImprovementView:
        """Record an improvement idea (state ``identified``).

        Args:
            source: one of ``recurring_disruption``, ``customer_needs``, ``new_technology``,
                ``legislation``, ``other``.
            title: a short name for the idea.
            description: what should get better, and why.
            by: staff id of the person recording it.
            service_id: the catalogue service it concerns, if any.

        Raises:
            ValidationError: unknown source, an empty or too long title/description
                (``docs/limits.md``), unknown service.
        """
        person = self._desk.person(by)
        self.process.require(person, "identify")  # a refused person is told so before any field
        title = clean_text("title", title, limit=limit_of(ImprovementRow.title))
        description = clean_text(
            "description", description, limit=limit_of(ImprovementRow.description)
        )
        if service_id is not None:
            service_id = clean_text(
                "service_id", service_id, limit=limit_of(ImprovementRow.service_id)
            )
        with self._session() as s:
            row = improvement.identify(
                s,
                person,
                source=source,
                title=title,
                description=description,
                service_id=service_id,
            )
            return ImprovementView.model_validate(row)

    def assess(
        self,
        improvement_id: int,
        *,
        worth_it: bool,
        effort_hours: float,
        benefit: str,
        by: str,
        expected_version: int | None = None,
    ) -> ImprovementView:
        """Record whether it is worth it: estimated person-hours of effort against the benefit."""
        return self.fire(
            improvement_id,
            "assess",
            worth_it=worth_it,
            effort_hours=effort_hours,
            benefit=benefit,
            by=by,
            expected_version=expected_version,
        )

    def approve(
        self,
        improvement_id: int,
        *,
        by: str,
        change_kind: str | None = None,
        definition: dict[str, Any] | None = None,
        impact: str = "medium",
        note: str | None = None,
        expected_version: int | None = None,
    ) -> ImprovementView:
        """Approve a worthwhile improvement; opens a change (``draft``) in the same transaction.

        With a service, the change modifies it, starting from its current definition. Without one,
        pass ``change_kind`` (e.g. ``"add"``) and the proposed service ``definition``. The new
        change's id is on the returned view (``change_id``); work it through ``desk.changes``.

        Raises:
            GuardFailed: ``worth_it`` (assessed as not worth it) or ``change_target``.
            ValidationError: the change proposal is refused (e.g. a definition that breaks the
                schema).
        """
        return self.fire(
            improvement_id,
            "approve",
            change_kind=change_kind,
            definition=definition,
            impact=impact,
            note=note,
            by=by,
            expected_version=expected_version,
        )

    def drop(
        self, improvement_id: int, *, reason: str, by: str, expected_version: int | None = None
    ) -> ImprovementView:
        """Do not pursue it, with the reason."""
        return self.fire(
            improvement_id, "drop", reason=reason, by=by, expected_version=expected_version
        )

    def detect_recurring_disruptions(self, *, by: str) -> list[ImprovementView]:
        """Propose an improvement per service with a fresh burst of calls; returns those created.

        The burst size and window come from ``desk.yaml``
        (``recurring_disruption: {calls, window}``). A burst already reported is never reported
        again (see :mod:`bpsm.processes.improvements.steps`).

        Raises:
            ConcurrentModification: another detector reported the same burst at the same moment.
        """
        person = self._desk.person(by)
        with self._session() as s:  # a clash on the burst's unique key is a ConcurrentModification
            rows = improvement.detect_recurring_disruptions(
                s, person, self._desk.config.recurring_disruption
            )
            return [ImprovementView.model_validate(r) for r in rows]

    def get(self, improvement_id: int) -> ImprovementView:
        """One improvement by id (:class:`~bpsm.errors.NotFound` if there is none)."""
        with self._session() as s:
            return ImprovementView.model_validate(self._load(s, improvement_id))

    def list(
        self,
        *,
        states: tuple[str, ...] | None = None,
        source: str | None = None,
        service_id: str | None = None,
    ) -> list[ImprovementView]:
        """Improvements, newest first.

        Optionally only those in ``states``, from ``source`` or on ``service_id``.
        """
        known = improvement.SOURCES
        if source is not None and (not isinstance(source, str) or source not in known):
            raise ValidationError(
                Problem(
                    f"{source!r} is not one of {', '.join(improvement.SOURCES)}", field="source"
                )
            )
        states = self._check_states(states)
        if service_id is not None:
            service_id = clean_text(
                "service_id", service_id, limit=limit_of(ImprovementRow.service_id)
            )
        stmt = select(ImprovementRow).order_by(ImprovementRow.id.desc())
        if states:
            stmt = stmt.where(ImprovementRow.state.in_(states))
        if source is not None:
            stmt = stmt.where(ImprovementRow.source == source)
        if service_id is not None:
            stmt = stmt.where(ImprovementRow.service_id == service_id)
        with self._session() as s:
            return [ImprovementView.model_validate(r) for r in s.scalars(stmt).all()]

    def page(
        self,
        *,
        states: tuple[str, ...] | None = None,
        source: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> Page[ImprovementView]:
        """A page of improvements, newest first, optionally in ``states`` or from ``source``.

        Paged in SQL, with the total, for screens that must never load the whole table.

        Raises:
            ValidationError: an unknown state or source, or paging out of bounds.
        """
        offset, limit = paging(offset, limit)
        if source is not None and (not isinstance(source, str) or source not in self.sources):
            raise ValidationError(
                Problem(f"{source!r} is not one of {', '.join(self.sources)}", field="source")
            )
        states = self._check_states(states)
        where: list[ColumnElement[bool]] = []
        if states:
            where.append(ImprovementRow.state.in_(states))
        if source is not None:
            where.append(ImprovementRow.source == source)
        with self._session() as s:
            total = s.scalar(select(func.count()).select_from(ImprovementRow).where(*where)) or 0
            rows = s.scalars(
                select(ImprovementRow)
                .where(*where)
                .order_by(ImprovementRow.id.desc())
                .offset(offset)
                .limit(limit)
            ).all()
            return Page([ImprovementView.model_validate(r) for r in rows], offset, limit, total)
