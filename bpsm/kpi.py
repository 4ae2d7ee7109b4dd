"""KPIs that show whether customers are happy, computed in SQL (never row by row in Python).

* **first time right**: share of calls resolved in the window that were resolved during the
  registering contact, never escalated and never reopened;
* **customer effort**: mean effort answer (1 easy – 7 hard) of calls closed in the window;
* **satisfaction**: mean satisfaction answer (1 – 5) of calls closed in the window;
* volumes: registered, resolved, open now, exceptions and referrals.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict
from sqlalchemy import and_, case, func, select

from bpsm import clock
from bpsm.processes.calls.steps import OPEN_STATES
from bpsm.processes.calls.views import first_time_right
from bpsm.store.tables import CallRow
from bpsm.validation import moment

if TYPE_CHECKING:
    from bpsm.port import DeskPort

__all__ = ["KpiSnapshot", "Kpis", "first_time_right_clause"]


def first_time_right_clause():
    """SQL condition for a first-time-right call.

    See :func:`bpsm.processes.calls.views.first_time_right`.
    """
    return first_time_right(CallRow)


class KpiSnapshot(BaseModel):
    """The desk's KPIs over one window ``[since, until)``."""

    model_config = ConfigDict(frozen=True)

    since: datetime
    until: datetime
    registered: int
    resolved: int
    first_time_right: int
    exceptions: int
    referred: int
    open_now: int
    surveyed: int
    effort_mean: float | None
    satisfaction_mean: float | None

    @property
    def first_time_right_share(self) -> float | None:
        """first_time_right / resolved, or None when nothing was resolved."""
        return self.first_time_right / self.resolved if self.resolved else None


class Kpis:
    """KPI queries on one desk."""

    def __init__(self, desk: DeskPort):
        self._desk = desk

    def window(self, since: datetime, until: datetime) -> KpiSnapshot:
        """KPIs for calls registered / resolved / closed in ``[since, until)`` (aware datetimes)."""
        since, until = moment("since", since), moment("until", until)
        in_window = lambda col: and_(col >= since, col < until)  # noqa: E731
        count_if = lambda cond: func.coalesce(func.sum(case((cond, 1), else_=0)), 0)  # noqa: E731
        resolved = in_window(CallRow.resolved_at)
        closed = in_window(CallRow.closed_at)
        stmt = select(
            count_if(in_window(CallRow.registered_at)),
            count_if(resolved),
            count_if(and_(resolved, first_time_right_clause())),
            count_if(and_(in_window(CallRow.registered_at), CallRow.is_exception.is_(True))),
            count_if(and_(in_window(CallRow.updated_at), CallRow.state == "referred")),
            count_if(CallRow.state.in_(OPEN_STATES)),
            count_if(and_(closed, CallRow.satisfaction.is_not(None))),
            func.avg(case((closed, CallRow.effort_score))),
            func.avg(case((closed, CallRow.satisfaction))),
        )
        with self._desk.unit() as uow:
            s = uow.session
            row = s.execute(stmt).one()
        reg, res, ftr, exc, ref, open_now, surveyed, effort, sat = row
        return KpiSnapshot(
            since=since,
            until=until,
            registered=int(reg),
            resolved=int(res),
            first_time_right=int(ftr),
            exceptions=int(exc),
            referred=int(ref),
            open_now=int(open_now),
            surveyed=int(surveyed),
            effort_mean=float(effort) if effort is not None else None,
            satisfaction_mean=float(sat) if sat is not None else None,
        )

    def today(self) -> KpiSnapshot:
        """KPIs for today, midnight to midnight in the desk's time zone."""
        zone = ZoneInfo(self._desk.config.timezone)
        local_day = clock.now().astimezone(zone).date()
        start = datetime.combine(local_day, time(), zone)
        end = datetime.combine(local_day + timedelta(days=1), time(), zone)
        return self.window(start, end)
