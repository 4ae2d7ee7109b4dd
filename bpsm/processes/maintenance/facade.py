"""``desk.maintenance``: preventative maintenance and account contacts — due work — through the API.

Plans come from the catalogue (:meth:`Maintenance.sync_plans`, also run by
:meth:`Maintenance.generate`), or are made for one subject from a catalogue activity
(:meth:`Maintenance.plan_for_subject`); tasks are their occurrences up to a horizon. A scheduled
task is ``upcoming`` before it is due, ``due`` on its due day (local time) and ``overdue`` after
that — computed from the clock, in SQL for lists, never stored::

    desk.maintenance.generate(by="admin")                 # next 90 days of every plan
    for task in desk.maintenance.due(assignee="dave"):    # dave's customer contacts that are due
        print(task.due_at, task.status, task.activity)
    desk.maintenance.complete(task.id, note="finance wants docking stations", by="dave")
    desk.maintenance.plan_for_subject(                   # one asset, from its purchase date
        "laptop", "replace", subject="laptop NB-0042 of Kim", reference="NB-0042",
        start=date(2024, 2, 29), by="ben")               # due 2028-02-29, 2032-02-29, ...

Every action takes ``by`` (a staff id) and, on a task, ``expected_version``; it runs in one
transaction with its audit events and returns immutable views.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from bpsm import clock
from bpsm.errors import NotFound, Problem, ValidationError
from bpsm.processes.facade import ProcessFacade
from bpsm.processes.maintenance import generation, plans, subjects
from bpsm.processes.maintenance import steps as maintenance
from bpsm.processes.maintenance.generation import GenerationReport
from bpsm.processes.maintenance.plans import PlanSyncReport
from bpsm.processes.maintenance.recurrence import due_after
from bpsm.processes.maintenance.views import PlanView, TaskView, plan_view, task_view
from bpsm.store.tables.proactive import MaintenancePlanRow, TaskRow
from bpsm.validation import (
    DAYS_AHEAD_MAX,
    clean_text,
    limit_of,
    moment,
    paging,
    record_id,
    shown,
    whole_number,
)
from bpsm.views import Page

__all__ = ["GenerationReport", "Maintenance", "PlanSyncReport", "PlanView", "TaskView"]


def _with_status(at: datetime) -> Select[TaskRow, MaintenancePlanRow, str]:
    return select(TaskRow, MaintenancePlanRow, maintenance.status_sql(at).label("status")).join(
        MaintenancePlanRow, TaskRow.plan_id == MaintenancePlanRow.id
    )


def _aware(name: str, value: datetime | None) -> datetime:
    if value is None:
        return clock.now()
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValidationError(
            Problem(f"{value!r} must be an aware datetime (with a time zone)", field=name)
        )
    return moment(name, value)


class Maintenance(ProcessFacade[TaskRow, TaskView]):
    """Preventative maintenance and account contacts on one desk."""

    process = maintenance.TASK

    @property
    def _tz(self) -> ZoneInfo:
        return ZoneInfo(self._desk.config.timezone)

    row_type = TaskRow
    label = "task"

    def _view(self, s: Session, row: TaskRow) -> TaskView:
        return self._one(s, row.id)

    def _one(self, s: Session, task_id: int) -> TaskView:
        at = clock.now()
        found = s.execute(_with_status(at).where(TaskRow.id == task_id)).one_or_none()
        if found is None:
            raise NotFound("task", task_id)
        return task_view(found[0], found[1], found[2], at)

    def sync_plans(self, by: str) -> PlanSyncReport:
        """Bring the plans in line with the published catalogue (idempotent, audited).

        One plan per maintenance activity of each active service, plus one account-contact plan per
        service. Removed activities deactivate their plan and skip its scheduled future tasks.
        """
        person = self._desk.person(by)
        with self._session() as s:
            return plans.sync_plans(s, person, self._desk.config)

    def generate(self, horizon: timedelta = timedelta(days=90), *, by: str) -> GenerationReport:
        """Sync the plans, then create every occurrence up to now + ``horizon`` (never twice).

        Raises:
            ValidationError: a negative horizon, one longer than ten years
                (:data:`DAYS_AHEAD_MAX` days), or one so long a rule yields over 10,000 tasks.
            PermissionDenied: ``by`` may not ``task.generate``.
        """
        if isinstance(horizon, timedelta) and horizon > timedelta(days=DAYS_AHEAD_MAX):
            raise ValidationError(
                Problem(f"{shown(horizon)} is longer than {DAYS_AHEAD_MAX:,} days", field="horizon")
            )
        person = self._desk.person(by)
        with self._session() as s:
            return generation.generate(s, person, self._desk.config, horizon)

    def plans(
        self,
        *,
        service: str | None = None,
        kind: str | None = None,
        reference: str | None = None,
        include_inactive: bool = False,
    ) -> list[PlanView]:
        """Plans by service and activity, optionally of one service, kind or subject reference."""
        if kind is not None and (not isinstance(kind, str) or kind not in maintenance.KINDS):
            raise ValidationError(
                Problem(f"{kind!r} is not one of {', '.join(maintenance.KINDS)}", field="kind")
            )
        if service is not None:
            service = clean_text("service", service, limit=limit_of(MaintenancePlanRow.service_id))
        if reference is not None:
            reference = clean_text(
                "reference", reference, limit=limit_of(MaintenancePlanRow.subject_ref)
            )
        stmt = select(MaintenancePlanRow).order_by(
            MaintenancePlanRow.service_id,
            MaintenancePlanRow.kind,
            MaintenancePlanRow.activity_id,
            MaintenancePlanRow.subject_key,
        )
        if service is not None:
            stmt = stmt.where(MaintenancePlanRow.service_id == service)
        if kind is not None:
            stmt = stmt.where(MaintenancePlanRow.kind == kind)
        if reference is not None:
            stmt = stmt.where(MaintenancePlanRow.subject_ref == reference)
        if not include_inactive:
            stmt = stmt.where(MaintenancePlanRow.active.is_(True))
        with self._session() as s:
            return [plan_view(p) for p in s.scalars(stmt)]

    def plan(self, plan_id: int) -> PlanView:
        """One plan by id (:class:`~bpsm.errors.NotFound` if there is none)."""
        plan_id = record_id("maintenance plan", plan_id)
        with self._session() as s:
            plan = s.get(MaintenancePlanRow, plan_id)
            if plan is None:
                raise NotFound("maintenance plan", plan_id)
            return plan_view(plan)

    def next_occurrence(self, plan_id: int, after: datetime | None = None) -> datetime | None:
        """The plan's first occurrence strictly after ``after`` (default now), as UTC.

        None once the rule ends. For a plan recurring after completion: its scheduled task's due
        time, or (none scheduled) the period after the last finished task or the start; None
        once the plan has ended.
        """
        at = _aware("after", after)
        plan = self.plan(plan_id)
        if plan.recurrence == "calendar":
            return maintenance.Recurrence(plan.rule or "", plan.anchor, self._tz).after(at)
        nxt = self.next_task(plan_id)
        if nxt is not None or not plan.active:
            return nxt.due_at if nxt is not None else None
        with self._session() as s:
            row = s.get(MaintenancePlanRow, plan_id)
            assert row is not None
            return due_after(plan.every or "", maintenance.counted_from(s, row), self._tz)

    def plan_for_subject(
        self,
        service: str,
        activity: str,
        *,
        subject: str,
        start: date,
        by: str,
        reference: str | None = None,
    ) -> PlanView:
        """Plan the catalogue activity for one subject (an asset, a person) from its start date.

        ``plan_for_subject("laptop", "replace", subject="laptop NB-0042 of Kim",
        reference="NB-0042", start=date(2024, 2, 29), by="ben")``: replaced on 2028-02-29 and
        every four years after, whatever day the plan is entered. The activity stays the
        template: what the catalogue changes, the plan follows. Of the occurrences already past,
        only the last is scheduled (the work still owed); see
        :mod:`bpsm.processes.maintenance.subjects`.

        Args:
            service: the catalogue service (active).
            activity: the id of one of its maintenance activities.
            subject: what the plan is for, in words.
            start: the local date the recurrence counts from (e.g. the purchase date).
            by: a staff id allowed ``task.plan``.
            reference: an asset tag or other id; with it, one plan per reference and activity.

        Raises:
            PermissionDenied: ``by`` may not ``task.plan``.
            ValidationError: naming the field: an unknown service or activity, an empty subject,
                a start that is not a date or gives no occurrence, an active plan for the subject.
        """
        person = self._desk.person(by)
        with self._session() as s:
            row = subjects.create_subject_plan(
                s,
                person,
                self._desk.config,
                service=service,
                activity=activity,
                subject=subject,
                reference=reference,
                start=start,
            )
            return plan_view(row)

    def end_plan(self, plan_id: int, *, reason: str, by: str) -> PlanView:
        """End a subject's plan (the asset is gone): its scheduled future tasks are skipped.

        Raises:
            PermissionDenied: ``by`` may not ``task.plan``.
            NotFound: no such plan.
            ValidationError: no reason, a catalogue plan, or a plan already ended.
        """
        person = self._desk.person(by)
        with self._session() as s:
            return plan_view(subjects.end_plan(s, person, plan_id, reason))

    def due(
        self,
        now: datetime | None = None,
        assignee: str | Sequence[str] | None = None,
        include_upcoming_days: int = 0,
    ) -> list[TaskView]:
        """Scheduled tasks that are due or overdue at ``now`` (default: the clock), oldest first.

        Args:
            now: the moment to judge by (aware); default now.
            assignee: only tasks of plans assigned to this staff id or group (or any of several).
            include_upcoming_days: also list tasks falling due within this many days (24 h each)
                after now.

        Raises:
            ValidationError: a naive ``now``, a negative number of days, or an unknown assignee.
        """
        at = _aware("now", now)
        if (
            isinstance(include_upcoming_days, bool)
            or not isinstance(include_upcoming_days, int)
            or not 0 <= include_upcoming_days <= DAYS_AHEAD_MAX
        ):
            raise ValidationError(
                Problem(
                    f"{shown(include_upcoming_days)} must be a whole number of days "
                    f"from 0 to {DAYS_AHEAD_MAX:,}",
                    field="include_upcoming_days",
                )
            )
        stmt = _with_status(at).where(
            TaskRow.state == "scheduled",
            TaskRow.due_at <= at + timedelta(days=include_upcoming_days),
        )
        if assignee is not None:
            stmt = stmt.where(MaintenancePlanRow.assignee.in_(self._assignees(assignee)))
        with self._session() as s:
            rows = s.execute(stmt.order_by(TaskRow.due_at, TaskRow.id)).all()
            return [task_view(t, p, status, at) for t, p, status in rows]

    def _assignees(self, assignee: str | Sequence[str]) -> list[str]:
        if isinstance(assignee, str):
            wanted = [assignee]
        elif isinstance(assignee, list | tuple | set | frozenset):
            wanted = list(assignee)
        else:
            raise ValidationError(
                Problem(f"{shown(assignee)} is not a staff id or group", field="assignee")
            )
        known = {p.id for p in self._desk.config.staff} | set(self._desk.config.groups)
        unknown = [a for a in wanted if not isinstance(a, str) or a not in known]
        if unknown or not wanted:
            raise ValidationError(
                Problem(
                    f"{unknown or wanted!r}: not a staff id or group of this desk", field="assignee"
                )
            )
        return wanted

    def tasks(
        self,
        *,
        plan_id: int | None = None,
        states: Sequence[str] | None = None,
        kind: str | None = None,
        assignee: str | Sequence[str] | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> Page[TaskView]:
        """A page of tasks by due date; paged in SQL.

        Optionally only of one plan, in ``states``, of plans of ``kind`` (``maintenance`` or
        ``account_contact``), or of plans assigned to ``assignee`` (a staff id or group, or any
        of several).

        Raises:
            ValidationError: an unknown state, kind or assignee, or paging out of bounds.
        """
        offset, limit = paging(offset, limit)
        states = self._check_states(states)
        where: list[ColumnElement[bool]] = []
        if assignee is not None:
            where.append(
                TaskRow.plan_id.in_(
                    select(MaintenancePlanRow.id).where(
                        MaintenancePlanRow.assignee.in_(self._assignees(assignee))
                    )
                )
            )
        if kind is not None:
            if not isinstance(kind, str) or kind not in maintenance.KINDS:
                raise ValidationError(
                    Problem(f"{kind!r} is not one of {', '.join(maintenance.KINDS)}", field="kind")
                )
            where.append(
                TaskRow.plan_id.in_(
                    select(MaintenancePlanRow.id).where(MaintenancePlanRow.kind == kind)
                )
            )
        if plan_id is not None:
            plan_id = whole_number("plan_id", plan_id)
            where.append(TaskRow.plan_id == plan_id)
        if states:
            where.append(TaskRow.state.in_(list(states)))
        at = clock.now()
        with self._session() as s:
            total = s.scalar(select(func.count()).select_from(TaskRow).where(*where)) or 0
            rows = s.execute(
                _with_status(at)
                .where(*where)
                .order_by(TaskRow.due_at, TaskRow.id)
                .offset(offset)
                .limit(limit)
            ).all()
            return Page(
                [task_view(t, p, status, at) for t, p, status in rows], offset, limit, total
            )

    def next_task(self, plan_id: int) -> TaskView | None:
        """The plan's earliest scheduled task, or None."""
        page = self.tasks(plan_id=plan_id, states=("scheduled",), limit=1)
        return page.items[0] if page.items else None

    def get(self, task_id: int) -> TaskView:
        """One task by id (:class:`~bpsm.errors.NotFound` if there is none)."""
        task_id = record_id("task", task_id)
        with self._session() as s:
            return self._one(s, task_id)

    def complete(
        self, task_id: int, *, by: str, note: str | None = None, expected_version: int | None = None
    ) -> TaskView:
        """The work is done; the plan's next occurrence is made to exist.

        Account contacts need a note.
        """
        return self.fire(task_id, "complete", note=note, by=by, expected_version=expected_version)

    def skip(
        self, task_id: int, *, reason: str, by: str, expected_version: int | None = None
    ) -> TaskView:
        """Not done this time, with the reason; the plan's next occurrence is made to exist."""
        return self.fire(task_id, "skip", reason=reason, by=by, expected_version=expected_version)
