"""SQL building blocks the KPI definitions share, portable across SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Float, case, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from bpsm.store.tables import UTCDateTime

__all__ = ["bucket_of", "scanned", "seconds_between"]


class seconds_between(FunctionElement[float]):
    """``later - earlier`` in seconds, as a float, on either database."""

    type = Float()
    inherit_cache = True


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element: seconds_between, compiler: Any, **kw: Any) -> str:
    earlier, later = (compiler.process(c, **kw) for c in element.clauses)
    # julianday is a double of days: exact to some microseconds, so rounded to milliseconds
    return f"round((julianday({later}) - julianday({earlier})) * 86400.0, 3)"


@compiles(seconds_between)
def _seconds_default(element: seconds_between, compiler: Any, **kw: Any) -> str:
    earlier, later = (compiler.process(c, **kw) for c in element.clauses)
    return f"EXTRACT(EPOCH FROM ({later} - {earlier}))"


class scanned(FunctionElement[datetime]):
    """The timestamp column, read in a table scan.

    SQLite's no-op unary ``+`` keeps it from answering a wide range (most of the table) through
    an index row by row; other databases plan by their statistics and get the column as is.
    """

    type = UTCDateTime()
    inherit_cache = True


@compiles(scanned, "sqlite")
def _scanned_sqlite(element: scanned, compiler: Any, **kw: Any) -> str:
    return "+" + compiler.process(next(iter(element.clauses)), **kw)


@compiles(scanned)
def _scanned_default(element: scanned, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(next(iter(element.clauses)), **kw))


def bucket_of(column: Any, edges: Sequence[datetime]) -> ColumnElement[Any]:
    """The index of the period a timestamp falls in: how many of ``edges`` are at or before it.

    ``edges`` are the inner boundaries (UTC, ascending) between consecutive periods, so the
    index is 0 for the first period and ``len(edges)`` for the last. The expression is a
    balanced tree of ``CASE WHEN column < edge``, so each row costs log2(periods) comparisons
    and the same SQL runs on SQLite and PostgreSQL (no date functions, no time-zone support
    needed in the database: the boundaries already carry the desk's calendar).
    """

    def tree(lo: int, hi: int) -> ColumnElement[Any]:
        if lo == hi:
            return literal(lo)
        mid = (lo + hi + 1) // 2  # edges[mid - 1] separates period mid - 1 from period mid
        edge = literal(edges[mid - 1], UTCDateTime())
        return case((column < edge, tree(lo, mid - 1)), else_=tree(mid, hi))

    return tree(0, len(edges))
