"""The call queue as SQL: filters, text search, sort by column and keyset paging.

One definition of each filter lives here (:data:`FILTERS`); ``desk.calls.find`` pages with it and
``desk.calls.count`` counts with it. Pages are found by key — the sort column and the call id of
the row next to the page — never by ``OFFSET``, so the last page of a million calls costs what the
first one does.

*Overdue* follows the service's terms of delivery: an unresolved open call whose registration is
longer ago than the ``delivery.lead_time`` of the service version it is about. The lead times
come from the published ``service_versions`` (a small table) and become one SQL condition per
version; a call without a service has no delivery terms and is never overdue.

A filter of several states (``open``, ``waiting``, ...) pages as one ordered, limited read per
state, merged: each is a seek into the index of its state and sort column, so a page costs the
same whichever states are common, and the database never sorts every open call to find the
newest forty (a plain ``state IN (...)`` let SQLite pick a state index and sort them all).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    false,
    func,
    literal,
    literal_column,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression

from bpsm.catalogue.schema import parse_duration
from bpsm.errors import Problem, ValidationError
from bpsm.processes.calls.steps import OPEN_STATES, WAITING
from bpsm.roles import Person
from bpsm.services import escape_like
from bpsm.store import search as search_index
from bpsm.store.tables import CallRow, ServiceVersionRow
from bpsm.views import Cursor

__all__ = [
    "FILTERS",
    "SCAN",
    "SORTS",
    "Bounded",
    "Conditions",
    "before",
    "bounded_page",
    "key_of",
    "lead_times",
    "matching",
    "page_query",
]

FILTERS: dict[str, str] = {
    "open": "every open call (registered, in progress, waiting, resolved)",
    "mine": "open calls I registered",
    "group": "open calls of my group",
    "waiting": "calls waiting for the customer or a supplier",
    "overdue": "unresolved open calls past their service's lead time",
    "resolved": "resolved, not yet closed",
    "closed": "closed calls",
    "referred": "calls referred to relation management",
    "all": "every call, whatever its state",
}
"""The queue's filters, by name, with what each one shows."""

SORTS: dict[str, Any] = {
    "number": CallRow.id,
    "caller": CallRow.caller,
    # written as the index on it (migration 0009) has it: a bound '' would not match it
    "service": func.coalesce(CallRow.service_id, literal_column("''")),
    "state": CallRow.state,
    "group": CallRow.group,
    "age": CallRow.registered_at,
}
"""The columns the queue sorts by. ``age`` ascending is oldest first."""

_NUMBER = re.compile(r"^\s*(?:c-?)?0*(\d{1,9})\s*$", re.IGNORECASE)


def sort_column(sort: str) -> Any:
    """The SQL expression of sort column ``sort``."""
    return SORTS[sort]


class Conditions(list[Any]):
    """The SQL conditions of a filter and search (``.where(*conditions)``), with the states the
    filter is limited to apart: ``states`` (None: any state) and ``rest`` (the others).

    ``scan`` is a search no index serves (a text shorter than the index's trigrams, or no
    index): made from the columns it reads (``scan(CallRow)``), it is among the conditions for a
    count, but a page applies it within a bounded read of the list (:func:`bounded_page`).
    """

    def __init__(
        self,
        states: Sequence[str] | None,
        rest: Sequence[Any],
        scan: Callable[[Any], ColumnElement[bool]] | None = None,
    ) -> None:
        self.states = tuple(states) if states is not None else None
        self.rest = list(rest)
        self.scan = scan
        head = [] if states is None else [_in_states(self.states or ())]
        self.base = [*head, *self.rest]
        super().__init__([*self.base, *([] if scan is None else [scan(CallRow)])])


def _in_states(states: Sequence[str]) -> Any:
    return CallRow.state == states[0] if len(states) == 1 else CallRow.state.in_(states)


def key_of(row: CallRow, sort: str) -> Any:
    """The value of the sort column ``sort`` on one call (what a cursor remembers)."""
    if sort == "number":
        return row.id
    if sort == "service":
        return row.service_id or ""
    return getattr(row, {"age": "registered_at"}.get(sort, sort))


def lead_times(s: Session) -> dict[tuple[str, int], timedelta]:
    """The lead time of every published service version that states one."""
    found: dict[tuple[str, int], timedelta] = {}
    for service, version, definition in s.execute(
        select(
            ServiceVersionRow.service_id, ServiceVersionRow.version, ServiceVersionRow.definition
        )
    ):
        lead = ((definition or {}).get("delivery") or {}).get("lead_time")
        try:
            found[(service, version)] = parse_duration(lead)
        except (TypeError, ValueError):
            continue  # a definition without (valid) delivery terms: nothing is overdue by it
    return found


