"""Load a validated catalogue into the database: idempotent and versioned.

A service whose definition is unchanged keeps its version; a changed one gets version n+1 (the
old version stays, so calls keep the version they were handled under); a service no longer in
the files is marked inactive. Staff are synced from ``desk.yaml`` the same way.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from bpsm import clock
from bpsm.catalogue.loader import Catalogue
from bpsm.catalogue.schema import Service
from bpsm.store.tables import ServiceRow, ServiceVersionRow, StaffRow

__all__ = ["SyncReport", "content_hash", "publish_service", "sync_catalogue"]


@dataclass
class SyncReport:
    """What a sync did, by service id."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.updated)} new versions, "
            f"{len(self.unchanged)} unchanged, {len(self.retired)} retired"
        )


def content_hash(service: Service) -> str:
    """A stable hash of a service definition (canonical JSON)."""
    payload = json.dumps(service.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def publish_service(s: Session, service: Service, source: str) -> tuple[str, int]:
    """Publish ``service`` as its next version if it differs from the current one.

    Returns ``(outcome, version)`` with outcome ``"added"``, ``"updated"`` or ``"unchanged"``.
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
        )
    )
    return outcome, version


def sync_catalogue(s: Session, catalogue: Catalogue, *, retire_missing: bool = True) -> SyncReport:
    """Make the database's services and staff match ``catalogue`` (in the caller's transaction)."""
    report = SyncReport()
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
    for sid, service in sorted(catalogue.services.items()):
        source = str(catalogue.files.get(sid, catalogue.root / "services" / f"{sid}.yaml").name)
        outcome, _ = publish_service(s, service, f"file:{source}")
        getattr(report, outcome).append(sid)
    if retire_missing:
        for svc_row in s.scalars(select(ServiceRow).where(ServiceRow.active.is_(True))):
            if svc_row.id not in catalogue.services:
                svc_row.active, svc_row.updated_at = False, clock.now()
                report.retired.append(svc_row.id)
    return report
