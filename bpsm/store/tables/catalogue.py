"""The published catalogue's own record: which folder it was loaded from, and ``desk.yaml``.

The services themselves live in ``services`` / ``service_versions`` (:mod:`bpsm.store.tables.core`)
and the staff in ``staff``; this one row says what the database publishes as a whole: the folder
it is bound to, the desk configuration the desk acts on, the service files by id, and a revision
that grows with every publication (a seed, a load, a change implemented or rolled back).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bpsm.store.tables.core import Base

__all__ = ["PUBLISHED_ID", "PublishedCatalogueRow"]

PUBLISHED_ID = 1
"""The key of the one ``published_catalogue`` row."""


class PublishedCatalogueRow(Base):
    """The one row describing the published catalogue (absent: the database was never seeded)."""

    __tablename__ = "published_catalogue"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    folder: Mapped[str] = mapped_column(Text)
    desk_config: Mapped[dict[str, Any]] = mapped_column(JSON)
    files: Mapped[dict[str, Any]] = mapped_column(JSON)
    revision: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime]
    published_by: Mapped[str] = mapped_column(String(64))
