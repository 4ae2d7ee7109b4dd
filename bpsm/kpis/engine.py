"""``desk.kpis``: the KPI engine — every KPI of :mod:`bpsm.kpis.definitions`, by period and group.

:meth:`Kpis.report` counts every anchored KPI of one source (:data:`~bpsm.kpis.definitions.SOURCES`:
the calls, the effort log, proactive delivery) in one grouped SQL scan of it: the filters in its
``WHERE``; as grouping keys, each anchor's period (a ``CASE`` over the desk's local period
boundaries, :mod:`bpsm.kpis.periods`) and the group's index among the known values. The backlog
(a figure of the present) is a second, small query over the open calls. Python only adds up the
additive parts of the groups for the totals and divides them for the figures. A filter or group
a source does not have leaves its KPIs out of the report, named in ``not_applicable``.

:meth:`Kpis.window` and :meth:`Kpis.today` are the headline snapshot the TUI shows: each figure a
pass over an index range of its anchor (the open calls from the roll-up), so today's costs what
today holds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict
from sqlalchemy import and_, case, func, literal, literal_column, null, or_, select, true

from bpsm import clock
from bpsm.errors import Problem, ValidationError
from bpsm.kpis.definitions import BY_NAME, KPIS, SOURCES, Kpi, Source
from bpsm.kpis.periods import BY, By, Period, periods
from bpsm.kpis.sql import bucket_of, scanned
from bpsm.processes.calls.steps import OPEN_STATES
from bpsm.processes.calls.views import first_time_right
from bpsm.processes.recommendations.facade import potential
from bpsm.processes.recommendations.views import Potential
from bpsm.store.tables import CallRow, ServiceRow, StaffRow, UTCDateTime
from bpsm.validation import moment

if TYPE_CHECKING:
    from bpsm.port import DeskPort

__all__ = [
    "DIMENSIONS",
    "KpiFilter",
    "KpiPotential",
    "KpiReport",
    "KpiRow",
    "KpiSnapshot",
    "Kpis",
    "Population",
    "RefreshReport",
    "caller_like",
    "first_time_right_clause",
]

C = CallRow
Dimension = Literal["service", "department", "group", "operator", "channel"]
#: what a report can be grouped by (and filtered on): the call's service, its service's
#: department, the operator group the call is with, the operator who registered it, its channel
DIMENSIONS: tuple[Dimension, ...] = ("service", "department", "group", "operator", "channel")
#: a report wider than this scans the calls table once rather than through its anchors' indexes
WIDE = timedelta(days=7)
NONE = "(none)"
"""The group of calls without a service (exceptions, referrals) when grouping by service."""


#: the daily roll-up (:mod:`bpsm.kpis.rollup`, which builds on this module, registers itself
#: here when imported; ``bpsm.kpis`` imports it): None, every figure counted live
ROLLUP: Any = None


@dataclass(frozen=True)
class RefreshReport:
    """What a roll-up refresh did: rebuilt from scratch or not, the (anchor, day) cells
    recomputed, the change marks consumed, and the last local day the roll-up now holds."""

    rebuilt: bool
    cells: int
    marks: int
    through: date


def first_time_right_clause() -> Any:
    """SQL condition for a first-time-right call.

    See :func:`bpsm.processes.calls.views.first_time_right`, the one definition.
    """
    return first_time_right(CallRow)


class KpiSnapshot(BaseModel):
    """The desk's headline KPIs over one window ``[since, until)``."""

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


def caller_like(pattern: str) -> str:
    """A caller pattern (``*`` any text, ``?`` one character, case-insensitive) as a lower-case
    SQL ``LIKE`` pattern with ``\\`` as its escape."""
    out = []
    for ch in pattern.lower():
        if ch in "%_\\":
            out.append("\\" + ch)
        else:
            out.append({"*": "%", "?": "_"}.get(ch, ch))
    return "".join(out)


