"""``desk.changes``: the change process through the Python API, and catalogue diffs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from bpsm.catalogue.loader import load_catalogue
from bpsm.catalogue.schema import Service
from bpsm.catalogue.sync import content_hash
from bpsm.processes.changes import steps as change
from bpsm.processes.facade import ProcessFacade
from bpsm.roles import Person
from bpsm.store.tables.change import ChangeRow
from bpsm.store.tables.core import ServiceRow, ServiceVersionRow

if TYPE_CHECKING:
    pass

__all__ = ["CatalogueDiff", "ChangeView", "ChecklistStatus", "Changes"]


class ChecklistStatus(BaseModel):
    """One checklist item of a change and its latest mark."""

    model_config = ConfigDict(frozen=True)
    id: str
    text: str
    met: bool
    by: str | None
    at: datetime | None
    evidence: str | None


class ChangeView(BaseModel):
    """A change proposal as it stands, with its checklist."""

    model_config = ConfigDict(frozen=True, from_attributes=True)
    id: int
    state: str
    kind: str
    service_id: str
    definition: dict[str, Any] | None
    impact: str
    summary: str
    rollback_plan: str | None
    origin_type: str | None
    origin_id: str | None
    proposed_by: str
    proposed_at: datetime
    decided_by: str | None
    decision_reason: str | None
    implemented_at: datetime | None
    previous_version: int | None
    published_version: int | None
    version: int
    checklist: list[ChecklistStatus] = []

    audit_type: ClassVar[str] = "change"

    @property
    def unmet(self) -> list[str]:
        """Ids of checklist items not met yet."""
        return [i.id for i in self.checklist if not i.met]


class CatalogueDiff(BaseModel):
    """Where the database's published catalogue and the catalogue files disagree."""

    model_config = ConfigDict(frozen=True)
    only_in_files: list[str]
    only_in_database: list[str]
    different: list[str]

    @property
    def clean(self) -> bool:
        return not (self.only_in_files or self.only_in_database or self.different)


