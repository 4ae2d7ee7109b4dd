"""The catalogue the database publishes, read back as a :class:`Catalogue`.

What a desk acts on — its services, staff list and ``desk.yaml`` settings — is what the database
holds, never the folder it happens to be opened with. The folder is the working copy: it reaches
the database only through a traced act (``bpsm catalogue load`` or a change).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bpsm.catalogue.loader import Catalogue
from bpsm.catalogue.schema import DeskConfig, Service
from bpsm.store.tables import ServiceRow, ServiceVersionRow
from bpsm.store.tables.catalogue import PUBLISHED_ID, PublishedCatalogueRow

__all__ = ["published_catalogue", "published_revision"]


def published_revision(s: Session) -> int:
    """The published catalogue's revision (0: the database was never seeded or loaded)."""
    row = s.get(PublishedCatalogueRow, PUBLISHED_ID)
    return row.revision if row is not None else 0


def published_catalogue(s: Session) -> tuple[int, Catalogue] | None:
    """``(revision, catalogue)`` as published: the bound folder, ``desk.yaml``, active services.

    None when the database holds no catalogue yet.
    """
    row = s.get(PublishedCatalogueRow, PUBLISHED_ID)
    if row is None or row.revision == 0:
        return None
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
    root = Path(row.folder)
    catalogue = Catalogue(
        root=root,
        desk=DeskConfig.model_validate(row.desk_config),
        services={v.service_id: Service.model_validate(v.definition) for v in versions},
        files={sid: root / rel for sid, rel in sorted(row.files.items())},
    )
    return row.revision, catalogue
