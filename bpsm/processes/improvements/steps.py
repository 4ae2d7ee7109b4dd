"""Improvements (proactive management): from a trigger to a change, or dropped with a reason.

An improvement comes from a **recurring disruption**, changing **customer needs**, **new
technology**, new **legislation** or guidelines, or anything **other**. It is ``identified``, then
``assessed`` (is it worth it? the effort, in estimated person-hours, against the benefit, in
words), then ``approved`` — which opens a change to the catalogue in the same transaction — or
``dropped`` with the reason.

The **recurring-disruption detector** (:func:`detect_recurring_disruptions`) proposes an
improvement when a service collects ``desk.yaml``'s ``recurring_disruption.calls`` calls within
``recurring_disruption.window``. *Same burst*, precisely: each detector improvement records the
calls it stands for as ``burst_start``..``burst_end`` (first and last ``registered_at``) with their
count. A call registered at or before the service's latest ``burst_end`` already belongs to an
improvement and is never counted again. So a new improvement is proposed only when at least N
calls on the service were registered *after* the previous improvement's ``burst_end`` and within
the window ending now; running the detector again, or a further call in a burst already reported,
proposes nothing until N fresh calls have come in within one window.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from bpsm import clock
from bpsm.catalogue.schema import RecurringDisruption, format_duration
from bpsm.errors import GuardFailed, Problem, ValidationError
from bpsm.processes.base import Ask, Context, Guard, Process, Step, audit, load_row, optional, text
from bpsm.processes.changes import steps as change
from bpsm.roles import (
    ACCOUNT_MANAGER,
    ADMIN,
    CHANGE_MANAGER,
    DESK,
    MANAGER,
    SPECIALIST,
    Person,
)
from bpsm.store.tables import CallRow, ServiceRow, ServiceVersionRow
from bpsm.store.tables.proactive import ImprovementRow

__all__ = ["IMPROVEMENT", "SOURCES", "detect_recurring_disruptions", "identify", "load"]


def _assess(ctx: Context) -> None:
    row, hours = ctx.row, float(ctx.effort_hours)
    ctx.data = {"worth_it": ctx.worth_it, "effort_hours": hours}
    row.worth_it, row.effort_hours, row.benefit = ctx.worth_it, hours, ctx.benefit
    row.assessed_by, row.assessed_at = ctx.by.id, clock.now()


def _kind(ctx: Context) -> str | None:
    """The change to open: the one asked for, else a modify of the improvement's service."""
    return ctx.change_kind or ("modify" if ctx.row.service_id is not None else None)


def _change_target(ctx: Context) -> bool | str:
    kind = _kind(ctx)
    if kind is None:
        return (
            f"improvement {ctx.row.id} names no service; pass change_kind (e.g. 'add') "
            "and the proposed service definition"
        )
    if kind in ("add", "modify") and ctx.definition is None and ctx.row.service_id is None:
        return f"a change of kind {kind!r} needs the proposed service definition"
    return True


def _approve(ctx: Context) -> None:
    """Open the change (``draft``) the improvement leads to; its id is on the improvement."""
    row, kind = ctx.row, _kind(ctx)
    assert kind is not None, "the change-target guard runs before this effect"
    definition = ctx.definition
    if kind in ("add", "modify") and definition is None:
        definition = _current_definition(ctx.session, row.service_id)
    proposal = change.propose(
        ctx.session,
        ctx.by,
        kind=kind,
        service_id=None if kind == "add" else row.service_id,
        definition=definition,
        summary=f"Improvement IM-{row.id:06d}: {row.title}",
        impact=ctx.impact or "medium",
        origin=("improvement", row.id),
    )
    ctx.data = {"change_id": proposal.id, "change_kind": kind}
    row.change_id, row.decided_by, row.decided_at = proposal.id, ctx.by.id, clock.now()
    ctx.result = proposal.id


def _drop(ctx: Context) -> None:
    ctx.row.drop_reason, ctx.row.decided_by, ctx.row.decided_at = ctx.reason, ctx.by.id, clock.now()


