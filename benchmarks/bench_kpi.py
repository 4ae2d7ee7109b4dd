"""KPI engine benchmark: the whole dashboard and today's headline, against one hand-written query.

The baseline is one hand-written first-time-right query over every call (a single aggregate
scan). The dashboard is every KPI of the engine for the last 13 months, by month and by service
(one ``desk.kpis.report``; its rows include the desk's totals per month). The script prints
the times and the ratio dashboard / baseline, and exits non-zero when the dashboard costs more
than 10× the baseline or ``today()`` takes more than 20 ms.

The database is built here (``--calls`` with :func:`bpsm.demo.bulk_seed` over 13 months), or
reused when ``--db`` already holds at least that many calls. Then the daily roll-ups are brought
up to yesterday (``desk.kpis.refresh()``, what the nightly ``bpsm proactive`` does; timed and
printed, not part of the ratio): the dashboard reads whole past days from them and today live.

usage: python benchmarks/bench_kpi.py [--calls 1000000] [--db URL]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select

from bpsm import Desk
from bpsm.demo import bulk_seed
from bpsm.store.tables import CallRow

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD_MAX = 10.0  # × the baseline
TODAY_MAX = 0.020  # seconds


def best(fn: Callable[[], object], repeat: int) -> float:
    """Best-of-n wall time of ``fn`` in seconds."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def build(desk: Desk, calls: int) -> None:
    """Seed ``calls`` calls over 13 months (fewer when the database has some), then ANALYZE."""
    with desk.transaction() as s:
        have = s.scalar(select(func.count()).select_from(CallRow)) or 0
    if have >= calls:
        print(f"reusing {have:,} calls ({desk.engine.dialect.name})")
        return
    t = time.perf_counter()
    bulk_seed(desk, calls - have, days=400, seed=have + 11)
    analyze(desk)
    print(f"seeded {calls - have:,} calls in {time.perf_counter() - t:.1f}s")


def analyze(desk: Desk) -> None:
    """Fresh statistics (and, on PostgreSQL, the space of deleted rows back, as autovacuum does
    in a while: a refresh after a bulk load deletes millions of change marks)."""
    if desk.engine.dialect.name == "postgresql":
        with desk.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        with desk.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")


def baseline(desk: Desk) -> object:
    """One hand-written FTR query over every call: share of resolved calls that were FTR."""
    C = CallRow
    ftr = and_(C.resolved_at_contact == 1, C.escalation_count == 0, C.reopen_count == 0)
    with desk.transaction() as s:
        return s.execute(select(func.count(C.resolved_at), func.sum(case((ftr, 1), else_=0)))).one()


def dashboard(desk: Desk) -> object:
    """Every KPI, the last 13 local months, by month and by service (and the desk's totals)."""
    zone = ZoneInfo(desk.config.timezone)
    now = datetime.now(UTC)
    month = now.astimezone(zone).date().replace(day=1)
    for _ in range(12):
        month = (month - timedelta(days=1)).replace(day=1)
    since = datetime(month.year, month.month, 1, tzinfo=zone)
    report = desk.kpis.report(since, now + timedelta(seconds=1), by="month", group_by="service")
    assert len(report.periods) == 13, report.periods
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        desk = Desk.open(url, catalogue=ROOT / "catalogue")
        build(desk, args.calls)
        t = time.perf_counter()
        done = desk.kpis.refresh()
        print(
            f"roll-up refresh {'(rebuilt) ' if done.rebuilt else ''}{done.cells} days × anchors, "
            f"{done.marks:,} change marks: {time.perf_counter() - t:.1f}s"
        )
        if done.rebuilt:
            analyze(desk)
        base = best(lambda: baseline(desk), 3)
        dash = best(lambda: dashboard(desk), 2)
        today = best(desk.kpis.today, 10)
        desk.close()
    ratio = dash / base if base else float("inf")
    ok_dash, ok_today = ratio <= DASHBOARD_MAX, today <= TODAY_MAX
    print(
        f"baseline FTR query {base * 1000:9.1f} ms\n"
        f"dashboard          {dash * 1000:9.1f} ms  ratio {ratio:5.1f}x "
        f"(max {DASHBOARD_MAX}x) {'ok' if ok_dash else 'TOO SLOW'}\n"
        f"today()            {today * 1000:9.2f} ms  (max {TODAY_MAX * 1000:.0f} ms) "
        f"{'ok' if ok_today else 'TOO SLOW'}"
    )
    return 0 if ok_dash and ok_today else 1


if __name__ == "__main__":
    sys.exit(main())
