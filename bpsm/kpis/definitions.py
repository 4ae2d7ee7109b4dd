"""Every KPI, defined once: the calls it counts, when a call falls in a period, and its SQL.

A :class:`Kpi` is

* an **anchor**: the call's timestamp that puts it in a period (``registered_at``,
  ``resolved_at``, ``closed_at``), or None for a figure of the present (the open backlog);
* **parts**: additive SQL aggregates (counts and sums, never averages), each a function of the
  call table's columns. Being additive, the parts of a month are the sums of the parts of its
  services, so totals and roll-ups are exact;
* **figures**: what is reported, each derived from the parts (a share is ``part / part``, a
  mean ``sum / count``); a figure is None when its denominator is 0.

The engine (:mod:`bpsm.kpis.engine`) runs one grouped query per anchor for all the KPIs that
share it. A new KPI over the calls is one more entry in :data:`KPIS`; one over another record
(effort logs, surveys) brings its own ``source`` (a table or subquery with the filter columns).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.sql.elements import ColumnElement

from bpsm.kpis.sql import count_if, seconds_between, sum_if
from bpsm.processes.calls.steps import OPEN_STATES
from bpsm.processes.calls.views import first_time_right
from bpsm.store.tables import AuditEventRow, CallRow

__all__ = [
    "AGE_BANDS",
    "EASY_MAX",
    "KPIS",
    "SATISFIED_MIN",
    "Kpi",
    "first_action",
]

C = CallRow

#: an effort answer (1 very easy – 7 very hard) at or below this is "easy": below the midpoint 4
EASY_MAX = 3
#: a satisfaction answer (1 – 5) at or above this is "satisfied" (the top two boxes, 4 and 5)
SATISFIED_MIN = 4
#: the open backlog's age bands: (name, lower bound inclusive, upper bound exclusive or None)
AGE_BANDS: tuple[tuple[str, timedelta, timedelta | None], ...] = (
    ("under_1d", timedelta(0), timedelta(days=1)),
    ("1d_3d", timedelta(days=1), timedelta(days=3)),
    ("3d_7d", timedelta(days=3), timedelta(days=7)),
    ("7d_30d", timedelta(days=7), timedelta(days=30)),
    ("30d_plus", timedelta(days=30), None),
)
#: audit triggers that are not an action by the desk on a call: its birth and a bulk import
NOT_ACTIONS = ("register", "import")

Parts = Mapping[str, float]
Part = Callable[[Any], ColumnElement[Any]]
"""A part's SQL, from the call columns (``c``) of the anchor's query; ``c.ago(delta)`` is the
moment ``delta`` before now, ``c.first_at`` the first action's time where the KPI asks for it."""


def share(num: str, den: str) -> Callable[[Parts], float | None]:
    """The figure ``num / den`` (None when ``den`` is 0)."""
    return lambda p: p[num] / p[den] if p[den] else None


@dataclass(frozen=True)
class Kpi:
    """One KPI: its anchor, its additive SQL parts and the figures derived from them."""

    name: str
    title: str
    definition: str
    anchor: str | None
    parts: Mapping[str, Part]
    figures: Mapping[str, Callable[[Parts], float | None]] = field(default_factory=dict)
    needs_first_action: bool = False

    def derive(self, parts: Parts) -> dict[str, int | float | None]:
        """The parts, then the derived figures, in a stable order."""
        out: dict[str, int | float | None] = {}
        for name in self.parts:  # counts are whole numbers; sums of seconds may not be
            v = parts[name]
            out[name] = int(v) if float(v).is_integer() else float(v)
        for name, f in self.figures.items():
            got = f(parts)
            out[name] = None if got is None else float(got)
        return out


def first_action() -> Any:
    """Per call, the time of the desk's first action on it: its first audit event other than
    the registration (accept, escalate, wait, resolve, refer, …), as a subquery
    ``(call_id, first_at)``."""
    A = AuditEventRow
    return (
        select(A.record_id.label("call_id"), func.min(A.at).label("first_at"))
        .where(A.record_type == "call", A.trigger.not_in(NOT_ACTIONS))
        .group_by(A.record_id)
        .subquery("first_action")
    )


def count_case(cond: Any) -> ColumnElement[Any]:
    """1 when ``cond`` holds on a row, else 0 (for sums of per-row figures)."""
    return case((cond, 1), else_=0)


def _aged(lo: timedelta, hi: timedelta | None) -> Part:
    """Open calls aged at least ``lo`` and under ``hi`` (None: no upper bound)."""

    def part(c: Any) -> ColumnElement[Any]:
        younger = () if hi is None else (c.registered_at > c.ago(hi),)
        return count_if(and_(c.state.in_(OPEN_STATES), c.registered_at <= c.ago(lo), *younger))

    return part


def _ftr(c: Any) -> Any:
    return first_time_right(c)