def _positive_hours(value: float) -> str | None:
    return None if 0 < value < 1e6 else f"{value!r} must be a positive number of person-hours"


S = Step.row

#: The improvement process, top to bottom.
IMPROVEMENT = Process(
    name="improvement",
    states=("identified", "assessed", "approved", "dropped"),
    initial="identified",
    final=("approved", "dropped"),
    table=(
        S(
            "identify",
            (),
            "identified",
            DESK | {ACCOUNT_MANAGER, CHANGE_MANAGER, MANAGER},
            "a recurring disruption, a changing need, new technology or legislation is noticed",
        ),
        S(
            "detect",
            (),
            "identified",
            {ADMIN, CHANGE_MANAGER, MANAGER},
            "the recurring-disruption detector reports a burst of calls on one service",
        ),
        S(
            "assess",
            "identified",
            "assessed",
            {ACCOUNT_MANAGER, CHANGE_MANAGER, MANAGER, SPECIALIST},
            "worth it? effort (person-hours) against benefit",
            asks=[
                Ask("worth_it", "Is it worth it?", "yes_no"),
                Ask(
                    "effort_hours",
                    "Effort, in estimated person-hours",
                    "number",
                    check=_positive_hours,
                ),
                Ask("benefit", "What does it bring?"),
            ],
            reason="benefit",
            effect=_assess,
        ),
        S(
            "approve",
            "assessed",
            "approved",
            {CHANGE_MANAGER, MANAGER},
            "worth it: open a change to the catalogue",
            asks=[
                optional(
                    "change_kind",
                    "Which change? (default: modify the service)",
                    "choice",
                    choices=change.KINDS,
                ),
                optional("definition", "The proposed service definition", "mapping"),
                optional("impact", "Impact of the change", "choice", choices=change.IMPACTS),
                optional("note", "Note (optional)"),
            ],
            guards=[
                Guard(
                    "worth_it",
                    "the assessment said it is not worth it",
                    lambda ctx: (
                        ctx.row.worth_it is True
                        or f"improvement {ctx.row.id} was assessed as not "
                        "worth it; drop it, with the reason"
                    ),
                ),
                Guard("change_target", "no service and no change kind to open", _change_target),
            ],
            reason="note",
            effect=_approve,
        ),
        S(
            "drop",
            ("identified", "assessed"),
            "dropped",
            {CHANGE_MANAGER, MANAGER},
            "not pursued, with the reason",
            asks=[
                text(
                    "reason",
                    "Why is it not pursued?",
                    guard="drop_reason",
                    why="say why the improvement is dropped",
                )
            ],
            effect=_drop,
        ),
    ),
)

SOURCES = ("recurring_disruption", "customer_needs", "new_technology", "legislation", "other")


def load(s: Session, improvement_id: int, expected_version: int | None = None) -> ImprovementRow:
    """Fetch an improvement, checking the version the caller last saw."""
    return load_row(s, ImprovementRow, "improvement", improvement_id, expected_version)


def _active_service(s: Session, service_id: str) -> ServiceRow:
    svc = s.get(ServiceRow, service_id)
    if svc is None or not svc.active:
        raise ValidationError(
            Problem(f"{service_id!r} is not an active catalogue service", field="service_id")
        )
    return svc


def identify(
    s: Session,
    by: Person,
    *,
    source: str,
    title: str,
    description: str,
    service_id: str | None = None,
) -> ImprovementRow:
    """Record an improvement idea in ``identified``.

    Raises:
        ValidationError: unknown source, empty title or description, unknown or retired service.
    """
    IMPROVEMENT.require(by, "identify")
    if source not in SOURCES:
        raise ValidationError(
            Problem(f"{source!r} is not one of {', '.join(SOURCES)}", field="source")
        )
    title_ = Ask("title", "Title").take({"title": title})
    description_ = Ask("description", "Description").take({"description": description})
    if service_id is not None:
        _active_service(s, service_id)
    return _create(
        s,
        by,
        "identify",
        source=source,
        title=title_,
        description=description_,
        service_id=service_id,
    )


