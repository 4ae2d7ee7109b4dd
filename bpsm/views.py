"""What the library hands back: immutable pydantic views of records, never live ORM rows.

Each process keeps the views of its own records in its package (``bpsm.processes.calls.views``...);
this module holds the base they share and the views that belong to no one process.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

__all__ = ["AuditEvent", "Cursor", "KeysetPage", "Page", "ServiceHit", "ServiceView", "View"]

T = TypeVar("T")


class View(BaseModel):
    """Base of every view: frozen, read from a row's attributes."""

    # built on first use, not at import: a desk start needs few of the views
    model_config = ConfigDict(frozen=True, from_attributes=True, defer_build=True)


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


@dataclass(frozen=True)
class Cursor:
    """Where a keyset page ends: the sort it was made for, the sort key and the id of the row.

    Hand it back as ``after=`` (the page that follows) or ``before=`` (the one that precedes);
    a cursor of another sort is refused.
    """

    sort: str
    key: Any
    id: int


@dataclass(frozen=True)
class KeysetPage(Generic[T]):
    """One page found by key (never by offset), with cursors to the pages either side.

    ``next`` is None on the last page and ``previous`` on the first one; the total is counted
    separately (``desk.calls.count``), so paging never waits for it.
    """

    items: list[T]
    limit: int
    next: Cursor | None
    previous: Cursor | None
    cut: bool = False
    """A search no index serves read a bounded number of calls for this page and stopped there:
    the page holds what those calls matched (perhaps nothing), and its cursor (``next``, or
    ``previous`` for a page read backwards) goes on from the last call read."""
    scanned: int = 0
    """On a page that was cut: how many calls the read went through at most (else 0)."""

    @property
    def has_next(self) -> bool:
        """Whether a page follows this one."""
        return self.next is not None

    @property
    def has_previous(self) -> bool:
        """Whether a page precedes this one."""
        return self.previous is not None


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
