"""The views of preventative maintenance: plans and their tasks.

A task is due work, with a status by the clock.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from bpsm import clock
from bpsm.processes.maintenance.steps import task_status
from bpsm.store.tables.proactive import MaintenancePlanRow, TaskRow

__all__ = ["PlanView", "TaskView", "plan_view", "task_view"]


class PlanView(BaseModel):
    """A maintenance plan or account-contact plan of one service, or a plan for one subject.

    ``recurrence`` is ``calendar`` (``rule``, an RRULE) or ``after_completion`` (``every``, a period
    after the previous task was finished). A subject's plan names its ``subject``, its optional
    ``reference`` and its ``start`` (the local date its recurrence counts from).
    """

    model_config = ConfigDict(frozen=True)
    audit_type: ClassVar[str] = "maintenance_plan"

    id: int
    kind: str
    service_id: str
    activity_id: str
    activity: str
    subject: str | None
    reference: str | None
    start: date | None
    recurrence: str
    rule: str | None
    every: str | None
    anchor: datetime
    duration: timedelta
    assignee: str
    active: bool
    service_version: int
    generated_until: datetime
    version: int


class TaskView(BaseModel):
    """One occurrence of a plan: due work. ``status`` was computed in SQL at ``as_of``.

    ``status`` is ``upcoming``, ``due`` or ``overdue`` for a scheduled task, else its state
    (``done``, ``skipped``). It follows the clock: use :meth:`status_at` or :attr:`current_status`
    for another moment than the one the view was read at.
    """

    model_config = ConfigDict(frozen=True)
    audit_type: ClassVar[str] = "task"

    id: int
    plan_id: int
    kind: str
    service_id: str
    activity_id: str
    activity: str
    subject: str | None
    reference: str | None
    assignee: str
    duration: timedelta
    due_at: datetime
    overdue_at: datetime
    state: str
    done_at: datetime | None
    done_by: str | None
    note: str | None
    skip_reason: str | None
    version: int
    status: str
    as_of: datetime

    def status_at(self, at: datetime) -> str:
        """The status at ``at`` (aware).

        Upcoming before ``due_at``, due until ``overdue_at``, then overdue.
        """
        return task_status(self.state, self.due_at, self.overdue_at, at)

    @property
    def current_status(self) -> str:
        """The status now, by the library's clock."""
        return self.status_at(clock.now())


def plan_view(plan: MaintenancePlanRow) -> PlanView:
    own = {"duration", "reference", "start"}
    data = {k: getattr(plan, k) for k in PlanView.model_fields if k not in own}
    return PlanView(
        **data,
        reference=plan.subject_ref,
        start=plan.start_on,
        duration=timedelta(seconds=plan.duration_seconds),
    )


def task_view(task: TaskRow, plan: MaintenancePlanRow, status: str, at: datetime) -> TaskView:
    return TaskView(
        id=task.id,
        plan_id=plan.id,
        kind=plan.kind,
        service_id=plan.service_id,
        activity_id=plan.activity_id,
        activity=plan.activity,
        subject=plan.subject,
        reference=plan.subject_ref,
        assignee=plan.assignee,
        duration=timedelta(seconds=plan.duration_seconds),
        due_at=task.due_at,
        overdue_at=task.overdue_at,
        state=task.state,
        done_at=task.done_at,
        done_by=task.done_by,
        note=task.note,
        skip_reason=task.skip_reason,
        version=task.version,
        status=status,
        as_of=at,
    )
