"""Plans for a subject: one asset, person or thing ("laptop NB-0042 of Kim"), from a start date.

The catalogue's maintenance activity is the template (what is done, how it recurs, how long it
takes, who does it); the subject's plan is an instance of it with its own start: the laptop
bought on 2024-02-29 is replaced on 2028-02-29 (``FREQ=YEARLY;INTERVAL=4``), whatever day the plan
was entered. The start is a date in the desk's time zone; the plan's anchor is 08:00 local time
on it, and, like every anchor, it is never an occurrence itself.

Entered late, a plan does not make work of its whole past: of the occurrences between its start
and now only the last one is scheduled (due or overdue: it is the work still owed); generation
goes on from there. A plan recurring after completion has its first task due one period after
the start (overdue at once if that is past).

One active plan per subject and activity: the subject's ``reference`` (an asset tag), else its
text, case-folded, is the key; an ended plan gives its key up, so the subject can be planned
afresh. Creating and ending a plan is the task process's ``plan`` step (its roles), audited on
the plan.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bpsm import clock
from bpsm.catalogue.schema import DeskConfig, parse_duration
from bpsm.errors import NotFound, Problem, ValidationError
from bpsm.processes.base import audit
from bpsm.processes.maintenance.plans import deactivate, describe, plan_label
from bpsm.processes.maintenance.recurrence import Recurrence, RecurrenceOverflow, anchor_for
from bpsm.processes.maintenance.steps import (
    PLAN_AUDIT,
    TASK,
    schedule,
    schedule_after_completion,
)
from bpsm.roles import Person
from bpsm.store.tables.core import ServiceRow, ServiceVersionRow
from bpsm.store.tables.proactive import MaintenancePlanRow

__all__ = ["create_subject_plan", "end_plan", "subject_key"]

MAX_SUBJECT = 200
MAX_REFERENCE = 64


def subject_key(subject: str, reference: str | None) -> str:
    """What keeps one plan per subject and activity: the reference, else the subject text."""
    return " ".join((reference or subject).split()).casefold()


def _text(value: object, field: str, most: int, required: bool) -> str | None:
    """``value`` with its spaces tidied, or None when it may be left out."""
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(Problem(f"{value!r} must be a non-empty text", field=field))
    text = " ".join(value.split())
    if len(text) > most:
        raise ValidationError(Problem(f"{len(text)} characters; at most {most}", field=field))
    return text


def _template(s: Session, service: str, activity: str) -> tuple[ServiceRow, dict[str, object]]:
    """The active service and its published maintenance activity ``activity``."""
    found = s.execute(
        select(ServiceRow, ServiceVersionRow.definition)
        .join(
            ServiceVersionRow,
            (ServiceVersionRow.service_id == ServiceRow.id)
            & (ServiceVersionRow.version == ServiceRow.current_version),
        )
        .where(ServiceRow.id == service)
    ).first()
    if found is None or not found[0].active:
        raise ValidationError(
            Problem(f"{service!r} is not an active service of the catalogue", field="service")
        )
    acts = {a["id"]: a for a in found[1].get("maintenance") or []}
    if activity not in acts:
        known = ", ".join(sorted(acts)) or "none"
        raise ValidationError(
            Problem(
                f"{activity!r} is not a maintenance activity of {service} (it has: {known})",
                field="activity",
            )
        )
    return found[0], acts[activity]


def create_subject_plan(
    s: Session,
    by: Person,
    config: DeskConfig,
    *,
    service: str,
    activity: str,
    subject: str,
    reference: str | None,
    start: date,
) -> MaintenancePlanRow:
    """A plan for ``subject`` from the catalogue activity ``service``/``activity``, from ``start``.

    Raises:
        PermissionDenied: ``by`` may not ``task.plan``.
        ValidationError: an unknown service or activity, an empty subject, a start that is not
            a date, a rule with no occurrence from that start, or an active plan for the same
            subject and activity (named).
    """
    TASK.require(by, "plan")
    subject_text = _text(subject, "subject", MAX_SUBJECT, True)
    assert subject_text is not None
    ref = _text(reference, "reference", MAX_REFERENCE, False)
    if not isinstance(start, date) or isinstance(start, datetime):
        raise ValidationError(Problem(f"{start!r} must be a date (no time of day)", field="start"))
    row, act = _template(s, service, activity)
    key = subject_key(subject_text, ref)
    clash = s.scalar(
        select(MaintenancePlanRow).where(
            MaintenancePlanRow.service_id == service,
            MaintenancePlanRow.kind == "maintenance",
            MaintenancePlanRow.activity_id == activity,
            MaintenancePlanRow.subject_key == key,
        )
    )
    if clash is not None:
        raise ValidationError(
            Problem(
                f"{ref or subject_text!r} already has plan {clash.id} for {service}/{activity}",
                field="reference" if ref else "subject",
            )
        )
    tz, now = ZoneInfo(config.timezone), clock.now()
    anchor = anchor_for(start, tz)
    after_completion = bool(act.get("after_completion"))
    rule = None if after_completion else str(act["rule"])
    last_past = None
    if rule is not None:
        try:
            recurrence = Recurrence(rule, anchor, tz)
            if recurrence.after(anchor) is None:
                raise ValueError(f"the rule {rule!r} has no occurrence after {start}")
            last_past = recurrence.before(now)
        except (ValueError, RecurrenceOverflow) as exc:
            raise ValidationError(Problem(str(exc), field="start")) from None
    plan = MaintenancePlanRow(
        service_id=service,
        kind="maintenance",
        activity_id=activity,
        subject_key=key,
        activity=str(act["activity"]),
        recurrence="after_completion" if after_completion else "calendar",
        rule=rule,
        every=act.get("after_completion"),
        assignee=row.group,
        service_version=row.current_version,
        duration_seconds=int(parse_duration(act.get("duration", "PT1H")).total_seconds()),
        subject=subject_text,
        subject_ref=ref,
        start_on=start,
        anchor=anchor,
        generated_until=anchor,
        active=True,
        created_at=now,
        updated_at=now,
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
            "subject": subject_text,
            "reference": ref,
            "start": start.isoformat(),
            "recurrence": describe(plan.recurrence, plan.rule, plan.every),
            "assignee": plan.assignee,
        },
    )
    if last_past is not None:
        schedule(s, by, plan, last_past, tz, f"owed since {last_past:%Y-%m-%d} when planned")
    else:
        schedule_after_completion(s, by, plan, tz, f"first after the start {start}")
    return plan


def end_plan(s: Session, by: Person, plan_id: int, reason: str) -> MaintenancePlanRow:
    """End a subject's plan (the laptop is retired): inactive, its future tasks skipped.

    Raises:
        PermissionDenied: ``by`` may not ``task.plan``.
        NotFound: no such plan.
        ValidationError: no reason, a catalogue plan (remove the activity instead), or a plan
            that has already ended.
    """
    TASK.require(by, "plan")
    why = _text(reason, "reason", 2000, True)
    assert why is not None
    plan = s.get(MaintenancePlanRow, plan_id)
    if plan is None:
        raise NotFound("maintenance plan", plan_id)
    if not plan.subject_key:
        raise ValidationError(
            Problem(
                f"plan {plan_id} ({plan_label(plan)}) follows the catalogue: "
                "remove the activity through a change to end it",
                field="plan_id",
            )
        )
    if not plan.active:
        raise ValidationError(Problem(f"plan {plan_id} has already ended", field="plan_id"))
    deactivate(s, by, plan, why)
    return plan