@dataclass(frozen=True)
class Population:
    """A population of calls for a comparison: a pilot's, or the rest of its scope.

    A call is **in the pilot** when its service is one of ``services`` (None: the whole
    catalogue, any call) and its caller matches one of ``callers`` (patterns: ``*`` any text,
    ``?`` one character, case-insensitive; ``Finance *`` matches ``finance – Kim``). With
    ``inside`` False it is the **rest**: the calls of the same scope whose caller matches none.
    ``label`` names it in a report's filters (``pilot lisbon``, ``rest of pilot lisbon``).

    On the other sources it reaches the rows linked to such a call: effort logged on the call,
    recommendations made on it, the call as a job; rows on other records are outside both.
    """

    label: str
    callers: tuple[str, ...]
    services: tuple[str, ...] | None = None
    inside: bool = True

    def condition(self, c: Any) -> Any:
        """SQL: the call (columns ``c``) is in this population."""
        caller = or_(
            *(func.lower(c.caller).like(caller_like(p), escape="\\") for p in self.callers)
        )
        scope = (
            ()
            if self.services is None
            else (c.service_id.is_not(None), c.service_id.in_(self.services))
        )
        return and_(*scope, caller if self.inside else ~caller)

    def rest(self) -> Population:
        """The rest of the scope: the same services, the callers outside the group."""
        return Population(f"rest of {self.label}", self.callers, self.services, inside=False)


@dataclass(frozen=True)
class KpiFilter:
    """Which rows a report counts: each field None (all) or one value to match.

    ``service`` is a service id, ``department`` a department of the catalogue (the call's
    service's), ``group`` the operator group the call is with, ``operator`` the staff id who
    registered it, ``channel`` how it came in. On the effort log and proactive delivery,
    ``operator`` is the person who logged / recommended or handled, ``group`` that person's
    operator group now; they have no service, department or channel. ``population`` keeps
    only a pilot's calls, or the rest (:class:`Population`).
    """

    service: str | None = None
    department: str | None = None
    group: str | None = None
    operator: str | None = None
    channel: str | None = None
    population: Population | None = None

    def given(self) -> dict[str, str]:
        """The filters set, by name (a population by its label)."""
        out: dict[str, str] = self.dimensions()
        if self.population is not None:
            out["population"] = self.population.label
        return out

    def dimensions(self) -> dict[str, str]:
        """The dimension filters set (not the population), by name."""
        return {str(d): v for d in DIMENSIONS if (v := getattr(self, d)) is not None}


class KpiRow(BaseModel):
    """One KPI's figures for one period (or ``total`` / ``now``) and group (or None: all)."""

    model_config = ConfigDict(frozen=True)

    period: str
    group: str | None
    kpi: str
    figures: dict[str, int | float | None]


class KpiReport(BaseModel):
    """A KPI report: its parameters and its rows (see ``docs/kpis.md`` for the schema)."""

    model_config = ConfigDict(frozen=True)

    since: datetime
    until: datetime
    by: str | None
    group_by: str | None
    timezone: str
    filters: dict[str, str]
    periods: list[str]
    rows: list[KpiRow]
    not_applicable: dict[str, str] = {}
    """KPIs left out because a filter or group does not apply to their source: kpi → why."""

    def get(self, kpi: str, period: str = "total", group: str | None = None) -> dict[str, Any]:
        """The figures of ``kpi`` for one period and group (empty when there are none)."""
        for r in self.rows:
            if (r.kpi, r.period, r.group) == (kpi, period, group):
                return r.figures
        return {}


#: the potential calculator's inputs: each read from the proactive KPI's figure of that name
#: (``baseline``: its ``booked_value_sum``, what is booked already); None there reads as 0
POTENTIAL_INPUTS = {
    "jobs": "jobs",
    "add_on_rate": "add_on_rate",
    "add_on_hit_rate": "add_on_hit_rate",
    "add_on_value": "add_on_value",
    "lead_rate": "lead_rate",
    "lead_hit_rate": "lead_hit_rate",
    "lead_value": "lead_value",
    "baseline": "booked_value_sum",
}


@dataclass(frozen=True)
class KpiPotential:
    """The proactive-delivery potential over a window: the inputs it used (from the data, or
    given), which of them were given, and the result."""

    since: datetime
    until: datetime
    inputs: dict[str, float]
    overridden: tuple[str, ...]
    potential: Potential


