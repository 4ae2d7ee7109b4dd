"""Publishing a catalogue folder into the database: a plan first, then one traced act.

:func:`plan_load` compares a validated :class:`Catalogue` with what the database publishes, per
service (added / new version n→n+1 / retired / unchanged), per person on the staff list, and for
``desk.yaml``; it changes nothing. :func:`apply_load` carries out exactly that plan in the
caller's transaction and writes one audit event (record type ``catalogue``) naming who, the
folder and the version each service got. :func:`seed_catalogue` does the same for an empty
database, safely when many processes start at once.

A service whose definition is unchanged keeps its version; a changed one gets version n+1 (the
old version stays, so calls keep the version they were handled under); a retired one is marked
inactive. Every version keeps the text of the file it came from, so a rollback can restore the
file byte for byte.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

import yaml
from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from bpsm import clock
from bpsm.catalogue.loader import Catalogue, validate_service
from bpsm.catalogue.schema import Service
from bpsm.errors import ConcurrentModification, ValidationError
from bpsm.store.tables import AuditEventRow, ServiceRow, ServiceVersionRow, StaffRow
from bpsm.store.tables.catalogue import PUBLISHED_ID, PublishedCatalogueRow
from bpsm.store.uow import UnitOfWork

__all__ = [
    "SEEDER",
    "CataloguePlan",
    "ServicePlan",
    "StaffPlan",
    "apply_load",
    "content_hash",
    "file_text",
    "folder_key",
    "plan_load",
    "publish_service",
    "refuse_foreign_retirement",
    "seed_catalogue",
]

SEEDER = "bpsm"
"""The actor of the first-start seed of an empty database (no person is known yet)."""


def content_hash(service: Service) -> str:
    """A stable hash of a service definition (canonical JSON)."""
    payload = json.dumps(service.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def _config_hash(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def folder_key(folder: Path | str) -> str:
    """The folder as the database records it: absolute, symlinks resolved."""
    return str(Path(folder).expanduser().resolve())


def file_text(path: Path | None, service: Service) -> str | None:
    """The text of ``path`` if it holds exactly ``service`` (else None: it changed on disk)."""
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
        same = isinstance(data, dict) and content_hash(validate_service(data)) == content_hash(
            service
        )
    except (OSError, yaml.YAMLError, ValidationError, UnicodeDecodeError):
        return None
    return text if same else None


@dataclass(frozen=True)
class ServicePlan:
    """What a load does to one service: ``action`` from ``from_version`` to ``to_version``."""

    id: str
    action: Literal["add", "update", "retire", "unchanged"]
    from_version: int | None
    to_version: int | None

    def __str__(self) -> str:
        if self.action == "add":
            again = " again" if self.to_version != 1 else ""
            return f"+ {self.id}: added{again} as version {self.to_version}"
        if self.action == "update":
            return f"~ {self.id}: new version {self.from_version} → {self.to_version}"
        if self.action == "retire":
            return f"- {self.id}: retired (version {self.from_version} stays in the history)"
        return f"= {self.id}: unchanged at version {self.from_version}"


@dataclass(frozen=True)
class StaffPlan:
    """What a load does to the staff list, by staff id."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    deactivated: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.deactivated)


