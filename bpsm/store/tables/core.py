"""The database schema, as SQLAlchemy 2.x typed ORM classes.

State is a column; every record that moves through a process has a ``version`` column for
optimistic concurrency. Timestamps are computed in Python (``bpsm.clock``) and stored as UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

__all__ = [
    "AuditEventRow",
    "Base",
    "CallContactRow",
    "CallRow",
    "ServiceRow",
    "ServiceVersionRow",
    "StaffRow",
    "UTCDateTime",
    "VersionedRecord",
]


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always returns them aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: bpsm stores aware UTC datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every bpsm table."""

    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class VersionedRecord:
    """A record people change concurrently: a ``version`` for optimistic concurrency (a stale write
    raises instead of overwriting) and the time of the last change. Every process record has one."""

    version: Mapped[int] = mapped_column(Integer, nullable=False)
    updated_at: Mapped[datetime]

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.version}


class StaffRow(Base):
    """A person who works the desk, with roles (synced from ``desk.yaml``)."""

    __tablename__ = "staff"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[Any]] = mapped_column(JSON)
    group: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ServiceRow(Base):
    """The current state of one catalogue service; its definitions live in ``service_versions``."""

    __tablename__ = "services"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(32), index=True)
    group: Mapped[str] = mapped_column(String(64))
    current_version: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    search_text: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime]


class ServiceVersionRow(Base):
    """One published version of a service definition. Never updated, only added."""

    __tablename__ = "service_versions"
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(300))
    file_text: Mapped[str | None] = mapped_column(Text)
    """The catalogue file's exact text for this version (comments included), for a rollback."""
    restores_version: Mapped[int | None] = mapped_column(Integer)
    """Set on a rollback: the earlier version whose content this one restores."""


SERVICE_KEY = "coalesce(service_id, '')"
"""The queue's service sort key (a call without a service first), as its index holds it."""


class CallRow(VersionedRecord, Base):
    """A customer call in the reactive process. Facts are stored; first-time-right is derived."""

    __tablename__ = "calls"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    state: Mapped[str] = mapped_column(String(32), index=True)
    caller: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text)
    service_id: Mapped[str | None] = mapped_column(ForeignKey("services.id"), index=True)
    service_version: Mapped[int | None] = mapped_column(Integer)
    registered_by: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    group: Mapped[str] = mapped_column(String(64))
    is_exception: Mapped[bool] = mapped_column(Boolean, default=False)
    exception_reason: Mapped[str | None] = mapped_column(Text)
    waiting_for: Mapped[str | None] = mapped_column(String(16))
    solution: Mapped[str | None] = mapped_column(Text)
    registered_at: Mapped[datetime] = mapped_column(index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(index=True)
    closed_at: Mapped[datetime | None]
    responded_at: Mapped[datetime | None]
    """The desk's first action on the call (its first step after the registration)."""
    contact_count: Mapped[int] = mapped_column(Integer, default=1)
    resolved_at_contact: Mapped[int | None] = mapped_column(Integer)
    escalation_count: Mapped[int] = mapped_column(Integer, default=0)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    effort_score: Mapped[int | None] = mapped_column(SmallInteger)
    satisfaction: Mapped[int | None] = mapped_column(SmallInteger)
    survey: Mapped[str | None] = mapped_column(String(16))
    """On closing: ``answered``, ``not_answered`` (asked, no answer) or ``not_asked`` (policy)."""
    self_service_faq: Mapped[int | None] = mapped_column(SmallInteger)
    """Flagged as a self-service opportunity: the number (1-based) of the FAQ entry of the call's
    service version that would have answered it; None when not flagged."""
    self_service_question: Mapped[str | None] = mapped_column(Text)
    """That FAQ entry's question as it stood when flagged (the ranking groups by it)."""
    business_minutes_to_resolve: Mapped[int | None] = mapped_column(Integer)
    """Set by ``resolve``: business minutes from registration to resolution (desk's hours)."""
    lead_time_met: Mapped[bool | None] = mapped_column(Boolean)
    """Set by ``resolve``: resolved within the service version's lead time counted in business
    time; None without a service. ``reopen`` clears both; resolving again sets them anew."""

    __table_args__ = (
        Index("ix_calls_state_registered", "state", "registered_at"),
        # the queue pages by key: each sort column with the id that breaks its ties
        Index("ix_calls_registered_id", "registered_at", "id"),
        Index("ix_calls_caller_id", "caller", "id"),
        Index("ix_calls_state_id", "state", "id"),
        Index("ix_calls_group_registered", "group", "registered_at", "id"),
        Index("ix_calls_by_registered", "registered_by", "registered_at", "id"),
        Index("ix_calls_self_service", "registered_at", "service_id", "self_service_faq"),
        # the KPI windows: each anchor's range (resolved_at and registered_at have theirs above)
        Index("ix_calls_closed_at", "closed_at"),
        Index("ix_calls_state_updated", "state", "updated_at"),
        # a filter of states pages by each sort column with one seek per state (migration 0009)
        Index("ix_calls_state_caller", "state", "caller", "id"),
        Index("ix_calls_state_service", "state", text(SERVICE_KEY), "id"),
        Index("ix_calls_service_key", text(SERVICE_KEY), "id"),
        Index("ix_calls_state_group", "state", "group", "id"),
        Index("ix_calls_group_id", "group", "id"),
        Index("ix_calls_state_registered_id", "state", "registered_at", "id"),
        # PostgreSQL also has (state, group, registered_at, id), migration 0011's alone
        # (bpsm.store.search.PG_ONLY_INDEX): the group filter by age, one seek per state
    )


class CallContactRow(Base):
    """One contact with the customer about a call; the registration is contact 1."""

    __tablename__ = "call_contacts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(32))
    by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)


class AuditEventRow(Base):
    """Append-only trail: one row per state change (and per other recorded fact)."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(64))
    record_type: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[str] = mapped_column(String(64))
    trigger: Mapped[str] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str | None] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (Index("ix_audit_record", "record_type", "record_id", "id"),)
