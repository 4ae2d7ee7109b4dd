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
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Float, Integer, String, and_, case, cast, func, literal, null, select
from sqlalchemy import union_all as _union_all
from sqlalchemy.sql.elements import ColumnElement

from bpsm.catalogue.policies import WORK_KINDS
from bpsm.kpis.sql import seconds_between
from bpsm.processes.calls.lead_time import lead_time_measured, lead_time_met
from bpsm.processes.calls.self_service import flagged
from bpsm.processes.calls.steps import OPEN_STATES
from bpsm.processes.calls.views import first_time_right
from bpsm.processes.recommendations.jobs import first_handlings
from bpsm.store.tables import CallRow, EffortRow
from bpsm.store.tables.recommendation import RecommendationRow

__all__ = [
    "AGE_BANDS",
    "BY_NAME",
    "EASY_MAX",
    "KPIS",
    "SATISFIED_MIN",
    "SOURCES",
    "Kpi",
    "Part",
    "Source",
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

Parts = Mapping[str, float]
Figures = dict[str, int | float | None]


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


def share_of_both(num: str, other: str) -> Callable[[Parts], float | None]:
    """The figure ``num / (num + other)`` (a hit rate among the decided; None when both are 0)."""
    return lambda p: p[num] / (p[num] + p[other]) if p[num] + p[other] else None


# -- sources -----------------------------------------------------------------------------------

#: how a dimension reads a source's column: ``value`` the column is the dimension's value,
#: ``department`` it is a service id (its department from the catalogue), ``staff_group`` it is a
#: staff id (the person's operator group now, as ``desk.yaml`` has it)
Via = str


@dataclass(frozen=True)
class Source:
    """What a KPI counts the rows of: a table (or a union), and its columns per dimension.

    ``dimensions`` maps each filter / group dimension the source has to ``(column, via)``; a
    dimension missing there does not apply to the source, and the engine says so (it leaves the
    source's KPIs out of a report filtered or grouped by it, naming why, and refuses them when
    asked for by name). ``open_columns`` may hold values the desk no longer knows (grouped under
    the raw value). ``call_link`` is how a population of calls (a pilot) reaches the source's
    rows: ``(is a call's row, the call id)``; None for the calls themselves. ``table`` is
    given the report's whole window ``(since, until)`` and may read only the rows it needs.
    """

    name: str
    what: str
    table: Callable[[datetime, datetime], Any]
    dimensions: Mapping[str, tuple[str, Via]]
    open_columns: frozenset[str] = frozenset()
    call_link: Callable[[Any], tuple[Any, Any]] | None = None


def _proactive(since: datetime, until: datetime) -> Any:
    """Jobs and recommendations as one union: a row per job first handled in ``[since, until)``
    and per recommendation (when it was made), each with the columns the proactive parts read."""
    R, jobs = RecommendationRow, first_handlings(since, until)
    none = lambda t: cast(null(), t)  # noqa: E731
    recs = select(
        R.recommended_at.label("at"),
        R.recommended_by.label("person"),
        literal(0).label("job"),
        literal(1).label("recommendation"),
        R.kind.label("kind"),
        R.state.label("state"),
        R.value.label("value"),
        R.booked_value.label("booked_value"),
        R.turnaround_seconds.label("turnaround_seconds"),
        R.call_id.label("call_id"),
    )
    done = select(
        jobs.c.at,
        jobs.c.person,
        literal(1),
        literal(0),
        none(String),
        none(String),
        none(Float),
        none(Float),
        none(Float),
        case((jobs.c.kind == "call", jobs.c.ref), else_=none(Integer)),
    )
    return _union_all(recs, done).subquery("proactive")


SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        Source(
            "calls",
            "calls",
            lambda since, until: CallRow.__table__,
            {
                "service": ("service_id", "value"),
                "department": ("service_id", "department"),
                "group": ("group", "value"),
                "operator": ("registered_by", "value"),
                "channel": ("channel", "value"),
            },
            frozenset({"group", "channel"}),
        ),
        Source(
            "effort_log",
            "effort entries (logged on any record: no service or channel)",
            lambda since, until: EffortRow.__table__,
            {"group": ("by", "staff_group"), "operator": ("by", "value")},
            call_link=lambda t: (t.c.record_type == "call", t.c.record_id),
        ),
        Source(
            "proactive",
            "recommendations and jobs (made on calls and tasks: no service or channel)",
            _proactive,
            {"group": ("person", "staff_group"), "operator": ("person", "value")},
            frozenset({"person"}),
            call_link=lambda t: (t.c.call_id.is_not(None), t.c.call_id),
        ),
    )
}


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
    source: str = "calls"
    """The :data:`SOURCES` entry it counts the rows of; ``anchor`` is a column there."""
    constants: Callable[[Any], Mapping[str, float]] | None = None
    """Figures from the desk's settings (``desk.yaml``), given the config: shown as figures and
    seen by the derived figures (a target share)."""

    def derive(self, parts: Parts, constants: Mapping[str, float] | None = None) -> Figures:
        """The parts, then the constants, then the derived figures, in a stable order."""
        out: Figures = {}
        # a float sum depends on the order the database hands the rows over: rounded to the
        # microsecond, the same calls give the same figures however they were read
        rounded = {name: round(float(parts[name]), 6) for name in self.parts}
        for name, v in rounded.items():  # counts are whole numbers; sums of seconds may not be
            out[name] = int(v) if v.is_integer() else v
        seen = {**parts, **rounded, **(constants or {})}
        for name, c in (constants or {}).items():
            out[name] = float(c)
        for name, f in self.figures.items():
            got = f(seen)
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