@dataclass(frozen=True)
class CataloguePlan:
    """What loading ``folder`` would change (or, once applied, changed) in the database.

    Attributes:
        folder: the folder being loaded (absolute).
        bound_folder: the folder the database was loaded from so far (None: never loaded).
        revision: the published revision the plan was made against (0: never loaded).
        services: one entry per service in the files or published, sorted by id.
        staff: people added, changed or deactivated.
        desk_changed: whether ``desk.yaml``'s settings (hours, checklist, ...) differ.
        rebind: applying makes ``folder`` the desk's catalogue folder.
    """

    folder: str
    bound_folder: str | None
    revision: int
    services: tuple[ServicePlan, ...]
    staff: StaffPlan = field(default_factory=StaffPlan)
    desk_changed: bool = False
    rebind: bool = False

    def _ids(self, action: str) -> list[str]:
        return [p.id for p in self.services if p.action == action]

    @property
    def added(self) -> list[str]:
        """Services the load adds (or re-adds after a retirement)."""
        return self._ids("add")

    @property
    def updated(self) -> list[str]:
        """Services that get a new version."""
        return self._ids("update")

    @property
    def retired(self) -> list[str]:
        """Services the load retires (not in the folder)."""
        return self._ids("retire")

    @property
    def unchanged(self) -> list[str]:
        """Services whose published version already equals the file."""
        return self._ids("unchanged")

    @property
    def foreign(self) -> bool:
        """The folder is not the one the database was loaded from."""
        return self.bound_folder is not None and self.folder != self.bound_folder

    @property
    def empty(self) -> bool:
        """Nothing to apply: the database already publishes exactly this folder."""
        changes = self.added or self.updated or self.retired or self.staff or self.desk_changed
        return not changes and not (self.rebind and self.foreign)

    def lines(self) -> list[str]:
        """The plan as a person reads it: one line per change, then the summary."""
        out = [str(p) for p in self.services if p.action != "unchanged"]
        for label, ids in (
            ("added to", self.staff.added),
            ("changed on", self.staff.changed),
            ("deactivated from", self.staff.deactivated),
        ):
            out += [f"staff: {ident} {label} the staff list" for ident in ids]
        if self.desk_changed:
            out.append("desk.yaml: settings changed (hours, channels, checklist or thresholds)")
        if self.rebind and self.foreign:
            out.append(f"binding: the desk's catalogue folder becomes {self.folder}")
        return [*out, f"plan: {self}"]

    def __str__(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.updated)} new versions, "
            f"{len(self.retired)} retired, {len(self.unchanged)} unchanged"
        )


def plan_load(s: Session, catalogue: Catalogue, *, rebind: bool = False) -> CataloguePlan:
    """Compare ``catalogue`` with what the database publishes; changes nothing."""
    published = s.get(PublishedCatalogueRow, PUBLISHED_ID)
    rows = s.execute(
        select(
            ServiceRow.id, ServiceRow.current_version, ServiceRow.active, ServiceVersionRow
        ).join(
            ServiceVersionRow,
            (ServiceVersionRow.service_id == ServiceRow.id)
            & (ServiceVersionRow.version == ServiceRow.current_version),
        )
    ).all()
    current = {sid: (version, active, row.content_hash) for sid, version, active, row in rows}
    plans = []
    for sid in sorted(set(catalogue.services) | set(current)):
        version, active, digest = current.get(sid, (None, False, None))
        if sid not in catalogue.services:
            if active:
                plans.append(ServicePlan(sid, "retire", version, None))
            continue
        if not active:
            plans.append(ServicePlan(sid, "add", None, (version or 0) + 1))
        elif digest == content_hash(catalogue.services[sid]):
            plans.append(ServicePlan(sid, "unchanged", version, version))
        else:
            plans.append(ServicePlan(sid, "update", version, (version or 0) + 1))
    desk = catalogue.desk.model_dump(mode="json")
    return CataloguePlan(
        folder=folder_key(catalogue.root),
        bound_folder=published.folder if published else None,
        revision=published.revision if published else 0,
        services=tuple(plans),
        staff=_staff_plan(s, catalogue),
        desk_changed=published is None or _config_hash(published.desk_config) != _config_hash(desk),
        rebind=rebind or published is None,
    )


def _staff_plan(s: Session, catalogue: Catalogue) -> StaffPlan:
    rows = {r.id: r for r in s.scalars(select(StaffRow)).all()}
    added, changed = [], []
    for person in catalogue.desk.staff:
        row = rows.get(person.id)
        if row is None:
            added.append(person.id)
        elif (row.name, sorted(row.roles), row.group, row.active) != (
            person.name,
            sorted(person.roles),
            person.group,
            True,
        ):
            changed.append(person.id)
    listed = {p.id for p in catalogue.desk.staff}
    gone = sorted(i for i, r in rows.items() if r.active and i not in listed)
    return StaffPlan(tuple(sorted(added)), tuple(sorted(changed)), tuple(gone))


