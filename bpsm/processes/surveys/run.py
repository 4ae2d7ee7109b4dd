"""The scheduled survey run: decide, send, expire, and open the relationship surveys that are due.

:func:`run` is idempotent and catches up: it works from the stored times, not from how often it
ran. Each run, in order:

1. decides the survey of every closed call that has none decided yet (a call closed by an import,
   say), as the close would have (:func:`~bpsm.processes.surveys.steps.at_close`);
2. makes, for each customer department of ``survey.relationship``, the survey of the current
   period when it has none (a missed period is not made afterwards: a relationship survey asks
   about now);
3. sends every pending survey whose ``send_at`` has come (open for ``open_for`` from then);
4. expires every sent survey whose ``expires_at`` has passed (it ends at ``expires_at``).

Running it twice at the same moment changes nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bpsm import clock
from bpsm.catalogue.schema import DeskConfig
from bpsm.processes.base import audit
from bpsm.processes.surveys.steps import SURVEY, at_close
from bpsm.roles import Person
from bpsm.store.tables import CallRow
from bpsm.store.tables.survey import SurveyRow
from bpsm.store.uow import UnitOfWork

__all__ = ["SurveyRun", "current_period", "run"]


@dataclass(frozen=True)
class SurveyRun:
    """What one run did, at ``at``."""

    at: datetime
    decided: int
    """Closed calls whose survey was decided now (pending or not asked)."""
    relationship: int
    """Relationship surveys made for the current period."""
    sent: int
    expired: int


def current_period(config: DeskConfig, now: datetime) -> datetime | None:
    """The start (UTC) of the relationship period ``now`` falls in; None before the first one."""
    rel = config.survey.relationship
    anchor = clock.to_utc(datetime.combine(rel.start, time(), ZoneInfo(config.timezone)))
    if now < anchor:
        return None
    return anchor + rel.every * ((now - anchor) // rel.every)


def run(uow: UnitOfWork, by: Person, desk: object) -> SurveyRun:
    """One survey run as ``by`` on ``desk`` (a :class:`~bpsm.port.DeskPort`), in ``uow``.

    Raises:
        PermissionDenied: ``by`` may not send surveys (the scheduled run's roles).
    """
    SURVEY.require(by, "send")
    config: DeskConfig = desk.config  # type: ignore[attr-defined]
    s, now = uow.session, clock.now()
    decided = 0
    undecided = s.scalars(
        select(CallRow)
        .where(CallRow.state == "closed", CallRow.survey.is_(None))
        .order_by(CallRow.closed_at, CallRow.id)
    ).all()
    for call in undecided:
        at_close(s, by, call, config.survey, effort=None, satisfaction=None, declined=False)
        decided += 1
    made = _relationship(uow, by, config, now)
    s.flush()
    due = s.scalars(
        select(SurveyRow)
        .where(SurveyRow.state == "pending", SurveyRow.send_at <= now)
        .order_by(SurveyRow.send_at, SurveyRow.id)
    ).all()
    for row in due:
        SURVEY.fire(uow, row, "send", by, env=desk)
    over = s.scalars(
        select(SurveyRow)
        .where(SurveyRow.state == "sent", SurveyRow.expires_at <= now)
        .order_by(SurveyRow.expires_at, SurveyRow.id)
    ).all()
    for row in over:
        SURVEY.fire(uow, row, "expire", by, env=desk)
    return SurveyRun(at=now, decided=decided, relationship=made, sent=len(due), expired=len(over))


def _relationship(uow: UnitOfWork, by: Person, config: DeskConfig, now: datetime) -> int:
    start = current_period(config, now)
    departments = config.survey.relationship.departments
    if start is None or not departments:
        return 0
    s = uow.session
    have = set(
        s.scalars(
            select(SurveyRow.department).where(
                SurveyRow.kind == "relationship", SurveyRow.period_start == start
            )
        )
    )
    new = [
        SurveyRow(
            kind="relationship",
            state=SURVEY.initial,
            department=d,
            period_start=start,
            created_at=now,
            send_at=start,
            updated_at=now,
        )
        for d in departments
        if d not in have
    ]
    s.add_all(new)
    s.flush()
    for row in new:
        audit(s, by, "survey", row.id, "ask", None, row.state, None, {"department": row.department})
    return len(new)
