"""``desk.maintenance``: preventative maintenance and account contacts — due work — through the API.

Plans come from the catalogue (:meth:`Maintenance.sync_plans`, also run by
:meth:`Maintenance.generate`); tasks are their occurrences up to a horizon. A scheduled task is
``upcoming`` before it is due, ``due`` on its due day (local time) and ``overdue`` after that —
computed from the clock, in SQL for lists, never stored::

    desk.maintenance.generate(by="admin")                 # next 90 days of every plan
    for task in desk.maintenance.due(assignee="dave"):    # dave's customer contacts that are due
        print(task.due_at, task.status, task.activity)
    desk.maintenance.complete(task.id, note="finance wants docking stations", by="dave")

Every action takes ``by`` (a staff id) and, on a task, ``expected_version``; it runs in one
transaction with its audit events and returns immutable views.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bpsm import clock
from bpsm.errors import ConcurrentModification, NotFound, Problem, ValidationError
from bpsm.processes.facade import ProcessFacade
from bpsm.processes.maintenance.steps import GenerationReport, PlanSyncReport
from bpsm.processes.maintenance import steps as maintenance
from bpsm.store.tables.proactive import MaintenancePlanRow, TaskRow
from bpsm.views import Page

if TYPE_CHECKING:
    pass

__all__ = ["GenerationReport", "Maintenance", "PlanSyncReport", "PlanView", "TaskView"]


class PlanView(BaseModel):
    """A maintenance plan or account-contact plan of one service, as synced from the catalogue."""

    model_config = ConfigDict(frozen=True)
    audit_type: ClassVar[str] = "maintenance_plan"

    id: int
    kind: str
    service_id: str
    activity_id: str
    activity: str
    rule: str
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
        """The status at ``at`` (aware): upcoming before ``due_at``, due until ``overdue_at``, then overdue."""
        return maintenance.task_status(self.state, self.due_at, self.overdue_at, at)

    @property
    def current_status(self) -> str:
        """The status now, by the library's clock."""
        return self.status_at(clock.now())


def _plan_view(plan: MaintenancePlanRow) -> PlanView:
    data = {k: getattr(plan, k) for k in PlanView.model_fields if k != "duration"}
    return PlanView(**data, duration=timedelta(seconds=plan.duration_seconds))


def _task_view(task: TaskRow, plan: MaintenancePlanRow, status: str, at: datetime) -> TaskView:
    return TaskView(id=task.id, plan_id=plan.id, kind=plan.kind, service_id=plan.service_id,
                    activity_id=plan.activity_id, activity=plan.activity, assignee=plan.assignee,
                    duration=timedelta(seconds=plan.duration_seconds), due_at=task.due_at, overdue_at=task.overdue_at,
                    state=task.state, done_at=task.done_at, done_by=task.done_by, note=task.note,
                    skip_reason=task.skip_reason, version=task.version, status=status, as_of=at)


def _with_status(at: datetime) -> Select[Any]:
    return (select(TaskRow, MaintenancePlanRow, maintenance.status_sql(at).label("status"))
            .join(MaintenancePlanRow, TaskRow.plan_id == MaintenancePlanRow.id))


def _aware(name: str, value: datetime | None) -> datetime:
    if value is None:
        return clock.now()
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValidationError(Problem(f"{value!r} must be an aware datetime (with a time zone)", field=name))
    return clock.to_utc(value)