_standing = lambda c: c.resolved_at.is_not(None)  # noqa: E731 (a resolution not undone by reopen)

KPIS: tuple[Kpi, ...] = (
    Kpi(
        "volume",
        "Volume",
        "Calls registered in the period; of them, exceptions and calls referred to relation "
        "management.",
        "registered_at",
        {
            "registered": lambda c: func.count(),
            "exceptions": lambda c: count_if(c.is_exception.is_(True)),
            "referred": lambda c: count_if(c.state == "referred"),
        },
    ),
    Kpi(
        "first_time_right",
        "First time right",
        "Of the calls resolved in the period (the resolution still standing), those resolved "
        "during the registering contact, never escalated and never reopened.",
        "resolved_at",
        {
            "resolved": lambda c: count_if(_standing(c)),
            "first_time_right": lambda c: count_if(and_(_standing(c), _ftr(c))),
        },
        {"share": share("first_time_right", "resolved")},
    ),
    Kpi(
        "effort",
        "Customer effort score",
        f"Effort answers (1 very easy – 7 very hard) of calls closed in the period: mean, and "
        f"the share of easy answers (≤ {EASY_MAX}).",
        "closed_at",
        {
            "responses": lambda c: count_if(c.effort_score.is_not(None)),
            "easy": lambda c: count_if(c.effort_score <= EASY_MAX),
            "score_sum": lambda c: sum_if(c.effort_score.is_not(None), c.effort_score),
        },
        {"mean": share("score_sum", "responses"), "easy_share": share("easy", "responses")},
    ),
    Kpi(
        "satisfaction",
        "Customer satisfaction",
        f"Satisfaction answers (1 – 5) of calls closed in the period: the share of satisfied "
        f"answers (≥ {SATISFIED_MIN}), the mean, and the response rate among the calls whose "
        f"customer was asked.",
        "closed_at",
        {
            "asked": lambda c: count_if(c.survey.in_(("answered", "not_answered"))),
            "responses": lambda c: count_if(c.satisfaction.is_not(None)),
            "satisfied": lambda c: count_if(c.satisfaction >= SATISFIED_MIN),
            "score_sum": lambda c: sum_if(c.satisfaction.is_not(None), c.satisfaction),
        },
        {
            "share": share("satisfied", "responses"),
            "mean": share("score_sum", "responses"),
            "response_rate": share("responses", "asked"),
        },
    ),
    Kpi(
        "response_time",
        "Response time",
        "Calls registered in the period: seconds from registration to the desk's first action "
        "on the call (its first audit event after the registration); calls not yet acted on "
        "are counted apart.",
        "registered_at",
        {
            "acted_on": lambda c: count_if(c.first_at.is_not(None)),
            "not_acted_on": lambda c: count_if(c.first_at.is_(None)),
            "seconds_sum": lambda c: sum_if(
                c.first_at.is_not(None), seconds_between(c.registered_at, c.first_at)
            ),
        },
        {"mean_seconds": share("seconds_sum", "acted_on")},
        needs_first_action=True,
    ),
    Kpi(
        "resolution_time",
        "Resolution time",
        "Calls resolved in the period: seconds from registration to the standing resolution.",
        "resolved_at",
        {
            "resolved": lambda c: count_if(_standing(c)),
            "seconds_sum": lambda c: sum_if(
                _standing(c), seconds_between(c.registered_at, c.resolved_at)
            ),
        },
        {"mean_seconds": share("seconds_sum", "resolved")},
    ),
    Kpi(
        "mileage",
        "Service-management mileage",
        "Per call registered in the period: the processes it went through (reactive, plus "
        "relation management when referred), its hand-overs (escalations plus a referral) and "
        "its reports (contacts with the customer). The method aims at 1 / 0 / 1.",
        "registered_at",
        {
            "requests": lambda c: func.count(),
            "processes_sum": lambda c: func.sum(1 + count_case(c.state == "referred")),
            "handovers_sum": lambda c: func.sum(
                c.escalation_count + count_case(c.state == "referred")
            ),
            "reports_sum": lambda c: func.coalesce(func.sum(c.contact_count), 0),
        },
        {
            "processes": share("processes_sum", "requests"),
            "handovers": share("handovers_sum", "requests"),
            "reports": share("reports_sum", "requests"),
        },
    ),
    Kpi(
        "backlog",
        "Open backlog by age",
        "Calls open now (registered, in progress, waiting, resolved and not yet closed), by "
        "age since registration. A figure of the present: the period does not apply.",
        None,
        {
            "open": lambda c: count_if(c.state.in_(OPEN_STATES)),
            **{name: _aged(lo, hi) for name, lo, hi in AGE_BANDS},
        },
    ),
)


BY_NAME: dict[str, Kpi] = {k.name: k for k in KPIS}
