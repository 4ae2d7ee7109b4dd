"""Preventative maintenance and account contacts: recurring work that falls due.

Plans come from the published catalogue: one per maintenance activity of each active service
(kind ``"maintenance"``, assigned to the service's group) and one account-contact plan per service
(kind ``"account_contact"``, assigned to its account manager, every ``account_contact_every`` of
``desk.yaml``). Plans for a *subject* (an asset, a person) are instances of a catalogue activity
with their own start date (:mod:`bpsm.processes.maintenance.subjects`); the activity stays their
template: what the catalogue changes, they follow.

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

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Table, case, insert, select
from sqlalchemy.orm import Session

from bpsm import clock
from bpsm.catalogue.schema import DeskConfig, parse_duration
from bpsm.errors import Problem, ValidationError
from bpsm.processes.base import Context, Guard, Process, Step, audit, load_row, optional, text
from bpsm.processes.maintenance.recurrence import (
    MAX_OCCURRENCES,
    Recurrence,
    RecurrenceOverflow,
    anchor_for,
    due_after,
    end_of_day,
)
from bpsm.roles import ACCOUNT_MANAGER, ADMIN, CHANGE_MANAGER, DESK, MANAGER, SPECIALIST, Person
from bpsm.store.tables.core import AuditEventRow, ServiceRow, ServiceVersionRow
from bpsm.store.tables.proactive import MaintenancePlanRow, TaskRow

__all__ = [
    "TASK",
    "GenerationReport",
    "PlanSyncReport",
    "Recurrence",
    "anchor_for",
    "counted_from",
    "deactivate",
    "describe",
    "end_of_day",
    "ensure_next",
    "every_rule",
    "generate",
    "load",
    "plan_label",
    "schedule",
    "schedule_after_completion",
    "status_sql",
    "sync_plans",
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


def every_rule(every: timedelta) -> str:
    """An RRULE for "every ``every``" (``P90D`` → ``FREQ=DAILY;INTERVAL=90``)."""
    seconds = int(every.total_seconds())
    if seconds <= 0:
        raise ValidationError(
            Problem(f"{every!r} must be a positive duration", field="account_contact_every")
        )
    units = (("WEEKLY", 604800), ("DAILY", 86400), ("HOURLY", 3600), ("MINUTELY", 60))
    freq, size = next(((f, n) for f, n in units if seconds % n == 0), ("SECONDLY", 1))
    return f"FREQ={freq};INTERVAL={seconds // size}"


@dataclass
class PlanSyncReport:
    """What a plan sync did, by ``"<service>/<activity>"``."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    reactivated: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"{len(self.created)} plans created, {len(self.updated)} updated, "
            f"{len(self.reactivated)} reactivated, {len(self.deactivated)} deactivated, "
            f"{len(self.unchanged)} unchanged"
        )


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


def _wanted(s: Session, config: DeskConfig) -> dict[tuple[str, str, str], dict[str, Any]]:
    """The plans the published catalogue asks for, keyed by (service, kind, activity id)."""
    rows = s.execute(
        select(
            ServiceRow.id,
            ServiceRow.name,
            ServiceRow.group,
            ServiceRow.current_version,
            ServiceVersionRow.definition,
        )
        .join(
            ServiceVersionRow,
            (ServiceVersionRow.service_id == ServiceRow.id)
            & (ServiceVersionRow.version == ServiceRow.current_version),
        )
        .where(ServiceRow.active.is_(True))
    ).all()
    contact_rule = every_rule(config.account_contact_every)
    out: dict[tuple[str, str, str], dict[str, Any]] = {}
    for sid, name, group, version, definition in rows:
        for act in definition.get("maintenance") or []:
            out[(sid, "maintenance", act["id"])] = {
                "activity": act["activity"],
                "recurrence": "after_completion" if act.get("after_completion") else "calendar",
                "rule": act.get("rule"),
                "every": act.get("after_completion"),
                "per": act.get("per", "service"),
                "assignee": group,
                "service_version": version,
                "duration_seconds": int(
                    parse_duration(act.get("duration", "PT1H")).total_seconds()
                ),
            }
        out[(sid, "account_contact", CONTACT_ACTIVITY_ID)] = {
            "activity": f"Contact customers of {name}",
            "recurrence": "calendar",
            "rule": contact_rule,
            "every": None,
            "per": "service",
            "service_version": version,
            "assignee": definition["account_manager"],
            "duration_seconds": int(CONTACT_EFFORT.total_seconds()),
        }
    return out


