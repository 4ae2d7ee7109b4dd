"""Core benchmarks: each workload is timed against a naive baseline in the same process.

A ratio (baseline time / our time) is printed for each, and the script exits non-zero when a
ratio falls below its floor, so a regression that makes the designed path no better than the
naive one is caught. Absolute times are printed for information only.

usage: python benchmarks/bench_core.py [--calls 50000] [--db URL]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from transitions import Machine

from bpsm import Desk
from bpsm.demo import bulk_seed
from bpsm.processes.calls.steps import OPEN_STATES, REACTIVE
from bpsm.store.tables import CallRow

ROOT = Path(__file__).resolve().parent.parent


def best(fn: Callable[[], object], repeat: int = 5) -> float:
    """Best-of-n wall time of ``fn`` in seconds."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def bench_kpis(desk: Desk) -> tuple[float, float]:
    """KPIs over every call: SQL aggregation vs loading every row as an ORM object."""
    since, until = (
        datetime(2000, 1, 1, tzinfo=UTC),
        datetime(2100, 1, 1, tzinfo=UTC),
    )
    ours = best(lambda: desk.kpis.window(since, until), 3)

    def naive() -> None:
        with desk.transaction() as s:
            rows = s.scalars(select(CallRow)).all()
            resolved = [r for r in rows if r.resolved_at is not None]
            sum(
                1
                for r in resolved
                if r.resolved_at_contact == 1 and not r.escalation_count and not r.reopen_count
            )
            efforts = [r.effort_score for r in rows if r.effort_score is not None]
            statistics.mean(efforts) if efforts else None

    return best(naive, 1), ours


def bench_queue(desk: Desk) -> tuple[float, float]:
    """One screen of the queue as the TUI loads it (``desk.calls.find``: a keyset page; the count
    comes apart, off the key path) vs loading every open call."""
    ours = best(lambda: desk.calls.find(limit=40), 5)

    def naive() -> None:
        with desk.transaction() as s:
            s.scalars(
                select(CallRow)
                .where(CallRow.state.in_(OPEN_STATES))
                .order_by(CallRow.registered_at)
            ).all()

    return best(naive, 2), ours


def bench_machine(n: int = 2_000) -> tuple[float, float]:
    """Validating a trigger: the shared machine (never attached) vs one machine per record."""

    class Rec:
        def __init__(self) -> None:
            self.state = "in_progress"

    rows = [Rec() for _ in range(n)]
    spec = {
        "states": list(REACTIVE.states),
        "initial": "in_progress",
        "auto_transitions": False,
        "transitions": [
            {"trigger": s.trigger, "source": list(s.source), "dest": s.dest or None}
            for s in REACTIVE.table
        ],
    }

    def ours() -> None:
        for r in rows:
            REACTIVE.next_state(r.state, "resolve")

    def naive() -> None:
        for _ in rows:
            m = Machine(model=Rec(), **spec)
            m.events["resolve"].trigger(m.models[0])

    return best(naive, 1), best(ours, 3)


FLOORS = {"kpis in SQL": 3.0, "queue page": 5.0, "shared machine": 5.0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50_000)
    parser.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        desk = Desk.open(url, catalogue=ROOT / "catalogue")
        t = time.perf_counter()
        bulk_seed(desk, args.calls)
        print(
            f"seeded {args.calls:,} calls in {time.perf_counter() - t:.1f}s "
            f"({desk.engine.dialect.name})"
        )
        results = {
            "kpis in SQL": bench_kpis(desk),
            "queue page": bench_queue(desk),
            "shared machine": bench_machine(),
        }
        desk.close()
    failed = False
    for name, (baseline, ours) in results.items():
        ratio = baseline / ours if ours else float("inf")
        ok = ratio >= FLOORS[name]
        failed |= not ok
        print(
            f"{name:15s} baseline {baseline * 1000:9.1f} ms  ours {ours * 1000:8.2f} ms  "
            f"ratio {ratio:7.1f}x  (floor {FLOORS[name]}x) {'ok' if ok else 'TOO SLOW'}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