def _create(
    s: Session, by: Person, trigger: str, data: dict[str, Any] | None = None, **fields: Any
) -> ImprovementRow:
    now = clock.now()
    row = ImprovementRow(
        state=IMPROVEMENT.initial, identified_by=by.id, identified_at=now, updated_at=now, **fields
    )
    s.add(row)
    s.flush()
    audit(
        s,
        by,
        "improvement",
        row.id,
        trigger,
        None,
        row.state,
        row.title,
        {"source": row.source, "service_id": row.service_id, **(data or {})},
    )
    return row


def _current_definition(s: Session, service_id: str) -> dict[str, Any]:
    svc = s.get(ServiceRow, service_id)
    if svc is None or not svc.active:
        raise GuardFailed(
            "service_present", f"{service_id!r} is no longer an active catalogue service"
        )
    version = s.get(ServiceVersionRow, (service_id, svc.current_version))
    assert version is not None
    return dict(version.definition)


def detect_recurring_disruptions(
    s: Session, by: Person, policy: RecurringDisruption
) -> list[ImprovementRow]:
    """Propose one improvement per service with a fresh burst of calls (see the module docstring).

    One SQL query counts, per active service, the calls registered within ``policy.window`` up to
    now and after the service's latest recorded ``burst_end``. Each created improvement is audited
    as trigger ``detect`` by ``by``.
    """
    IMPROVEMENT.require(by, "detect")
    now = clock.now()
    since = now - policy.window
    previous = (
        select(ImprovementRow.service_id, func.max(ImprovementRow.burst_end).label("last_end"))
        .where(
            ImprovementRow.source == "recurring_disruption", ImprovementRow.burst_end.is_not(None)
        )
        .group_by(ImprovementRow.service_id)
        .subquery()
    )
    stmt = (
        select(
            CallRow.service_id,
            ServiceRow.name,
            func.count(CallRow.id),
            func.min(CallRow.registered_at),
            func.max(CallRow.registered_at),
        )
        .join(ServiceRow, and_(ServiceRow.id == CallRow.service_id, ServiceRow.active.is_(True)))
        .outerjoin(previous, previous.c.service_id == CallRow.service_id)
        .where(
            CallRow.registered_at >= since,
            CallRow.registered_at <= now,
            (previous.c.last_end.is_(None)) | (CallRow.registered_at > previous.c.last_end),
        )
        .group_by(CallRow.service_id, ServiceRow.name)
        .having(func.count(CallRow.id) >= policy.calls)
        .order_by(CallRow.service_id)
    )
    created = []
    for service_id, name, count, first, last in s.execute(stmt).all():
        assert service_id is not None  # the inner join on services excludes calls without one
        created.append(
            _burst(
                s,
                by,
                service_id,
                name,
                int(count),
                clock.to_utc(first),
                clock.to_utc(last),
                policy.window,
            )
        )
    return created


def _burst(
    s: Session,
    by: Person,
    service_id: str,
    name: str,
    count: int,
    first: datetime,
    last: datetime,
    window: timedelta,
) -> ImprovementRow:
    span = format_duration(window)
    description = (
        f"{count} calls on {name} ({service_id}) within {span}, from {first:%Y-%m-%d %H:%M} to "
        f"{last:%Y-%m-%d %H:%M} UTC. Find the cause and remove it."
    )
    return _create(
        s,
        by,
        "detect",
        {
            "calls": count,
            "window": span,
            "burst_start": first.isoformat(),
            "burst_end": last.isoformat(),
        },
        source="recurring_disruption",
        title=f"Recurring disruption: {name}",
        description=description,
        service_id=service_id,
        burst_start=first,
        burst_end=last,
        burst_calls=count,
        burst_window_seconds=int(window.total_seconds()),
    )
