"""Tables of the change process: proposals to change the catalogue, and their checklist marks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bpsm.store.tables.core import Base, VersionedRecord

__all__ = ["ChangeRow", "ChecklistMarkRow"]


class ChangeRow(VersionedRecord, Base):
    """A proposal to add, modify or retire a catalogue service."""

    __tablename__ = "changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    state: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    service_id: Mapped[str] = mapped_column(String(64), index=True)
    definition: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    impact: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text)
    rollback_plan: Mapped[str | None] = mapped_column(Text)
    origin_type: Mapped[str | None] = mapped_column(String(32))
    origin_id: Mapped[str | None] = mapped_column(String(64))
    proposed_by: Mapped[str] = mapped_column(String(64))
    proposed_at: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)
    implemented_at: Mapped[datetime | None]
    previous_version: Mapped[int | None] = mapped_column(Integer)
    published_version: Mapped[int | None] = mapped_column(Integer)


class ChecklistMarkRow(Base):
    """One mark on a change's checklist item (append-only: the latest mark per item counts)."""

    __tablename__ = "checklist_marks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("changes.id"), index=True)
    item_id: Mapped[str] = mapped_column(String(64))
    met: Mapped[bool] = mapped_column(Boolean)
    by: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]
    evidence: Mapped[str] = mapped_column(Text)