def _close_open(
    s: Session,
    by: Person,
    plan: MaintenancePlanRow,
    after: datetime,
    reason: str,
    keep: Collection[datetime] = (),
) -> None:
    """Skip the plan's scheduled tasks due after ``after`` (except ``keep``), each audited."""
    now = clock.now()
    rows = s.scalars(
        select(TaskRow).where(
            TaskRow.plan_id == plan.id, TaskRow.state == "scheduled", TaskRow.due_at > after
        )
    ).all()
    for task in rows:
        if task.due_at in keep:
            continue
        task.state = TASK.next_state(task.state, "skip", f"task {task.id}")
        task.skip_reason, task.done_at, task.done_by, task.updated_at = reason, now, by.id, now
        audit(
            s,
            by,
            "task",
            task.id,
            "skip",
            "scheduled",
            task.state,
            reason,
            {"by": "catalogue sync"},
        )


def _check_wanted(wanted: dict[tuple[str, str, str], dict[str, Any]], tz: ZoneInfo) -> None:
    """Every rule and period the catalogue asks for can be evaluated (else nothing changes)."""
    problems, now = [], clock.now()
    for (sid, _kind, aid), want in sorted(wanted.items()):
        try:
            if want["recurrence"] == "calendar":
                Recurrence(want["rule"], now, tz)
            else:
                due_after(want["every"], now, tz)
        except ValueError as exc:
            field = "rule" if want["recurrence"] == "calendar" else "after_completion"
            problems.append(Problem(str(exc), field=f"{sid}.maintenance.{aid}.{field}"))
    if problems:
        raise ValidationError(problems)


def plan_label(plan: MaintenancePlanRow) -> str:
    """``service/activity``, and ``@subject`` for a subject's plan: how reports name a plan."""
    label = f"{plan.service_id}/{plan.activity_id}"
    return f"{label}@{plan.subject_ref or plan.subject}" if plan.subject_key else label


def sync_plans(s: Session, by: Person, config: DeskConfig) -> PlanSyncReport:
    """Bring the plans in line with the published catalogue (idempotent; every change audited).

    A new activity gets a plan anchored today; a changed rule, text, duration or assignee updates
    the plan, and a changed rule skips scheduled future tasks the new rule no longer has; a removed
    activity (or retired service) deactivates the plan and skips its scheduled future tasks.
    Subjects' plans follow their activity the same way (they are not reactivated when it comes
    back: plan the subject again).

    Raises:
        ValidationError: a rule cannot be evaluated (nothing is changed).
    """
    TASK.require(by, "generate")
    tz, now = ZoneInfo(config.timezone), clock.now()
    wanted = _wanted(s, config)
    _check_wanted(wanted, tz)
    existing: dict[tuple[str, str, str], MaintenancePlanRow] = {}
    instances: list[MaintenancePlanRow] = []
    for p in s.scalars(select(MaintenancePlanRow).order_by(MaintenancePlanRow.id)):
        if p.subject_key:
            instances.append(p)
        else:
            existing[(p.service_id, p.kind, p.activity_id)] = p
    report = PlanSyncReport()
    for key, want in sorted(wanted.items()):
        label, plan = f"{key[0]}/{key[2]}", existing.get(key)
        if want["per"] == "subject":
            if plan is not None and plan.active:  # the activity became a template for subjects
                deactivate(s, by, plan, "activity now planned per subject")
                report.deactivated.append(label)
            continue
        if plan is None:
            _create_plan(s, by, key, want, now, tz)
            report.created.append(label)
            continue
        reactivated = not plan.active
        if reactivated:
            plan.active, plan.generated_until, plan.updated_at = (
                True,
                max(plan.generated_until, now),
                now,
            )
            audit(
                s,
                by,
                PLAN_AUDIT,
                plan.id,
                "reactivate",
                "inactive",
                "active",
                "activity back in the catalogue",
            )
            report.reactivated.append(label)
        updated = _update_plan(s, by, plan, want, now, tz)
        if not reactivated:
            (report.updated if updated else report.unchanged).append(label)
    gone = [p for key, p in sorted(existing.items()) if key not in wanted and p.active]
    for plan in instances:
        template = wanted.get((plan.service_id, plan.kind, plan.activity_id))
        if template is None and plan.active:
            gone.append(plan)
        elif template is not None and plan.active:
            updated = _update_plan(s, by, plan, template, now, tz)
            (report.updated if updated else report.unchanged).append(plan_label(plan))
    for plan in gone:
        service = s.get(ServiceRow, plan.service_id)
        retired = service is None or not service.active
        reason = "service retired from catalogue" if retired else "activity removed from catalogue"
        deactivate(s, by, plan, reason)
        report.deactivated.append(plan_label(plan))
    return report


