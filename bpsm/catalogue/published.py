"""The catalogue the database publishes, read back: its settings first, its services on demand.

What a desk acts on — its services, staff list and ``desk.yaml`` settings — is what the database
holds, never the folder it happens to be opened with. The folder is the working copy: it reaches
the database only through a traced act (``bpsm catalogue load`` or a change).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bpsm.catalogue.loader import Catalogue
from bpsm.catalogue.policies import STORED
from bpsm.catalogue.schema import DeskConfig, Service
from bpsm.store.tables import ServiceRow, ServiceVersionRow
from bpsm.store.tables.catalogue import PUBLISHED_ID, PublishedCatalogueRow

__all__ = ["Published", "published", "published_revision", "published_services"]


@dataclass(frozen=True)
class Published:
    """The published catalogue's settings: revision, bound folder, ``desk.yaml``, files by id."""

    revision: int
    root: Path
    desk: DeskConfig
    files: dict[str, Path]

    def with_services(self, services: dict[str, Service]) -> Catalogue:
        """The whole published catalogue, given its services."""
        return Catalogue(root=self.root, desk=self.desk, services=services, files=self.files)


def published_revision(s: Session) -> int:
    """The published catalogue's revision (0: the database was never seeded or loaded)."""
    row = s.get(PublishedCatalogueRow, PUBLISHED_ID)
    return row.revision if row is not None else 0


def published(s: Session) -> Published | None:
    """The published settings, or None when the database holds no catalogue yet."""
    row = s.get(PublishedCatalogueRow, PUBLISHED_ID)
    if row is None or row.revision == 0:
        return None
    root = Path(row.folder)
    return Published(
        revision=row.revision,
        root=root,
        desk=DeskConfig.model_validate(row.desk_config, context=STORED),
        files={sid: root / rel for sid, rel in sorted(row.files.items())},
    )


def published_services(s: Session) -> dict[str, Service]:
    """The active services at their current versions, by id."""
    versions = s.scalars(
        select(ServiceVersionRow)
        .join(
            ServiceRow,
            (ServiceVersionRow.service_id == ServiceRow.id)
            & (ServiceVersionRow.version == ServiceRow.current_version),
        )
        .where(ServiceRow.active.is_(True))
        .order_by(ServiceRow.id)
    ).all()
    return {v.service_id: Service.model_validate(v.definition) for v in versions}
