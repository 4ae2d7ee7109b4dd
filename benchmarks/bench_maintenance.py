"""Maintenance task generation: is the cost per task flat as plans grow, and below per-row ORM adds?

Three runs, each on a fresh SQLite database with one service whose maintenance activities are all
``FREQ=DAILY``, generating a year of tasks:

* baseline: 1 activity (about 365 tasks);
* ours: ``--plans`` activities (default 100, about 36,500 tasks) through
  ``desk.maintenance.generate`` (chunked SQLAlchemy Core inserts of tasks and their audit events);
* naive: the same occurrences added one ORM object at a time (flush per task for its audit event).

Printed: the cost per task at 100 plans relative to 1 plan (should stay near 1: no per-plan blow-up)
and naive / ours (how much the bulk path saves). Exits non-zero when the per-task cost more than
doubles, or when the bulk path is not faster than the naive one. Absolute times are for information.

usage: python benchmarks/bench_maintenance.py [--plans 100] [--days 365]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bpsm import Desk, load_catalogue
from bpsm.catalogue.loader import Catalogue
from bpsm.catalogue.schema import Service
from bpsm.clock import travel
from bpsm.processes.base import audit
from bpsm.processes.maintenance.steps import Recurrence, end_of_day
from bpsm.store.tables.proactive import MaintenancePlanRow, TaskRow

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 1, 5, 9, tzinfo=UTC)


def catalogue_with(base: Catalogue, plans: int) -> Catalogue:
    """The laptop service alone, with ``plans`` daily activities."""
    acts = [
        {"id": f"daily-{i}", "activity": f"Daily check {i}", "rule": "FREQ=DAILY"}
        for i in range(plans)
    ]
    laptop = Service.model_validate({**base.services["laptop"].model_dump(), "maintenance": acts})
    return replace(base, services={"laptop": laptop})


def open_desk(folder: Path, name: str, catalogue: Catalogue) -> Desk:
    desk = Desk.open(f"sqlite:///{folder / name}.sqlite3", catalogue=catalogue)
    with travel(START):
        desk.maintenance.sync_plans("admin")
    return desk


def ours(folder: Path, base: Catalogue, plans: int, days: int) -> tuple[float, int]:
    """Seconds and tasks for ``desk.maintenance.generate`` with ``plans`` activities."""
    desk = open_desk(folder, f"ours-{plans}", catalogue_with(base, plans))
    with travel(START):
        t = time.perf_counter()
        report = desk.maintenance.generate(timedelta(days=days), by="admin")
        took = time.perf_counter() - t
    desk.close()
    return took, report.total


def naive(folder: Path, base: Catalogue, plans: int, days: int) -> tuple[float, int]:
    """The same occurrences, one ORM add and flush per task (what the bulk path avoids)."""
    desk = open_desk(folder, f"naive-{plans}", catalogue_with(base, plans))
    tz = ZoneInfo(desk.config.timezone)
    person = desk.person("admin")
    count = 0
    with travel(START):
        t = time.perf_counter()
        with desk.transaction() as s:
            for plan in s.scalars(
                select(MaintenancePlanRow).where(MaintenancePlanRow.active.is_(True))
            ).all():
                for due in Recurrence(plan.rule, plan.anchor, tz).between(
                    plan.generated_until, START + timedelta(days=days)
                ):
                    row = TaskRow(
                        plan_id=plan.id,
                        due_at=due,
                        overdue_at=end_of_day(due, tz),
                        state="scheduled",
                        updated_at=START,
                    )
                    s.add(row)
                    s.flush()
                    audit(
                        s,
                        person,
                        "task",
                        row.id,
                        "schedule",
                        None,
                        "scheduled",
                        None,
                        {"plan_id": plan.id},
                    )
                    count += 1
        took = time.perf_counter() - t
    desk.close()
    return took, count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=100)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    base = load_catalogue(ROOT / "catalogue")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        one_t, one_n = ours(folder, base, 1, args.days)
        many_t, many_n = ours(folder, base, args.plans, args.days)
        slow_t, slow_n = naive(folder, base, args.plans, args.days)
    per_one, per_many, per_slow = one_t / one_n, many_t / many_n, slow_t / slow_n
    growth, saving = per_many / per_one, per_slow / per_many
    for label, n, took in (
        ("generate, 1 plan (baseline)", one_n, one_t),
        (f"generate, {args.plans} plans", many_n, many_t),
        (f"naive ORM adds, {args.plans} plans", slow_n, slow_t),
    ):
        print(f"{label:<32} {n:>8} tasks {took:8.3f} s {took / n * 1e6:8.1f} us/task")
    print(f"ratio per task, {args.plans} plans / 1 plan: {growth:.2f}  (floor: <= 2.0)")
    print(f"ratio per task, naive / ours: {saving:.2f}  (floor: >= 1.0)")
    ok = growth <= 2.0 and saving >= 1.0
    print("ok" if ok else "REGRESSION")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
