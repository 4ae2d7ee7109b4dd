"""The queue's page statements on a large database: does each one read by index?

For every filter and sort column, both directions, the first page, the next, the last and the
one before it, the page statement ``desk.calls.find`` runs is captured and explained on the
database itself: PostgreSQL with ``EXPLAIN ANALYZE`` (its execution time, and whether it reads
the calls table whole: ``Seq Scan on calls``), SQLite with ``EXPLAIN QUERY PLAN`` (whether it
reads the calls table whole: ``SCAN calls`` without an index, but for the number sort's scan in
rowid order, which stops at the page's end) and the statement timed there.
Prints the plans that miss and exits non-zero when one does (or takes longer than ``--ms``).

usage: python benchmarks/explain_queue.py [--calls 1000000] [--db PATH_OR_URL] [--ms 20]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_db import build, database_url, default_db

FILTERS = ("open", "mine", "group", "waiting", "overdue", "resolved", "closed", "referred", "all")
SORTS = ("number", "caller", "service", "state", "group", "age")
_WHOLE_SQLITE = re.compile(r"\bSCAN calls\b(?! USING)")


def _pages(desk: Any, filter: str, sort: str, descending: bool) -> list[tuple[str, dict]]:
    """The ways a page is asked for: first, next, last, the one before the last."""
    kw: dict[str, Any] = {"filter": filter, "sort": sort, "descending": descending, "limit": 40}
    kw["by"] = "anna" if filter in ("mine", "group") else None
    first = desk.calls.find(**kw)
    last = desk.calls.find(**kw, last=True)
    asked = [("first", kw), ("last", kw | {"last": True})]
    if first.next is not None:
        asked.append(("next", kw | {"after": first.next}))
    if last.previous is not None:
        asked.append(("before last", kw | {"before": last.previous}))
    return asked


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000, help="calls (default 1,000,000)")
    parser.add_argument("--db", help="SQLite file or database URL (default: build_db's file)")
    parser.add_argument("--ms", type=float, default=20.0, help="slowest statement allowed (ms)")
    args = parser.parse_args()
    url = database_url(args.db or default_db(args.calls))
    build(url, args.calls)
    from bpsm import Desk

    desk = Desk.open(url)
    postgres = desk.engine.dialect.name == "postgresql"
    seen: list[tuple[str, Any]] = []
    event.listen(desk.engine, "before_cursor_execute", lambda *a: seen.append((a[2], a[3])))
    missed, worst = 0, (0.0, "")
    checked = 0
    with desk.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        for filter in FILTERS:
            for sort in SORTS:
                for descending in (False, True):
                    for where, kw in _pages(desk, filter, sort, descending):
                        seen.clear()
                        desk.calls.find(**kw)
                        # the page statement: the one that reads calls with an ORDER BY
                        statement, params = max(
                            (x for x in seen if "ORDER BY" in x[0]), key=lambda x: len(x[0])
                        )
                        cur = raw.cursor()
                        if postgres:
                            cur.execute("EXPLAIN ANALYZE " + statement, params)
                            plan = "\n".join(r[0] for r in cur.fetchall())
                            ms = float(re.search(r"Execution Time: ([\d.]+)", plan).group(1))
                            whole = "Seq Scan on calls" in plan
                        else:
                            cur.execute("EXPLAIN QUERY PLAN " + statement, params)
                            plan = "\n".join(str(r[-1]) for r in cur.fetchall())
                            t = time.perf_counter()
                            cur.execute(statement, params)
                            cur.fetchall()
                            ms = (time.perf_counter() - t) * 1000
                            # a scan of the table in rowid order is the number sort's index
                            whole = bool(_WHOLE_SQLITE.search(plan)) and (
                                sort != "number" or "TEMP B-TREE" in plan
                            )
                        cur.close()
                        checked += 1
                        label = f"{filter} by {sort} {'desc' if descending else 'asc'}, {where}"
                        worst = max(worst, (ms, label))
                        if whole or ms > args.ms:
                            missed += 1
                            why = "reads the calls table whole" if whole else f"{ms:.1f} ms"
                            print(f"MISS {label}: {why}\n{plan}\n")
    desk.close()
    print(
        f"{checked} page statements on {desk.engine.dialect.name}: {missed} missed "
        f"(whole-table read or over {args.ms:.0f} ms); slowest {worst[0]:.1f} ms ({worst[1]})"
    )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