_UNRESOLVED = tuple(st for st in OPEN_STATES if st != "resolved")


def _overdue(s: Session, now: datetime) -> ColumnElement[bool]:
    by_lead: dict[timedelta, list[tuple[str, int]]] = {}
    for key, lead in lead_times(s).items():
        by_lead.setdefault(lead, []).append(key)
    late = [
        and_(
            tuple_(CallRow.service_id, CallRow.service_version).in_(keys),
            CallRow.registered_at < now - lead,
        )
        for lead, keys in by_lead.items()
    ]
    return or_(*late) if late else false()  # on the unresolved open calls (_UNRESOLVED)


def _filter(
    s: Session, name: str, person: Person | None, now: datetime
) -> tuple[Sequence[str] | None, list[Any]]:
    """The states filter ``name`` is limited to (None: any) and its other conditions."""
    if name in ("mine", "group") and person is None:
        raise ValidationError(Problem(f"filter {name!r} needs the person (by=)", field="by"))
    match name:
        case "open":
            return OPEN_STATES, []
        case "mine":
            assert person is not None
            return OPEN_STATES, [CallRow.registered_by == person.id]
        case "group":
            assert person is not None
            return OPEN_STATES, [CallRow.group == person.group]
        case "waiting":
            return tuple(WAITING), []
        case "overdue":
            return _UNRESOLVED, [_overdue(s, now)]
        case "resolved" | "closed" | "referred":
            return (name,), []
    return None, []


FEW = 2_000
"""A search text the index finds in at most this many calls reads just those calls; one found
more often reads the queue in its order (a page of it turns up within the first few thousand)."""


def _candidates(s: Session, text: str) -> list[int] | None:
    """The calls whose caller or summary may hold ``text``, from the SQLite search index, when it
    finds at most :data:`FEW` of them (None: no index, a text too short or too common for it)."""
    if len(text) < search_index.MIN_CHARS or s.get_bind().dialect.name != "sqlite":
        return None  # PostgreSQL's trigram indexes serve the ILIKE itself
    conn = s.connection()
    if not search_index.has_index(conn):
        return None
    phrase = '"' + text.replace('"', '""') + '"'  # the text as one phrase: a substring match
    found = conn.exec_driver_sql(
        f"SELECT rowid FROM {search_index.TABLE} WHERE {search_index.TABLE} MATCH ? LIMIT ?",
        (phrase, FEW + 1),
    ).all()
    return None if len(found) > FEW else [row[0] for row in found]


def _search(s: Session, text: str) -> tuple[list[Any], Callable[[Any], ColumnElement[bool]] | None]:
    """The conditions of a search the index serves, or (second) the one a page reads bounded."""
    if not text:
        return [], None
    pattern = f"%{escape_like(text)}%"
    number = _NUMBER.match(text)

    def found(c: Any, *, among: list[int] | None = None) -> ColumnElement[bool]:
        like: ColumnElement[bool] = or_(
            c.caller.ilike(pattern, escape="\\"), c.summary.ilike(pattern, escape="\\")
        )
        if among is not None:  # the index's candidates, matched as before (exactly the same)
            like = and_(c.id.in_(among), like) if among else false()
        return or_(like, c.id == int(number.group(1))) if number else like

    candidates = _candidates(s, text)
    if candidates is not None:
        return [found(CallRow, among=candidates)], None
    indexed = (
        s.get_bind().dialect.name == "postgresql"
        and len(text) >= search_index.MIN_CHARS
        and search_index.has_index(s.connection())
    )  # PostgreSQL's trigram indexes serve the ILIKE itself
    return ([found(CallRow)], None) if indexed else ([], found)


def matching(
    s: Session, *, filter: str, search: str, person: Person | None, now: datetime
) -> Conditions:
    """The SQL conditions for the calls a filter and a search text select."""
    states, rest = _filter(s, filter, person, now)
    served, scan = _search(s, search)
    return Conditions(states, [*rest, *served], scan)


def _keys(sort: str) -> tuple[Any, ...]:
    column = sort_column(sort)
    return (column,) if sort == "number" else (column, CallRow.id)


def _mark(cursor: Cursor) -> tuple[Any, ...]:
    return (cursor.key,) if cursor.sort == "number" else (cursor.key, cursor.id)


