"""Preventative maintenance and account contacts: recurring work that falls due.

Plans (:mod:`~bpsm.processes.maintenance.plans`) come from the published catalogue: one per
maintenance activity of each active service (kind ``"maintenance"``, assigned to the service's
group) and one account-contact plan per service (kind ``"account_contact"``, assigned to its
account manager, every ``account_contact_every`` of ``desk.yaml``). Plans for a *subject* (an
asset, a person) are instances of a catalogue activity with their own start date
(:mod:`~bpsm.processes.maintenance.subjects`); the activity stays their template: what the
catalogue changes, they follow. Tasks are made by :mod:`~bpsm.processes.maintenance.generation`.

A plan recurs by the calendar (an RRULE from its anchor — 08:00 local time on its start day — in
the desk's time zone) or after the last completion (a period): see
:mod:`bpsm.processes.maintenance.recurrence`. The anchor itself is never an occurrence: a plan made
today is first due at the rule's next occurrence ("every 4 years" from 2026-01-05 → 2030-01-05).

Tasks are the occurrences. Their process is small: ``scheduled --complete--> done`` and
``scheduled --skip--> skipped`` (with a reason). Upcoming, due and overdue are not stored: they
follow the clock. A scheduled task is *upcoming* before ``due_at``, *due* from ``due_at`` until the
end of its due day in local time (``overdue_at``, the next local midnight), and *overdue* after
that. An activity's duration is its planned effort, not a grace period.

Completing or skipping a task makes sure the plan's next occurrence exists as a task, even beyond
the generation horizon, so an active plan always has a next one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, select
from sqlalchemy.orm import Session

from bpsm import clock
from bpsm.processes.base import Context, Guard, Process, Step, audit, load_row, optional, text
from bpsm.processes.maintenance.recurrence import (
    Recurrence,
    anchor_for,
    due_after,
    end_of_day,
)
from bpsm.roles import ACCOUNT_MANAGER, ADMIN, CHANGE_MANAGER, DESK, MANAGER, SPECIALIST, Person
from bpsm.store.tables.proactive import MaintenancePlanRow, TaskRow

__all__ = [
    "KINDS",
    "TASK",
    "Recurrence",
    "anchor_for",
    "counted_from",
    "end_of_day",
    "ensure_next",
    "load",
    "schedule",
    "schedule_after_completion",
    "status_sql",
    "task_status",
]


def _plan(ctx: Context) -> MaintenancePlanRow:
    plan = ctx.session.get(MaintenancePlanRow, ctx.row.plan_id)
    assert plan is not None
    return plan


def _contact_noted(ctx: Context) -> bool:
    return _plan(ctx).kind != "account_contact" or ctx.note is not None


def _finish(ctx: Context) -> None:
    """Record who finished the task and when, and make sure the plan's next occurrence exists."""
    row = ctx.row
    row.done_at, row.done_by = clock.now(), ctx.by.id
    if ctx.step.trigger == "complete":
        row.note = ctx.reason = ctx.note
    else:
        row.skip_reason = ctx.reason
    ctx.result = ensure_next(
        ctx.session, ctx.by, row, _plan(ctx), ZoneInfo(ctx.env.config.timezone)
    )


S = Step.row

#: The task process, top to bottom. Due and overdue are not states: they follow the clock.
TASK = Process(
    name="task",
    states=("scheduled", "done", "skipped"),
    initial="scheduled",
    final=("done", "skipped"),
    table=(
        S(
            "generate",
            (),
            "scheduled",
            {ACCOUNT_MANAGER, ADMIN, CHANGE_MANAGER, MANAGER, SPECIALIST},
            "the plans' next occurrences are scheduled for the horizon",
        ),
        S(
            "plan",
            (),
            "scheduled",
            DESK | {ADMIN, MANAGER},
            "a plan for a subject (an asset, a person) from a catalogue activity, from its start "
            "date; or its end",
        ),
        S(
            "complete",
            "scheduled",
            "done",
            DESK | {ACCOUNT_MANAGER},
            "the work is done (an account contact records what customers said)",
            asks=[
                optional("note", "What was done? (an account contact: what did the customers say?)")
            ],
            guards=[
                Guard(
                    "contact_note",
                    "an account contact needs a note of what the customers said",
                    _contact_noted,
                )
            ],
            effect=_finish,
        ),
        S(
            "skip",
            "scheduled",
            "skipped",
            DESK | {ACCOUNT_MANAGER, MANAGER},
            "not done this time, with the reason",
            asks=[
                text(
                    "reason",
                    "Why is it skipped?",
                    guard="skip_reason",
                    why="say why the task is skipped",
                )
            ],
            effect=_finish,
        ),
    ),
)

