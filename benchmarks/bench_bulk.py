"""The bulk path: 10,000 calls registered and closed through ``desk.bulk`` vs an ORM baseline.

Each call is registered (phone or e-mail, a catalogue service), accepted, resolved and closed
with the customer's answers, at historical times: 4 call transitions and 6 audit events (the
call's 4, its survey's ``ask`` and ``answer``), 1 contact and 1 survey per call.

* ours: one ``desk.bulk(by=...)`` batch doing those actions, every rule checked (permission,
  transition, answers, guards, lead time in business hours, the survey decision).
* baseline: the very rows the bulk run wrote (read back from its database, ids left out), added
  to a second fresh database the way a reasonable ORM user does it: one ORM object per row,
  ``session.add`` each, ``session.flush()`` where the next rows need the new id (after the call,
  after the survey), one transaction. It only writes: it checks no rule and computes nothing, and
  it writes each call once with its final values (no UPDATE per transition) — all in its favour.
  After both runs the two databases must hold the same rows (ids aside), or the run fails.

Printed: both times, the ratio (baseline / ours), and persisted transitions per second (call
transitions: register, accept, resolve, close; the audit events per second too). Exits non-zero
when the ratio is below 10, or, on SQLite, below 20,000 transitions/s.

usage: python benchmarks/bench_bulk.py [--calls 10000] [--db URL]
  --db: a PostgreSQL server's URL; two databases are made on it for the run and dropped after.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bpsm import Desk
from bpsm.errors import BpsmError
from bpsm.store.db import safe_url
from bpsm.store.tables import AuditEventRow, CallContactRow, CallRow
from bpsm.store.tables.survey import SurveyRow

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 1, 5, 7, 0, tzinfo=UTC)  # a Monday, 08:00 in Amsterdam
SERVICES = ("laptop", "email-account", "password-reset", "printing", "vpn-remote-access")
CHANNELS = ("phone", "email", "portal", "chat")
RATIO_FLOOR = 10.0
RATE_FLOOR = 20_000.0  # call transitions per second, SQLite
TABLES = (CallRow, CallContactRow, SurveyRow, AuditEventRow)


def ours(desk: Desk, calls: int) -> tuple[float, float]:
    """Seconds (wall, CPU) for the bulk path to register and close ``calls`` calls."""
    t, cpu = time.perf_counter(), time.process_time()
    with desk.bulk(by="anna") as batch:
        for i in range(calls):
            at = START + timedelta(minutes=3 * i)
            n = batch.register(
                caller=f"Caller {i % 997}",
                channel=CHANNELS[i % len(CHANNELS)],
                summary=f"problem number {i}",
                service=SERVICES[i % len(SERVICES)],
                at=at,
            )
            batch.accept(n, at=at + timedelta(minutes=1))
            batch.resolve(n, solution=f"fixed {i}", at=at + timedelta(minutes=20 + i % 300))
            batch.close(
                n,
                effort=1 + i % 7,
                satisfaction=1 + i % 5,
                at=at + timedelta(minutes=400 + i % 300),
            )
    return time.perf_counter() - t, time.process_time() - cpu


def rows_of(desk: Desk) -> dict[str, list[dict[str, Any]]]:
    """The call rows and everything written with them, in id order, the catalogue's audit
    events (the seed) left out."""
    with desk.transaction() as s:
        out = {}
        for row in TABLES:
            table: Any = row.__table__
            query = select(table).order_by(table.c.id)
            if row is AuditEventRow:
                query = query.where(table.c.record_type.in_(("call", "survey")))
            out[table.name] = [dict(r._mapping) for r in s.execute(query)]
    return out


def baseline(desk: Desk, rows: dict[str, list[dict[str, Any]]]) -> tuple[float, float]:
    """Seconds (wall, CPU) to add ``rows`` one ORM object at a time (see the module's
    docstring)."""

    def strip(d: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in d.items() if k != "id"}

    contacts = {r["call_id"]: r for r in rows["call_contacts"]}
    surveys = {r["call_id"]: r for r in rows["surveys"]}
    call_of = {("call", str(c["id"])): c["id"] for c in rows["calls"]}
    call_of |= {("survey", str(r["id"])): r["call_id"] for r in rows["surveys"]}
    events: dict[int, list[dict[str, Any]]] = {}  # per call, its and its survey's, in order
    for e in rows["audit_events"]:
        events.setdefault(call_of[(e["record_type"], e["record_id"])], []).append(e)
    t, cpu = time.perf_counter(), time.process_time()
    with desk.transaction() as s:
        for c in rows["calls"]:
            call = CallRow(**strip(c))
            s.add(call)
            s.flush()  # the call's id, for its contact, survey and audit events
            s.add(CallContactRow(**(strip(contacts[c["id"]]) | {"call_id": call.id})))
            survey = SurveyRow(**(strip(surveys[c["id"]]) | {"call_id": call.id}))
            s.add(survey)
            s.flush()  # the survey's id, for its audit events
            ids = {"call": str(call.id), "survey": str(survey.id)}
            for e in events[c["id"]]:
                new = strip(e) | {"record_id": ids[e["record_type"]]}
                if e["data"] and "call_id" in e["data"]:
                    new["data"] = {**e["data"], "call_id": call.id}
                s.add(AuditEventRow(**new))
    return time.perf_counter() - t, time.process_time() - cpu


def comparable(rows: dict[str, list[dict[str, Any]]]) -> dict[str, list[Any]]:
    """The rows with ids replaced by their rank (the two databases number them alike only by
    chance), so the two runs can be compared."""
    call = {r["id"]: i for i, r in enumerate(rows["calls"])}
    survey = {r["id"]: i for i, r in enumerate(rows["surveys"])}
    rank = {"call": call, "survey": survey}
    out: dict[str, list[Any]] = {}
    for name, table in rows.items():
        kept = []
        for r in table:
            r = {k: v for k, v in r.items() if k not in ("id", "version")}
            if "call_id" in r:
                r["call_id"] = call[r["call_id"]]
            if name == "audit_events":
                r["record_id"] = rank[r["record_type"]][int(r["record_id"])]
                if r["data"] and "call_id" in r["data"]:
                    r["data"] = {**r["data"], "call_id": call[r["data"]["call_id"]]}
            kept.append(r)
        out[name] = kept
    return out


@contextmanager
def two_databases(url: str | None) -> Iterator[tuple[str, str]]:
    """Two empty databases: SQLite files in a temporary folder, or two made on the server."""
    if url is None:
        with tempfile.TemporaryDirectory() as tmp:
            yield (
                f"sqlite:///{Path(tmp) / 'ours.sqlite3'}",
                f"sqlite:///{Path(tmp) / 'orm.sqlite3'}",
            )
        return
    base = make_url(url)
    names = [f"{base.database or 'bpsm'}_bench_bulk_{part}" for part in ("ours", "orm")]
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield tuple(base.set(database=n).render_as_string(hide_password=False) for n in names)  # type: ignore[misc]
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--db", help="a PostgreSQL server's URL (default: SQLite files)")
    args = parser.parse_args()
    try:
        return run(args.calls, args.db)
    except (SQLAlchemyError, BpsmError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        print(f"bench_bulk: {safe_url(args.db or 'sqlite')}: {first}", file=sys.stderr)
        return 2


def run(calls: int, db: str | None) -> int:
    """The two runs, their figures printed; 0 when every target is met."""
    with two_databases(db) as (ours_url, orm_url):
        desk = Desk.open(ours_url, catalogue=ROOT / "catalogue")
        dialect = desk.engine.dialect.name
        took_both = ours(desk, calls)
        rows = rows_of(desk)
        desk.close()
        other = Desk.open(orm_url, catalogue=ROOT / "catalogue")
        naive = baseline(other, rows)
        same = comparable(rows_of(other)) == comparable(rows)
        with other.transaction() as s:
            counts = {
                r.__tablename__: s.scalar(select(func.count()).select_from(r)) for r in TABLES
            }
        other.close()
    (took, took_cpu), (naive_t, naive_cpu) = took_both, naive
    transitions = 4 * calls
    events = len(rows["audit_events"])
    written = sum(len(v) for v in rows.values())
    ratio, rate = naive_t / took, transitions / took
    where = "SQLite" if dialect == "sqlite" else f"{dialect} {safe_url(db or '')}"
    print(f"bench_bulk on {where}: {calls:,} calls registered, accepted, resolved, closed")
    print(f"  rows per run: {written:,} ({', '.join(f'{k} {len(v):,}' for k, v in rows.items())})")
    print(f"  ours:     desk.bulk, every rule checked: {took:.3f} s (CPU {took_cpu:.3f} s)")
    print(
        "  baseline: the same rows, one ORM object each, session.add per row in a"
        " desk.transaction(),\n            flush after each call and survey for their ids, values"
        f" precomputed, no rule checked: {naive_t:.3f} s (CPU {naive_cpu:.3f} s)"
    )
    ok_same = same and counts["calls"] == calls
    ok_ratio = ratio >= RATIO_FLOOR
    ok_rate = dialect != "sqlite" or rate >= RATE_FLOOR
    print(f"  same rows in both databases (ids aside): {'yes' if ok_same else 'NO'}")
    print(
        f"  ratio baseline / ours: {ratio:.1f}x (floor {RATIO_FLOOR:.0f}x)"
        f" {'ok' if ok_ratio else 'TOO SLOW'}; in CPU time {naive_cpu / took_cpu:.1f}x"
    )
    floor = f"(floor {RATE_FLOOR:,.0f}/s on SQLite)" if dialect == "sqlite" else "(no floor here)"
    print(
        f"  persisted call transitions/s: {rate:,.0f} {floor} {'ok' if ok_rate else 'TOO SLOW'}"
        f"; per CPU second {transitions / took_cpu:,.0f}; audit events/s {events / took:,.0f}"
    )
    return 0 if ok_same and ok_ratio and ok_rate else 1


if __name__ == "__main__":
    sys.exit(main())