def _compare(keys: tuple[Any, ...], mark: tuple[Any, ...], op: str) -> Any:
    row, value = (keys[0], mark[0]) if len(keys) == 1 else (tuple_(*keys), mark)
    return {"<": row < value, ">": row > value, "<=": row <= value, ">=": row >= value}[op]


def before(cursor: Cursor, descending: bool) -> Any:
    """The SQL condition for the calls that come before ``cursor`` in its sort."""
    return _compare(_keys(cursor.sort), _mark(cursor), ">" if descending else "<")


def _page_marks(
    keys: tuple[Any, ...],
    descending: bool,
    backwards: bool,
    after: Cursor | None,
    before: Cursor | None,
    at: Cursor | None,
) -> tuple[list[Any], list[Any]]:
    """The condition of where a page starts and its order (in the direction it is read)."""
    forward_desc = descending != backwards  # the direction the statement reads in
    anchor = before or after or at
    mark: list[Any] = []
    if anchor is not None:
        mark.append(_compare(keys, _mark(anchor), _start_op(descending, backwards, at is not None)))
    return mark, [k.desc() if forward_desc else k.asc() for k in keys]


def _start_op(descending: bool, backwards: bool, at: bool) -> str:
    """The comparison of a page's start: from the call ``at`` on, or past a cursor."""
    if at:
        return "<=" if descending else ">="
    return "<" if descending != backwards else ">"


def _in_state(
    state: str,
    keys: tuple[Any, ...],
    descending: bool,
    backwards: bool,
    after: Cursor | None,
    before: Cursor | None,
    at: Cursor | None,
    fixed: bool = False,
) -> list[Any]:
    """Where a page starts among the calls of one ``state``, the state leading the comparison:
    ``(state, key, id) > ('registered', k, i)``, the same calls as ``(key, id) > (k, i)`` there,
    written as the state's index (state, key, id) starts. PostgreSQL otherwise took an index
    without the state for it and read every call of a group for a state that has none (300-570
    ms a page of the group filter by group on a million calls). SQLite seeks only ``state = ?``
    on that form and reads the state's calls up to the start (7 ms a state, 35 ms a page of the
    open filter on a million calls): the same start without the state, ``(key, id) > (k, i)``,
    goes beside it, which SQLite seeks by (0.1 ms) and PostgreSQL checks in the same index; not
    when the filter ``fixed`` the sort column (the group filter by group): SQLite then took the
    comparison's range over the other groups for a seek (40-80 ms a page)."""
    anchor = before or after or at
    if anchor is None:
        return []
    op = _start_op(descending, backwards, at is not None)
    mark = _mark(anchor)
    led = _compare((CallRow.state, *keys), (state, *mark), op)
    return [led] if fixed else [led, _compare(keys, mark, op)]


def _fixes(conditions: Sequence[Any], column: Any) -> bool:
    """Whether ``conditions`` hold ``column = value`` (the filter fixes that sort column)."""
    return any(
        isinstance(c, BinaryExpression)
        and c.operator is operators.eq
        and isinstance(c.left, ColumnElement)
        and c.left.compare(getattr(column, "expression", column))
        for c in conditions
    )


def page_query(
    where: Sequence[Any],
    *,
    sort: str,
    descending: bool,
    after: Cursor | None,
    before: Cursor | None,
    at: Cursor | None,
    last: bool,
    limit: int,
) -> tuple[Select[CallRow], bool]:
    """The statement for one page (``limit + 1`` rows, to tell whether there are more).

    Returns:
        The statement and whether it reads backwards (its rows come out in reverse sort order).
    """
    keys = _keys(sort)
    backwards = before is not None or last
    mark, order = _page_marks(keys, descending, backwards, after, before, at)
    if not isinstance(where, Conditions) or where.states is None or len(where.states) < 2:
        # the page's ids first (from an index, where one covers the filter and the sort), then
        # only those rows: sorting whole rows would read every matching row of the table first
        if isinstance(where, Conditions) and where.states is not None and len(where.states) == 1:
            fixed = _fixes(where.rest, keys[0])
            mark = _in_state(where.states[0], keys, descending, backwards, after, before, at, fixed)
        ids = select(CallRow.id).where(*where, *mark).order_by(*order).limit(limit + 1).subquery()
        return select(CallRow).join(ids, CallRow.id == ids.c.id).order_by(*order), backwards
    arms: list[Select[tuple[int]]] = []
    fixed = _fixes(where.rest, keys[0])
    for state in where.states:  # one ordered read per state (its own index seek), merged below
        at_mark = _in_state(state, keys, descending, backwards, after, before, at, fixed)
        arm = select(CallRow.id).where(CallRow.state == state, *where.rest, *at_mark)
        arms.append(select(arm.order_by(*order).limit(limit + 1).subquery().c.id))
    page = select(union_all(*arms).subquery("page").c.id)
    stmt = select(CallRow).where(CallRow.id.in_(page)).order_by(*order).limit(limit + 1)
    return stmt, backwards