class _Cols:
    """The columns a part's SQL sees: its source's, and ``ago(delta)`` before now."""

    def __init__(self, now: datetime, table: Any = None):
        self.now = now
        self.t = CallRow.__table__ if table is None else table

    def ago(self, delta: timedelta) -> Any:
        """The moment ``delta`` before now, as an SQL value."""
        return literal(self.now - delta, UTCDateTime())

    def __getattr__(self, name: str) -> Any:
        return self.t.c[name]


class Kpis:
    """KPI queries on one desk."""

    def __init__(self, desk: DeskPort):
        self._desk = desk

    # -- the headline snapshot --------------------------------------------------------------

    def window(self, since: datetime, until: datetime) -> KpiSnapshot:
        """Headline KPIs for calls registered / resolved / closed in ``[since, until)``.

        The same definitions as :meth:`report` (first time right is counted on resolution,
        effort and satisfaction on closing); ``open_now`` is the open calls now.
        """
        since, until = moment("since", since), moment("until", until)
        within = lambda col: and_(col >= since, col < until)  # noqa: E731

        def scalar(what: Any, *where: Any) -> Any:
            return select(what).select_from(C).where(*where).scalar_subquery()

        def counted(when: Any) -> Any:
            return func.count(case((when, 1)))

        def each(anchor: Any, *what: Any) -> Any:  # one pass over the anchor's index range
            return select(*what).select_from(C).where(within(anchor)).subquery()

        n = func.count()
        reg = each(C.registered_at, n.label("n"), counted(C.is_exception.is_(True)).label("x"))
        res = each(C.resolved_at, n.label("n"), counted(first_time_right_clause()).label("x"))
        closed = each(
            C.closed_at,
            counted(C.satisfaction.is_not(None)).label("n"),
            func.avg(C.effort_score).label("effort"),
            func.avg(C.satisfaction).label("sat"),
        )

        def statement(open_now: Any) -> Any:
            return (
                select(
                    reg.c.n,
                    res.c.n,
                    res.c.x,
                    reg.c.x,
                    scalar(n, C.state == "referred", within(C.updated_at)),
                    open_now,
                    closed.c.n,
                    closed.c.effort,
                    closed.c.sat,
                )
                .select_from(reg)
                .join(res, true())
                .join(closed, true())
            )

        with self._desk.unit() as uow:
            if ROLLUP is not None:  # the open calls from the roll-up where it has them
                row = ROLLUP.headline(uow.session, statement, self._desk.config.timezone)
            else:
                row = uow.session.execute(statement(scalar(n, C.state.in_(OPEN_STATES)))).one()
        registered, resolved, ftr, exc, ref, open_now, surveyed, effort, sat = row
        return KpiSnapshot(
            since=since,
            until=until,
            registered=int(registered),
            resolved=int(resolved),
            first_time_right=int(ftr),
            exceptions=int(exc),
            referred=int(ref),
            open_now=int(open_now),
            surveyed=int(surveyed),
            effort_mean=float(effort) if effort is not None else None,
            satisfaction_mean=float(sat) if sat is not None else None,
        )

    def local_day(self, day: date) -> tuple[datetime, datetime]:
        """The desk's local day ``day`` as a UTC window, midnight to midnight."""
        zone = ZoneInfo(self._desk.config.timezone)
        start = datetime.combine(day, time(), zone)
        return start, datetime.combine(day + timedelta(days=1), time(), zone)

    def today(self) -> KpiSnapshot:
        """Headline KPIs for today, midnight to midnight in the desk's time zone."""
        zone = ZoneInfo(self._desk.config.timezone)
        return self.window(*self.local_day(clock.now().astimezone(zone).date()))

    # -- the engine -------------------------------------------------------------------------

    def report(
        self,
        since: datetime,
        until: datetime,
        *,
        by: By | None = None,
        group_by: Dimension | None = None,
        filters: KpiFilter | None = None,
        kpis: Iterable[str] | None = None,
    ) -> KpiReport:
        """Every KPI (or those named) over ``[since, until)``, for each period ``by`` day, week or
        month (local to the desk) and each group, with totals.

        Rows: for each period label (ISO date of its local start) and ``total``; the backlog
        only as ``now``. With ``group_by``, each group's rows and the rows of all (group None).

        Raises:
            ValidationError: a bad window, period, dimension, KPI name or filter value, naming it.
        """
        since, until = moment("since", since), moment("until", until)
        if until <= since:
            raise _bad("until", f"{until.isoformat()} must be after since {since.isoformat()}")
        if by is not None and by not in BY:
            raise _bad("by", f"{by!r} is not one of {', '.join(BY)}")
        if group_by is not None and group_by not in DIMENSIONS:
            raise _bad("group_by", f"{group_by!r} is not one of {', '.join(DIMENSIONS)}")
        chosen = _chosen(kpis)
        filters = filters or KpiFilter()
        known = self._known()
        self._check(filters, known)
        chosen, not_applicable = _applicable(chosen, filters, group_by, named=kpis is not None)
        tz = self._desk.config.timezone
        spans = periods(since, until, by, tz) if by else [Period(since.date(), since, until)]
        now = clock.now()
        rows: list[KpiRow] = []
        constants = {k.name: k.constants(self._desk.config) for k in chosen if k.constants}
        rollup = ROLLUP
        with self._desk.unit() as uow:
            s = uow.session
            for source in SOURCES.values():
                mine = [k for k in chosen if k.source == source.name]
                if not mine:
                    continue
                table = source.table(spans[0].since, spans[-1].until)
                cols = _Cols(now, table)
                grouping = (
                    None if group_by is None else _Grouping.of(group_by, known, source, table)
                )
                where = list(_filter_where(filters, source, table))
                anchored = [k for k in mine if k.anchor is not None]
                present = [k for k in mine if k.anchor is None]
                # the calls' KPIs the daily roll-up holds: whole unchanged days from it, the
                # rest live (bpsm.kpis.rollup); the others, and the other sources, one grouped
                # scan each
                use_rollup = rollup is not None and source.name == "calls"
                held: list[Kpi] = []
                if use_rollup:
                    held, anchored = rollup.rolled(anchored, s.get_bind().dialect, tz)
                if held:
                    got, anchors = rollup.read(
                        s, held, spans, grouping, group_by, known, filters, where, cols, tz
                    )
                    rows += _rows(held, anchors, got, spans, by, grouping, constants)
                if anchored:
                    stmt, anchors = _scan(anchored, spans, grouping, where, cols)
                    got = s.execute(stmt).all()
                    rows += _rows(anchored, anchors, got, spans, by, grouping, constants)
                held = []
                if use_rollup:
                    held, present = rollup.rolled(present, s.get_bind().dialect, tz)
                if held:
                    got = rollup.read_present(
                        s, held, grouping, group_by, known, filters, where, cols, tz
                    )
                    rows += _rows(held, [], got or [], spans, by, grouping, constants)
                if present:
                    got = s.execute(_present(present, grouping, where, cols)).all()
                    rows += _rows(present, [], got, spans, by, grouping, constants)
        order = {k.name: i for i, k in enumerate(KPIS)}
        rows.sort(key=lambda r: (order[r.kpi], r.group is not None, r.group or "", r.period))
        return KpiReport(
            since=since,
            until=until,
            by=by,
            group_by=group_by,
            timezone=tz,
            filters=filters.given(),
            periods=[p.label.isoformat() for p in spans] if by else [],
            rows=rows,
            not_applicable=not_applicable,
        )

    def potential(
        self,
        since: datetime,
        until: datetime,
        *,
        filters: KpiFilter | None = None,
        **overrides: float,
    ) -> KpiPotential:
        """The potential calculator (:func:`bpsm.processes.recommendations.facade.potential`)
        with its inputs from the ``proactive`` KPI over ``[since, until)`` (``filters`` as for
        :meth:`report`: ``operator="anna"`` is anna's way of working), each overridable by
        name: ``jobs``, ``add_on_rate``, ``add_on_hit_rate``, ``add_on_value``, ``lead_rate``,
        ``lead_hit_rate``, ``lead_value``, ``baseline``.

        Raises:
            ValidationError: an unknown input or a bad value, naming it; a bad window or filter.
        """
        for name in overrides:
            if name not in POTENTIAL_INPUTS:
                raise _bad(name, f"{name!r} is not an input ({', '.join(POTENTIAL_INPUTS)})")
        got = self.report(since, until, filters=filters, kpis=["proactive"]).get("proactive")
        inputs = {k: float(got.get(f) or 0) for k, f in POTENTIAL_INPUTS.items()}
        inputs.update(overrides)
        return KpiPotential(
            moment("since", since),
            moment("until", until),
            inputs,
            tuple(overrides),
            potential(**inputs),
        )

    def refresh(self, *, full: bool = False) -> RefreshReport:
        """Bring the daily roll-ups up to yesterday (see :mod:`bpsm.kpis.rollup`); reports are
        exact without it, only slower the more days changed since the last refresh.
        ``full``: rebuild them from scratch."""
        assert ROLLUP is not None, "bpsm.kpis.rollup registers itself when bpsm.kpis is imported"
        report: RefreshReport = ROLLUP.refresh(self._desk, full=full)
        return report

    def check(self, filters: KpiFilter) -> None:
        """Refuse a filter value the desk does not know, naming the filter and what it knows."""
        self._check(filters, self._known())

    def _known(self) -> _Known:
        cfg = self._desk.config
        with self._desk.unit() as uow:
            s = uow.session
            services = dict(
                s.execute(
                    select(ServiceRow.id, ServiceRow.department).order_by(ServiceRow.id)
                ).all()
            )
            staff = dict(s.execute(select(StaffRow.id, StaffRow.group).order_by(StaffRow.id)).all())
        return _Known(services, list(staff), list(cfg.groups), list(cfg.channels), staff)

    def _check(self, filters: KpiFilter, known: _Known) -> None:
        pop = filters.population
        if pop is not None:
            if not pop.callers:
                raise _bad("population", f"{pop.label!r} names no caller")
            for name in pop.services or ():
                if name not in known.services:
                    raise _bad("population", f"{name!r} is not a known service")
        for name, value in filters.dimensions().items():
            values = known.values(name)
            if value not in values:
                shown = ", ".join(values[:12]) + (", …" if len(values) > 12 else "")
                raise _bad(name, f"{value!r} is not a known {name} ({shown})")


