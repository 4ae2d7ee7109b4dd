"""What the library hands back: immutable pydantic views of records, never live ORM rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, computed_field

__all__ = ["AuditEvent", "CallView", "ContactView", "RelationCaseView", "ServiceHit", "ServiceView"]


class _View(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)


class ContactView(_View):
    """One contact with the customer about a call."""

    seq: int
    at: datetime
    channel: str
    by: str
    note: str | None


class CallView(_View):
    """A call in the reactive process, as it stands."""

    audit_type: ClassVar[str] = "call"

    id: int
    state: str
    caller: str
    channel: str
    summary: str
    service_id: str | None
    service_version: int | None
    registered_by: str
    group: str
    is_exception: bool
    exception_reason: str | None
    waiting_for: str | None
    solution: str | None
    registered_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    contact_count: int
    resolved_at_contact: int | None
    escalation_count: int
    reopen_count: int
    effort_score: int | None
    satisfaction: int | None
    version: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def first_time_right(self) -> bool:
        """Resolved during the registering contact, never escalated, never reopened."""
        return (self.resolved_at is not None and self.resolved_at_contact == 1
                and self.escalation_count == 0 and self.reopen_count == 0)

    @property
    def number(self) -> str:
        """The call number customers are told, e.g. ``C-000042``."""
        return f"C-{self.id:06d}"


class RelationCaseView(_View):
    """A request for a service the desk does not (yet) offer, in relation management."""

    audit_type: ClassVar[str] = "relation"

    class Suggestion(_View):
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

    class Answer(_View):
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


class ServiceView(_View):
    """A catalogue service as currently published."""

    id: str
    name: str
    department: str
    group: str
    current_version: int
    active: bool


class ServiceHit(_View):
    """A search result: a service and why it matched."""

    id: str
    name: str
    department: str
    matched: str


class AuditEvent(_View):
    """One entry of a record's audit trail."""

    id: int
    at: datetime
    actor: str
    record_type: str
    record_id: str
    trigger: str
    from_state: str | None
    to_state: str | None
    reason: str | None
    data: dict[str, Any] | None