SCAN = 10_000
"""A search no index serves (:attr:`Conditions.scan`) reads at most this many calls of the list
for one page (shared among the states of a filter), in the list's order. A text found often
fills the page within the first few; a rare one shows what those calls hold, and the page's
cursor goes on from the last call read: no key waits for a read of every call."""


class Bounded(NamedTuple):
    """A page read bounded (:func:`bounded_page`)."""

    ids: list[int]
    """The page's call ids in the order read (at most ``limit + 1``)."""
    stop: Cursor | None
    """The last call read when the read reached its bound before it found ``limit + 1`` calls
    (None: it found them, or it read to the end of the list)."""
    end: Cursor | None
    """When it read to the end of the list: the last call it read there (None if none)."""
    backwards: bool
    """Whether it read backwards (its ids come out in reverse sort order)."""


def bounded_page(
    s: Session,
    where: Conditions,
    *,
    sort: str,
    descending: bool,
    after: Cursor | None,
    before: Cursor | None,
    at: Cursor | None,
    last: bool,
    limit: int,
) -> Bounded:
    """One page of a search read bounded (:data:`SCAN`), in one statement."""
    scan = where.scan
    assert scan is not None
    keys = _keys(sort)
    backwards = before is not None or last
    mark, order = _page_marks(keys, descending, backwards, after, before, at)
    several = where.states is not None and len(where.states) > 1
    arms = (
        [[CallRow.state == st, *where.rest] for st in where.states or ()]
        if several
        else [where.base]
    )
    bound = max(SCAN // len(arms), limit + 1)
    named = [keys[0].label("k"), CallRow.id.label("id")] if len(keys) > 1 else [CallRow.id]

    def ordered(c: Any) -> list[Any]:
        cols = (c.k, c.id) if len(keys) > 1 else (c.id,)
        return [col.desc() if descending != backwards else col.asc() for col in cols]

    parts: list[Select[Any]] = []
    for conds in arms:
        read = (
            select(*named, CallRow.caller, CallRow.summary)
            .where(*conds, *mark)
            .order_by(*order)
            .limit(bound)
            .subquery()
        )
        hits = (
            select(*_key_cols(read, keys), literal(0).label("stop"))
            .where(scan(read.c))
            .order_by(*ordered(read.c))
            .limit(limit + 1)
            .subquery()
        )
        parts.append(select(*_key_cols(hits, keys), hits.c.stop))
        # the bound's call (1) if there are calls past it, else the last call read (2); the
        # bound's call found by a skip within the bounded read (at most SCAN rows, never deeper)
        reads = select(*named).where(*conds, *mark).order_by(*order)
        at_bound = reads.limit(1).offset(bound - 1).subquery()
        past = reads.limit(1).offset(bound).exists()
        parts.append(select(*_key_cols(at_bound, keys), literal(1)).where(past))
        reverse = [k.asc() if descending != backwards else k.desc() for k in keys]
        final = select(*named).where(*conds, *mark).order_by(*reverse).limit(1).subquery()
        parts.append(select(*_key_cols(final, keys), literal(2)).where(~past))
    merged = union_all(*parts).subquery("merged")
    stmt = select(*_key_cols(merged, keys), merged.c.stop).order_by(
        *ordered(merged.c), merged.c.stop
    )
    found: list[int] = []
    end: Cursor | None = None
    for row in s.execute(stmt.limit(limit + 1 + 2 * len(arms))):
        cursor = Cursor(sort, row.k if len(keys) > 1 else row.id, row.id)
        if row.stop == 1:
            return Bounded(found, cursor, None, backwards)
        if row.stop == 2:
            end = cursor  # the furthest in the order read is the last one read of them all
            continue
        found.append(row.id)
        if len(found) > limit:
            break
    return Bounded(found, None, end, backwards)


def _key_cols(sub: Any, keys: tuple[Any, ...]) -> list[Any]:
    return [sub.c.k, sub.c.id] if len(keys) > 1 else [sub.c.id]
