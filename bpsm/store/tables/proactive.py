"""Tables of proactive management: maintenance plans and their tasks, and improvements."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bpsm.store.tables.core import Base, VersionedRecord

__all__ = ["ImprovementRow", "MaintenancePlanRow", "TaskRow"]


# --- preventative maintenance and account contacts (bpsm.processes.maintenance) -----------------


class MaintenancePlanRow(VersionedRecord, Base):
    """Recurring work on a service: a catalogue maintenance activity, or its account contacts.

    Synced from the published catalogue, one per ``(service_id, kind, activity_id)`` with an empty
    ``subject_key``. A plan for a *subject* (an asset, a person: "laptop NB-0042 of Kim") is an
    instance of a catalogue activity: ``subject``, its optional ``subject_ref`` and ``start_on``
    (the local date the recurrence counts from); ``subject_key`` (the reference, else the subject,
    case-folded) keeps one plan per subject and activity.

    ``recurrence`` is ``calendar`` (``rule``, an RRULE) or ``after_completion`` (``every``, a
    period after the previous task was finished). ``anchor`` is the start: 08:00 local time on
    the day the plan was created or on its ``start_on`` (never an occurrence itself);
    ``generated_until`` is how far calendar occurrences have been turned into tasks.
    """

    __tablename__ = "maintenance_plans"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    service_id: Mapped[str] = mapped_column(ForeignKey("services.id"), index=True)
    activity_id: Mapped[str] = mapped_column(String(64))
    subject_key: Mapped[str] = mapped_column(String(240), default="")
    subject: Mapped[str | None] = mapped_column(Text)
    subject_ref: Mapped[str | None] = mapped_column(String(64))
    start_on: Mapped[date | None]
    activity: Mapped[str] = mapped_column(Text)
    recurrence: Mapped[str] = mapped_column(String(32), default="calendar")
    rule: Mapped[str | None] = mapped_column(String(500))
    every: Mapped[str | None] = mapped_column(String(32))
    anchor: Mapped[datetime]
    duration_seconds: Mapped[int] = mapped_column(Integer)
    assignee: Mapped[str] = mapped_column(String(64), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    service_version: Mapped[int] = mapped_column(Integer)
    generated_until: Mapped[datetime]
    created_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint(
            "service_id",
            "kind",
            "activity_id",
            "subject_key",
            name="uq_maintenance_plans_activity",
        ),
    )


class TaskRow(VersionedRecord, Base):
    """One occurrence of a plan: due work. Upcoming/due/overdue follow the clock, not a column.

    ``overdue_at`` is the end of the due day in the desk's local time (the next local midnight);
    ``(plan_id, due_at)`` is unique, so generating twice never makes duplicates.
    """

    __tablename__ = "tasks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("maintenance_plans.id"))
    due_at: Mapped[datetime]
    overdue_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(32))
    done_at: Mapped[datetime | None]
    done_by: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    skip_reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("plan_id", "due_at", name="uq_tasks_plan_due"),
        Index("ix_tasks_state_due", "state", "due_at"),
    )


# --- improvements (bpsm.processes.improvements) ---------------------------------------------------


class ImprovementRow(VersionedRecord, Base):
    """An improvement idea: from its source (e.g. a recurring disruption) to a change, or dropped.

    ``burst_*`` describe the calls a detector-made improvement stands for: first and last call,
    their count and the window; ``(service_id, burst_end)`` is unique, so two detectors running at
    once cannot report the same burst twice.
    """

    __tablename__ = "improvements"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    state: Mapped[str] = mapped_column(String(32), index=True)
    source: Mapped[str] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    service_id: Mapped[str | None] = mapped_column(ForeignKey("services.id"), index=True)
    identified_by: Mapped[str] = mapped_column(String(64))
    identified_at: Mapped[datetime]
    burst_start: Mapped[datetime | None]
    burst_end: Mapped[datetime | None]
    burst_calls: Mapped[int | None] = mapped_column(Integer)
    burst_window_seconds: Mapped[int | None] = mapped_column(Integer)
    worth_it: Mapped[bool | None] = mapped_column(Boolean)
    effort_hours: Mapped[float | None] = mapped_column(Float)
    benefit: Mapped[str | None] = mapped_column(Text)
    assessed_by: Mapped[str | None] = mapped_column(String(64))
    assessed_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None]
    drop_reason: Mapped[str | None] = mapped_column(Text)
    change_id: Mapped[int | None] = mapped_column(ForeignKey("changes.id"), index=True)

    __table_args__ = (UniqueConstraint("service_id", "burst_end", name="uq_improvements_burst"),)
