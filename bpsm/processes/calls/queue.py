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
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, tuple_, union_all
from sqlalchemy.orm import Session

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
    "SORTS",
    "Conditions",
    "before",
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
    "service": func.coalesce(CallRow.service_id, ""),
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
    filter is limited to apart: ``states`` (None: any state) and ``rest`` (the others)."""

    def __init__(self, states: Sequence[str] | None, rest: Sequence[Any]) -> None:
        self.states = tuple(states) if states is not None else None
        self.rest = list(rest)
        head = [] if states is None else [_in_states(self.states or ())]
        super().__init__([*head, *self.rest])


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


def _search(s: Session, text: str) -> list[Any]:
    if not text:
        return []
    pattern = f"%{escape_like(text)}%"
    like = or_(
        CallRow.caller.ilike(pattern, escape="\\"),
        CallRow.summary.ilike(pattern, escape="\\"),
    )
    candidates = _candidates(s, text)
    if candidates is not None:  # the index's candidates, matched as before (exactly the same)
        like = and_(CallRow.id.in_(candidates), like) if candidates else false()
    found: list[Any] = [like]
    if number := _NUMBER.match(text):
        found.append(CallRow.id == int(number.group(1)))
    return [or_(*found)]


def matching(
    s: Session, *, filter: str, search: str, person: Person | None, now: datetime
) -> Conditions:
    """The SQL conditions for the calls a filter and a search text select."""
    states, rest = _filter(s, filter, person, now)
    return Conditions(states, [*rest, *_search(s, search)])


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
    forward_desc = descending != backwards  # the direction this statement reads in
    anchor = before or after or at
    mark: list[Any] = []
    if anchor is not None:
        inclusive = "<=" if descending else ">="
        op = inclusive if at is not None else ("<" if forward_desc else ">")
        mark.append(_compare(keys, _mark(anchor), op))

    order = [k.desc() if forward_desc else k.asc() for k in keys]
    if not isinstance(where, Conditions) or where.states is None or len(where.states) < 2:
        # the page's ids first (from an index, where one covers the filter and the sort), then
        # only those rows: sorting whole rows would read every matching row of the table first
        ids = select(CallRow.id).where(*where, *mark).order_by(*order).limit(limit + 1).subquery()
        return select(CallRow).join(ids, CallRow.id == ids.c.id).order_by(*order), backwards
    arms: list[Select[tuple[int]]] = []
    for state in where.states:  # one ordered read per state (its own index seek), merged below
        arm = select(CallRow.id).where(CallRow.state == state, *where.rest, *mark)
        arms.append(select(arm.order_by(*order).limit(limit + 1).subquery().c.id))
    page = select(union_all(*arms).subquery("page").c.id)
    stmt = select(CallRow).where(CallRow.id.in_(page)).order_by(*order).limit(limit + 1)
    return stmt, backwards
