"""Tables of proactive service delivery: recommendations staff register while serving.

An add-on (at or below ``desk.yaml``'s lead threshold) is settled on the spot; a lead (above it)
is handed to sales. The kind is derived from the value, and the database itself refuses a row
whose state belongs to the other kind.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bpsm.store.tables.core import Base, VersionedRecord

__all__ = ["ADD_ON_STATES", "LEAD_STATES", "RecommendationRow"]

ADD_ON_STATES = ("offered", "accepted", "declined")
LEAD_STATES = ("handed_over", "proposal_sent", "won", "lost")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class RecommendationRow(VersionedRecord, Base):
    """A recommendation made while handling a call or a maintenance task: an add-on or a lead."""

    __tablename__ = "recommendations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(32), index=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(
        Integer, index=True
    )  # a maintenance task; no FK by design
    customer: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    price_list_item: Mapped[str | None] = mapped_column(String(64))
    value: Mapped[float] = mapped_column(Float)
    currency: Mapped[str] = mapped_column(String(8))
    recommended_by: Mapped[str] = mapped_column(String(64))
    recommended_at: Mapped[datetime]
    handed_over_at: Mapped[datetime | None]
    proposal_at: Mapped[datetime | None]
    turnaround_seconds: Mapped[float | None] = mapped_column(Float)
    closed_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(64))
    booked_value: Mapped[float | None] = mapped_column(Float)
    outcome_note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("value > 0", name="ck_recommendations_value_positive"),
        CheckConstraint(
            f"(kind = 'add_on' AND {_in('state', ADD_ON_STATES)}) OR "
            f"(kind = 'lead' AND {_in('state', LEAD_STATES)})",
            name="ck_recommendations_kind_state",
        ),
        Index("ix_recommendations_by_at", "recommended_by", "recommended_at"),
    )
