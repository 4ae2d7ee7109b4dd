"""Preventative maintenance and account contacts: recurring work that falls due.

Plans come from the published catalogue: one per maintenance activity of each active service
(kind ``"maintenance"``, assigned to the service's group) and one account-contact plan per service
(kind ``"account_contact"``, assigned to its account manager, every ``account_contact_every`` of
``desk.yaml``). A plan's rule is an RFC 5545 RRULE evaluated from its anchor — 08:00 local time on
the day the plan was created — in the desk's time zone, so "first Monday 08:00" stays 08:00 local
across DST changes. The anchor itself is never an occurrence: a plan made today is first due at
the rule's next occurrence ("every 4 years" from 2026-01-05 → 2030-01-05).

Tasks are the occurrences. Their process is small: ``scheduled --complete--> done`` and
``scheduled --skip--> skipped`` (with a reason). Upcoming, due and overdue are not stored: they
follow the clock. A scheduled task is *upcoming* before ``due_at``, *due* from ``due_at`` until the
end of its due day in local time (``overdue_at``, the next local midnight), and *overdue* after
that. An activity's duration is its planned effort, not a grace period.

Completing or skipping a task makes sure the plan's next occurrence exists as a task, even beyond
the generation horizon, so an active plan always has a next one.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from sqlalchemy import ColumnElement, Table, case, insert, select
from sqlalchemy.orm import Session

from bpsm import clock
from bpsm.catalogue.schema import DeskConfig, parse_duration
from bpsm.errors import Problem, ValidationError
from bpsm.processes.base import Context, Guard, Process, Step, audit, load_row, optional, text
from bpsm.roles import ACCOUNT_MANAGER, ADMIN, CHANGE_MANAGER, DESK, MANAGER, SPECIALIST, Person
from bpsm.store.tables.core import AuditEventRow, ServiceRow, ServiceVersionRow
from bpsm.store.tables.proactive import MaintenancePlanRow, TaskRow

__all__ = [
    "TASK",
    "GenerationReport",
    "PlanSyncReport",
    "Recurrence",
    "ensure_next",
    "every_rule",
    "generate",
    "load",
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
ANCHOR_TIME = time(8, 0)
MAX_OCCURRENCES = (
    10_000  # per plan and run: a runaway rule (FREQ=MINUTELY) is refused, not inserted
)
CHUNK = 1_000


class Recurrence:
    """A plan's rule evaluated in local time from its anchor; occurrences come back as aware UTC.

    Raises:
        ValueError: the rule is not a valid RRULE.
    """

    def __init__(self, rule: str, anchor: datetime, tz: ZoneInfo):
        self.anchor, self.tz = anchor, tz
        local = anchor.astimezone(tz)
        try:
            self._rule, self._wall = rrulestr(rule, dtstart=local), False
        except (ValueError, TypeError):
            try:  # an UNTIL written without "Z" is read as local wall-clock time
                self._rule, self._wall = rrulestr(rule, dtstart=local.replace(tzinfo=None)), True
            except (ValueError, TypeError) as exc:
                raise ValueError(f"{rule!r} is not a valid RRULE ({exc})") from None

    def iter_after(self, at: datetime) -> Iterator[datetime]:
        """Occurrences strictly after ``at`` (and after the anchor), in order."""
        start = max(at, self.anchor).astimezone(self.tz)
        for occ in self._rule.xafter(
            start.replace(tzinfo=None) if self._wall else start, inc=False
        ):
            yield (occ.replace(tzinfo=self.tz) if self._wall else occ).astimezone(UTC)

    def after(self, at: datetime) -> datetime | None:
        """The first occurrence strictly after ``at``, or None when the rule has ended."""
        return next(self.iter_after(at), None)

    def between(
        self, after: datetime, until: datetime, limit: int = MAX_OCCURRENCES
    ) -> list[datetime]:
        """Occurrences in ``(after, until]``; :class:`OverflowError` beyond ``limit`` of them."""
        out: list[datetime] = []
        for occ in self.iter_after(after):
            if occ > until:
                break
            if len(out) == limit:
                raise OverflowError(limit)
            out.append(occ)
        return out


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


def anchor_for(at: datetime, tz: ZoneInfo) -> datetime:
    """08:00 local time on ``at``'s local day, as UTC: the DTSTART of a plan created at ``at``."""
    return datetime.combine(at.astimezone(tz).date(), ANCHOR_TIME, tzinfo=tz).astimezone(UTC)


