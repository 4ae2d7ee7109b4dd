"""The facade: one :class:`Desk` per database, the way in for the TUI, the CLI and your code.

>>> from bpsm import Desk
>>> desk = Desk.open("sqlite:///:memory:")            # doctest: +SKIP
>>> call = desk.calls.register(caller="Kim", channel="phone", summary="laptop will not boot",
...                            service="laptop", by="anna")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bpsm.catalogue.loader import Catalogue, load_catalogue
from bpsm.catalogue.schema import DeskConfig
from bpsm.catalogue.sync import SyncReport, sync_catalogue
from bpsm.errors import PermissionDenied, Problem, ValidationError
from bpsm.kpi import Kpis
from bpsm.processes import FACADES
from bpsm.processes.calls.facade import Calls
from bpsm.processes.changes.facade import Changes
from bpsm.processes.improvements.facade import Improvements
from bpsm.processes.maintenance.facade import Maintenance
from bpsm.processes.recommendations.facade import Recommendations
from bpsm.processes.relations.facade import Relations
from bpsm.roles import Person, require
from bpsm.services import Services
from bpsm.settings import Settings
from bpsm.store.db import default_database_url, open_engine
from bpsm.store.tables import AuditEventRow, StaffRow
from bpsm.store.uow import UnitOfWork
from bpsm.validation import clean_text, limit_of, shown
from bpsm.views import AuditEvent

__all__ = ["Desk"]


class Desk:
    """A service desk on one database, with its catalogue and processes.

    Attributes:
        calls: reactive management (:class:`bpsm.processes.calls.facade.Calls`).
        changes: the change process on the catalogue
            (:class:`bpsm.processes.changes.facade.Changes`).
        services: the published catalogue: search and look-up (:class:`bpsm.services.Services`).
        kpis: first time right, effort, satisfaction, volumes (:class:`bpsm.kpi.Kpis`).
        maintenance: preventative maintenance and account contacts
            (:class:`bpsm.processes.maintenance.facade.Maintenance`).
        relations: relation management, requests we do not offer yet
            (:class:`bpsm.processes.relations.facade.Relations`).
        improvements: improvements and the recurring-disruption detector
            (:class:`bpsm.processes.improvements.facade.Improvements`).
        recommendations: add-ons and leads, per-person KPIs
            (:class:`bpsm.processes.recommendations.facade.Recommendations`).
        catalogue: the catalogue files this desk was opened with.
    """

    calls: Calls
    relations: Relations
    changes: Changes
    maintenance: Maintenance
    improvements: Improvements
    recommendations: Recommendations

    def __init__(self, engine: Engine, catalogue: Catalogue):
        self.engine = engine
        self.catalogue = catalogue
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._url = engine.url.render_as_string(hide_password=True)
        self._staff: dict[str, Person] | None = None
        for name, facade in FACADES.items():  # the one list of processes
            setattr(self, name, facade(self))
        self.services = Services(self)
        self.kpis = Kpis(self)

    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        catalogue: Path | str | Catalogue | None = None,
        sync: bool = True,
    ) -> Desk:
        """Open (and migrate) the database at ``url`` and load the catalogue into it.

        Args:
            url: SQLAlchemy URL; default ``BPSM_DATABASE_URL`` or the embedded SQLite file.
            catalogue: a folder, or an already loaded :class:`Catalogue`; default from settings.
            sync: load the catalogue's services and staff into the database (idempotent).

        Raises:
            ValidationError: the catalogue has errors (nothing is loaded) or the URL is bad.
        """
        settings = Settings()
        if not isinstance(catalogue, Catalogue):
            catalogue = load_catalogue(catalogue or settings.catalogue_path)
        engine = open_engine(url or settings.database_url or default_database_url())
        desk = cls(engine, catalogue)
        if sync:
            with desk.transaction() as s:
                sync_catalogue(s, catalogue)
        return desk

    @property
    def config(self) -> DeskConfig:
        """``desk.yaml``: hours, channels, groups, staff, checklist and thresholds."""
        return self.catalogue.desk

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> Desk:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def unit(self) -> UnitOfWork:
        """A new unit of work on this desk's database (:class:`bpsm.store.uow.UnitOfWork`)."""
        return UnitOfWork(self._sessions, self._url)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A unit of work's session: commits when the block ends normally, rolls back on any error.

        Raises:
            ConcurrentModification: a row changed under us (optimistic versioning).
        """
        with self.unit() as uow:
            yield uow.session

    def sync_catalogue(self, by: str, catalogue: Catalogue | None = None) -> SyncReport:
        """Reload the catalogue (from its folder unless given) into the database."""
        person = self.person(by)
        require(person, "catalogue.sync")
        catalogue = catalogue or load_catalogue(self.catalogue.root)
        with self.transaction() as s:
            report = sync_catalogue(s, catalogue)
        self.catalogue, self._staff = catalogue, None
        return report

    def person(self, ident: str) -> Person:
        """The active staff member ``ident``, or :class:`PermissionDenied` if there is none."""
        if self._staff is None:
            with self.transaction() as s:
                rows = s.scalars(select(StaffRow).where(StaffRow.active.is_(True))).all()
                self._staff = {
                    r.id: Person(r.id, r.name, frozenset(r.roles), r.group) for r in rows
                }
        found = self._staff.get(ident) if isinstance(ident, str) else None
        if found is None:
            raise PermissionDenied(str(ident), "act on this desk", "not on the desk's staff list")
        return found

    def history(self, record: object, record_id: object | None = None) -> list[AuditEvent]:
        """The full audit trail of a record, oldest first.

        Pass a view (``desk.history(call)``) or a type name and id (``desk.history("call", 7)``).
        """
        if record_id is None:
            kind = getattr(record, "audit_type", None)
            if kind is None:
                raise ValidationError(
                    Problem(
                        f"cannot tell the record type of {shown(record)}; pass (type, id)",
                        field="record",
                    )
                )
            record, record_id = kind, record.id  # type: ignore[attr-defined]
        record = clean_text("record", record, limit=limit_of(AuditEventRow.record_type))
        record_id = clean_text("record_id", str(record_id), limit=limit_of(AuditEventRow.record_id))
        with self.transaction() as s:
            rows = s.scalars(
                select(AuditEventRow)
                .where(
                    AuditEventRow.record_type == str(record),
                    AuditEventRow.record_id == str(record_id),
                )
                .order_by(AuditEventRow.id)
            ).all()
            return [AuditEvent.model_validate(r) for r in rows]
