"""Recurrence after the last completion ("every 6 months after the last service"), frozen clock.

The next task falls due the period after the previous one was completed (a skip counts from its
due date), at 08:00 local time; one scheduled task at a time; month ends, leap days and DST.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from freezegun import freeze_time

from bpsm import Desk, ValidationError, load_catalogue
from bpsm.catalogue.schema import MaintenanceActivity
from tests import test_maintenance_schedule as schedule
from tests.conftest import CATALOGUE
from tests.test_maintenance_schedule import AMS, all_tasks, local, plan_of, variant

desk_with = schedule.desk_with  # the fixture: a desk on a variant of the example catalogue


def serviced(every: str = "P6M", **more: Any) -> list[dict[str, Any]]:
    return [{"id": "service", "activity": "Service the chiller", "after_completion": every, **more}]


def scheduled(d: Desk, plan_id: int) -> list[Any]:
    return [t for t in all_tasks(d, plan_id) if t.state == "scheduled"]


def test_the_next_service_is_due_six_months_after_the_last_one_was_done(desk_with) -> None:
    with freeze_time(local(2026, 1, 5, 9)) as clock:
        d = desk_with(serviced())
        d.maintenance.generate(timedelta(days=365), by="admin")
        plan = plan_of(d, "service")
        assert (plan.recurrence, plan.rule, plan.every) == ("after_completion", None, "P6M")
        [first] = all_tasks(d, plan.id)
        assert first.due_at == local(2026, 7, 5)  # six months after the start
        assert plan.id not in d.maintenance.generate(timedelta(days=365), by="admin").created

        clock.move_to(local(2026, 7, 20, 15, 30))  # done two weeks late
        d.maintenance.complete(first.id, note="filters changed", by="ben")
        [nxt] = scheduled(d, plan.id)
        assert nxt.due_at == local(2027, 1, 20) and nxt.due_at.astimezone(AMS).hour == 8
        assert d.maintenance.next_occurrence(plan.id) == local(2027, 1, 20)
        assert [e.reason for e in d.history(nxt)] == [f"next after task {first.id}"]

        clock.move_to(local(2026, 11, 2, 10))  # done early: counted from then
        d.maintenance.complete(nxt.id, by="lisa")
        assert [t.due_at for t in scheduled(d, plan.id)] == [local(2027, 5, 2)]
        assert plan.id not in d.maintenance.generate(timedelta(days=365), by="admin").created


def test_a_skipped_service_counts_from_its_due_date_not_from_the_skip(desk_with) -> None:
    with freeze_time(local(2026, 1, 5, 9)) as clock:
        d = desk_with(serviced("P3M"))
        d.maintenance.generate(timedelta(days=120), by="admin")
        plan = plan_of(d, "service")
        [first] = all_tasks(d, plan.id)
        clock.move_to(local(2026, 5, 20, 9))  # due 5 April, skipped six weeks later
        d.maintenance.skip(first.id, reason="chiller switched off for the refurbishment", by="ben")
        assert [t.due_at for t in scheduled(d, plan.id)] == [local(2026, 7, 5)]


def test_six_months_after_31_august_is_the_last_day_of_february(desk_with) -> None:
    with freeze_time(local(2026, 8, 1, 9)) as clock:
        d = desk_with(serviced())
        d.maintenance.generate(timedelta(days=0), by="admin")
        plan = plan_of(d, "service")
        first = d.maintenance.next_task(plan.id)
        assert first is None  # due 1 February 2027: beyond the horizon, not yet scheduled
        d.maintenance.generate(timedelta(days=200), by="admin")
        first = d.maintenance.next_task(plan.id)
        assert first is not None and first.due_at == local(2027, 2, 1)
        clock.move_to(local(2027, 8, 31, 12))
        d.maintenance.complete(first.id, by="ben")
        second = d.maintenance.next_task(plan.id)
        assert second is not None and second.due_at == local(2028, 2, 29)  # a leap year
        clock.move_to(local(2028, 8, 31, 12))
        d.maintenance.complete(second.id, by="ben")
        third = d.maintenance.next_task(plan.id)
        assert third is not None and third.due_at == local(2029, 2, 28)


def test_completed_in_winter_due_at_eight_local_time_in_summer(desk_with, catalogue) -> None:
    with freeze_time(local(2026, 1, 5, 9)) as clock:
        d = desk_with(serviced("P1W"))
        d.maintenance.generate(timedelta(days=30), by="admin")
        plan = plan_of(d, "service")
        task = d.maintenance.next_task(plan.id)
        assert task is not None and task.due_at == local(2026, 1, 12)
        d.sync_catalogue("admin", variant(catalogue, serviced("P3M")))
        d.maintenance.sync_plans("admin")
        [task] = scheduled(d, plan.id)
        assert task.due_at == local(2026, 4, 5)  # the new period, from the start
        clock.move_to(local(2026, 1, 10, 23, 30))  # done late in the evening, winter time
        d.maintenance.complete(task.id, by="ben")
        [nxt] = scheduled(d, plan.id)
    assert nxt.due_at == local(2026, 4, 10) and nxt.due_at.hour == 6  # 08:00 CEST


def test_a_changed_period_reschedules_the_open_task_from_the_last_completion(
    desk_with, catalogue
) -> None:
    with freeze_time(local(2026, 1, 5, 9)) as clock:
        d = desk_with(serviced())
        d.maintenance.generate(timedelta(days=365), by="admin")
        plan = plan_of(d, "service")
        clock.move_to(local(2026, 7, 6, 9))
        d.maintenance.complete(d.maintenance.next_task(plan.id).id, by="ben")  # type: ignore[union-attr]
        clock.move_to(local(2026, 8, 1, 9))
        d.sync_catalogue("admin", variant(catalogue, serviced("P3M")))
        report = d.maintenance.sync_plans("admin")
        assert "laptop/service" in report.updated
        states = [(t.due_at, t.state, t.skip_reason) for t in all_tasks(d, plan.id)]
    why = "rule changed from after completion P6M to after completion P3M"
    assert states == [
        (local(2026, 7, 5), "done", None),
        (local(2026, 10, 6), "scheduled", None),
        (local(2027, 1, 6), "skipped", why),
    ]


def test_a_subject_plan_after_completion_is_first_due_a_period_after_its_start(desk_with) -> None:
    with freeze_time(local(2026, 3, 1, 9)):
        d = desk_with(serviced("P1Y", per="subject"))
        plan = d.maintenance.plan_for_subject(
            "laptop", "service", subject="chiller on the roof", start=date(2025, 2, 20), by="ben"
        )
        [task] = all_tasks(d, plan.id)
    assert (task.due_at, task.status) == (local(2026, 2, 20), "overdue")
    assert plan.every == "P1Y" and plan.start == date(2025, 2, 20)


@pytest.mark.parametrize(
    ("fields", "field", "says"),
    [
        (
            {"rule": "FREQ=MONTHLY", "after_completion": "P6M"},
            "maintenance.0",
            "give either rule",
        ),
        ({}, "maintenance.0", "one of them"),
        ({"after_completion": "P6X"}, "maintenance.0.after_completion", "'P6X' is not a period"),
        ({"after_completion": "PT6H"}, "maintenance.0.after_completion", "no time of day"),
        ({"after_completion": "P0M"}, "maintenance.0.after_completion", "more than zero"),
        ({"after_completion": "P101Y"}, "maintenance.0.after_completion", "longer than 100"),
    ],
)
def test_a_bad_recurrence_is_refused_at_load_naming_file_line_and_field(
    tmp_path: Path, fields: dict[str, str], field: str, says: str
) -> None:
    root = tmp_path / "c"
    shutil.copytree(CATALOGUE, root)
    laptop = root / "services" / "laptop.yaml"
    extra = "".join(f"\n    {k}: {v}" for k, v in fields.items())
    laptop.write_text(
        laptop.read_text().replace("    rule: FREQ=YEARLY;INTERVAL=4", extra.removeprefix("\n"), 1)
    )
    with pytest.raises(ValidationError) as err:
        load_catalogue(root)
    [problem] = err.value.problems
    assert problem.file.endswith("laptop.yaml") and problem.line and problem.field == field
    assert says in problem.message


def test_the_period_is_stored_in_its_canonical_spelling() -> None:
    act = MaintenanceActivity(id="x", activity="X", after_completion=" p1y6m ")
    assert (act.after_completion, act.recurrence) == ("P1Y6M", "after_completion")
