"""Generation: the plans' occurrences up to a horizon become tasks, never twice.

:func:`generate` syncs the plans first (:func:`~bpsm.processes.maintenance.plans.sync_plans`),
then inserts every calendar occurrence up to now + the horizon, and the one next task of each
plan recurring after completion that has none, in chunks with SQLAlchemy Core. Bounded whatever
the rule: see :mod:`bpsm.processes.maintenance.recurrence`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from bpsm import clock
from bpsm.catalogue.schema import DeskConfig
from bpsm.errors import Problem, ValidationError
from bpsm.processes.maintenance.plans import PlanSyncReport, plan_label, sync_plans
from bpsm.processes.maintenance.recurrence import (
    MAX_OCCURRENCES,
    Recurrence,
    RecurrenceOverflow,
    end_of_day,
)
from bpsm.processes.maintenance.steps import CHUNK, TASK, schedule_after_completion
from bpsm.roles import Person
from bpsm.store.tables.core import AuditEventRow
from bpsm.store.tables.proactive import MaintenancePlanRow, TaskRow

__all__ = ["GenerationReport", "generate"]


@dataclass
class GenerationReport:
    """What a generation run did: tasks created per plan id, up to ``until``."""

    until: datetime
    plans: PlanSyncReport
    created: dict[int, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Tasks created in this run."""
        return sum(self.created.values())


def generate(s: Session, by: Person, config: DeskConfig, horizon: timedelta) -> GenerationReport:
    """Sync the plans, then create every occurrence of every active plan up to now + ``horizon``.

    A calendar plan continues from where it was generated until (its anchor at first). A plan
    recurring after completion gets its one next task when it has none and it falls due within
    the horizon. Tasks and their "schedule" audit events are inserted in chunks with SQLAlchemy
    Core; occurrences that already exist are left alone, so running twice creates nothing new.

    Raises:
        ValidationError: a bad horizon, a stored rule that cannot be evaluated, or one yielding
            more than 10,000 occurrences for one plan in one run (nothing is created).
    """
    TASK.require(by, "generate")
    if not isinstance(horizon, timedelta) or horizon < timedelta(0):
        raise ValidationError(
            Problem(f"{horizon!r} is not a non-negative timedelta", field="horizon")
        )
    synced = sync_plans(s, by, config)
    tz, now = ZoneInfo(config.timezone), clock.now()
    until = now + horizon
    report = GenerationReport(until=until, plans=synced)
    rows: list[dict[str, Any]] = []
    plans = s.scalars(
        select(MaintenancePlanRow)
        .where(
            MaintenancePlanRow.active.is_(True),
            MaintenancePlanRow.recurrence == "calendar",
            MaintenancePlanRow.generated_until < until,
        )
        .order_by(MaintenancePlanRow.id)
    ).all()
    for plan in plans:
        due = _occurrences(plan, tz, until, horizon)
        if due:
            have = set(
                s.scalars(
                    select(TaskRow.due_at).where(
                        TaskRow.plan_id == plan.id,
                        TaskRow.due_at > plan.generated_until,
                        TaskRow.due_at <= until,
                    )
                )
            )
            new = [d for d in due if d not in have]
            rows += [_task(plan.id, d, tz, now) for d in new]
            if new:
                report.created[plan.id] = len(new)
        plan.generated_until, plan.updated_at = until, now
    _insert_tasks(s, by, rows, now)
    for plan in _waiting_after_completion(s):
        if schedule_after_completion(s, by, plan, tz, "next after the last completion", until):
            report.created[plan.id] = 1
    return report


def _occurrences(
    plan: MaintenancePlanRow, tz: ZoneInfo, until: datetime, horizon: timedelta
) -> list[datetime]:
    """The calendar plan's occurrences to generate, or the one-line reason it cannot be done."""
    try:
        return Recurrence(plan.rule or "", plan.anchor, tz).between(plan.generated_until, until)
    except RecurrenceOverflow as exc:
        if exc.limit != MAX_OCCURRENCES:
            raise ValidationError(
                Problem(f"plan {plan_label(plan)}: its rule {plan.rule!r} {exc}", field="rule")
            ) from None
        raise ValidationError(
            Problem(
                f"{horizon} is too long for plan {plan_label(plan)}: "
                f"its rule {plan.rule!r} has more than {MAX_OCCURRENCES} occurrences "
                f"before {until:%Y-%m-%d}",
                field="horizon",
            )
        ) from None
    except ValueError as exc:
        raise ValidationError(Problem(f"plan {plan_label(plan)}: {exc}", field="rule")) from None


def _task(plan_id: int, due: datetime, tz: ZoneInfo, now: datetime) -> dict[str, Any]:
    return {
        "plan_id": plan_id,
        "due_at": due,
        "overdue_at": end_of_day(due, tz),
        "state": TASK.initial,
        "version": 1,
        "updated_at": now,
    }


def _waiting_after_completion(s: Session) -> list[MaintenancePlanRow]:
    """Active plans recurring after completion that have no scheduled task."""
    scheduled = select(TaskRow.id).where(
        TaskRow.plan_id == MaintenancePlanRow.id, TaskRow.state == "scheduled"
    )
    return list(
        s.scalars(
            select(MaintenancePlanRow)
            .where(
                MaintenancePlanRow.active.is_(True),
                MaintenancePlanRow.recurrence == "after_completion",
                ~scheduled.exists(),
            )
            .order_by(MaintenancePlanRow.id)
        )
    )


def _insert_tasks(s: Session, by: Person, rows: list[dict[str, Any]], now: datetime) -> None:
    """Core bulk insert of tasks and their audit events, chunked (never per-row ORM adds)."""
    tasks: Table = TaskRow.__table__  # type: ignore[assignment]
    events: Table = AuditEventRow.__table__  # type: ignore[assignment]
    s.flush()
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        ids = (
            s.execute(insert(tasks).returning(tasks.c.id, sort_by_parameter_order=True), chunk)
            .scalars()
            .all()
        )
        s.execute(
            insert(events),
            [
                {
                    "at": now,
                    "actor": by.id,
                    "record_type": "task",
                    "record_id": str(i),
                    "trigger": "schedule",
                    "from_state": None,
                    "to_state": TASK.initial,
                    "reason": None,
                    "data": {"plan_id": r["plan_id"]},
                }
                for i, r in zip(ids, chunk, strict=True)
            ],
        )