def refuse_foreign_retirement(plan: CataloguePlan) -> None:
    """Refuse a plan that retires or deactivates from a folder the desk is not bound to.

    Raises:
        ValidationError: naming the folders and what would go, and how to say it is meant.
    """
    if not plan.foreign or plan.rebind:
        return
    gone = [*plan.retired, *(f"staff {i}" for i in plan.staff.deactivated)]
    if gone:
        raise ValidationError(
            f"catalogue load: {plan.folder} is not the folder this desk was loaded from "
            f"({plan.bound_folder}); it would retire {', '.join(gone)}: pass --rebind "
            "(rebind=True) to make it the desk's catalogue folder"
        )


def publish_service(
    s: Session,
    service: Service,
    source: str,
    *,
    text: str | None = None,
    restores: int | None = None,
) -> tuple[str, int]:
    """Publish ``service`` as its next version if it differs from the current one.

    Args:
        text: the catalogue file's text for this version (kept for a byte-exact rollback).
        restores: the earlier version this one restores (a rollback).

    Returns:
        ``(outcome, version)`` with outcome ``"added"``, ``"updated"`` or ``"unchanged"``.
    """
    digest = content_hash(service)
    now = clock.now()
    row = s.get(ServiceRow, service.id)
    if row is not None:
        current = s.get(ServiceVersionRow, (service.id, row.current_version))
        if current is not None and current.content_hash == digest and row.active:
            return "unchanged", row.current_version
    version = 1 if row is None else row.current_version + 1
    if row is None:
        row = ServiceRow(id=service.id, current_version=version)
        s.add(row)
        outcome = "added"
    else:
        outcome = "updated"
    row.name, row.department, row.group = service.name, service.department, service.group
    row.current_version, row.active, row.search_text, row.updated_at = (
        version,
        True,
        service.search_text(),
        now,
    )
    s.flush()
    s.add(
        ServiceVersionRow(
            service_id=service.id,
            version=version,
            content_hash=digest,
            definition=service.model_dump(mode="json"),
            published_at=now,
            source=source,
            file_text=text,
            restores_version=restores,
        )
    )
    return outcome, version


def _relative(catalogue: Catalogue, sid: str) -> str:
    path = catalogue.files.get(sid, Path("services") / f"{sid}.yaml")
    try:
        return path.resolve().relative_to(Path(catalogue.root).resolve()).as_posix()
    except ValueError:
        return (Path("services") / path.name).as_posix()


def _sync_staff(s: Session, catalogue: Catalogue) -> None:
    for person in catalogue.desk.staff:
        row = s.get(StaffRow, person.id)
        if row is None:
            row = StaffRow(id=person.id)
            s.add(row)
        row.name, row.roles, row.group, row.active = (
            person.name,
            sorted(person.roles),
            person.group,
            True,
        )
    listed = {p.id for p in catalogue.desk.staff}
    for row in s.scalars(select(StaffRow).where(StaffRow.active.is_(True))):
        if row.id not in listed:
            row.active = False