class Changes(ProcessFacade[ChangeRow, ChangeView]):
    """The change process on one desk."""

    process = change.CHANGE

    def _load(self, s: Session, ident: int, expected_version: int | None) -> ChangeRow:
        return change.load(s, ident, expected_version)

    def _view(self, s: Session, row: ChangeRow) -> ChangeView:
        s.flush()
        items = [ChecklistStatus(**i) for i in change.checklist_status(s, row, self._desk.config)]
        return ChangeView.model_validate({**{k: getattr(row, k) for k in ChangeView.model_fields
                                             if k != "checklist"}, "checklist": items})

    def _act(self, change_id: int, by: str, expected_version: int | None,
             action: Callable[[Session, Person, ChangeRow], object]) -> ChangeView:
        """As the base, plus: a catalogue file write is applied only once the database committed."""
        person = self._desk.person(by)
        file_op = None
        with self._session() as s:
            row = self._load(s, change_id, expected_version)
            result = action(s, person, row)
            if isinstance(result, change.FileOp):
                file_op = result
            view = self._view(s, row)
        if file_op is not None:  # only once the database has committed
            file_op.apply()
            self._desk.catalogue.files[view.service_id] = file_op.path
        return view

    def propose(self, *, kind: str, summary: str, by: str, impact: str = "medium", service_id: str | None = None,
                definition: dict[str, Any] | Service | None = None, rollback_plan: str | None = None,
                origin: tuple[str, object] | None = None) -> ChangeView:
        """Propose adding, modifying or retiring a service (state ``draft``)."""
        person = self._desk.person(by)
        with self._session() as s:
            row = change.propose(s, person, kind=kind, summary=summary, impact=impact, service_id=service_id,
                                 definition=definition, rollback_plan=rollback_plan, origin=origin)
            return self._view(s, row)

    def submit(self, change_id: int, *, by: str, expected_version: int | None = None) -> ChangeView:
        """Put the proposal before the change manager."""
        return self._act(change_id, by, expected_version, change.submit)

    def amend(self, change_id: int, *, by: str, rollback_plan: str | None = None, impact: str | None = None,
              summary: str | None = None, definition: dict[str, Any] | Service | None = None,
              expected_version: int | None = None) -> ChangeView:
        """Record the rollback plan, or correct impact, summary or proposed definition, before the decision."""
        return self._act(change_id, by, expected_version,
                         lambda s, p, r: change.amend(s, p, r, rollback_plan=rollback_plan, impact=impact,
                                                      summary=summary, definition=definition))

    def check_item(self, change_id: int, item: str, *, evidence: str, by: str, met: bool = True,
                   expected_version: int | None = None) -> ChangeView:
        """Mark a checklist item met (``met=False`` withdraws the mark), with evidence."""
        return self._act(change_id, by, expected_version,
                         lambda s, p, r: change.check_item(s, p, r, self._desk.config, item, evidence, met))

    def approve(self, change_id: int, *, by: str, note: str | None = None,
                expected_version: int | None = None) -> ChangeView:
        """Change managers only; refused with every unmet item while the checklist is not met."""
        return self._act(change_id, by, expected_version,
                         lambda s, p, r: change.approve(s, p, r, self._desk.config, note))

    def reject(self, change_id: int, *, reason: str, by: str, expected_version: int | None = None) -> ChangeView:
        """Say no, with a reason."""
        return self._act(change_id, by, expected_version, lambda s, p, r: change.reject(s, p, r, reason))

    def implement(self, change_id: int, *, by: str, expected_version: int | None = None) -> ChangeView:
        """Publish a new catalogue version and write the service file back into the catalogue folder."""
        cat = self._desk.catalogue
        return self._act(change_id, by, expected_version,
                         lambda s, p, r: change.implement(s, p, r, cat.root, cat.files))

    def roll_back(self, change_id: int, *, reason: str, by: str, expected_version: int | None = None) -> ChangeView:
        """Restore the version (and file) from before the change."""
        cat = self._desk.catalogue
        return self._act(change_id, by, expected_version,
                         lambda s, p, r: change.roll_back(s, p, r, reason, cat.root, cat.files))

    def withdraw(self, change_id: int, *, reason: str, by: str, expected_version: int | None = None) -> ChangeView:
        """Take the proposal back."""
        return self._act(change_id, by, expected_version, lambda s, p, r: change.withdraw(s, p, r, reason))

    def get(self, change_id: int) -> ChangeView:
        """One change with its checklist."""
        with self._session() as s:
            return self._view(s, self._load(s, change_id, None))

    def list(self, *, states: tuple[str, ...] | None = None) -> list[ChangeView]:
        """Changes, newest first (optionally only in ``states``)."""
        stmt = select(ChangeRow).order_by(ChangeRow.id.desc())
        if states:
            stmt = stmt.where(ChangeRow.state.in_(states))
        with self._session() as s:
            return [self._view(s, r) for r in s.scalars(stmt).all()]

    def diff(self) -> CatalogueDiff:
        """Compare the published catalogue in the database with the files in the catalogue folder."""
        files = load_catalogue(self._desk.catalogue.root).services
        with self._session() as s:
            rows = s.execute(select(ServiceRow.id, ServiceVersionRow.content_hash)
                             .join(ServiceVersionRow, (ServiceVersionRow.service_id == ServiceRow.id)
                                   & (ServiceVersionRow.version == ServiceRow.current_version))
                             .where(ServiceRow.active.is_(True))).all()
        in_db = dict(rows)
        return CatalogueDiff(
            only_in_files=sorted(set(files) - set(in_db)),
            only_in_database=sorted(set(in_db) - set(files)),
            different=sorted(sid for sid in set(files) & set(in_db) if content_hash(files[sid]) != in_db[sid]),
        )
