"""Import benchmark: the full ServiceNow log through ``import_file``, against plain Core inserts.

The import (read twice, replayed on the step table, written through the bulk path with its
ledger, 500 cases per transaction) goes into a fresh database. The floor is the very rows it
wrote — calls, contacts, audit events and ledger, read back — inserted with plain SQLAlchemy Core
``executemany`` into a second fresh database with the same schema, triggers and catalogue, in
the same transactions (500 cases each). The script checks both databases hold the same rows,
prints the times, events/s and the ratio import / floor, and exits non-zero when the import
costs more than 2× the floor (also with one transaction for the whole floor, printed for
information).

usage: python benchmarks/bench_import.py [--log PATH] [--db URL]
  --db: a PostgreSQL server URL (its database is replaced by two of its own, dropped at the end);
        default two SQLite files in a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Table, create_engine, func, insert, select, text
from sqlalchemy.engine import Engine, make_url

from bpsm import Desk, load_catalogue
from bpsm.importing import import_file, load_mapping, shipped
from bpsm.store.db import safe_url
from bpsm.store.tables import AuditEventRow, CallContactRow, CallRow
from bpsm.store.tables.importing import ImportLedgerRow

ROOT = Path(__file__).resolve().parent.parent
TARGET = 2.0  # import / floor
BATCH = 500
TABLES: tuple[Any, ...] = (CallRow, CallContactRow, AuditEventRow, ImportLedgerRow)


def find_log() -> Path:
    given = os.environ.get("BPSM_SERVICENOW_LOG")
    if given:
        return Path(given)
    for folder in ROOT.parents:
        candidate = folder / "shared" / "data" / "incident_event_log.csv.gz"
        if candidate.exists():
            return candidate
    return ROOT.parent / "shared" / "data" / "incident_event_log.csv.gz"


@contextmanager
def databases(server: str | None) -> Iterator[tuple[str, str]]:
    """Two fresh, migrated databases with the example catalogue: the import's and the floor's."""
    if server is None:
        with tempfile.TemporaryDirectory() as tmp:
            urls = (f"sqlite:///{tmp}/import.sqlite3", f"sqlite:///{tmp}/floor.sqlite3")
            _prepare(urls)
            yield urls
        return
    base = make_url(server)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    names = (f"bench_import_{os.getpid()}", f"bench_import_floor_{os.getpid()}")
    try:
        with admin.connect() as c:
            for name in names:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                c.execute(text(f'CREATE DATABASE "{name}"'))
        pair = tuple(base.set(database=n).render_as_string(hide_password=False) for n in names)
        urls = (pair[0], pair[1])
        _prepare(urls)
        yield urls
    finally:
        with admin.connect() as c:
            for name in names:
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _prepare(urls: tuple[str, str]) -> None:
    catalogue = load_catalogue(ROOT / "catalogue")
    for url in urls:
        Desk.open(url, catalogue=catalogue).close()


def read_back(engine: Engine) -> dict[Any, list[dict[str, Any]]]:
    """Every row the import wrote, per table, in id order (the ledger by call)."""
    out: dict[Any, list[dict[str, Any]]] = {}
    with engine.connect() as c:
        for kind in TABLES:
            table = kind.__table__
            stmt = select(table)
            if kind is AuditEventRow:
                stmt = stmt.where(table.c.record_type == "call")
            order = table.c.call_id if kind is ImportLedgerRow else table.c.id
            out[kind] = [dict(r._mapping) for r in c.execute(stmt.order_by(order))]
    return out


def batches(rows: dict[Any, list[dict[str, Any]]]) -> list[dict[Any, list[dict[str, Any]]]]:
    """The rows cut as the import committed them: BATCH calls, with their children, each."""
    calls = rows[CallRow]
    out = []
    by_call: dict[Any, dict[int, list[dict[str, Any]]]] = {}
    for kind, key in (
        (CallContactRow, "call_id"),
        (AuditEventRow, "record_id"),
        (ImportLedgerRow, "call_id"),
    ):
        grouped: dict[int, list[dict[str, Any]]] = {}
        for r in rows[kind]:
            grouped.setdefault(int(r[key]), []).append(r)
        by_call[kind] = grouped
    for start in range(0, len(calls), BATCH):
        part = calls[start : start + BATCH]
        one: dict[Any, list[dict[str, Any]]] = {CallRow: part}
        for kind, grouped in by_call.items():
            one[kind] = [r for call in part for r in grouped.get(call["id"], [])]
        out.append(one)
    return out


def floor(engine: Engine, parts: list[dict[Any, list[dict[str, Any]]]]) -> float:
    """Plain Core: one executemany per table per transaction; the seconds it took."""
    started = time.perf_counter()
    for part in parts:
        with engine.begin() as c:
            for kind in TABLES:
                rows = part[kind]
                if not rows:
                    continue
                table: Table = kind.__table__
                if kind in (CallContactRow, AuditEventRow):  # the database numbers them
                    rows = [{k: v for k, v in r.items() if k != "id"} for r in rows]
                c.execute(insert(table), rows)
    return time.perf_counter() - started


def counts(engine: Engine) -> tuple[int, ...]:
    with engine.connect() as c:
        return tuple(
            int(c.scalar(select(func.count()).select_from(k.__table__)) or 0) for k in TABLES
        )


def reset(engine: Engine) -> None:
    """Empty the floor's tables again (the audit trail's guard lifted by its owner)."""
    with engine.begin() as c:
        if engine.dialect.name == "postgresql":
            c.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
            c.execute(text("DELETE FROM import_ledger"))
            c.execute(text("DELETE FROM audit_events WHERE record_type = 'call'"))
            c.execute(text("DELETE FROM call_contacts"))
            c.execute(text("DELETE FROM calls"))
            c.execute(text("DELETE FROM kpi_dirty"))
            c.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
        else:
            names = [
                r[0]
                for r in c.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = "
                    "'audit_events' AND sql LIKE '%DELETE%'"
                )
            ]
            sqls = {
                n: c.exec_driver_sql("SELECT sql FROM sqlite_master WHERE name = ?", (n,)).scalar()
                for n in names
            }
            for n in names:
                c.exec_driver_sql(f'DROP TRIGGER "{n}"')
            for table in ("import_ledger", "call_contacts", "calls", "kpi_dirty"):
                c.exec_driver_sql(f"DELETE FROM {table}")
            c.exec_driver_sql("DELETE FROM audit_events WHERE record_type = 'call'")
            for sql in sqls.values():
                c.exec_driver_sql(str(sql))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", type=Path, default=None, help="the event log (default: found)")
    parser.add_argument("--db", default=None, help="a PostgreSQL URL (default: SQLite files)")
    args = parser.parse_args()
    log = args.log or find_log()
    if not log.exists():
        print(f"bench_import: no log at {log} (give --log or BPSM_SERVICENOW_LOG)", file=sys.stderr)
        return 2
    mapping = load_mapping(shipped("servicenow"))
    with databases(args.db) as (ours, theirs):
        dialect = make_url(ours).get_backend_name()
        where = "SQLite" if dialect == "sqlite" else f"PostgreSQL {safe_url(args.db or '')}"
        with Desk.open(ours) as desk:
            result = import_file(desk, log, mapping, by="admin", batch=BATCH)
        took = result.seconds
        print(
            f"import ({where}): {result.rows:,} rows, {result.cases_imported:,} calls, "
            f"{result.events:,} audit events in {took:.2f} s "
            f"({result.events / took:,.0f} events/s, {result.rows / took:,.0f} rows/s)"
        )
        engine_ours, engine_floor = create_engine(ours), create_engine(theirs)
        try:
            rows = read_back(engine_ours)
            parts = batches(rows)
            base = floor(engine_floor, parts)
            if counts(engine_floor) != counts(engine_ours):
                print("bench_import: the floor did not write the import's rows", file=sys.stderr)
                return 1
            reset(engine_floor)
            one = floor(engine_floor, [{k: v for k, v in rows.items()}])
        finally:
            engine_ours.dispose()
            engine_floor.dispose()
    ratio = took / base
    print(
        f"floor: the same {sum(len(v) for v in rows.values()):,} rows by Core executemany, "
        f"{len(parts)} transactions: {base:.2f} s (one transaction: {one:.2f} s)"
    )
    print(
        f"import / floor: {ratio:.2f}× (target ≤ {TARGET:.0f}×; one transaction {took / one:.2f}×)"
    )
    if ratio > TARGET:
        print(f"bench_import: MISSED: {ratio:.2f}× > {TARGET:.0f}×", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
