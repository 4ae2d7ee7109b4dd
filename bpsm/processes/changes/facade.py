"""``desk.changes``: the change process through the Python API, and catalogue diffs."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bpsm.catalogue.loader import load_catalogue
from bpsm.catalogue.schema import Service
from bpsm.catalogue.sync import plan_load
from bpsm.catalogue.writeback import service_yaml
from bpsm.errors import Problem, ValidationError
from bpsm.processes.changes import steps as change
from bpsm.processes.changes.views import (
    CatalogueDiff,
    ChangeView,
    ChecklistStatus,
    DefinitionDiff,
)
from bpsm.processes.facade import ProcessFacade
from bpsm.store.tables.change import ChangeRow
from bpsm.store.tables.core import ServiceRow, ServiceVersionRow
from bpsm.validation import clean_structure, clean_text, limit_of, paging, record_id, shown
from bpsm.views import Page

__all__ = ["CatalogueDiff", "ChangeView", "Changes", "ChecklistStatus", "DefinitionDiff"]


def _origin(origin: Any) -> tuple[str, object]:
    """Where a proposal comes from: ``(record type, id)``, each fitting its column."""
    if not isinstance(origin, tuple | list) or len(origin) != 2:
        raise ValidationError(Problem(f"{shown(origin)} must be (record type, id)", field="origin"))
    kind = clean_text("origin", origin[0], limit=limit_of(ChangeRow.origin_type))
    clean_text("origin", str(origin[1]), limit=limit_of(ChangeRow.origin_id))
    return kind or "", origin[1]


class Changes(ProcessFacade[ChangeRow, ChangeView]):
    """The change process on one desk."""

    process = change.CHANGE

    row_type = ChangeRow
    label = "change"

    def _view(self, s: Session, row: ChangeRow) -> ChangeView:
        s.flush()
        items = [ChecklistStatus(**i) for i in change.checklist_status(s, row, self._desk.config)]
        return ChangeView.model_validate(
            {
                **{k: getattr(row, k) for k in ChangeView.model_fields if k != "checklist"},
                "checklist": items,
            }
        )

    def propose(
        self,
        *,
        kind: str,
        summary: str,
        by: str,
        impact: str = "medium",
        service_id: str | None = None,
        definition: dict[str, Any] | Service | None = None,
        rollback_plan: str | None = None,
        origin: tuple[str, object] | None = None,
    ) -> ChangeView:
        """Propose adding, modifying or retiring a service (state ``draft``).

        Raises:
            ValidationError: naming the field — unknown kind or impact, an empty or too long text
                (``docs/limits.md``), a definition that breaks the schema.
        """
        person = self._desk.person(by)
        self.process.require(person, "propose")  # a refused person is told so before any field
        summary = clean_text("summary", summary, limit=limit_of(ChangeRow.summary))
        if service_id is not None:
            service_id = clean_text("service_id", service_id, limit=limit_of(ChangeRow.service_id))
        if rollback_plan is not None:
            limit = limit_of(ChangeRow.rollback_plan)
            rollback_plan = clean_text("rollback_plan", rollback_plan, limit=limit, required=False)
        if definition is not None and not isinstance(definition, Service):
            if not isinstance(definition, dict):
                raise ValidationError(
                    Problem(f"{shown(definition)} must map names to values", field="definition")
                )
            clean_structure("definition", definition)
        if origin is not None:
            origin = _origin(origin)
        with self._session() as s:
            row = change.propose(
                s,
                person,
                kind=kind,
                summary=summary,
                impact=impact,
                service_id=service_id,
                definition=definition,
                rollback_plan=rollback_plan,
                origin=origin,
            )
            return self._view(s, row)

    def submit(self, change_id: int, *, by: str, expected_version: int | None = None) -> ChangeView:
        """Put the proposal before the change manager."""
        return self.fire(change_id, "submit", by=by, expected_version=expected_version)

    def amend(
        self,
        change_id: int,
        *,
        by: str,
        rollback_plan: str | None = None,
        impact: str | None = None,
        summary: str | None = None,
        definition: dict[str, Any] | Service | None = None,
        expected_version: int | None = None,
    ) -> ChangeView:
        """Record the rollback plan, or correct impact, summary or proposed definition.

        Allowed only before the decision.
        """
        return self.fire(
            change_id,
            "amend",
            rollback_plan=rollback_plan,
            impact=impact,
            summary=summary,
            definition=definition,
            by=by,
            expected_version=expected_version,
        )

    def check_item(
        self,
        change_id: int,
        item: str,
        *,
        evidence: str,
        by: str,
        met: bool = True,
        expected_version: int | None = None,
    ) -> ChangeView:
        """Mark a checklist item met (``met=False`` withdraws the mark), with evidence."""
        return self.fire(
            change_id,
            "check_item",
            item=item,
            evidence=evidence,
            met=met,
            by=by,
            expected_version=expected_version,
        )

    def approve(
        self,
        change_id: int,
        *,
        by: str,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> ChangeView:
        """Change managers only; refused with every unmet item while the checklist is not met."""
        return self.fire(change_id, "approve", note=note, by=by, expected_version=expected_version)

    def reject(
        self, change_id: int, *, reason: str, by: str, expected_version: int | None = None
    ) -> ChangeView:
        """Say no, with a reason."""
        return self.fire(
            change_id, "reject", reason=reason, by=by, expected_version=expected_version
        )

    def implement(
        self, change_id: int, *, by: str, expected_version: int | None = None
    ) -> ChangeView:
        """Publish a new catalogue version and write the service file back into the catalogue."""
        return self.fire(change_id, "implement", by=by, expected_version=expected_version)

    def roll_back(
        self, change_id: int, *, reason: str, by: str, expected_version: int | None = None
    ) -> ChangeView:
        """Restore the version (and file) from before the change."""
        return self.fire(
            change_id, "roll_back", reason=reason, by=by, expected_version=expected_version
        )

    def withdraw(
        self, change_id: int, *, reason: str, by: str, expected_version: int | None = None
    ) -> ChangeView:
        """Take the proposal back."""
        return self.fire(
            change_id, "withdraw", reason=reason, by=by, expected_version=expected_version
        )

    def get(self, change_id: int) -> ChangeView:
        """One change with its checklist."""
        with self._session() as s:
            return self._view(s, self._load(s, change_id, None))

    def list(self, *, states: tuple[str, ...] | None = None) -> list[ChangeView]:
        """Changes, newest first (optionally only in ``states``)."""
        states = self._check_states(states)
        stmt = select(ChangeRow).order_by(ChangeRow.id.desc())
        if states:
            stmt = stmt.where(ChangeRow.state.in_(states))
        with self._session() as s:
            return [self._view(s, r) for r in s.scalars(stmt).all()]

    def page(
        self, *, states: Sequence[str] | None = None, offset: int = 0, limit: int = 50
    ) -> Page[ChangeView]:
        """A page of changes, newest first (only those in ``states`` if given), counted and paged
        in SQL.

        Raises:
            ValidationError: bad paging (``docs/limits.md``) or a state the process does not have.
        """
        offset, limit = paging(offset, limit)
        wanted = self._check_states(states)
        where = [] if wanted is None else [ChangeRow.state.in_(wanted)]
        with self._session() as s:
            total = s.scalar(select(func.count()).select_from(ChangeRow).where(*where)) or 0
            rows = s.scalars(
                select(ChangeRow)
                .where(*where)
                .order_by(ChangeRow.id.desc())
                .offset(offset)
                .limit(limit)
            ).all()
            return Page([self._view(s, r) for r in rows], offset, limit, total)

    def definition_diff(self, change_id: int) -> DefinitionDiff:
        """What the change does to its service: the published definition against the proposed
        (or, once implemented, the published) one, as catalogue YAML and a unified diff.

        Before implementation the change is measured against the service's current version;
        afterwards against the version it replaced (``previous_version``). An add has nothing
        before it, a retirement nothing after.

        Raises:
            NotFound: no such change.
        """
        change_id = record_id("change", change_id)
        with self._session() as s:
            row = self._load(s, change_id, None)
            before_version: int | None = row.previous_version
            if row.implemented_at is None and row.kind != "add":
                current = s.get(ServiceRow, row.service_id)
                before_version = current.current_version if current is not None else None
            after: dict[str, Any] | None = row.definition
            after_version = row.published_version
            if after_version is not None:
                published = s.get(ServiceVersionRow, (row.service_id, after_version))
                after = published.definition if published is not None else after
            before = None
            if before_version is not None:
                version_row = s.get(ServiceVersionRow, (row.service_id, before_version))
                before = version_row.definition if version_row is not None else None
            kind, service_id = row.kind, row.service_id
        old, new = _yaml(before), _yaml(None if kind == "retire" else after)
        lines = list(
            difflib.unified_diff(
                old.splitlines(),
                new.splitlines(),
                f"{service_id} v{before_version}" if before_version else "(not in the catalogue)",
                f"{service_id} v{after_version}" if after_version else f"{service_id} (proposed)",
                lineterm="",
            )
        )
        return DefinitionDiff(
            service_id=service_id,
            kind=kind,
            before_version=before_version,
            after_version=after_version if kind != "retire" else None,
            before=old,
            after=new,
            lines=lines,
        )

    def diff(self) -> CatalogueDiff:
        """Compare the published catalogue in the database with the bound folder's files.

        The full plan (staff, ``desk.yaml``, versions) is :meth:`bpsm.Desk.catalogue_plan`.
        """
        with self._session() as s:
            plan = plan_load(s, load_catalogue(self._desk.catalogue.root))
        return CatalogueDiff(
            only_in_files=plan.added, only_in_database=plan.retired, different=plan.updated
        )


def _yaml(definition: dict[str, Any] | None) -> str:
    return "" if definition is None else service_yaml(Service.model_validate(definition))