def _bad(field: str, message: str) -> ValidationError:
    return ValidationError(Problem(message, field=field))


def _chosen(names: Iterable[str] | None) -> list[Kpi]:
    if names is None:
        return list(KPIS)
    out = []
    for n in names:
        if n not in BY_NAME:
            raise _bad("kpi", f"{n!r} is not a KPI ({', '.join(BY_NAME)})")
        out.append(BY_NAME[n])
    return out


def _applicable(
    chosen: list[Kpi], filters: KpiFilter, group_by: str | None, *, named: bool
) -> tuple[list[Kpi], dict[str, str]]:
    """The KPIs whose source has every dimension filtered or grouped by; the others, with why.

    A KPI asked for by name whose source lacks one is refused: its figures would not be what
    the filter says.
    """
    used = [*filters.dimensions(), *([group_by] if group_by else [])]
    keep, left_out = [], {}
    for k in chosen:
        source = SOURCES[k.source]
        missing = [d for d in used if d not in source.dimensions]
        if not missing:
            keep.append(k)
            continue
        why = f"not by {', '.join(missing)}: {source.what}"
        if named:
            raise _bad(missing[0], f"KPI {k.name!r} is {why}")
        left_out[k.name] = why
    return keep, left_out


def _filter_where(f: KpiFilter, source: Source, t: Any) -> Iterable[Any]:
    """The ``WHERE`` of the filters on one source's table ``t`` (each dimension it has)."""
    for name, value in f.dimensions().items():
        column, via = source.dimensions[name]
        col = t.c[column]
        if via == "department":
            yield col.in_(select(ServiceRow.id).where(ServiceRow.department == value))
        elif via == "staff_group":
            yield col.in_(select(StaffRow.id).where(StaffRow.group == value))
        else:
            yield col == value
    if f.population is not None:
        if source.call_link is None:
            yield f.population.condition(t.c)
        else:
            is_call, call_id = source.call_link(t)
            calls = select(C.id).where(f.population.condition(C))
            yield and_(is_call, call_id.in_(calls))


