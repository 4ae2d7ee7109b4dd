"""The facade: one :class:`Desk` per database, the way in for the TUI, the CLI and your code.

>>> from bpsm import Desk
>>> desk = Desk.open("sqlite:///desk.sqlite3")        # doctest: +SKIP
>>> call = desk.calls.register(caller="Kim", channel="phone", summary="laptop will not boot",
...                            service="laptop", by="anna")  # doctest: +SKIP

What a desk acts on is what its database publishes: the services, the staff list and the
``desk.yaml`` settings of the last seed, load or change. Opening a desk never changes them; only an
empty database is seeded from the catalogue folder. Loading a folder afterwards is an explicit,
traced act: :meth:`Desk.catalogue_plan` then :meth:`Desk.apply_catalogue`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, bindparam, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from bpsm.catalogue.loader import Catalogue, load_catalogue
from bpsm.catalogue.published import (
    Published,
    published,
    published_revision,
    published_services,
)
from bpsm.catalogue.schema import DeskConfig
from bpsm.catalogue.sync import CataloguePlan, apply_load, folder_key, plan_load, seed_catalogue
from bpsm.errors import ConcurrentModification, PermissionDenied, Problem, ValidationError
from bpsm.kpis import Kpis
from bpsm.kpis.relationship import relationship_report
from bpsm.pilots import Pilots
from bpsm.processes import FACADES
from bpsm.processes.calls.facade import Calls
from bpsm.processes.changes.facade import Changes
from bpsm.processes.effort.facade import Effort
from bpsm.processes.improvements.facade import Improvements
from bpsm.processes.maintenance.facade import Maintenance
from bpsm.processes.recommendations.facade import Recommendations
from bpsm.processes.relations.facade import Relations
from bpsm.processes.surveys.facade import Surveys
from bpsm.roles import Person, require
from bpsm.services import Services
from bpsm.settings import Settings
from bpsm.store.db import default_database_url, open_engine, safe_url
from bpsm.store.tables import AuditEventRow, PublishedCatalogueRow, StaffRow
from bpsm.store.tables.catalogue import PUBLISHED_ID
from bpsm.store.uow import UnitOfWork, translate
from bpsm.validation import clean_text, limit_of, shown, text_problem
from bpsm.views import AuditEvent

if TYPE_CHECKING:
    from bpsm.bulk import Batch

__all__ = ["Desk"]

_PERSON = select(
    StaffRow.name,
    StaffRow.roles,
    StaffRow.group,
    StaffRow.active,
    select(PublishedCatalogueRow.revision)
    .where(PublishedCatalogueRow.id == PUBLISHED_ID)
    .scalar_subquery()
    .label("revision"),
).where(StaffRow.id == bindparam("ident"))


class Desk:
    """A service desk on one database, with its published catalogue and processes.

    Attributes:
        calls: reactive management (:class:`bpsm.processes.calls.facade.Calls`).
        changes: the change process on the catalogue
            (:class:`bpsm.processes.changes.facade.Changes`).
        services: the published catalogue: search and look-up (:class:`bpsm.services.Services`).
        kpis: the KPI engine, reports by period and group, and the headline snapshot
            (:class:`bpsm.kpis.Kpis`).
        maintenance: preventative maintenance and account contacts
            (:class:`bpsm.processes.maintenance.facade.Maintenance`).
        relations: relation management, requests we do not offer yet
            (:class:`bpsm.processes.relations.facade.Relations`).
        improvements: improvements and the recurring-disruption detector
            (:class:`bpsm.processes.improvements.facade.Improvements`).
        recommendations: add-ons and leads, per-person KPIs
            (:class:`bpsm.processes.recommendations.facade.Recommendations`).
        effort: minutes staff log on any record, and the balance of the team's time
            (:class:`bpsm.processes.effort.facade.Effort`).
        surveys: surveys of closed calls and of customer departments, their run and report
            (:class:`bpsm.processes.surveys.facade.Surveys`).
        pilots: services or the catalogue piloted with a customer group, and the comparison
            of their KPIs (:class:`bpsm.pilots.Pilots`).
    """

    calls: Calls
    relations: Relations
    changes: Changes
    maintenance: Maintenance
    improvements: Improvements
    recommendations: Recommendations
    surveys: Surveys
    pilots: Pilots

    def __init__(self, engine: Engine):
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._url = safe_url(engine.url)
        self._published: Published | None = None
        self._catalogue: Catalogue | None = None
        for name, facade in FACADES.items():  # the one list of processes
            setattr(self, name, facade(self))
        self.services = Services(self)
        self.kpis = Kpis(self)
        self.effort = Effort(self)
        self.surveys = Surveys(self, relationship_report)
        self.pilots = Pilots(self, self.kpis)

    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        catalogue: Path | str | Catalogue | None = None,
        seed: bool = True,
    ) -> Desk:
        """Open (and migrate) the database at ``url``; seed it from the catalogue if it is empty.

        Opening never changes a published catalogue. ``catalogue`` names the folder an empty
        database is seeded from; on a database that publishes a catalogue already it must be the
        folder that catalogue was loaded from (a desk never silently acts on another folder's
        services or staff: load it first, ``bpsm catalogue load``).

        Args:
            url: SQLAlchemy URL; default ``BPSM_DATABASE_URL`` or the embedded SQLite file.
            catalogue: a folder, or an already loaded :class:`Catalogue`; default from settings.
            seed: seed an empty database (False: leave it empty, e.g. for a first
                ``catalogue load``).

        Raises:
            ValidationError: the catalogue has errors (nothing is loaded), the URL is bad, or
                ``catalogue`` is not the folder the database publishes.
        """
        settings = Settings()
        engine = open_engine(url or settings.database_url or default_database_url())
        desk = cls(engine)
        try:
            desk._bind(catalogue, settings, seed=seed)
        except BaseException:
            engine.dispose()
            raise
        return desk

    def _bind(self, catalogue: Path | str | Catalogue | None, settings: Settings, *, seed: bool):
        if self._reload() is None:
            if not seed:
                return
            if not isinstance(catalogue, Catalogue):
                catalogue = load_catalogue(catalogue or settings.catalogue_path)
            with suppress(ConcurrentModification):  # another process seeded it meanwhile
                seed_catalogue(self.unit, catalogue)
            if self._reload() is None:
                raise ValidationError("catalogue: the empty database could not be seeded")
            return
        if catalogue is not None:
            folder = catalogue.root if isinstance(catalogue, Catalogue) else Path(catalogue)
            bound = self._settings().root
            if folder_key(folder) != folder_key(bound):
                raise ValidationError(
                    f"catalogue: this database publishes the catalogue loaded from {bound}, "
                    f"not {folder}; compare them with `bpsm catalogue diff {folder}`, publish it "
                    f"with `bpsm catalogue load {folder} --rebind`"
                )

    def _reload(self, s: Session | None = None) -> Published | None:
        if s is None:
            with self.transaction() as session:
                return self._reload(session)
        self._published, self._catalogue = published(s), None
        return self._published

    def _settings(self) -> Published:
        found = self._published or self._reload()
        if found is None:
            raise ValidationError(
                "catalogue: this database publishes no catalogue yet; "
                "load one with `bpsm catalogue load DIR`"
            )
        return found

    @property
    def catalogue(self) -> Catalogue:
        """The published catalogue: the bound folder, ``desk.yaml`` and the active services.

        Raises:
            ValidationError: the database publishes no catalogue yet.
        """
        settings = self._settings()
        if self._catalogue is None:
            with self.transaction() as s:
                self._catalogue = settings.with_services(published_services(s))
        return self._catalogue

    @property
    def config(self) -> DeskConfig:
        """``desk.yaml`` as published: hours, channels, groups, staff, checklist and thresholds."""
        return self._settings().desk

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

    def bulk(self, *, by: str, chunk: int = 5_000) -> AbstractContextManager[Batch]:
        """A batch of many registrations and transitions in one transaction, by the one-action
        rules, written in bulk (:mod:`bpsm.bulk`, ``docs/bulk.md``)::

            with desk.bulk(by="anna") as batch:
                n = batch.register(caller="Kim", channel="phone", summary="...", at=when)

        ``chunk``: actions held in memory between two writes of the batch's rows.
        """
        from bpsm.bulk import bulk  # imported when used: opening a desk stays cheap

        return bulk(self, by=by, chunk=chunk)

    def working_catalogue(self, catalogue: Path | str | Catalogue | None = None) -> Catalogue:
        """The catalogue folder as loaded from disk (default: the bound folder, else configured).

        Raises:
            ValidationError: the folder has errors.
        """
        if isinstance(catalogue, Catalogue):
            return catalogue
        if catalogue is None:
            found = self._published or self._reload()
            catalogue = found.root if found else Settings().catalogue_path
        return load_catalogue(catalogue)

    def catalogue_plan(
        self, catalogue: Path | str | Catalogue | None = None, *, rebind: bool = False
    ) -> CataloguePlan:
        """What loading ``catalogue`` would change: per service, staff and ``desk.yaml``.

        Changes nothing; open to everyone. ``catalogue`` defaults to the folder the database was
        loaded from (or, for an empty database, the configured one).

        Raises:
            ValidationError: the folder has errors.
        """
        working = self.working_catalogue(catalogue)
        with self.transaction() as s:
            return plan_load(s, working, rebind=rebind)

    def authorize_catalogue_load(self, by: str, catalogue: Path | str | Catalogue) -> Person:
        """The person ``by`` if they may load ``catalogue`` (change manager or admin).

        On a database without a catalogue yet the staff list is the one being loaded.

        Raises:
            PermissionDenied: not on the staff list, or without the role.
        """
        working = self.working_catalogue(catalogue)
        with self.transaction() as s:
            return self._loader(s, by, working)

    def _loader(self, s: Session, by: str, working: Catalogue) -> Person:
        if published_revision(s):
            person = self._staff_member(s, by)
        else:
            member = next((p for p in working.desk.staff if p.id == by), None)
            if member is None:
                raise PermissionDenied(
                    str(by),
                    "load the catalogue",
                    f"not on the staff list of {working.root} (the database has no staff yet)",
                )
            person = Person(member.id, member.name, frozenset(member.roles), member.group)
        require(person, "catalogue.load")
        return person

    def apply_catalogue(
        self,
        catalogue: Path | str | Catalogue | None = None,
        *,
        by: str,
        rebind: bool = False,
        expected: CataloguePlan | None = None,
    ) -> CataloguePlan:
        """Publish a catalogue folder: one traced act (a ``catalogue`` audit event).

        Args:
            catalogue: the folder (default: the one the database was loaded from).
            by: a change manager or admin (on an empty database: on the folder's staff list).
            rebind: make a folder other than the bound one the desk's catalogue, retiring the
                services and staff it lacks (without it such a load is refused).
            expected: the plan shown to the person; applying fails if the database moved on.

        Returns:
            The plan as applied.

        Raises:
            PermissionDenied: ``by`` may not load the catalogue.
            ValidationError: the folder has errors, or a foreign folder would retire without
                ``rebind``.
            ConcurrentModification: the published catalogue changed after ``expected``.
        """
        working = self.working_catalogue(catalogue)
        with self.transaction() as s:
            person = self._loader(s, by, working)
            applied = apply_load(s, working, by=person.id, rebind=rebind, expected=expected)
        self._reload()
        return applied

    def sync_catalogue(
        self, by: str, catalogue: Catalogue | None = None, *, rebind: bool = False
    ) -> CataloguePlan:
        """Plan and apply in one call (:meth:`apply_catalogue` without an expected plan)."""
        return self.apply_catalogue(catalogue, by=by, rebind=rebind)

    def catalogue_history(self) -> list[AuditEvent]:
        """Every publication of the catalogue (seed and loads), oldest first."""
        return self.history("catalogue", "published")

    def person(self, ident: str) -> Person:
        """The active staff member ``ident``, or :class:`PermissionDenied` if there is none.

        Read from the database every time, so a person deactivated by a load is refused at once
        on desks opened before; a republished catalogue is re-read here too.
        """
        try:
            with self.engine.connect() as conn:  # one round trip: the person and the revision
                found = (
                    conn.execute(_PERSON, {"ident": ident}).first()
                    if isinstance(ident, str) and ident and text_problem(ident, 64) is None
                    else None
                )
        except DBAPIError as exc:
            raise translate(exc, self._url) or exc from None
        if found is not None and (
            self._published is None or self._published.revision != found.revision
        ):
            self._reload()
        if found is None or not found.active:
            raise PermissionDenied(str(ident), "act on this desk", "not on the desk's staff list")
        return Person(str(ident), found.name, frozenset(found.roles), found.group)

    @staticmethod
    def _staff_member(s: Session, ident: str) -> Person:
        row = s.get(StaffRow, ident) if isinstance(ident, str) and ident else None
        if row is None or not row.active:
            raise PermissionDenied(str(ident), "act on this desk", "not on the desk's staff list")
        return Person(row.id, row.name, frozenset(row.roles), row.group)

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