def end_of_day(due_at: datetime, tz: ZoneInfo) -> datetime:
    """The next local midnight after ``due_at``: from then on the task is overdue."""
    day = due_at.astimezone(tz).date() + timedelta(days=1)
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


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
                "rule": act["rule"],
                "assignee": group,
                "service_version": version,
                "duration_seconds": int(
                    parse_duration(act.get("duration", "PT1H")).total_seconds()
                ),
            }
        out[(sid, "account_contact", CONTACT_ACTIVITY_ID)] = {
            "activity": f"Contact customers of {name}",
            "rule": contact_rule,
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


def sync_plans(s: Session, by: Person, config: DeskConfig) -> PlanSyncReport:
    """Bring the plans in line with the published catalogue (idempotent; every change audited).

    A new activity gets a plan anchored today; a changed rule, text, duration or assignee updates
    the plan, and a changed rule skips scheduled future tasks the new rule no longer has; a removed
    activity (or retired service) deactivates the plan and skips its scheduled future tasks.

    Raises:
        ValidationError: a rule cannot be evaluated (nothing is changed).
    """
    TASK.require(by, "generate")
    tz, now = ZoneInfo(config.timezone), clock.now()
    wanted = _wanted(s, config)
    problems = []
    for (sid, _kind, aid), want in sorted(wanted.items()):
        try:
            Recurrence(want["rule"], now, tz)
        except ValueError as exc:
            problems.append(Problem(str(exc), field=f"{sid}.maintenance.{aid}.rule"))
    if problems:
        raise ValidationError(problems)
    existing = {
        (p.service_id, p.kind, p.activity_id): p for p in s.scalars(select(MaintenancePlanRow))
    }
    report = PlanSyncReport()
    for key, want in sorted(wanted.items()):
        label, plan = f"{key[0]}/{key[2]}", existing.get(key)
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
    for key, plan in sorted(existing.items()):
        if key not in wanted and plan.active:
            service = s.get(ServiceRow, plan.service_id)
            retired = service is None or not service.active
            reason = (
                "service retired from catalogue" if retired else "activity removed from catalogue"
            )
            plan.active, plan.updated_at = False, now
            _close_open(s, by, plan, now, reason)
            audit(s, by, PLAN_AUDIT, plan.id, "deactivate", "active", "inactive", reason)
            report.deactivated.append(f"{key[0]}/{key[2]}")
    return report


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
        anchor=anchor,
        generated_until=anchor,
        active=True,
        created_at=now,
        updated_at=now,
        **want,
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
        {"rule": plan.rule, "assignee": plan.assignee, "anchor": anchor.isoformat()},
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
    changed = {k: v for k, v in want.items() if getattr(plan, k) != v}
    if not changed:
        return False
    before = {k: getattr(plan, k) for k in changed}
    for k, v in changed.items():
        setattr(plan, k, v)
    plan.updated_at = now
    if "rule" in changed:
        _rule_changed(s, by, plan, before["rule"], now, tz)
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


def _rule_changed(
    s: Session, by: Person, plan: MaintenancePlanRow, old: str, now: datetime, tz: ZoneInfo
) -> None:
    """The new rule applies from now: future tasks it does not have are skipped, the rest kept."""
    last = s.scalar(
        select(TaskRow.due_at)
        .where(TaskRow.plan_id == plan.id, TaskRow.state == "scheduled")
        .order_by(TaskRow.due_at.desc())
        .limit(1)
    )
    keep = (
        set(Recurrence(plan.rule, plan.anchor, tz).between(now, last))
        if last is not None and last > now
        else set()
    )
    _close_open(s, by, plan, now, f"rule changed from {old} to {plan.rule}", keep)
    plan.generated_until = now


def generate(s: Session, by: Person, config: DeskConfig, horizon: timedelta) -> GenerationReport:
    """Sync the plans, then create every occurrence of every active plan up to now + ``horizon``.

    Each plan continues from where it was generated until (its anchor at first). Tasks and their
    "schedule" audit events are inserted in chunks with SQLAlchemy Core; occurrences that already
    exist are left alone, so running twice creates nothing new.

    Raises:
        ValidationError: a bad horizon, or a rule yielding more than 10,000 occurrences in one run.
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
        .where(MaintenancePlanRow.active.is_(True), MaintenancePlanRow.generated_until < until)
        .order_by(MaintenancePlanRow.id)
    ).all()
    for plan in plans:
        try:
            due = Recurrence(plan.rule, plan.anchor, tz).between(plan.generated_until, until)
        except OverflowError:
            raise ValidationError(
                Problem(
                    f"{horizon} is too long for plan {plan.service_id}/{plan.activity_id}: "
                    f"its rule {plan.rule!r} has more than {MAX_OCCURRENCES} occurrences "
                    f"before {until:%Y-%m-%d}",
                    field="horizon",
                )
            ) from None
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
            rows += [
                {
                    "plan_id": plan.id,
                    "due_at": d,
                    "overdue_at": end_of_day(d, tz),
                    "state": TASK.initial,
                    "version": 1,
                    "updated_at": now,
                }
                for d in new
            ]
            if new:
                report.created[plan.id] = len(new)
        plan.generated_until, plan.updated_at = until, now
    _insert_tasks(s, by, rows, now)
    return report


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
    """Make sure an active plan has a scheduled task after ``task``.

    If it has none, the next occurrence is created.
    """
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
        (d for d in Recurrence(plan.rule, plan.anchor, tz).iter_after(base) if d not in taken), None
    )
    if nxt is None:
        return None
    now = clock.now()
    row = TaskRow(
        plan_id=plan.id,
        due_at=nxt,
        overdue_at=end_of_day(nxt, tz),
        state=TASK.initial,
        updated_at=now,
    )
    s.add(row)
    s.flush()
    audit(
        s,
        by,
        "task",
        row.id,
        "schedule",
        None,
        row.state,
        f"next after task {task.id}",
        {"plan_id": plan.id},
    )
    plan.generated_until, plan.updated_at = max(plan.generated_until, nxt), now
    return row
