"""KPI engine benchmark: the whole dashboard and today's headline, against one hand-written query.

The baseline is one hand-written first-time-right query over every call (a single aggregate
scan). The dashboard is what the TUI's KPI dashboard loads — ``bpsm_tui.data.dashboard.
load_dashboard``, the very function its worker calls: every headline KPI's trend, the backlog,
the effort balance, the top self-service opportunities and the recurring disruptions — for
the last 13 months by month, timed twice: for all calls, and by
service (the dashboard filtered on the busiest service, as ``f`` picks it,
and the engine's report grouped by service, one row per month and service). The script prints
the times and each ratio to the baseline, and exits non-zero when one costs more than 10× the
baseline or ``today()`` takes more than 20 ms.

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
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import and_, case, func, select

from bpsm import Desk
from bpsm.demo import bulk_seed
from bpsm.store.tables import CallRow
from bpsm_tui.data.dashboard import TREND_KPIS, Dashboard, DashboardQuery, load_dashboard

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


MONTHS = DashboardQuery(by="month", periods=13)
"""The dashboard's query: 13 months by month, ending with the current one (``p`` twice, ``+``)."""
SERVICES = 1
"""How many services the "by service" dashboard is filtered on (the busiest first)."""


def dashboard(desk: Desk, query: DashboardQuery = MONTHS) -> Dashboard:
    """What the KPI dashboard loads for ``query`` (its worker's call)."""
    loaded = load_dashboard(desk, query, datetime.now(UTC))
    assert len(loaded.report.periods) == 13, loaded.report.periods
    return loaded


def busiest(desk: Desk, n: int) -> list[str]:
    """The ``n`` services with the most calls (the ones a manager filters on first)."""
    with desk.transaction() as s:
        rows = s.execute(
            select(CallRow.service_id)
            .where(CallRow.service_id.is_not(None))
            .group_by(CallRow.service_id)
            .order_by(func.count().desc())
            .limit(n)
        )
        return [r[0] for r in rows]


def by_service(desk: Desk, services: list[str]) -> object:
    """The dashboard by service: filtered on each service in turn, and the trends of every
    headline KPI grouped by service (13 months by month) in one report."""
    for service in services:
        dashboard(desk, MONTHS.filtered("service", service))
    since, until = MONTHS.window_at(datetime.now(UTC), desk.config.timezone)
    return desk.kpis.report(since, until, by="month", group_by="service", kpis=TREND_KPIS)


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
        services = busiest(desk, SERVICES)
        per_service = best(lambda: by_service(desk, services), 2)
        today = best(desk.kpis.today, 10)
        desk.close()
    ratio = dash / base if base else float("inf")
    ratio_s = per_service / base if base else float("inf")
    ok_dash, ok_today = ratio <= DASHBOARD_MAX, today <= TODAY_MAX
    ok_s = ratio_s <= DASHBOARD_MAX
    print(
        f"baseline FTR query {base * 1000:9.1f} ms\n"
        f"dashboard, all     {dash * 1000:9.1f} ms  ratio {ratio:5.1f}x "
        f"(max {DASHBOARD_MAX}x) {'ok' if ok_dash else 'TOO SLOW'}\n"
        f"dashboard, service {per_service * 1000:9.1f} ms  ratio {ratio_s:5.1f}x "
        f"(max {DASHBOARD_MAX}x) {'ok' if ok_s else 'TOO SLOW'}  "
        f"({len(services)} filtered: {', '.join(services)}; + grouped by service)\n"
        f"today()            {today * 1000:9.2f} ms  (max {TODAY_MAX * 1000:.0f} ms) "
        f"{'ok' if ok_today else 'TOO SLOW'}"
    )
    return 0 if ok_dash and ok_s and ok_today else 1


if __name__ == "__main__":
    sys.exit(main())
