"""The effort log: minutes staff spend on any record, by the kind of work it is."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bpsm.store.tables.core import Base

__all__ = ["EffortRow"]


class EffortRow(Base):
    """Minutes one staff member logged on one record. Never updated, only added.

    ``record_type`` is the audit trail's name of the record (``call``, ``relation``, ``change``,
    ``maintenance``, ``improvement``, ``recommendation``); ``work`` the kind of work the minutes
    count as in the balance (``reactive``, ``relation``, ``change``, ``maintenance``,
    ``improvement``), fixed when logged.
    """

    __tablename__ = "effort_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_type: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[int] = mapped_column(Integer)
    work: Mapped[str] = mapped_column(String(16))
    minutes: Mapped[int] = mapped_column(Integer)
    by: Mapped[str] = mapped_column(ForeignKey("staff.id"))
    at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("minutes > 0", name="ck_effort_log_minutes_positive"),
        Index("ix_effort_log_at_work", "at", "work"),
        Index("ix_effort_log_record", "record_type", "record_id", "id"),
        Index("ix_effort_log_by_at", "by", "at"),
    )
