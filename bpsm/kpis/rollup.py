"""Daily KPI roll-ups: each anchored KPI's additive parts per local day, read for whole days.

The roll-up (table ``kpi_rollup``) holds, per anchor (the call's ``registered_at``,
``resolved_at`` or ``closed_at``), local day and value of one stored dimension (service, group,
operator, channel; a department is its services' sum; ``all``: every call), the sums of the
anchor's parts. They are computed by the same :class:`~bpsm.kpis.definitions.Part` SQL as the
live engine, grouped by day: the definitions stay the single truth, and a fingerprint (the time
zone and every rolled part's SQL) keeps a roll-up of another definition from being read.

**Which days are exact.** Triggers on ``calls`` (migration 0008) write every inserted, updated
or deleted call's anchor timestamps, old and new, to ``kpi_dirty``, in the writer's own
transaction. A report reads a day of an anchor from the roll-up only when it was rolled up and
no mark falls in it; the other days, every day after the last refresh and the parts of days the
report cuts are counted live from the calls. It probes the state and the marks before and after
it reads and reads again when they moved. So a stale roll-up costs time, never a wrong figure.

**The backlog**, a figure of the present, keeps its ``open`` part (the open calls) per
registration day: a rolled day wholly inside one age band adds its open calls to that band; the
days the bands' edges fall in are counted live.

**Refresh** (:func:`refresh`, ``desk.kpis.refresh()``, run by the nightly ``bpsm proactive``):
recompute the marked days and the days up to yesterday that are new, then drop the marks it
consumed — in one transaction that holds the state row, so the marks and the calls it reads
are one snapshot (REPEATABLE READ on PostgreSQL; SQLite's single writer). Reports never write.

KPIs over other records or whose parts depend on "now", and a filter or grouping the roll-up
does not hold (two stored dimensions at once, a filter other than the five dimensions), are
counted live by the engine as before.
"""

from __future__ import annotations

import dataclasses
import hashlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, delete, func, insert, literal, literal_column, or_, select
from sqlalchemy import update as sql_update
from sqlalchemy.engine import CursorResult, Dialect
from sqlalchemy.orm import Session

from bpsm import clock
from bpsm.kpis import engine
from bpsm.kpis.definitions import AGE_BANDS, KPIS, SOURCES, Kpi, Part
from bpsm.kpis.engine import (
    DIMENSIONS,
    KpiFilter,
    RefreshReport,
    _Cols,
    _Grouping,
    _Known,
    _label,
    _present,
    _scan,
)
from bpsm.kpis.periods import Period
from bpsm.processes.calls.steps import OPEN_STATES
from bpsm.store.tables import CallRow, ServiceRow
from bpsm.store.tables.kpi import SLOTS, KpiDirtyRow, KpiRollupRow, KpiRollupStateRow

if TYPE_CHECKING:
    from bpsm.port import DeskPort

__all__ = ["ANCHORS", "STORED", "headline", "read", "read_present", "refresh", "rolled"]

C, R, D, S = CallRow, KpiRollupRow, KpiDirtyRow, KpiRollupStateRow
#: the anchors the roll-up holds (the triggers of migration 0008 mark these columns)
ANCHORS = ("registered_at", "resolved_at", "closed_at")
#: the dimensions stored, each with its column on the calls (a department is its services)
STORED: dict[str, Any] = {
    "service": C.service_id,
    "group": C.group,
    "operator": C.registered_by,
    "channel": C.channel,
}
#: the rows of every call (summed from the channel's): what a report without groups reads
ALL = "all"
#: more marks than this and a refresh rebuilds everything (cheaper than reading them all)
MAX_MARKS = 50_000
#: how often a report re-reads when a refresh or a change landed while it read
RETRIES = 3
#: the roll-up's storage layout: another one (a new kind of row) is a rebuild
FORMAT = "kpi-rollup/2"


@dataclass(frozen=True)
class _Layout:
    """Which KPIs the roll-up holds and, per anchor, which part is in which slot."""

    fingerprint: str
    rolled: frozenset[str]
    parts: dict[str, list[Part]]  # anchor → its distinct parts, slot order
    slot: dict[tuple[str, int], int]  # (anchor, id(part)) → slot
    aged: _Aged | None = None


@dataclass(frozen=True)
class _Aged:
    """A figure of the present the roll-up holds: the open calls (a part of the registered
    calls, so kept per registration day) split into age bands (``AGE_BANDS``)."""

    kpi: str
    slot: int  # of its "open" part, in the registered_at rows


