"""Tables of relation management: requests for services we do not (yet) offer.

A :class:`RelationCaseRow` carries the request from ``received`` to its outcome: the customer's
need (the *why*), the ranked alternatives proposed, the three bespoke answers, the refusal's
explanation, the delivery and the standardization decision. A :class:`StandardDeliveryRow` is a
documented way of delivering something that is not in the catalogue (the "iPad for the board"
case); it is offered automatically when a similar request comes in.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bpsm.store.tables.core import Base, VersionedRecord

__all__ = ["RelationCaseRow", "StandardDeliveryRow"]


class StandardDeliveryRow(Base):
    """Documented delivery steps kept without a catalogue entry, offered on similar requests."""

    __tablename__ = "standard_deliveries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    keywords: Mapped[list[Any]] = mapped_column(JSON)
    steps: Mapped[list[Any]] = mapped_column(JSON)
    need: Mapped[str] = mapped_column(Text)
    search_text: Mapped[str] = mapped_column(Text)
    origin_case_id: Mapped[int] = mapped_column(Integer, index=True)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime]
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class RelationCaseRow(VersionedRecord, Base):
    """A request for a service the desk does not (yet) offer, handled by relation management."""

    __tablename__ = "relation_cases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    state: Mapped[str] = mapped_column(String(32), index=True)
    customer: Mapped[str] = mapped_column(String(200))
    request: Mapped[str] = mapped_column(Text)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"), index=True)
    opened_by: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[datetime]
    # need clarified: the why, and what they asked for
    need: Mapped[str | None] = mapped_column(Text)
    asked_for: Mapped[str | None] = mapped_column(Text)
    # alternatives proposed: the ranked suggestions as JSON, and the one accepted
    suggestions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    alternative_service_id: Mapped[str | None] = mapped_column(String(64))
    alternative_call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"), index=True)
    alternative_delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("standard_deliveries.id")
    )
    # bespoke assessment: why bespoke, the three answers, the customer's agreement or our refusal
    bespoke_reason: Mapped[str | None] = mapped_column(Text)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    customer_agrees: Mapped[bool | None] = mapped_column(Boolean)
    agreed_by: Mapped[str | None] = mapped_column(String(64))
    explanation: Mapped[str | None] = mapped_column(Text)
    options: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # delivery and the standardization decision
    delivery_notes: Mapped[str | None] = mapped_column(Text)
    delivery_steps: Mapped[list[Any]] = mapped_column(JSON, default=list)
    delivered_at: Mapped[datetime | None]
    change_id: Mapped[int | None] = mapped_column(ForeignKey("changes.id"))
    standard_delivery_id: Mapped[int | None] = mapped_column(ForeignKey("standard_deliveries.id"))
    closing_reason: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None]
