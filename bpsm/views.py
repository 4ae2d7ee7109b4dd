"""What the library hands back: immutable pydantic views of records, never live ORM rows.

Each process keeps the views of its own records in its package (``bpsm.processes.calls.views``...);
this module holds the base they share and the views that belong to no one process.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

__all__ = ["AuditEvent", "Page", "ServiceHit", "ServiceView", "View"]

T = TypeVar("T")


class View(BaseModel):
    """Base of every view: frozen, read from a row's attributes."""

    model_config = ConfigDict(frozen=True, from_attributes=True)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a longer list, with the total so a screen can say "51–100 of 12,345"."""

    items: list[T]
    offset: int
    limit: int
    total: int

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.items) < self.total


class ServiceView(View):
    """A catalogue service as currently published."""

    id: str
    name: str
    department: str
    group: str
    current_version: int
    active: bool


class ServiceHit(View):
    """A search result: a service and why it matched."""

    id: str
    name: str
    department: str
    matched: str


class AuditEvent(View):
    """One entry of a record's audit trail."""

    id: int
    at: datetime
    actor: str
    record_type: str
    record_id: str
    trigger: str
    from_state: str | None
    to_state: str | None
    reason: str | None
    data: dict[str, Any] | None