def _sql(part: Part, cols: Any, dialect: Dialect) -> str:
    return str(part.sql(cols).compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


@cache
def _layout(dialect: Dialect, timezone: str) -> _Layout:
    one, two = _Cols(datetime(2001, 1, 1, tzinfo=UTC)), _Cols(datetime(2002, 2, 2, tzinfo=UTC))
    texts: dict[str, list[str]] = {a: [] for a in ANCHORS}
    parts: dict[str, list[Part]] = {a: [] for a in ANCHORS}
    slot: dict[tuple[str, int], int] = {}
    rolled = []
    for k in KPIS:
        if k.anchor not in ANCHORS or getattr(k, "source", None) not in (None, C, "calls"):
            continue
        try:
            sqls = [_sql(p, one, dialect) for p in k.parts.values()]
            if sqls != [_sql(p, two, dialect) for p in k.parts.values()]:
                continue  # depends on "now": live
        except Exception:  # a part that cannot be written out as plain SQL: live
            continue
        new = [t for t in dict.fromkeys(sqls) if t not in texts[k.anchor]]
        if len(texts[k.anchor]) + len(new) > SLOTS:
            continue
        for p, t in zip(k.parts.values(), sqls, strict=True):
            if t not in texts[k.anchor]:
                texts[k.anchor].append(t)
                parts[k.anchor].append(p)
            slot[(k.anchor, id(p))] = texts[k.anchor].index(t)
        rolled.append(k.name)
    aged = None
    for k in KPIS:
        if k.anchor is None and _is_aged(k, one, two, dialect):
            texts_r = texts["registered_at"]
            t = _sql(k.parts["open"], one, dialect)
            if t not in texts_r and len(texts_r) < SLOTS:
                texts_r.append(t)
                parts["registered_at"].append(k.parts["open"])
            if t in texts_r:
                aged = _Aged(k.name, texts_r.index(t))
                rolled.append(k.name)
            break
    digest = hashlib.sha256()
    for item in (FORMAT, timezone, dialect.name, *(f"{a}:{t}" for a in ANCHORS for t in texts[a])):
        digest.update(item.encode() + b"\0")
    return _Layout(digest.hexdigest(), frozenset(rolled), parts, slot, aged)


def _is_aged(k: Kpi, one: Any, two: Any, dialect: Dialect) -> bool:
    """Whether ``k`` is the open backlog as :mod:`bpsm.kpis.definitions` writes it: an
    ``open`` part (the open calls) and each age band's part, SQL for SQL."""
    from bpsm.kpis.definitions import _aged

    names = [name for name, _, _ in AGE_BANDS]
    if getattr(k, "source", None) not in (None, C, "calls") or set(k.parts) != {"open", *names}:
        return False
    try:
        if _sql(k.parts["open"], one, dialect) != _sql(OPEN, one, dialect):
            return False
        population = k.population(one) if k.population is not None else None
        if population is None or str(population.compile(dialect=dialect)) != str(
            OPEN_STATES_SQL(C).compile(dialect=dialect)
        ):
            return False
        return all(
            _sql(k.parts[name], cols, dialect) == _sql(_aged(lo, hi), cols, dialect)
            for name, lo, hi in AGE_BANDS
            for cols in (one, two)
        )
    except Exception:  # not plain SQL: live
        return False


#: the open calls, as the backlog's ``open`` part and its age bands say it
OPEN_STATES_SQL = lambda c: c.state.in_(OPEN_STATES)  # noqa: E731
OPEN = Part(OPEN_STATES_SQL)


def rolled(kpis: Sequence[Kpi], dialect: Dialect, timezone: str) -> tuple[list[Kpi], list[Kpi]]:
    """The KPIs the roll-up holds, and the others (counted live as before)."""
    names = _layout(dialect, timezone).rolled
    return [k for k in kpis if k.name in names], [k for k in kpis if k.name not in names]


# -- local days -------------------------------------------------------------------------------


def _midnight(day: int, zone: ZoneInfo) -> datetime:
    return datetime.combine(date.fromordinal(day), time(), zone).astimezone(UTC)


def _day_of(at: datetime, zone: ZoneInfo) -> int:
    return at.astimezone(zone).date().toordinal()


def _tree(column: Any, edges: Sequence[Any], base: int = 0) -> Any:
    """``base`` + how many of ``edges`` (ascending) are at or before ``column``: a balanced
    ``CASE`` tree, as :func:`bpsm.kpis.sql.bucket_of`, over any comparable values."""

    def tree(lo: int, hi: int) -> Any:
        if lo == hi:
            return literal(base + lo)
        mid = (lo + hi + 1) // 2
        return case((column < edges[mid - 1], tree(lo, mid - 1)), else_=tree(mid, hi))

    return tree(0, len(edges))


def _runs(days: Sequence[int]) -> list[tuple[int, int]]:
    """Sorted distinct days as runs of consecutive days ``(first, last)``."""
    out: list[tuple[int, int]] = []
    for d in days:
        if out and d == out[-1][1] + 1:
            out[-1] = (out[-1][0], d)
        else:
            out.append((d, d))
    return out


# -- refresh ----------------------------------------------------------------------------------


def refresh(desk: DeskPort, *, full: bool = False) -> RefreshReport:
    """Bring the roll-up up to yesterday (the desk's local day): recompute the days the calls'
    changes marked, add the new days, consume those marks. ``full``: rebuild from scratch.

    One transaction holding the state row: two refreshes at once do not interleave (the second
    waits, or fails on PostgreSQL, and changes nothing).
    """
    tz = desk.config.timezone
    zone = ZoneInfo(tz)
    now = clock.now()
    yesterday = now.astimezone(zone).date().toordinal() - 1
    cols = _Cols(now)
    with desk.unit() as uow:
        s = uow.session
        dialect = s.get_bind().dialect
        if dialect.name == "postgresql":
            s.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        lay = _layout(dialect, tz)
        # the first statement writes: SQLite takes its write lock, PostgreSQL the row's lock,
        # so what follows reads one snapshot no other refresh changes
        bump = sql_update(S).where(S.id == 1).values(version=S.version + 1)
        bumped = cast(CursorResult[Any], s.execute(bump)).rowcount
        state = s.execute(select(S.fingerprint, S.through).where(S.id == 1)).one_or_none()
        count, top = s.execute(select(func.count(), func.max(D.id))).one()
        rebuild = full or not bumped or state is None or state.fingerprint != lay.fingerprint
        rebuild = rebuild or count > MAX_MARKS
        cells: dict[str, list[int]] = {}
        if rebuild:
            s.execute(delete(R))
            first = _first_day(s, zone)
            through = yesterday
            if first is not None and first <= through:
                cells = {a: list(range(first, through + 1)) for a in ANCHORS}
        else:
            assert state is not None
            through = max(state.through, yesterday)
            marked: dict[str, set[int]] = {a: set() for a in ANCHORS}
            if top is not None:
                for anchor, at in s.execute(select(D.anchor, D.at).where(D.id <= top).distinct()):
                    day = _day_of(at, zone)
                    if anchor in marked and day <= state.through:
                        marked[anchor].add(day)
            fresh = range(state.through + 1, through + 1)
            cells = {a: sorted(marked[a] | set(fresh)) for a in ANCHORS}
            for a, days in cells.items():
                for lo, hi in _runs(days):
                    s.execute(delete(R).where(R.anchor == a, R.day.between(lo, hi)))
        for anchor, days in cells.items():
            if days and lay.parts[anchor]:
                _insert(s, anchor, days, lay.parts[anchor], cols, zone)
        if top is not None:
            s.execute(delete(D).where(D.id <= top))
        values = {"fingerprint": lay.fingerprint, "through": through, "refreshed_at": now}
        if bumped:
            s.execute(sql_update(S).where(S.id == 1).values(**values))
        else:
            s.execute(insert(S).values(id=1, version=1, **values))
    return RefreshReport(
        rebuilt=rebuild,
        cells=sum(len(d) for d in cells.values()),
        marks=int(count),
        through=date.fromordinal(through),
    )


def _first_day(s: Session, zone: ZoneInfo) -> int | None:
    """The local day of the earliest anchor timestamp of any call (None: no calls)."""
    firsts = [s.scalar(select(func.min(getattr(C, a)))) for a in ANCHORS]
    known = [f for f in firsts if f is not None]
    return min(_day_of(f, zone) for f in known) if known else None


def _insert(
    s: Session, anchor: str, days: list[int], parts: list[Part], cols: Any, zone: ZoneInfo
) -> None:
    """Compute ``days`` of ``anchor`` from the calls, one insert per stored dimension."""
    at = getattr(C, anchor)
    runs = _runs(days)
    where = or_(*(and_(at >= _midnight(lo, zone), at < _midnight(hi + 1, zone)) for lo, hi in runs))
    edges = [literal(_midnight(d, zone), at.type) for d in range(days[0] + 1, days[-1] + 1)]
    day = _tree(at, edges, days[0])
    slots = [p.sql(cols) for p in parts] + [literal(0.0)] * (SLOTS - len(parts))
    names = ["dimension", "value", "anchor", "day", *(f"s{i}" for i in range(SLOTS))]
    for dim, col in STORED.items():
        sel = (
            select(literal(dim), col, literal(anchor), day, *slots)
            .select_from(C)
            .where(where)
            .group_by(literal_column("2"), literal_column("4"))
        )
        s.execute(insert(R).from_select(names, sel))
    # every call, whatever its values: the sum of one dimension's rows (reports without groups
    # and filters read a row a day, not a row a day and service)
    total = (
        select(
            literal(ALL),
            literal(None),
            R.anchor,
            R.day,
            *(func.sum(getattr(R, f"s{i}")) for i in range(SLOTS)),
        )
        .where(R.dimension == "channel", R.anchor == anchor)
        .where(or_(*(R.day.between(lo, hi) for lo, hi in runs)))
        .group_by(R.anchor, R.day)
    )
    s.execute(insert(R).from_select(names, total))


# -- the report's read ------------------------------------------------------------------------


class _Row:
    """A grouped row as the engine's ``_rows`` reads it (``row._mapping[name]``)."""

    __slots__ = ("_mapping",)

    def __init__(self, mapping: dict[str, Any]):
        self._mapping = mapping


def _stored(filters: KpiFilter, group_by: str | None) -> str | None:
    """The one stored dimension a report's filters and grouping read (None: not the roll-up).

    Every field of the filter counts, not only the dimensions: one the roll-up does not hold
    (a pilot's ``population``, any field added later) is counted live."""
    fields = [f.name for f in dataclasses.fields(filters)]
    given = {name: v for name in fields if (v := getattr(filters, name)) is not None}
    if any(name not in DIMENSIONS for name in given):
        return None
    dims = {"service" if d == "department" else d for d in [*given, group_by] if d is not None}
    if len(dims) > 1:
        return None
    return next(iter(dims), ALL)


def _value_where(filters: KpiFilter) -> list[Any]:
    out: list[Any] = []
    for name, v in filters.dimensions().items():
        if name == "department":
            out.append(R.value.in_(select(ServiceRow.id).where(ServiceRow.department == v)))
        else:
            out.append(R.value == v)
    return out


def _probes() -> list[Any]:
    """What a report checks before and after it reads, as SQL: the state and the marks."""

    def state(col: Any) -> Any:
        return select(col).where(S.id == 1).scalar_subquery()

    marks = [
        select(f(*a)).select_from(D).scalar_subquery()
        for f, a in ((func.count, ()), (func.max, (D.id,)))
    ]
    return [state(S.version), state(S.fingerprint), state(S.through), *marks]


def _seen(row: Sequence[Any]) -> tuple[Any, ...]:
    version, fingerprint, through, count, top = row
    return (None if version is None else (version, fingerprint, through), count, top)


def _probe(s: Session) -> tuple[Any, ...]:
    """The state and the marks as they are now (one query)."""
    return _seen(s.execute(select(*_probes())).one())


@dataclass(frozen=True)
class _Plan:
    layout: _Layout
    zone: ZoneInfo
    through: int
    marked: dict[str, set[int]]  # anchor → the local days changes marked


def _plan(s: Session, probe: tuple[Any, ...], timezone: str) -> _Plan | None:
    """The roll-up as it stands, or None when it is not usable (not built, another layout)."""
    state, count, top = probe
    lay = _layout(s.get_bind().dialect, timezone)
    if state is None or state[1] != lay.fingerprint or count > MAX_MARKS:
        return None
    zone = ZoneInfo(timezone)
    marked: dict[str, set[int]] = {a: set() for a in ANCHORS}
    if top is not None:
        for anchor, at in s.execute(select(D.anchor, D.at).distinct()):
            if anchor in marked:
                marked[anchor].add(_day_of(at, zone))
    return _Plan(lay, zone, int(state[2]), marked)


#: what a reading that checked the probe itself returns when it saw it move
_MOVED = object()


def _reading(
    s: Session, timezone: str, dim: str | None, read: Any, fallback: Any, *, after: bool = True
) -> Any:
    """``read(plan)`` between two probes of the roll-up, again while a refresh or a change
    landed meanwhile; ``fallback()`` (live) when it is not usable or keeps changing.
    ``after=False``: ``read`` probes in its own statement (its one snapshot), and says
    ``_MOVED`` when the probe is not the plan's."""
    if dim is not None:
        for _ in range(RETRIES):
            before = _probe(s)
            plan = _plan(s, before, timezone)
            if plan is None:
                break
            got = read(plan, before)
            if got is not _MOVED and (not after or _probe(s) == before):
                return got
    return fallback()


def _groups(group_by: str | None, known: _Known) -> list[Any]:
    if group_by is None:
        return []
    calls = SOURCES["calls"]
    return _Grouping.of(group_by, known, calls, C.__table__, column=R.value).columns()  # type: ignore[arg-type]


def read(
    s: Session,
    kpis: list[Kpi],
    spans: list[Period],
    grouping: _Grouping | None,
    group_by: str | None,
    known: _Known,
    filters: KpiFilter,
    where: list[Any],
    cols: _Cols,
    timezone: str,
) -> tuple[list[Any], list[str]]:
    """The grouped rows of the anchored ``kpis`` (all held by the roll-up) as the engine's scan
    gives them: whole unchanged days from the roll-up, the rest live from the calls; and the
    anchors in key order. Without a usable roll-up, the live scan alone. ``where``: the
    filters as the engine writes them on the calls (what the live parts read)."""

    def live() -> tuple[list[Any], list[str]]:
        stmt, anchors = _scan(kpis, spans, grouping, where, cols)
        return list(s.execute(stmt).all()), anchors

    def rolled(plan: _Plan, _: Any) -> tuple[list[Any], list[str]]:
        assert dim is not None
        zone = plan.zone
        lo, hi = spans[0].since, spans[-1].until
        first = _day_of(lo, zone) + (_midnight(_day_of(lo, zone), zone) < lo)
        last = min(_day_of(hi, zone) - 1, plan.through)  # whole days before the one hi is in
        anchors = sorted({k.anchor for k in kpis if k.anchor is not None})
        runs: dict[str, list[tuple[int, int]]] = {}
        ranges: dict[str, list[tuple[datetime, datetime]]] = {}
        for a in anchors:
            runs[a] = _runs([d for d in range(first, last + 1) if d not in plan.marked[a]])
            ranges[a], at = [], lo
            for d1, d2 in runs[a]:
                if _midnight(d1, zone) > at:
                    ranges[a].append((at, _midnight(d1, zone)))
                at = _midnight(d2 + 1, zone)
            if at < hi:
                ranges[a].append((at, hi))
        got: list[Any] = []
        if any(ranges.values()):
            stmt, _ = _scan(kpis, spans, grouping, where, cols, ranges=ranges)
            got += s.execute(stmt).all()
        held = [a for a in anchors if runs[a]]
        if not held:
            return got, anchors
        labels = {
            a: {
                _label(p): plan.layout.slot[(a, id(p))]
                for k in kpis
                if k.anchor == a
                for p in k.parts.values()
            }
            for a in held
        }
        width = 1 + max(i for a in held for i in labels[a].values())
        edges = [p.label.toordinal() for p in spans[1:]]
        by_group = _groups(group_by, known)
        days = or_(
            *(
                and_(R.anchor == a, or_(*(R.day.between(d1, d2) for d1, d2 in runs[a])))
                for a in held
            )
        )
        stmt = (
            select(
                R.anchor,
                _tree(R.day, edges).label("b"),
                *by_group,
                *(func.sum(getattr(R, f"s{i}")).label(f"s{i}") for i in range(width)),
            )
            .where(R.dimension == dim, days, *_value_where(filters))
            .group_by(*(literal_column(str(i + 1)) for i in range(2 + len(by_group))))
        )
        for r in s.execute(stmt):
            m = r._mapping
            row: dict[str, Any] = {
                f"b{i}": m["b"] if a == m["anchor"] else None for i, a in enumerate(anchors)
            }
            row.update({c: m[c] for c in ("g", "gx") if c in m})
            row.update({name: m[f"s{i}"] for name, i in labels[m["anchor"]].items()})
            got.append(_Row(row))
        return got, anchors

    dim = _stored(filters, group_by)
    result: tuple[list[Any], list[str]] = _reading(s, timezone, dim, rolled, live)
    return result


def read_present(
    s: Session,
    kpis: list[Kpi],
    grouping: _Grouping | None,
    group_by: str | None,
    known: _Known,
    filters: KpiFilter,
    where: list[Any],
    cols: _Cols,
    timezone: str,
    *,
    counted: bool = True,
) -> list[Any] | None:
    """The grouped rows of the backlog (the one figure of the present the roll-up holds) as the
    engine's query of the present gives them. An unchanged day wholly inside one age band
    (today's bands: the day each band's edge ``now - age`` falls in is counted live) adds its
    open calls to that band; the others, and every day since the last refresh, live.
    Without a usable roll-up, the live query (``counted=False``: None)."""

    def live() -> list[Any] | None:
        return list(s.execute(_present(kpis, grouping, where, cols)).all()) if counted else None

    def rolled(plan: _Plan, _: Any) -> list[Any]:
        assert dim is not None and plan.layout.aged is not None
        zone, now, slot = plan.zone, cols.now, plan.layout.aged.slot
        edges = {_day_of(now - age, zone) for _, lo, hi in AGE_BANDS for age in (lo, hi) if age}
        out = sorted(d for d in plan.marked["registered_at"] | edges if d <= plan.through)
        live_at = [(_midnight(d1, zone), _midnight(d2 + 1, zone)) for d1, d2 in _runs(out)]
        reg = C.registered_at
        stmt = _present(kpis, grouping, where, cols).where(
            or_(
                reg >= _midnight(plan.through + 1, zone),
                *(and_(reg >= a, reg < b) for a, b in live_at),
            )
        )
        got: list[Any] = list(s.execute(stmt).all())
        (k,) = kpis
        value = getattr(R, f"s{slot}")
        sums = [func.sum(value).label(_label(k.parts["open"]))]
        for name, lo, hi in AGE_BANDS:  # the band's days: after hi's edge, before lo's
            upper = _day_of(now - lo, zone) - 1
            inside = (
                R.day <= upper if hi is None else R.day.between(_day_of(now - hi, zone) + 1, upper)
            )
            sums.append(func.sum(case((inside, value), else_=0.0)).label(_label(k.parts[name])))
        by_group = _groups(group_by, known)
        stmt = (
            select(*by_group, *sums)
            .where(
                R.dimension == dim,
                R.anchor == "registered_at",
                R.day <= plan.through,
                *(~R.day.between(d1, d2) for d1, d2 in _runs(out)),
                *_value_where(filters),
            )
            .group_by(*(literal_column(str(i + 1)) for i in range(len(by_group))))
        )
        if by_group:  # a group is in the backlog by its open calls, as in the live query
            stmt = stmt.having(func.sum(value) > 0)
        got += s.execute(stmt).all()
        return got

    dim = _stored(filters, group_by)
    result: list[Any] | None = _reading(s, timezone, dim, rolled, live)
    return result


def headline(s: Session, statement: Any, timezone: str) -> Any:
    """The headline snapshot's row: ``statement(open_now)`` with ``open_now`` the open calls
    now as SQL — the roll-up's open calls of the unchanged rolled registration days plus a
    count of the open calls registered on the other days (today, changed days), or, without a
    usable roll-up that holds the backlog, a count of every open call."""
    everyone = select(func.count()).select_from(C).where(OPEN_STATES_SQL(C)).scalar_subquery()

    def live() -> Any:
        return s.execute(statement(everyone)).one()

    def rolled(plan: _Plan, before: tuple[Any, ...]) -> Any:
        if plan.layout.aged is None:
            return live()
        zone, through = plan.zone, plan.through
        out = _runs(sorted(d for d in plan.marked["registered_at"] if d <= through))
        reg = C.registered_at
        recent = or_(
            reg >= _midnight(through + 1, zone),
            *(and_(reg >= _midnight(d1, zone), reg < _midnight(d2 + 1, zone)) for d1, d2 in out),
        )
        counted = select(func.count()).select_from(C).where(OPEN_STATES_SQL(C), recent)
        held = select(func.coalesce(func.sum(getattr(R, f"s{plan.layout.aged.slot}")), 0)).where(
            R.dimension == ALL,
            R.anchor == "registered_at",
            R.day <= through,
            *(~R.day.between(d1, d2) for d1, d2 in out),
        )
        open_now = held.scalar_subquery() + counted.scalar_subquery()
        row = tuple(s.execute(statement(open_now).add_columns(*_probes())).one())
        return row[:-5] if _seen(row[-5:]) == before else _MOVED

    return _reading(s, timezone, ALL, rolled, live, after=False)


engine.ROLLUP = sys.modules[__name__]  # the engine reads through the roll-up from now on
