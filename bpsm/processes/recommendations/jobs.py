"""Jobs handled, the denominator of proactive delivery: defined once, for ``stats`` and the KPIs.

A *handling* is a person's touch of a job: registering a call, resolving a call (each ``resolve``
event on its audit trail), completing a maintenance task. A **job** is one (person, record) pair,
counted once, at the person's **first** handling of that record: a call anna registers and
resolves is one job of hers, a call resolved twice by ben one job of his. Counting each pair at its
first handling keeps the count additive — a month's jobs are the sum of its days' — so the KPI
engine can trend it; a pair whose first handling was before a window is not a job in it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, String, cast, func, literal, select, union_all

from bpsm.processes.recommendations.steps import task_table
from bpsm.store.tables import AuditEventRow, CallRow

__all__ = ["first_handlings", "handlings"]


def handlings() -> list[Any]:
    """Every handling as ``(person, kind, ref, at)`` selects: ``kind`` is ``call`` or ``task``,
    ``ref`` the record's id."""
    out: list[Any] = [
        select(
            CallRow.registered_by.label("person"),
            literal("call", String).label("kind"),
            CallRow.id.label("ref"),
            CallRow.registered_at.label("at"),
        ),
        select(
            AuditEventRow.actor,
            literal("call", String),
            cast(AuditEventRow.record_id, Integer),
            AuditEventRow.at,
        ).where(AuditEventRow.record_type == "call", AuditEventRow.trigger == "resolve"),
    ]
    Task = task_table()
    if Task is not None:
        out.append(
            select(Task.done_by, literal("task", String), Task.id, Task.done_at).where(
                Task.state == "done", Task.done_at.is_not(None)
            )
        )
    return out


def first_handlings() -> Any:
    """The jobs: one row per (person, kind, ref) with ``at`` its first handling (a subquery)."""
    every = union_all(*handlings()).subquery("handlings")
    return (
        select(every.c.person, every.c.kind, every.c.ref, func.min(every.c.at).label("at"))
        .group_by(every.c.person, every.c.kind, every.c.ref)
        .subquery("jobs")
    )