def deactivate(s: Session, by: Person, plan: MaintenancePlanRow, reason: str) -> None:
    """End a plan: inactive, its scheduled future tasks skipped with ``reason``; audited."""
    now = clock.now()
    plan.active, plan.updated_at = False, now
    if plan.subject_key and not plan.subject_key.endswith(f"#{plan.id}"):
        plan.subject_key = f"{plan.subject_key}#{plan.id}"  # the subject may be planned afresh
    _close_open(s, by, plan, now, reason)
    audit(s, by, PLAN_AUDIT, plan.id, "deactivate", "active", "inactive", reason)


def _create_plan(
    s: Session,
    by: Person,
    key: tuple[str, str, str],
    want: dict[str, Any],
    now: datetime,
    tz: ZoneInfo,
) -> None:
    """A new plan, anchored at 08:00 local time today, generated from its anchor on."""
    anchor = anchor_for(now, tz)
    plan = MaintenancePlanRow(
        service_id=key[0],
        kind=key[1],
        activity_id=key[2],
        subject_key="",
        anchor=anchor,
        generated_until=anchor,
        active=True,
        created_at=now,
        updated_at=now,
        **{k: v for k, v in want.items() if k != "per"},
    )
    s.add(plan)
    s.flush()
    audit(
        s,
        by,
        PLAN_AUDIT,
        plan.id,
        "create",
        None,
        "active",
        None,
        {
            "recurrence": describe(plan.recurrence, plan.rule, plan.every),
            "assignee": plan.assignee,
            "anchor": anchor.isoformat(),
        },
    )


def _update_plan(
    s: Session,
    by: Person,
    plan: MaintenancePlanRow,
    want: dict[str, Any],
    now: datetime,
    tz: ZoneInfo,
) -> bool:
    """Adopt what the catalogue changed (audited, with before and after); False if nothing did."""
    changed = {k: v for k, v in want.items() if k != "per" and getattr(plan, k) != v}
    if not changed:
        return False
    before = {k: getattr(plan, k) for k in changed}
    for k, v in changed.items():
        setattr(plan, k, v)
    plan.updated_at = now
    if changed.keys() & {"recurrence", "rule", "every"}:
        _rule_changed(s, by, plan, before, now, tz)
    audit(
        s,
        by,
        PLAN_AUDIT,
        plan.id,
        "update",
        "active",
        "active",
        None,
        {"fields": sorted(changed), "before": before, "after": changed},
    )
    return True


def describe(recurrence: str, rule: str | None, every: str | None) -> str:
    """A recurrence in words: its RRULE, or ``after completion P6M``."""
    return (rule or "") if recurrence == "calendar" else f"after completion {every}"


def _rule_changed(
    s: Session,
    by: Person,
    plan: MaintenancePlanRow,
    before: dict[str, Any],
    now: datetime,
    tz: ZoneInfo,
) -> None:
    """The new recurrence applies from now: future tasks it does not have are skipped.

    A calendar rule keeps the scheduled tasks it still has; after a completion-based change the
    next task is scheduled afresh from the last completion (or the start).
    """
    was = {"recurrence": plan.recurrence, "rule": plan.rule, "every": plan.every, **before}
    old = describe(was["recurrence"], was["rule"], was["every"])
    why = f"rule changed from {old} to {describe(plan.recurrence, plan.rule, plan.every)}"
    if plan.recurrence == "after_completion":
        base = counted_from(s, plan)  # before the skips below, which are no work done
        _close_open(s, by, plan, now, why)
        plan.generated_until = now
        schedule_after_completion(s, by, plan, tz, why, base=base)
        return
    last = s.scalar(
        select(TaskRow.due_at)
        .where(TaskRow.plan_id == plan.id, TaskRow.state == "scheduled")
        .order_by(TaskRow.due_at.desc())
        .limit(1)
    )
    keep = (
        set(Recurrence(plan.rule or "", plan.anchor, tz).between(now, last))
        if last is not None and last > now
        else set()
    )
    _close_open(s, by, plan, now, why, keep)
    plan.generated_until = now


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
