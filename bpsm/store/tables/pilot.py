"""Pilots: a service, or the whole catalogue, tried out with a named customer group for a while."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bpsm.store.tables.core import Base, VersionedRecord

__all__ = ["PILOT_SCOPES", "PILOT_STATES", "PilotRow"]

PILOT_SCOPES = ("services", "catalogue")
PILOT_STATES = ("active", "ended")


class PilotRow(VersionedRecord, Base):
    """One pilot: its scope (``services``: the service ids in ``services``; ``catalogue``: every
    service, of the published catalogue revision ``catalogue_revision``), its customer group
    (``callers``: caller patterns, ``*`` any text, ``?`` one character, case-insensitive) and its
    window ``[since, until)``. Ending it early sets ``until`` to the moment it ended."""

    __tablename__ = "pilots"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(String(16))
    services: Mapped[list[str] | None] = mapped_column(JSON)
    catalogue_revision: Mapped[int | None] = mapped_column(Integer)
    group_name: Mapped[str] = mapped_column(String(200))
    callers: Mapped[list[str]] = mapped_column(JSON)
    since: Mapped[datetime]
    until: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    defined_by: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    defined_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    ended_by: Mapped[str | None] = mapped_column(String(64))

    __table_args__: Any = (
        CheckConstraint("scope IN ('services', 'catalogue')", name="ck_pilots_scope"),
        CheckConstraint("state IN ('active', 'ended')", name="ck_pilots_state"),
        Index("ix_pilots_state_since", "state", "since"),
    )
