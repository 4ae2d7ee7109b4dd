"""``desk.kpis``: the KPI engine — every KPI of :mod:`bpsm.kpis.definitions`, by period and group.

:meth:`Kpis.report` counts every anchored KPI in one grouped SQL scan of the calls: the filters
in its ``WHERE``; as grouping keys, each anchor's period (a ``CASE`` over the desk's local period
boundaries, :mod:`bpsm.kpis.periods`) and the group's index among the known values. The backlog
(a figure of the present) is a second, small query over the open calls. Python only adds up the
additive parts of the groups for the totals and divides them for the figures.

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
from bpsm.kpis.definitions import BY_NAME, KPIS, Kpi
from bpsm.kpis.periods import BY, By, Period, periods
from bpsm.kpis.sql import bucket_of, scanned
from bpsm.processes.calls.steps import OPEN_STATES
from bpsm.processes.calls.views import first_time_right
from bpsm.store.tables import CallRow, ServiceRow, StaffRow, UTCDateTime
from bpsm.validation import moment

if TYPE_CHECKING:
    from bpsm.port import DeskPort

__all__ = [
    "DIMENSIONS",
    "KpiFilter",
    "KpiReport",
    "KpiRow",
    "KpiSnapshot",
    "Kpis",
    "RefreshReport",
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


@dataclass(frozen=True)
class KpiFilter:
    """Which calls a report counts: each field None (all) or one value to match.

    ``service`` is a service id, ``department`` a department of the catalogue (the call's
    service's), ``group`` the operator group the call is with, ``operator`` the staff id who
    registered it, ``channel`` how it came in.
    """

    service: str | None = None
    department: str | None = None
    group: str | None = None
    operator: str | None = None
    channel: str | None = None

    def given(self) -> dict[str, str]:
        """The filters set, by name."""
        return {d: v for d in DIMENSIONS if (v := getattr(self, d)) is not None}


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

    def get(self, kpi: str, period: str = "total", group: str | None = None) -> dict[str, Any]:
        """The figures of ``kpi`` for one period and group (empty when there are none)."""
        for r in self.rows:
            if (r.kpi, r.period, r.group) == (kpi, period, group):
                return r.figures
        return {}


class _Cols:
    """The columns a part's SQL sees: the call's, and ``ago(delta)`` before now."""

    def __init__(self, now: datetime):
        self.now = now

    def ago(self, delta: timedelta) -> Any:
        """The moment ``delta`` before now, as an SQL value."""
        return literal(self.now - delta, UTCDateTime())

    def __getattr__(self, name: str) -> Any:
        return getattr(CallRow, name)


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
        grouping = None if group_by is None else _Grouping.of(group_by, known)
        tz = self._desk.config.timezone
        spans = periods(since, until, by, tz) if by else [Period(since.date(), since, until)]
        now = clock.now()
        cols = _Cols(now)
        rows: list[KpiRow] = []
        anchored = [k for k in chosen if k.anchor is not None]
        present = [k for k in chosen if k.anchor is None]
        rollup = ROLLUP
        with self._desk.unit() as uow:
            s = uow.session
            # the KPIs the daily roll-up holds: whole unchanged days from it, the rest live
            # (bpsm.kpis.rollup); the others as they were, one grouped scan
            held: list[Kpi] = []
            if rollup is not None:
                held, anchored = rollup.rolled(anchored, s.get_bind().dialect, tz)
            if held:
                got, anchors = rollup.read(
                    s, held, spans, grouping, group_by, known, filters, cols, tz
                )
                rows += _rows(held, anchors, got, spans, by, grouping)
            if anchored:
                stmt, anchors = _scan(anchored, spans, grouping, filters, cols)
                scanned_rows = s.execute(stmt).all()
                rows += _rows(anchored, anchors, scanned_rows, spans, by, grouping)
            held = []
            if rollup is not None:
                held, present = rollup.rolled(present, s.get_bind().dialect, tz)
            if held:
                got = rollup.read_present(s, held, grouping, group_by, known, filters, cols, tz)
                rows += _rows(held, [], got or [], spans, by, grouping)
            if present:
                now_rows = s.execute(_present(present, grouping, filters, cols)).all()
                rows += _rows(present, [], now_rows, spans, by, grouping)
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
            staff = list(s.scalars(select(StaffRow.id).order_by(StaffRow.id)))
        return _Known(services, staff, list(cfg.groups), list(cfg.channels))

    def _check(self, filters: KpiFilter, known: _Known) -> None:
        for name, value in filters.given().items():
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


def _filter_where(f: KpiFilter) -> Iterable[Any]:
    if f.service is not None:
        yield C.service_id == f.service
    if f.department is not None:
        yield C.service_id.in_(select(ServiceRow.id).where(ServiceRow.department == f.department))
    if f.group is not None:
        yield C.group == f.group
    if f.operator is not None:
        yield C.registered_by == f.operator
    if f.channel is not None:
        yield C.channel == f.channel


@dataclass(frozen=True)
class _Known:
    """The values the desk knows for each dimension (filters are checked against them)."""

    services: dict[str, str]  # id → department
    staff: list[str]
    groups: list[str]
    channels: list[str]

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
    def of(cls, dimension: Dimension, known: _Known, column: Any = None) -> _Grouping:
        """``column``: the dimension's value in another table (the roll-up's), not the call's."""
        values = known.values(dimension)
        index = {v: i for i, v in enumerate(values)}
        if dimension == "department":  # the service's department, without a join
            col = C.service_id if column is None else column
            mapping = {sid: index[dep] for sid, dep in known.services.items()}
        else:
            col = {
                "service": C.service_id,
                "group": C.group,
                "operator": C.registered_by,
                "channel": C.channel,
            }[dimension]
            col = col if column is None else column
            mapping = index
        key = case(mapping, value=col, else_=-1) if mapping else literal(-1)
        extra = None
        if dimension in ("group", "channel"):  # not keys of another table: may be stale
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
    filters: KpiFilter,
    cols: _Cols,
    ranges: Mapping[str, Sequence[tuple[datetime, datetime]]] | None = None,
) -> tuple[Any, list[str]]:
    """One grouped scan of the calls for every anchored KPI.

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
        at = getattr(C, name)
        bucket = bucket_of(at, edges)
        keys.append(case((inside(at, name), bucket), else_=None) if spans_of[name] else null())
    ats = {n: scanned(getattr(C, n)) if wide else getattr(C, n) for n in anchors}
    in_report = or_(*(inside(at, n) for n, at in ats.items() if spans_of[n]))
    by_group = grouping.columns() if grouping is not None else []
    stmt = (
        select(*(k.label(f"b{i}") for i, k in enumerate(keys)), *by_group, *_parts(kpis, cols))
        .select_from(C)
        .where(in_report, *_filter_where(filters))
    )
    positions = len(keys) + len(by_group)
    return stmt.group_by(*(literal_column(str(i + 1)) for i in range(positions))), anchors


def _present(kpis: list[Kpi], grouping: _Grouping | None, filters: KpiFilter, cols: _Cols) -> Any:
    """The figures of the present (the backlog): every call now, by group."""
    by_group = grouping.columns() if grouping is not None else []
    about = [k.population(cols) for k in kpis if k.population is not None]
    everyone = len(about) < len(kpis)
    stmt = (
        select(*by_group, *_parts(kpis, cols))
        .select_from(C)
        .where(*(() if everyone else (or_(*about),)), *_filter_where(filters))
    )
    return stmt.group_by(*(literal_column(str(i + 1)) for i in range(len(by_group))))


def _rows(
    kpis: list[Kpi],
    anchors: list[str],
    got: Sequence[Any],
    spans: list[Period],
    by: By | None,
    grouping: _Grouping | None,
) -> list[KpiRow]:
    """The additive parts per (period, group) added up from the query's groups, and the
    figures derived from them. No anchors: the figures of the present (period ``now``)."""
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
            out.append(KpiRow(period=period, group=g, kpi=k.name, figures=k.derive(parts)))
    return out