def _work_is(work: str) -> Callable[[Any], Any]:
    """Effort entries of one kind of work."""
    return lambda c: c.work == work


def _gap(work: str) -> Callable[[Parts], float | None]:
    """share − target of one kind of work (fractions: −0.05 is five points under target)."""
    return lambda p: (
        p[f"{work}_minutes"] / p["minutes"] - p[f"{work}_target"] if p["minutes"] else None
    )


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
        "reopened; and how many of them were reopened at least once (counted out).",
        "resolved_at",
        {
            "resolved": EVERY,
            "first_time_right": Part(first_time_right),
            "reopened": Part(lambda c: c.reopen_count > 0),
        },
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
        "self_service",
        "Self-service opportunities",
        "Calls registered in the period; of them, those the operator flagged as answerable from "
        "the catalogue's FAQ (which entry: desk.calls.self_service). Group by service to rank.",
        "registered_at",
        {"calls": EVERY, "flagged": Part(flagged)},
        {"share": share("flagged", "calls")},
    ),
    Kpi(
        "lead_time",
        "Lead-time compliance",
        "Calls resolved in the period (the resolution standing) that had a lead time (their "
        "service version's delivery terms): those resolved within it, counted in the desk's "
        "business hours; and the business minutes to resolve.",
        "resolved_at",
        {
            "measured": Part(lead_time_measured),
            "met": Part(lead_time_met),
            "timed": Part(lambda c: c.business_minutes_to_resolve.is_not(None)),
            "business_minutes_sum": Part(
                lambda c: c.business_minutes_to_resolve.is_not(None),
                lambda c: c.business_minutes_to_resolve,
            ),
        },
        {
            "share": share("met", "measured"),
            "mean_business_minutes": share("business_minutes_sum", "timed"),
        },
    ),
    Kpi(
        "effort_balance",
        "Staff effort and the balance of time",
        "Minutes staff logged in the period on any record (call, relation case, change, "
        "maintenance task, improvement, recommendation), by kind of work, each kind's share of "
        "all minutes against the target split of desk.yaml (effort.target) and the gap.",
        "at",
        {
            "entries": EVERY,
            "minutes": Part(value=lambda c: c.minutes),
            **{f"{w}_minutes": Part(_work_is(w), lambda c: c.minutes) for w in WORK_KINDS},
        },
        {
            **{f"{w}_share": share(f"{w}_minutes", "minutes") for w in WORK_KINDS},
            **{f"{w}_gap": _gap(w) for w in WORK_KINDS},
        },
        source="effort_log",
        constants=lambda cfg: {
            f"{w}_target": cfg.effort.target.get(w, 0) / 100 for w in WORK_KINDS
        },
    ),
    Kpi(
        "proactive",
        "Proactive delivery",
        "Jobs handled in the period (calls registered or resolved, maintenance tasks completed; "
        "each person's record counted once, at their first handling) and the recommendations "
        "made in it, with their outcome as it stands now: rates per job, hit rates of the decided, "
        "values and the lead turnaround (hand-over to proposal).",
        "at",
        {
            "jobs": Part(value=lambda c: c.job),
            "recommendations": Part(value=lambda c: c.recommendation),
            "add_ons": Part(lambda c: c.kind == "add_on"),
            "add_ons_accepted": Part(lambda c: c.state == "accepted"),
            "add_ons_declined": Part(lambda c: c.state == "declined"),
            "leads": Part(lambda c: c.kind == "lead"),
            "leads_won": Part(lambda c: c.state == "won"),
            "leads_lost": Part(lambda c: c.state == "lost"),
            "booked_value_sum": Part(
                lambda c: c.booked_value.is_not(None), lambda c: c.booked_value
            ),
            "add_on_value_sum": Part(lambda c: c.kind == "add_on", lambda c: c.value),
            "lead_value_sum": Part(lambda c: c.kind == "lead", lambda c: c.value),
            "turnarounds": Part(lambda c: c.turnaround_seconds.is_not(None)),
            "turnaround_seconds_sum": Part(
                lambda c: c.turnaround_seconds.is_not(None), lambda c: c.turnaround_seconds
            ),
        },
        {
            "recommendation_rate": share("recommendations", "jobs"),
            "add_on_rate": share("add_ons", "jobs"),
            "lead_rate": share("leads", "jobs"),
            "add_on_hit_rate": share_of_both("add_ons_accepted", "add_ons_declined"),
            "lead_hit_rate": share_of_both("leads_won", "leads_lost"),
            "add_on_value": share("add_on_value_sum", "add_ons"),
            "lead_value": share("lead_value_sum", "leads"),
            "lead_turnaround_seconds": share("turnaround_seconds_sum", "turnarounds"),
        },
        source="proactive",
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
