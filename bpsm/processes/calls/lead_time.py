"""Lead-time compliance: was a call resolved within its service's delivery terms, in business time?

Counted in the desk's business hours (:mod:`bpsm.business_hours`), so it cannot be a plain SQL
date difference; the ``resolve`` step therefore stores the facts on the call row when it fires
(:func:`record_resolution`): ``business_minutes_to_resolve`` (registration → resolution) and
``lead_time_met`` (resolved by :meth:`~bpsm.business_hours.BusinessCalendar.due` of the lead time
of the call's service version; None for a call without a service). ``reopen`` clears both and
resolving again sets them anew, so they always describe the resolution that stands.

:func:`lead_time_compliance` is the KPI, in SQL: of the calls resolved in ``[since, until)`` with
a lead time to meet, the share that met it, and the mean business minutes to resolve.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from bpsm.business_hours import BusinessCalendar
from bpsm.catalogue.schema import parse_duration
from bpsm.store.tables import CallRow, ServiceVersionRow

__all__ = [
    "LeadTimeCompliance",
    "lead_time_compliance",
    "lead_time_measured",
    "lead_time_met",
    "lead_time_of",
    "record_resolution",
]


def lead_time_measured(c: Any) -> Any:
    """SQL condition, the one definition: the resolved call had a lead time to meet (its service
    version's). ``c`` is the call table's columns (``CallRow``, or the KPI engine's)."""
    return c.lead_time_met.is_not(None)


def lead_time_met(c: Any) -> Any:
    """SQL condition: the standing resolution met the lead time, in business hours."""
    return c.lead_time_met.is_(True)


def lead_time_of(s: Session, row: CallRow) -> timedelta | None:
    """The delivery lead time of the call's service version, or None without a service."""
    if row.service_id is None or row.service_version is None:
        return None
    with s.no_autoflush:
        version = s.get(ServiceVersionRow, (row.service_id, row.service_version))
    if version is None:
        return None
    return parse_duration(version.definition["delivery"]["lead_time"])


def record_resolution(s: Session, calendar: BusinessCalendar, row: CallRow) -> dict[str, object]:
    """Store the business minutes to resolve and whether the lead time was met; returns them."""
    assert row.resolved_at is not None  # the resolve effect set it
    row.business_minutes_to_resolve = calendar.minutes(row.registered_at, row.resolved_at)
    lead = lead_time_of(s, row)
    row.lead_time_met = (
        None if lead is None else row.resolved_at <= calendar.due(row.registered_at, lead)
    )
    return {
        "business_minutes": row.business_minutes_to_resolve,
        "lead_time_met": row.lead_time_met,
    }


def clear_resolution(row: CallRow) -> None:
    """Reopening: the facts described a resolution that no longer stands."""
    row.business_minutes_to_resolve = None
    row.lead_time_met = None


@dataclass(frozen=True)
class LeadTimeCompliance:
    """Lead-time compliance of the calls resolved in ``[since, until)``.

    Attributes:
        resolved: calls resolved in the window with a lead time to meet (the denominator).
        met: of those, resolved within it (the numerator).
        mean_business_minutes: mean business minutes to resolve of every call resolved in the
            window (with or without a service), or None when none was.
    """

    since: datetime | None
    until: datetime | None
    service: str | None
    resolved: int
    met: int
    mean_business_minutes: float | None

    @property
    def share(self) -> float | None:
        """met / resolved, or None when nothing with a lead time was resolved."""
        return self.met / self.resolved if self.resolved else None


def resolved_window(
    since: datetime | None, until: datetime | None, service: str | None
) -> list[ColumnElement[bool]]:
    """Resolved (and still so) in ``[since, until)``, each bound optional, of ``service``."""
    where: list[ColumnElement[bool]] = [CallRow.resolved_at.is_not(None)]
    if since is not None:
        where.append(CallRow.resolved_at >= since)
    if until is not None:
        where.append(CallRow.resolved_at < until)
    if service is not None:
        where.append(CallRow.service_id == service)
    return where


def lead_time_compliance(
    s: Session,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    service: str | None = None,
) -> LeadTimeCompliance:
    """The compliance KPI in one aggregate query (see :class:`LeadTimeCompliance`)."""
    resolved, met, mean = s.execute(
        select(
            func.coalesce(func.sum(case((lead_time_measured(CallRow), 1), else_=0)), 0),
            func.coalesce(func.sum(case((lead_time_met(CallRow), 1), else_=0)), 0),
            func.avg(CallRow.business_minutes_to_resolve),
        ).where(*resolved_window(since, until, service))
    ).one()
    return LeadTimeCompliance(
        since,
        until,
        service,
        int(resolved),
        int(met),
        float(mean) if mean is not None else None,
    )
