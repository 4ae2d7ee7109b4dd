"""Every KPI, defined once: the calls it counts, when a call falls in a period, and its SQL.

A :class:`Kpi` is

* an **anchor**: the call's timestamp that puts it in a period (``registered_at``,
  ``resolved_at``, ``closed_at``), or None for a figure of the present (the open backlog);
* **parts**: additive SQL aggregates (counts and sums, never averages): a :class:`Part` is
  ``SUM(CASE WHEN condition THEN value ELSE 0 END)`` over the calls in the period (value 1: a
  count). Being additive, the parts of a month are the sums of the parts of its services, so
  totals and roll-ups are exact;
* **figures**: what is reported, each derived from the parts (a share is ``part / part``, a
  mean ``sum / count``); a figure is None when its denominator is 0.

The engine (:mod:`bpsm.kpis.engine`) counts every KPI over the calls in one grouped scan. A new
KPI over the calls is one more entry in :data:`KPIS`; one over another record (effort logs,
surveys) is a :class:`Kpi` with its own ``source`` table, its anchor and filter columns on it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal
from sqlalchemy.sql.elements import ColumnElement

from bpsm.kpis.sql import seconds_between
from bpsm.processes.calls.steps import OPEN_STATES
from bpsm.processes.calls.views import first_time_right
from bpsm.store.tables import CallRow

__all__ = ["AGE_BANDS", "BY_NAME", "EASY_MAX", "KPIS", "SATISFIED_MIN", "Kpi", "Part"]

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

Parts = Mapping[str, float]


@dataclass(frozen=True)
class Part:
    """``SUM(CASE WHEN when(c) THEN value(c) ELSE 0 END)``: an additive aggregate of the calls.

    ``c`` is the call table's columns, with ``c.ago(delta)``: the moment ``delta`` before now.
    Without ``when``, every call of the period; without ``value``, a count.
    """

    when: Callable[[Any], Any] | None = None
    value: Callable[[Any], Any] | None = None

    def sql(self, c: Any) -> ColumnElement[Any]:
        """The aggregate, built on the columns ``c``."""
        value = literal(1) if self.value is None else self.value(c)
        if self.when is None:
            return func.coalesce(func.sum(value), 0)
        return func.coalesce(func.sum(case((self.when(c), value), else_=0)), 0)


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
    population: Callable[[Any], Any] | None = None
    """For a figure of the present: the calls it is about (the query's ``WHERE``)."""

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


def _aged(lo: timedelta, hi: timedelta | None) -> Part:
    """Open calls aged at least ``lo`` and under ``hi`` (None: no upper bound)."""

    def when(c: Any) -> Any:
        younger = () if hi is None else (c.registered_at > c.ago(hi),)
        return and_(c.state.in_(OPEN_STATES), c.registered_at <= c.ago(lo), *younger)

    return Part(when)


#: every call of the period: one shared part, so the scan counts them once
EVERY = Part()

_referred = lambda c: case((c.state == "referred", 1), else_=0)  # noqa: E731
#: the calls whose survey went out (asked at the close, or sent after it): the surveys' records
#: mirrored on the call (``bpsm.processes.surveys``); pending and not-asked calls are outside
_ASKED = Part(lambda c: c.survey.in_(("sent", "answered", "not_answered")))

KPIS: tuple[Kpi, ...] = (
    Kpi(
        "volume",
        "Volume",
        "Calls registered in the period; of them, exceptions and calls referred to relation "
        "management.",
        "registered_at",
        {
            "registered": EVERY,
            "exceptions": Part(lambda c: c.is_exception.is_(True)),
            "referred": Part(lambda c: c.state == "referred"),
        },
    ),
    Kpi(
        "first_time_right",
        "First time right",
        "Of the calls resolved in the period (the resolution still standing: reopening takes "
        "it back), those resolved during the registering contact, never escalated and never "
        "reopened.",
        "resolved_at",
        {"resolved": EVERY, "first_time_right": Part(first_time_right)},
        {"share": share("first_time_right", "resolved")},
    ),
    Kpi(
        "effort",
        "Customer effort score",
        f"Effort answers (1 very easy – 7 very hard) of the calls closed in the period: the "
        f"mean, the share of easy answers (≤ {EASY_MAX}), and the response rate among the "
        f"calls whose survey was sent (asked at the close or afterwards).",
        "closed_at",
        {
            "asked": _ASKED,
            "responses": Part(lambda c: c.effort_score.is_not(None)),
            "easy": Part(lambda c: c.effort_score <= EASY_MAX),
            "score_sum": Part(lambda c: c.effort_score.is_not(None), lambda c: c.effort_score),
        },
        {
            "mean": share("score_sum", "responses"),
            "easy_share": share("easy", "responses"),
            "response_rate": share("responses", "asked"),
        },
    ),
    Kpi(
        "satisfaction",
        "Customer satisfaction",
        f"Satisfaction answers (1 – 5) of the calls closed in the period: the share of "
        f"satisfied answers (≥ {SATISFIED_MIN}), the mean, and the response rate among the "
        f"calls whose survey was sent; the surveys that ended unanswered (declined or expired) "
        f"are counted apart.",
        "closed_at",
        {
            "asked": _ASKED,
            "responses": Part(lambda c: c.satisfaction.is_not(None)),
            "not_answered": Part(lambda c: c.survey == "not_answered"),
            "satisfied": Part(lambda c: c.satisfaction >= SATISFIED_MIN),
            "score_sum": Part(lambda c: c.satisfaction.is_not(None), lambda c: c.satisfaction),
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
        "Calls registered in the period: seconds from the registration to the desk's first "
        "action on the call (its first step after the registration: accept, escalate, wait, "
        "resolve, refer, …); the calls not yet acted on are counted apart.",
        "registered_at",
        {
            "acted_on": Part(lambda c: c.responded_at.is_not(None)),
            "not_acted_on": Part(lambda c: c.responded_at.is_(None)),
            "seconds_sum": Part(
                lambda c: c.responded_at.is_not(None),
                lambda c: seconds_between(c.registered_at, c.responded_at),
            ),
        },
        {"mean_seconds": share("seconds_sum", "acted_on")},
    ),
    Kpi(
        "resolution_time",
        "Resolution time",
        "Calls resolved in the period (the resolution standing): seconds from the "
        "registration to the resolution.",
        "resolved_at",
        {
            "resolved": EVERY,
            "seconds_sum": Part(value=lambda c: seconds_between(c.registered_at, c.resolved_at)),
        },
        {"mean_seconds": share("seconds_sum", "resolved")},
    ),
    Kpi(
        "mileage",
        "Service-management mileage",
        "Per call registered in the period: the processes it went through (reactive, plus "
        "relation management when referred), its hand-overs (escalations, plus one for a "
        "referral) and its reports (contacts with the customer). The method aims at 1 / 0 / 1.",
        "registered_at",
        {
            "requests": EVERY,
            "processes_sum": Part(value=lambda c: 1 + _referred(c)),
            "handovers_sum": Part(value=lambda c: c.escalation_count + _referred(c)),
            "reports_sum": Part(value=lambda c: c.contact_count),
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
        "Calls open now (registered, in progress, waiting, or resolved and not yet closed), by "
        "age since the registration. A figure of the present: the period does not apply.",
        None,
        {
            "open": Part(lambda c: c.state.in_(OPEN_STATES)),
            **{name: _aged(lo, hi) for name, lo, hi in AGE_BANDS},
        },
        population=lambda c: c.state.in_(OPEN_STATES),
    ),
)

BY_NAME: dict[str, Kpi] = {k.name: k for k in KPIS}
