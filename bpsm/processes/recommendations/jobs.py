"""Jobs handled, the denominator of proactive delivery: defined once, for ``stats`` and the KPIs.

A *handling* is a person's touch of a job: registering a call, resolving a call (each ``resolve``
event on its audit trail), completing a maintenance task. A **job** is one (person, record) pair,
counted once, at the person's **first** handling of that record: a call anna registers and
resolves is one job of hers, a call resolved twice by ben one job of his. Counting each pair at its
first handling keeps the count additive — a month's jobs are the sum of its days' — so the KPI
engine can trend it; a pair whose first handling was before a window is not a job in it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, and_, cast, exists, func, literal, or_, select, union_all

from bpsm.processes.recommendations.steps import task_table
from bpsm.store.tables import AuditEventRow, CallRow

__all__ = ["first_handlings", "handlings"]


def handlings(since: datetime | None = None, until: datetime | None = None) -> list[Any]:
    """Every handling (at or after ``since`` and before ``until``, each bound optional) as
    ``(person, kind, ref, at)`` selects: ``kind`` is ``call`` or ``task``, ``ref`` its id."""
    Task = task_table()

    def within(at: Any) -> list[Any]:
        return [
            *(() if since is None else (at >= since,)),
            *(() if until is None else (at < until,)),
        ]

    out: list[Any] = [
        select(
            CallRow.registered_by.label("person"),
            literal("call", String).label("kind"),
            CallRow.id.label("ref"),
            CallRow.registered_at.label("at"),
        ).where(*within(CallRow.registered_at)),
        select(
            AuditEventRow.actor,
            literal("call", String),
            cast(AuditEventRow.record_id, Integer),
            AuditEventRow.at,
        ).where(
            AuditEventRow.record_type == "call",
            AuditEventRow.trigger == "resolve",
            *within(AuditEventRow.at),
        ),
    ]
    if Task is not None:
        out.append(
            select(Task.done_by, literal("task", String), Task.id, Task.done_at).where(
                Task.state == "done", Task.done_at.is_not(None), *within(Task.done_at)
            )
        )
    return out


def _handled_before(person: Any, kind: Any, ref: Any, moment: datetime) -> Any:
    """SQL: ``person`` handled the record (``kind``, ``ref``) before ``moment`` (index look-ups
    by the record: the call's primary key, its audit trail, the task's primary key)."""
    Task = task_table()
    call = and_(
        kind == "call",
        or_(
            exists().where(
                CallRow.id == ref, CallRow.registered_by == person, CallRow.registered_at < moment
            ),
            exists().where(
                AuditEventRow.record_type == "call",
                AuditEventRow.record_id == cast(ref, String),
                AuditEventRow.trigger == "resolve",
                AuditEventRow.actor == person,
                AuditEventRow.at < moment,
            ),
        ),
    )
    if Task is None:
        return call
    task = and_(
        kind == "task",
        exists().where(Task.id == ref, Task.done_by == person, Task.done_at < moment),
    )
    return or_(call, task)


def first_handlings(since: datetime | None = None, until: datetime | None = None) -> Any:
    """The jobs: one row per (person, kind, ref) with ``at`` its first handling (a subquery);
    with ``since`` / ``until``, only the jobs whose first handling is in that window — read
    from the handlings in it, less those handled before ``since``, so it costs the window."""
    every = union_all(*handlings(since, until)).subquery("handlings")
    c = every.c
    stmt = select(c.person, c.kind, c.ref, func.min(c.at).label("at")).group_by(
        c.person, c.kind, c.ref
    )
    if since is not None:
        stmt = stmt.having(~_handled_before(c.person, c.kind, c.ref, since))
    return stmt.subquery("jobs")
