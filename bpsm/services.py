"""``desk.services``: the published catalogue in the database — search and look-up."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import case, or_, select

from bpsm.catalogue.schema import Service
from bpsm.errors import NotFound
from bpsm.store.tables import ServiceRow, ServiceVersionRow
from bpsm.validation import clean_text, limit_of, paging, record_id, search_text
from bpsm.views import ServiceHit, ServiceView, View

if TYPE_CHECKING:
    from bpsm.port import DeskPort

__all__ = ["ServiceVersion", "Services", "escape_like"]


class ServiceVersion(View):
    """One published version of a service: when, from which source, and what it restores.

    ``restores_version`` is set on a rollback: the earlier version whose content this one
    brings back. ``current`` marks the version the desk serves now.
    """

    service_id: str
    version: int
    name: str
    published_at: datetime
    source: str
    restores_version: int | None
    content_hash: str
    current: bool


class Services:
    """Catalogue services as published in the database."""

    def __init__(self, desk: DeskPort):
        self._desk = desk

    def search(
        self, text: str, *, limit: int = 20, department: str | None = None
    ) -> list[ServiceHit]:
        """Services whose name, keywords, description or FAQ contain every word of ``text``.

        Name matches rank first. An empty text lists services by name. ``%``, ``_`` and ``\\``
        match themselves. With ``department``, only that department's services.

        Raises:
            ValidationError: ``text`` is not a text of at most
                :data:`~bpsm.validation.SEARCH_LIMIT` characters (or holds a NUL character or a
                lone surrogate), or ``limit`` is not 1 … :data:`~bpsm.validation.PAGE_LIMIT`.
        """
        text = search_text(text)
        limit = paging(0, limit)[1]
        words = [w for w in text.lower().split() if w]
        stmt = select(ServiceRow).where(ServiceRow.active.is_(True))
        if department is not None:
            department = clean_text("department", department, limit=limit_of(ServiceRow.department))
            stmt = stmt.where(ServiceRow.department == department)
        for w in words:
            pattern = f"%{escape_like(w)}%"
            stmt = stmt.where(
                or_(
                    ServiceRow.search_text.like(pattern, escape="\\"),
                    ServiceRow.id.like(pattern, escape="\\"),
                )
            )
        if words:
            word = escape_like(words[0])
            rank = case(
                (ServiceRow.id == words[0], 0),
                (ServiceRow.id.like(f"{word}%", escape="\\"), 1),
                (ServiceRow.name.ilike(f"%{word}%", escape="\\"), 2),
                else_=3,
            )
            stmt = stmt.order_by(rank, ServiceRow.name)
        else:
            stmt = stmt.order_by(ServiceRow.name)
        with self._desk.unit() as uow:
            s = uow.session
            rows = s.scalars(stmt.limit(limit)).all()
            return [
                ServiceHit(
                    id=r.id,
                    name=r.name,
                    department=r.department,
                    matched=_snippet(r.search_text, words),
                )
                for r in rows
            ]

    def list(self, *, include_retired: bool = False) -> list[ServiceView]:
        """All services, by name."""
        stmt = select(ServiceRow).order_by(ServiceRow.name)
        if not include_retired:
            stmt = stmt.where(ServiceRow.active.is_(True))
        with self._desk.unit() as uow:
            s = uow.session
            return [ServiceView.model_validate(r) for r in s.scalars(stmt)]

    def departments(self) -> builtins.list[str]:
        """The departments that publish at least one active service, by name."""
        stmt = (
            select(ServiceRow.department)
            .where(ServiceRow.active.is_(True))
            .distinct()
            .order_by(ServiceRow.department)
        )
        with self._desk.unit() as uow:
            return list(uow.session.scalars(stmt))

    def versions(self, service_id: str) -> builtins.list[ServiceVersion]:
        """Every published version of a service, newest first, with its lineage.

        Raises:
            NotFound: no such service.
            ValidationError: ``service_id`` is not a text that fits the column.
        """
        service_id = clean_text("service_id", service_id, limit=limit_of(ServiceRow.id)) or ""
        with self._desk.unit() as uow:
            s = uow.session
            row = s.get(ServiceRow, service_id)
            if row is None:
                raise NotFound("service", service_id)
            found = s.scalars(
                select(ServiceVersionRow)
                .where(ServiceVersionRow.service_id == service_id)
                .order_by(ServiceVersionRow.version.desc())
            ).all()
            return [
                ServiceVersion(
                    service_id=v.service_id,
                    version=v.version,
                    name=str(v.definition.get("name", row.name)),
                    published_at=v.published_at,
                    source=v.source,
                    restores_version=v.restores_version,
                    content_hash=v.content_hash,
                    current=v.version == row.current_version,
                )
                for v in found
            ]

    def get(self, service_id: str, version: int | None = None) -> Service:
        """The definition of a service, current version unless ``version`` is given.

        Raises:
            NotFound: no such service, or no such version of it.
            ValidationError: ``service_id`` is not a text that fits the column, or ``version`` is
                not a whole number.
        """
        service_id = clean_text("service_id", service_id, limit=limit_of(ServiceRow.id)) or ""
        if version is not None:
            version = record_id("service version", version, "version")
        with self._desk.unit() as uow:
            s = uow.session
            row = s.get(ServiceRow, service_id)
            if row is None:
                raise NotFound("service", service_id)
            ver = s.get(ServiceVersionRow, (service_id, version or row.current_version))
            if ver is None:
                raise NotFound("service version", f"{service_id} v{version}")
            definition: dict[str, Any] = ver.definition
            return Service.model_validate(definition)


def escape_like(word: str) -> str:
    """Escape ``%``, ``_`` and ``\\`` so a word matches literally in ``LIKE ... ESCAPE '\\'``."""
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _snippet(text: str, words: list[str], width: int = 60) -> str:
    if not words:
        return ""
    at = text.find(words[0])
    if at < 0:
        return ""
    start = max(0, at - width // 3)
    return ("…" if start else "") + text[start : start + width].strip() + "…"
