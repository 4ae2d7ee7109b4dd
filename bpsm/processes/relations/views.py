"""The views of relation management: a case, its suggestions and answers, and standard deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from bpsm.views import View

__all__ = ["RelationCaseView"]


class RelationCaseView(View):
    """A request for a service the desk does not (yet) offer, in relation management."""

    audit_type: ClassVar[str] = "relation"

    class Suggestion(View):
        """A proposed alternative: a catalogue service or a standard delivery, and how well it fits."""

        kind: str  # "service" or "standard_delivery"
        service_id: str | None
        standard_delivery_id: int | None
        name: str
        score: float
        fit: str  # "full": every significant word of the need is covered; else "partial"
        missing: list[str]
        matched: list[str]
        via: str | None  # the matched service that lists this one among its alternatives

    class Answer(View):
        """One recorded answer of the bespoke assessment."""

        yes: bool
        reason: str
        considerations: dict[str, str] | None  # "want": policy_strategy, time, security_impact, maintainability
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
    suggestions: list[Suggestion] = []
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


