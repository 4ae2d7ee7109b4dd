"""Which records effort is logged on, and the kind of work (:data:`WORK_KINDS`) each counts as.

The record kinds are the audit trail's names: ``call`` (reactive work), ``relation`` (a relation
case), ``change``, ``task`` (a maintenance task: preventative maintenance, or relation work when
it is an account contact), ``improvement`` and ``recommendation`` (the work it was made during:
its maintenance task's, else reactive — add-ons and leads are made while serving).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from bpsm.catalogue.policies import WORK_KINDS
from bpsm.processes.base import load_row
from bpsm.store.tables import CallRow, RelationCaseRow
from bpsm.store.tables.change import ChangeRow
from bpsm.store.tables.proactive import ImprovementRow, MaintenancePlanRow, TaskRow
from bpsm.store.tables.recommendation import RecommendationRow

__all__ = ["RECORD_KINDS", "WORK_KINDS", "load_record", "work_of"]


def _task_work(s: Session, row: Any) -> str:
    plan = s.get(MaintenancePlanRow, row.plan_id)
    return "relation" if plan is not None and plan.kind == "account_contact" else "maintenance"


def _recommendation_work(s: Session, row: Any) -> str:
    task = s.get(TaskRow, row.task_id) if row.task_id is not None else None
    return _task_work(s, task) if task is not None else "reactive"


def _fixed(work: str) -> Callable[[Session, Any], str]:
    return lambda s, row: work


#: record kind → (its table, how to tell the kind of work logged on it).
_RECORDS: dict[str, tuple[type[Any], Callable[[Session, Any], str]]] = {
    "call": (CallRow, _fixed("reactive")),
    "relation": (RelationCaseRow, _fixed("relation")),
    "change": (ChangeRow, _fixed("change")),
    "task": (TaskRow, _task_work),
    "improvement": (ImprovementRow, _fixed("improvement")),
    "recommendation": (RecommendationRow, _recommendation_work),
}

#: The kinds of record effort can be logged on, as the audit trail names them.
RECORD_KINDS: tuple[str, ...] = tuple(_RECORDS)


def load_record(s: Session, kind: str, record_id: Any) -> Any:
    """The record (kind from :data:`RECORD_KINDS`), or :class:`~bpsm.errors.NotFound`."""
    return load_row(s, _RECORDS[kind][0], kind, record_id)


def work_of(s: Session, kind: str, row: Any) -> str:
    """The kind of work (one of :data:`WORK_KINDS`) minutes logged on ``row`` count as."""
    work = _RECORDS[kind][1](s, row)
    assert work in WORK_KINDS
    return work