class Maintenance(ProcessFacade[TaskRow, TaskView]):
    """Preventative maintenance and account contacts on one desk."""

    process = maintenance.TASK

    @property
    def _tz(self) -> ZoneInfo:
        return ZoneInfo(self._desk.config.timezone)

    @contextmanager
    def _unit(self) -> Iterator[Session]:
        """A desk transaction in which two writers creating the same occurrence is a conflict."""
        try:
            with self._desk.transaction() as s:
                yield s
        except IntegrityError:
            raise ConcurrentModification("maintenance tasks (the same occurrence was created meanwhile)") from None

    def _load(self, s: Session, ident: int, expected_version: int | None) -> TaskRow:
        return maintenance.load(s, ident, expected_version)

    def _view(self, s: Session, row: TaskRow) -> TaskView:
        return self._one(s, row.id)

    def _one(self, s: Session, task_id: int) -> TaskView:
        at = clock.now()
        found = s.execute(_with_status(at).where(TaskRow.id == task_id)).one_or_none()
        if found is None:
            raise NotFound("task", task_id)
        return _task_view(found[0], found[1], found[2], at)

    def sync_plans(self, by: str) -> PlanSyncReport:
        """Bring the plans in line with the published catalogue (idempotent, audited).

        One plan per maintenance activity of each active service, plus one account-contact plan per
        service. Removed activities deactivate their plan and skip its scheduled future tasks.
        """
        person = self._desk.person(by)
        with self._unit() as s:
            return maintenance.sync_plans(s, person, self._desk.config)

    def generate(self, horizon: timedelta = timedelta(days=90), *, by: str) -> GenerationReport:
        """Sync the plans, then create every occurrence up to now + ``horizon`` (never twice).

        Raises:
            ValidationError: a negative horizon, or one so long a rule would yield over 10,000 tasks.
            PermissionDenied: ``by`` may not ``task.generate``.
        """
        person = self._desk.person(by)
        with self._unit() as s:
            return maintenance.generate(s, person, self._desk.config, horizon)

    def plans(self, *, service: str | None = None, kind: str | None = None,
              include_inactive: bool = False) -> list[PlanView]:
        """Plans by service and activity, optionally of one service or kind."""
        if kind is not None and kind not in maintenance.KINDS:
            raise ValidationError(Problem(f"{kind!r} is not one of {', '.join(maintenance.KINDS)}", field="kind"))
        stmt = select(MaintenancePlanRow).order_by(MaintenancePlanRow.service_id, MaintenancePlanRow.kind,
                                                   MaintenancePlanRow.activity_id)
        if service is not None:
            stmt = stmt.where(MaintenancePlanRow.service_id == service)
        if kind is not None:
            stmt = stmt.where(MaintenancePlanRow.kind == kind)
        if not include_inactive:
            stmt = stmt.where(MaintenancePlanRow.active.is_(True))
        with self._desk.transaction() as s:
            return [_plan_view(p) for p in s.scalars(stmt)]

    def plan(self, plan_id: int) -> PlanView:
        """One plan by id (:class:`~bpsm.errors.NotFound` if there is none)."""
        with self._desk.transaction() as s:
            plan = s.get(MaintenancePlanRow, plan_id)
            if plan is None:
                raise NotFound("maintenance plan", plan_id)
            return _plan_view(plan)

    def next_occurrence(self, plan_id: int, after: datetime | None = None) -> datetime | None:
        """The plan's first occurrence strictly after ``after`` (default now), as UTC; None once the rule ends."""
        at = _aware("after", after)
        plan = self.plan(plan_id)
        return maintenance.Recurrence(plan.rule, plan.anchor, self._tz).after(at)

    def due(self, now: datetime | None = None, assignee: str | Sequence[str] | None = None,
            include_upcoming_days: int = 0) -> list[TaskView]:
        """Scheduled tasks that are due or overdue at ``now`` (default: the clock), oldest first.

        Args:
            now: the moment to judge by (aware); default now.
            assignee: only tasks of plans assigned to this staff id or group (or any of several).
            include_upcoming_days: also list tasks falling due within this many days (24 h each) after now.

        Raises:
            ValidationError: a naive ``now``, a negative number of days, or an unknown assignee.
        """
        at = _aware("now", now)
        if isinstance(include_upcoming_days, bool) or not isinstance(include_upcoming_days, int) \
                or include_upcoming_days < 0:
            raise ValidationError(Problem(f"{include_upcoming_days!r} must be a whole number of days >= 0",
                                          field="include_upcoming_days"))
        stmt = _with_status(at).where(TaskRow.state == "scheduled",
                                      TaskRow.due_at <= at + timedelta(days=include_upcoming_days))
        if assignee is not None:
            stmt = stmt.where(MaintenancePlanRow.assignee.in_(self._assignees(assignee)))
        with self._desk.transaction() as s:
            rows = s.execute(stmt.order_by(TaskRow.due_at, TaskRow.id)).all()
            return [_task_view(t, p, status, at) for t, p, status in rows]

    def _assignees(self, assignee: str | Sequence[str]) -> list[str]:
        wanted = [assignee] if isinstance(assignee, str) else list(assignee)
        known = {p.id for p in self._desk.config.staff} | set(self._desk.config.groups)
        unknown = [a for a in wanted if a not in known]
        if unknown or not wanted:
            raise ValidationError(Problem(f"{unknown or wanted!r}: not a staff id or group of this desk",
                                          field="assignee"))
        return wanted

    def tasks(self, *, plan_id: int | None = None, states: Sequence[str] | None = None, offset: int = 0,
              limit: int = 50) -> Page[TaskView]:
        """A page of tasks by due date (optionally of one plan, or in ``states``); paged in SQL."""
        if limit < 1 or offset < 0:
            raise ValidationError(f"paging: offset {offset} and limit {limit} must be >= 0 and >= 1")
        self._check_states(states)
        where = []
        if plan_id is not None:
            where.append(TaskRow.plan_id == plan_id)
        if states:
            where.append(TaskRow.state.in_(list(states)))
        at = clock.now()
        with self._desk.transaction() as s:
            total = s.scalar(select(func.count()).select_from(TaskRow).where(*where)) or 0
            rows = s.execute(_with_status(at).where(*where).order_by(TaskRow.due_at, TaskRow.id)
                             .offset(offset).limit(limit)).all()
            return Page([_task_view(t, p, status, at) for t, p, status in rows], offset, limit, total)

    def next_task(self, plan_id: int) -> TaskView | None:
        """The plan's earliest scheduled task, or None."""
        page = self.tasks(plan_id=plan_id, states=("scheduled",), limit=1)
        return page.items[0] if page.items else None

    def get(self, task_id: int) -> TaskView:
        """One task by id (:class:`~bpsm.errors.NotFound` if there is none)."""
        with self._desk.transaction() as s:
            return self._one(s, task_id)

    def complete(self, task_id: int, *, by: str, note: str | None = None,
                 expected_version: int | None = None) -> TaskView:
        """The work is done; the plan's next occurrence is made to exist. Account contacts need a note."""
        return self._act(task_id, by, expected_version,
                         lambda s, p, r: maintenance.complete(s, p, r, note, self._tz))

    def skip(self, task_id: int, *, reason: str, by: str, expected_version: int | None = None) -> TaskView:
        """Not done this time, with the reason; the plan's next occurrence is made to exist."""
        return self._act(task_id, by, expected_version,
                         lambda s, p, r: maintenance.skip(s, p, r, reason, self._tz))

    def allowed(self, task: TaskView, by: str) -> list[str]:
        """The triggers ``by`` may fire on ``task`` in its current state."""
        return self.process.allowed(task.state, self._desk.person(by))
