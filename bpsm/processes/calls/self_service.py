"""Self-service opportunities: calls the customer could have answered from the catalogue's FAQ.

The operator flags a call (``flag_self_service``, one step of the reactive process) with the
number — 1 for the first — of the FAQ entry of the call's service version that would have
answered it, and may clear the flag again (``unflag_self_service``). Both are possible while the
call is open; correcting the call's service clears the flag (the entry was the old service's).

:func:`self_service_report` is the KPI, in SQL: of the calls registered in ``[since, until)``
(optionally one service's), the share flagged, and the ranking by service and by FAQ entry —
where to improve or promote self-service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from bpsm.processes.base import Context
from bpsm.store.tables import CallRow, ServiceVersionRow

__all__ = [
    "FaqOpportunity",
    "SelfServiceReport",
    "ServiceOpportunity",
    "call_window",
    "faq_questions",
    "flagged",
    "self_service_report",
]


# -- the steps' guards and effects -----------------------------------------------------------------


def _faq_of(s: Session, row: CallRow) -> list[dict[str, Any]]:
    version = s.get(ServiceVersionRow, (row.service_id, row.service_version))
    return list(version.definition.get("faq", [])) if version is not None else []


def faq_questions(s: Session, row: CallRow) -> list[str]:
    """The FAQ questions of the call's service version, in order (entry 1 first); [] without a
    service."""
    if row.service_id is None:
        return []
    return [str(entry["q"]) for entry in _faq_of(s, row)]


def faq_of_service(ctx: Context) -> bool | str:
    """Guard: ``faq`` numbers an entry of the FAQ of the call's service, at the call's version."""
    with ctx.session.no_autoflush:
        faq = _faq_of(ctx.session, ctx.row)
    return 1 <= ctx.faq <= len(faq) or (
        f"{ctx.row.service_id} v{ctx.row.service_version} has FAQ entries 1–{len(faq)}, "
        f"not {ctx.faq}"
    )


def other_faq(ctx: Context) -> bool | str:
    """Guard: the call is not already flagged with that very entry."""
    return ctx.row.self_service_faq != ctx.faq or (
        f"the call is already flagged with FAQ entry {ctx.faq}"
    )


def flag(ctx: Context) -> None:
    """Effect: record the entry (its number and question) on the call; the audit says which."""
    row = ctx.row
    with ctx.session.no_autoflush:
        question = str(_faq_of(ctx.session, row)[ctx.faq - 1]["q"])
    ctx.data = {
        "service": row.service_id,
        "version": row.service_version,
        "faq": ctx.faq,
        "question": question,
        "from_faq": row.self_service_faq,
    }
    row.self_service_faq, row.self_service_question = ctx.faq, question


def unflag(ctx: Context) -> None:
    """Effect: clear the flag; the audit keeps the entry it had."""
    row = ctx.row
    ctx.data = {"from_faq": row.self_service_faq, "question": row.self_service_question}
    row.self_service_faq = row.self_service_question = None


def clear_on_new_service(row: CallRow, data: dict[str, Any]) -> None:
    """A corrected service drops a flag that named the old service's FAQ entry."""
    if row.self_service_faq is not None:
        data["cleared_self_service_faq"] = row.self_service_faq
        row.self_service_faq = row.self_service_question = None


# -- the KPI ---------------------------------------------------------------------------------------


def flagged(c: Any) -> Any:
    """SQL condition, the one definition: the call is flagged as answerable from the FAQ. ``c``
    is the call table's columns (``CallRow``, or the KPI engine's)."""
    return c.self_service_faq.is_not(None)


@dataclass(frozen=True)
class ServiceOpportunity:
    """One service's self-service opportunities: flagged calls of all its calls in the window."""

    service_id: str
    calls: int
    flagged: int

    @property
    def share(self) -> float:
        """flagged / calls."""
        return self.flagged / self.calls


@dataclass(frozen=True)
class FaqOpportunity:
    """How many calls in the window one FAQ entry (by its question) would have answered."""

    service_id: str
    question: str
    flagged: int


@dataclass(frozen=True)
class SelfServiceReport:
    """Self-service opportunities among the calls registered in ``[since, until)``.

    Attributes:
        calls: calls registered in the window (the denominator), of ``service`` if given.
        flagged: of those, flagged as answerable from the catalogue (the numerator).
        by_service: per service, most flagged first (ties by service id).
        by_faq: per service and FAQ question, most flagged first; only entries with a flag.
    """

    since: datetime | None
    until: datetime | None
    service: str | None
    calls: int
    flagged: int
    by_service: list[ServiceOpportunity]
    by_faq: list[FaqOpportunity]

    @property
    def share(self) -> float | None:
        """flagged / calls, or None when no call was registered."""
        return self.flagged / self.calls if self.calls else None


def call_window(
    since: datetime | None, until: datetime | None, service: str | None
) -> list[ColumnElement[bool]]:
    """SQL conditions: registered in ``[since, until)`` (each bound optional), of ``service``."""
    where: list[ColumnElement[bool]] = []
    if since is not None:
        where.append(CallRow.registered_at >= since)
    if until is not None:
        where.append(CallRow.registered_at < until)
    if service is not None:
        where.append(CallRow.service_id == service)
    return where


def self_service_report(
    s: Session,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    service: str | None = None,
    top: int = 10,
) -> SelfServiceReport:
    """The self-service KPI in three aggregate queries (see :class:`SelfServiceReport`)."""
    where = call_window(since, until, service)
    hit = func.coalesce(func.sum(case((flagged(CallRow), 1), else_=0)), 0)
    calls, hits = s.execute(select(func.count(), hit).select_from(CallRow).where(*where)).one()
    per_service = s.execute(
        select(CallRow.service_id, func.count(), hit.label("flagged"))
        .where(*where, CallRow.service_id.is_not(None))
        .group_by(CallRow.service_id)
        .having(hit > 0)
        .order_by(hit.desc(), CallRow.service_id)
        .limit(top)
    ).all()
    per_faq = s.execute(
        select(CallRow.service_id, CallRow.self_service_question, func.count().label("n"))
        .where(*where, flagged(CallRow))
        .group_by(CallRow.service_id, CallRow.self_service_question)
        .order_by(func.count().desc(), CallRow.service_id, CallRow.self_service_question)
        .limit(top)
    ).all()
    return SelfServiceReport(
        since,
        until,
        service,
        int(calls),
        int(hits),
        [ServiceOpportunity(sid, int(n), int(f)) for sid, n, f in per_service],
        [FaqOpportunity(str(sid), str(q), int(n)) for sid, q, n in per_faq],
    )
