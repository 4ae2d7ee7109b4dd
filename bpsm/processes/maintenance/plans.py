"""The plans: kept in line with the published catalogue.

:func:`sync_plans` makes the plans match the catalogue (one per maintenance activity of each
active service, an account contact per service; subjects' plans follow their activity); the
generation of their tasks is :mod:`bpsm.processes.maintenance.generation`. Every change to a plan
is audited on it (``maintenance_plan``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bpsm import clock
from bpsm.catalogue.schema import DeskConfig, parse_duration
from bpsm.errors import Problem, ValidationError
from bpsm.processes.base import audit
from bpsm.processes.maintenance.recurrence import (
    Recurrence,
    anchor_for,
    due_after,
)
from bpsm.processes.maintenance.steps import (
    CONTACT_ACTIVITY_ID,
    CONTACT_EFFORT,
    PLAN_AUDIT,
    TASK,
    counted_from,
    schedule_after_completion,
)
from bpsm.roles import Person
from bpsm.store.tables.core import ServiceRow, ServiceVersionRow
from bpsm.store.tables.proactive import MaintenancePlanRow, TaskRow

__all__ = [
    "PlanSyncReport",
    "deactivate",
    "describe",
    "every_rule",
    "plan_label",
    "sync_plans",
]


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