KINDS = ("maintenance", "account_contact")
PLAN_AUDIT = "maintenance_plan"
CONTACT_ACTIVITY_ID = "account-contact"
CONTACT_EFFORT = timedelta(hours=1)
CHUNK = 1_000


def task_status(state: str, due_at: datetime, overdue_at: datetime, at: datetime) -> str:
    """``upcoming``, ``due`` or ``overdue`` for a scheduled task at ``at``; else its state."""
    if state != "scheduled":
        return state
    if at < due_at:
        return "upcoming"
    return "due" if at < overdue_at else "overdue"


def status_sql(at: datetime) -> ColumnElement[str]:
    """The same as :func:`task_status`, as a SQL expression over ``tasks`` (for lists)."""
    return case(
        (TaskRow.state != "scheduled", TaskRow.state),
        (TaskRow.due_at > at, "upcoming"),
        (TaskRow.overdue_at > at, "due"),
        else_="overdue",
    )


def counted_from(s: Session, plan: MaintenancePlanRow) -> datetime:
    """Where the next task of a completion-based plan counts from (see the module docstring).

    The last finished task: its completion time when done, its due time when skipped; with none,
    the plan's start.
    """
    last = s.execute(
        select(TaskRow.state, TaskRow.done_at, TaskRow.due_at)
        .where(TaskRow.plan_id == plan.id, TaskRow.state != "scheduled")
        .order_by(TaskRow.done_at.desc(), TaskRow.id.desc())
        .limit(1)
    ).first()
    if last is None:
        return plan.anchor
    return last.done_at if last.state == "done" and last.done_at else last.due_at


def schedule_after_completion(
    s: Session,
    by: Person,
    plan: MaintenancePlanRow,
    tz: ZoneInfo,
    why: str,
    until: datetime | None = None,
    base: datetime | None = None,
) -> TaskRow | None:
    """The next task of a completion-based plan: ``every`` after ``base`` (default: where it
    counts from), unless it has a scheduled one or that falls due after ``until``.

    A due date some earlier task of the plan already has moves on by the period again.
    """
    if plan.recurrence != "after_completion" or not plan.active or plan.every is None:
        return None
    if s.scalar(
        select(TaskRow.id).where(TaskRow.plan_id == plan.id, TaskRow.state == "scheduled").limit(1)
    ):
        return None
    taken = set(s.scalars(select(TaskRow.due_at).where(TaskRow.plan_id == plan.id)))
    due = due_after(plan.every, base or counted_from(s, plan), tz)
    while due in taken:
        due = due_after(plan.every, due, tz)
    if until is not None and due > until:
        return None
    return schedule(s, by, plan, due, tz, why)


def schedule(
    s: Session, by: Person, plan: MaintenancePlanRow, due: datetime, tz: ZoneInfo, why: str
) -> TaskRow:
    """One new scheduled task of ``plan`` due at ``due``, with its audit event ("schedule")."""
    now = clock.now()
    row = TaskRow(
        plan_id=plan.id,
        due_at=due,
        overdue_at=end_of_day(due, tz),
        state=TASK.initial,
        updated_at=now,
    )
    s.add(row)
    s.flush()
    audit(s, by, "task", row.id, "schedule", None, row.state, why, {"plan_id": plan.id})
    plan.generated_until, plan.updated_at = max(plan.generated_until, due), now
    return row


def load(s: Session, task_id: int, expected_version: int | None = None) -> TaskRow:
    """Fetch a task, checking the version the caller last saw (optimistic concurrency)."""
    return load_row(s, TaskRow, "task", task_id, expected_version)


def ensure_next(
    s: Session, by: Person, task: TaskRow, plan: MaintenancePlanRow, tz: ZoneInfo
) -> TaskRow | None:
    """Make sure an active plan has a scheduled task after ``task`` (just finished).

    If it has none, the next occurrence is created: the calendar's next one, or, for a plan
    recurring after completion, the period after this task's completion (its due time if it was
    skipped).
    """
    if plan.recurrence == "after_completion":
        base = task.done_at if task.state == "done" and task.done_at else task.due_at
        return schedule_after_completion(s, by, plan, tz, f"next after task {task.id}", base=base)
    if not plan.active or s.scalar(
        select(TaskRow.id)
        .where(
            TaskRow.plan_id == plan.id, TaskRow.state == "scheduled", TaskRow.due_at > task.due_at
        )
        .limit(1)
    ):
        return None
    base = max(task.due_at, plan.generated_until)
    taken = set(
        s.scalars(select(TaskRow.due_at).where(TaskRow.plan_id == plan.id, TaskRow.due_at > base))
    )
    nxt = next(
        (
            d
            for d in Recurrence(plan.rule or "", plan.anchor, tz).iter_after(base)
            if d not in taken
        ),
        None,
    )
    if nxt is None:
        return None
    return schedule(s, by, plan, nxt, tz, f"next after task {task.id}")