@dataclass(frozen=True)
class _Known:
    """The values the desk knows for each dimension (filters are checked against them)."""

    services: dict[str, str]  # id → department
    staff: list[str]
    groups: list[str]
    channels: list[str]
    staff_groups: dict[str, str]  # staff id → operator group

    def values(self, dimension: str) -> list[str]:
        return {
            "service": list(self.services),
            "department": sorted(set(self.services.values())),
            "group": self.groups,
            "operator": self.staff,
            "channel": self.channels,
        }[dimension]


@dataclass(frozen=True)
class _Grouping:
    """A dimension as grouping keys: the index of the call's value among the known values
    (``CASE col WHEN v0 THEN 0 …``; SQLite groups small integers far faster than strings) and,
    where the column may hold a value no longer configured, that raw value."""

    values: list[str]
    key: Any
    extra: Any | None

    @classmethod
    def of(
        cls, dimension: Dimension, known: _Known, source: Source, t: Any, column: Any = None
    ) -> _Grouping:
        """The grouping by ``dimension`` of ``source``'s table ``t``; ``column``: the
        dimension's value in another table (the roll-up's), not the source's."""
        values = known.values(dimension)
        index = {v: i for i, v in enumerate(values)}
        name, via = source.dimensions[dimension]
        col = t.c[name] if column is None else column
        if via == "department":  # the service's department, without a join
            mapping = {sid: index[dep] for sid, dep in known.services.items()}
        elif via == "staff_group":  # the person's group now, without a join
            mapping = {p: index[g] for p, g in known.staff_groups.items() if g in index}
        else:
            mapping = index
        key = case(mapping, value=col, else_=-1) if mapping else literal(-1)
        extra = None
        if via == "value" and (dimension in source.open_columns or name in source.open_columns):
            extra = case((col.in_(values), None), else_=col) if values else col
        return cls(values, key, extra)

    def columns(self) -> list[Any]:
        cols = [self.key.label("g")]
        if self.extra is not None:
            cols.append(self.extra.label("gx"))
        return cols

    def decode(self, m: Any) -> str:
        k = m["g"]
        if k is not None and k >= 0:
            return self.values[int(k)]
        raw = m["gx"] if self.extra is not None else None
        return NONE if raw is None else str(raw)


