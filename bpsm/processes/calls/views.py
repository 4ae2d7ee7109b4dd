"""The views of reactive management: a call, its contacts, and first time right — defined once."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import computed_field
from sqlalchemy import and_

from bpsm.views import View

__all__ = ["CallView", "ContactView", "first_time_right"]


def first_time_right(call: Any) -> Any:
    """Resolved during the registering contact, never escalated, never reopened.

    The one definition: on a call (a view or a row) it is a ``bool``; on the ``CallRow`` class it
    is the SQL condition the KPIs count with. Reopening clears ``resolved_at_contact``, so a
    resolution at contact 1 that still stands is what ``resolved_at_contact == 1`` says.
    """
    facts = (call.resolved_at_contact == 1, call.escalation_count == 0, call.reopen_count == 0)
    if all(isinstance(f, bool) for f in facts):
        return all(facts)
    return and_(*facts)


class ContactView(View):
    """One contact with the customer about a call."""

    seq: int
    at: datetime
    channel: str
    by: str
    note: str | None


class CallView(View):
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
    survey: str | None
    """Its survey, once the call is closed (mirrored from the survey record): ``pending`` or
    ``sent`` (asked after the close, no answer yet), ``answered``, ``not_answered`` (declined, or
    expired unanswered) or ``not_asked`` (the survey policy skips this call); None while the call
    is open."""
    self_service_faq: int | None = None
    """Flagged as a self-service opportunity: the number (1 = first) of the FAQ entry of the
    call's service version that would have answered it; None when not flagged."""
    self_service_question: str | None = None
    """That FAQ entry's question, as it stood when the call was flagged."""
    business_minutes_to_resolve: int | None = None
    """Business minutes (the desk's hours, less holidays) from registration to resolution;
    None while unresolved."""
    lead_time_met: bool | None = None
    """Resolved within the service version's lead time counted in business time; None while
    unresolved or without a service."""
    version: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def first_time_right(self) -> bool:
        """Resolved during the registering contact, never escalated, never reopened."""
        return bool(first_time_right(self))

    @property
    def number(self) -> str:
        """The call number customers are told, e.g. ``C-000042``."""
        return f"C-{self.id:06d}"