def apply_load(
    s: Session,
    catalogue: Catalogue,
    *,
    by: str,
    rebind: bool = False,
    expected: CataloguePlan | None = None,
    trigger: str = "load",
) -> CataloguePlan:
    """Publish ``catalogue`` as planned, with one ``catalogue`` audit event, in ``s``'s transaction.

    Args:
        by: who applies it (checked by the caller).
        rebind: the folder becomes the desk's catalogue folder even if it is another one.
        expected: the plan the person saw; if the database moved on since, nothing is applied.

    Raises:
        ConcurrentModification: the published catalogue changed after ``expected`` was made.
        ValidationError: a foreign folder would retire services or staff without ``rebind``.
    """
    plan = plan_load(s, catalogue, rebind=rebind)
    if expected is not None and (plan.revision, plan.services, plan.staff) != (
        expected.revision,
        expected.services,
        expected.staff,
    ):
        raise ConcurrentModification("the published catalogue (it changed after the plan)")
    refuse_foreign_retirement(plan)
    _sync_staff(s, catalogue)
    now, versions = clock.now(), {}
    for p in plan.services:
        if p.action in ("add", "update"):
            service = catalogue.services[p.id]
            text = file_text(catalogue.files.get(p.id), service)
            source = f"file:{_relative(catalogue, p.id)}"
            _, versions[p.id] = publish_service(s, service, source, text=text)
        elif p.action == "retire":
            row = s.get(ServiceRow, p.id)
            assert row is not None
            row.active, row.updated_at = False, now
    published = s.get(PublishedCatalogueRow, PUBLISHED_ID)
    if published is None:
        published = PublishedCatalogueRow(id=PUBLISHED_ID, revision=0)
        s.add(published)
    merge = plan.foreign and not plan.rebind  # another folder adds or updates; binding stays
    files = dict(published.files or {}) if merge else {}
    files.update({sid: _relative(catalogue, sid) for sid in catalogue.services})
    if not merge:
        published.folder = plan.folder
    published.desk_config = catalogue.desk.model_dump(mode="json")
    published.files, published.revision = files, published.revision + 1
    published.published_at, published.published_by = now, by
    s.add(
        AuditEventRow(
            at=now,
            actor=by,
            record_type="catalogue",
            record_id="published",
            trigger=trigger,
            from_state=str(plan.revision),
            to_state=str(published.revision),
            reason=f"{trigger} from {plan.folder}: {plan}",
            data={
                "folder": plan.folder,
                "rebind": plan.rebind and plan.foreign,
                "services": {
                    p.id: {"action": p.action, "from": p.from_version, "to": p.to_version}
                    for p in plan.services
                    if p.action != "unchanged"
                },
                "versions": versions,
                "staff": {
                    "added": list(plan.staff.added),
                    "changed": list(plan.staff.changed),
                    "deactivated": list(plan.staff.deactivated),
                },
                "desk_changed": plan.desk_changed,
            },
        )
    )
    return plan


def seed_catalogue(unit: Callable[[], UnitOfWork], catalogue: Catalogue) -> bool:
    """Seed an EMPTY database from ``catalogue``; does nothing if it was published already.

    Safe when many processes open one unseeded database at once: the first statement of the
    transaction claims the ``published_catalogue`` row (``INSERT ... ON CONFLICT DO NOTHING``),
    which waits for a concurrent claimer to commit or roll back. Exactly one process publishes;
    the others find the claim taken and go on with what it published.

    Returns:
        True when this call seeded the database.
    """
    with unit() as uow:
        s = uow.session
        if s.get(PublishedCatalogueRow, PUBLISHED_ID) is not None:
            return False
    with unit() as uow:
        s = uow.session
        claim = _insert_ignoring_conflict(s).values(
            id=PUBLISHED_ID,
            folder=folder_key(catalogue.root),
            desk_config={},
            files={},
            revision=0,
            published_at=clock.now(),
            published_by=SEEDER,
        )
        if s.execute(claim.returning(PublishedCatalogueRow.__table__.c.id)).first() is None:
            return False  # claimed and published by another process
        apply_load(s, catalogue, by=SEEDER, trigger="seed")
        return True


def _insert_ignoring_conflict(s: Session) -> Any:
    table, dialect = cast(Table, PublishedCatalogueRow.__table__), s.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing(index_elements=["id"])
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table).on_conflict_do_nothing(index_elements=["id"])
    return insert(table)  # elsewhere a clash is a ConcurrentModification