def _label(part: Any) -> str:
    return f"p{id(part)}"


def _parts(kpis: list[Kpi], cols: _Cols) -> list[Any]:
    """Each distinct part once (KPIs share some, such as the count of their calls)."""
    unique = {_label(p): p for k in kpis for p in k.parts.values()}
    return [p.sql(cols).label(name) for name, p in unique.items()]


def _scan(
    kpis: list[Kpi],
    spans: list[Period],
    grouping: _Grouping | None,
    where: list[Any],
    cols: _Cols,
    ranges: Mapping[str, Sequence[tuple[datetime, datetime]]] | None = None,
) -> tuple[Any, list[str]]:
    """One grouped scan of a source for every anchored KPI of it.

    Each anchor's period index is a grouping key (NULL when that timestamp is outside the
    report), so one scan gives each anchor's parts per period: a group's parts count for a KPI
    only where its anchor's key is set. Returns the statement and the anchors in key order.
    ``ranges``: per anchor, the parts of the report to count (the roll-up holds the rest);
    default all of it.
    """
    anchors = sorted({k.anchor for k in kpis if k.anchor is not None})
    lo, hi = spans[0].since, spans[-1].until
    edges = [p.since for p in spans[1:]]
    spans_of = {a: [(lo, hi)] if ranges is None else list(ranges.get(a, ())) for a in anchors}
    length = sum((b - a for r in spans_of.values() for a, b in r), timedelta())
    wide = length > WIDE  # SQLite would merge index ranges row by row; one scan is cheaper

    def inside(at: Any, name: str) -> Any:
        return or_(*(and_(at >= a, at < b) for a, b in spans_of[name]))

    keys = []
    for name in anchors:
        at = cols.t.c[name]
        bucket = bucket_of(at, edges)
        keys.append(case((inside(at, name), bucket), else_=None) if spans_of[name] else null())
    ats = {n: scanned(cols.t.c[n]) if wide else cols.t.c[n] for n in anchors}
    in_report = or_(*(inside(at, n) for n, at in ats.items() if spans_of[n]))
    by_group = grouping.columns() if grouping is not None else []
    stmt = (
        select(*(k.label(f"b{i}") for i, k in enumerate(keys)), *by_group, *_parts(kpis, cols))
        .select_from(cols.t)
        .where(in_report, *where)
    )
    positions = len(keys) + len(by_group)
    return stmt.group_by(*(literal_column(str(i + 1)) for i in range(positions))), anchors


