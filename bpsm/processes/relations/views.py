"""Relation management's views: a case, its suggestions and answers, and standard deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from bpsm.matching import Suggestion as _Suggestion
from bpsm.views import View

__all__ = ["RelationCaseView", "StandardDeliveryView"]


class RelationCaseView(View):
    """A request for a service the desk does not (yet) offer, in relation management."""

    audit_type: ClassVar[str] = "relation"

    Suggestion: ClassVar[type[_Suggestion]] = _Suggestion

    class Answer(View):
        """One recorded answer of the bespoke assessment."""

        yes: bool
        reason: str
        considerations: (
            dict[str, str] | None
        )  # "want": policy_strategy, time, security_impact, maintainability
        by: str
        at: datetime

    id: int
    state: str
    customer: str
    request: str
    call_id: int | None
    opened_by: str
    opened_at: datetime
    need: str | None = None
    asked_for: str | None = None
    suggestions: list[_Suggestion] = []
    alternative_service_id: str | None = None
    alternative_call_id: int | None = None
    alternative_delivery_id: int | None = None
    bespoke_reason: str | None = None
    answers: dict[str, Answer] = {}
    customer_agrees: bool | None = None
    agreed_by: str | None = None
    explanation: str | None = None
    options: list[str] = []
    delivery_notes: str | None = None
    delivery_steps: list[str] = []
    delivered_at: datetime | None = None
    change_id: int | None = None
    standard_delivery_id: int | None = None
    closing_reason: str | None = None
    closed_at: datetime | None = None
    version: int

    @property
    def number(self) -> str:
        """The case number customers are told, e.g. ``R-000042``."""
        return f"R-{self.id:06d}"


class StandardDeliveryView(View):
    """Documented delivery steps kept without a catalogue entry (the "iPad for the board" case)."""

    id: int
    name: str
    keywords: list[str]
    steps: list[str]
    need: str
    origin_case_id: int
    recorded_by: str
    recorded_at: datetime
    active: bool
