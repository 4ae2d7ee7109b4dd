"""Surveys as records: one per surveyed call, and one per customer department and period.

A call survey asks the caller of one closed call (``call_id``, unique: one survey per call, ever);
a relationship survey asks one customer department about the relationship for one period
(``department`` and ``period_start``, unique together). The state moves pending → sent →
answered | declined | expired (:mod:`bpsm.processes.surveys.steps`); the database refuses any other
state, a kind without its key, and an answer out of its scale.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bpsm.store.tables.core import Base, VersionedRecord

__all__ = ["SURVEY_KINDS", "SURVEY_STATES", "SurveyRow"]

SURVEY_KINDS = ("call", "relationship")
SURVEY_STATES = ("pending", "sent", "answered", "declined", "expired")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class SurveyRow(VersionedRecord, Base):
    """One survey: whom it asks, when it goes out and closes, and the answers."""

    __tablename__ = "surveys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"), unique=True)
    """The call it asks about (a call survey); None for a relationship survey."""
    caller: Mapped[str | None] = mapped_column(String(200))
    """Who is asked about a call (the per-caller cap counts by it)."""
    department: Mapped[str | None] = mapped_column(String(200))
    """The customer department a relationship survey asks."""
    period_start: Mapped[datetime | None]
    """The start of the relationship survey's period (UTC)."""
    created_at: Mapped[datetime]
    send_at: Mapped[datetime]
    """When it is to go out (the call's close plus the policy's delay; a period's start)."""
    sent_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    """Set when sent: the answers are taken until then (sent plus the policy's open period)."""
    answered_at: Mapped[datetime | None]
    answered_by: Mapped[str | None] = mapped_column(String(64))
    """The member of staff who recorded the answers (or the refusal)."""
    answered_via: Mapped[str | None] = mapped_column(String(32))
    """How the answers came in: the close, a channel (phone, email…)."""
    closed_at: Mapped[datetime | None]
    """When it ended: answered, declined or expired."""
    effort_score: Mapped[int | None] = mapped_column(SmallInteger)
    satisfaction: Mapped[int | None] = mapped_column(SmallInteger)
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint(_in("kind", SURVEY_KINDS), name="ck_surveys_kind"),
        CheckConstraint(_in("state", SURVEY_STATES), name="ck_surveys_state"),
        CheckConstraint(
            "(kind = 'call' AND call_id IS NOT NULL) OR "
            "(kind = 'relationship' AND department IS NOT NULL AND period_start IS NOT NULL)",
            name="ck_surveys_kind_key",
        ),
        CheckConstraint(
            "effort_score IS NULL OR effort_score BETWEEN 1 AND 7", name="ck_surveys_effort"
        ),
        CheckConstraint(
            "satisfaction IS NULL OR satisfaction BETWEEN 1 AND 5", name="ck_surveys_satisfaction"
        ),
        Index("ix_surveys_state_send", "state", "send_at"),
        Index("ix_surveys_state_expires", "state", "expires_at"),
        Index("ix_surveys_caller_created", "caller", "created_at"),
        Index("uq_surveys_department_period", "department", "period_start", unique=True),
        Index("ix_surveys_kind_period", "kind", "period_start"),
    )