def _present(kpis: list[Kpi], grouping: _Grouping | None, where: list[Any], cols: _Cols) -> Any:
    """The figures of the present (the backlog): every row of the source now, by group."""
    by_group = grouping.columns() if grouping is not None else []
    about = [k.population(cols) for k in kpis if k.population is not None]
    everyone = len(about) < len(kpis)
    stmt = (
        select(*by_group, *_parts(kpis, cols))
        .select_from(cols.t)
        .where(*(() if everyone else (or_(*about),)), *where)
    )
    return stmt.group_by(*(literal_column(str(i + 1)) for i in range(len(by_group))))


def _rows(
    kpis: list[Kpi],
    anchors: list[str],
    got: Sequence[Any],
    spans: list[Period],
    by: By | None,
    grouping: _Grouping | None,
    constants: dict[str, Any] | None = None,
) -> list[KpiRow]:
    """The additive parts per (period, group) added up from the query's groups, and the
    figures derived from them (with each KPI's ``constants``). No anchors: the figures of the
    present (period ``now``)."""
    cells: dict[tuple[str, str | None], dict[str, float]] = {}

    def add(key: tuple[str, str | None], values: dict[str, float]) -> None:
        cell = cells.setdefault(key, defaultdict(float))
        for name, v in values.items():
            cell[name] += v

    for r in got:
        m = r._mapping
        g = None if grouping is None else grouping.decode(m)
        if not anchors:
            values = {
                f"{k.name}.{n}": float(m[_label(p)] or 0) for k in kpis for n, p in k.parts.items()
            }
            for key in {("now", None), ("now", g)}:
                add(key, values)
            continue
        for i, anchor in enumerate(anchors):
            b = m[f"b{i}"]
            if b is None:
                continue
            values = {
                f"{k.name}.{n}": float(m[_label(p)] or 0)
                for k in kpis
                if k.anchor == anchor
                for n, p in k.parts.items()
            }
            keys = {("total", None), ("total", g)}
            if by is not None:
                p = spans[int(b)].label.isoformat()
                keys |= {(p, None), (p, g)}
            for key in keys:
                add(key, values)
    labels = ["now"] if not anchors else ["total"]
    if anchors and by is not None:
        labels += [p.label.isoformat() for p in spans]
    for label in labels:  # an empty period still has its row (zero counts, no shares)
        cells.setdefault((label, None), defaultdict(float))
    out = []
    for (period, g), values in cells.items():
        for k in kpis:
            if (k.anchor is None) != (not anchors):
                continue
            parts = {n: values.get(f"{k.name}.{n}", 0.0) for n in k.parts}
            if g is not None and not any(f"{k.name}.{n}" in values for n in k.parts):
                continue  # a group seen only through other anchors' KPIs
            figures = k.derive(parts, (constants or {}).get(k.name))
            out.append(KpiRow(period=period, group=g, kpi=k.name, figures=figures))
    return out
