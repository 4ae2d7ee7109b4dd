"""The task process: its guards, roles, concurrency and history.

Every legal, illegal and forbidden step of every process is checked once for all of them: without a
database in ``tests/test_process_tables.py``, through the API in ``tests/test_process_contract.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from itertools import pairwise
from typing import Any

import pytest
from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bpsm import (
    ConcurrentModification,
    Desk,
    GuardFailed,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from bpsm.processes import PROCESSES
from bpsm.processes.maintenance.facade import TaskView
from bpsm.processes.maintenance.steps import TASK
from bpsm.store.tables.proactive import TaskRow
from tests.test_maintenance_schedule import all_tasks, local, plan_of

#: For each trigger: the API call that fires it, with valid arguments.
FIRE: dict[str, Callable[[Desk, TaskView], TaskView]] = {
    "complete": lambda d, t: d.maintenance.complete(t.id, note="all patched", by="ben"),
    "skip": lambda d, t: d.maintenance.skip(t.id, reason="office closed that week", by="ben"),
}
LEGAL = {(src, s.trigger): s.dest for s in TASK.table for src in s.source}
NOW = local(2026, 2, 10, 9)


@pytest.fixture
def planned(desk: Desk) -> Desk:
    """The example desk, with 90 days of tasks generated on 2026-01-05."""
    with freeze_time(local(2026, 1, 5, 9)):
        desk.maintenance.generate(by="admin")
    return desk


def task_in(desk: Desk, state: str, activity: str = "patch-check") -> TaskView:
    """A fresh laptop task (2 Feb 2026, or the account contact of 5 Apr) brought into ``state``."""
    task = next(t for t in all_tasks(desk, plan_of(desk, activity).id) if t.state == "scheduled")
    if state != "scheduled":
        task = FIRE["complete" if state == "done" else "skip"](desk, task)
    assert task.state == state
    return task


def stable(view: TaskView) -> dict[str, Any]:
    return view.model_dump(exclude={"as_of", "status"})


def test_the_table_is_registered_and_covers_every_state() -> None:
    assert PROCESSES["task"] is TASK and set(FIRE) == set(TASK.triggers)
    assert {s for s, _ in LEGAL} | {d for d in LEGAL.values()} == set(TASK.states)
    assert "scheduled --> done: complete" in TASK.mermaid()


@pytest.mark.parametrize(
    ("activity", "fire", "guard"),
    [
        (
            "patch-check",
            lambda d, t: d.maintenance.skip(t.id, reason="  ", by="ben"),
            "skip_reason",
        ),
        ("account-contact", lambda d, t: d.maintenance.complete(t.id, by="dave"), "contact_note"),
        (
            "account-contact",
            lambda d, t: d.maintenance.complete(t.id, note=" ", by="dave"),
            "contact_note",
        ),
    ],
)
def test_guard_refuses_with_its_name_and_changes_nothing(
    planned: Desk, activity: str, fire, guard: str
) -> None:
    task = task_in(planned, "scheduled", activity)
    trail, tasks = planned.history(task), all_tasks(planned, task.plan_id)
    with pytest.raises(GuardFailed) as err:
        fire(planned, task)
    assert err.value.guard == guard
    assert (
        stable(planned.maintenance.get(task.id)) == stable(task) and planned.history(task) == trail
    )
    assert len(all_tasks(planned, task.plan_id)) == len(tasks)


def test_an_account_contact_is_completed_with_what_the_customers_said(planned: Desk) -> None:
    task = task_in(planned, "scheduled", "account-contact")
    with freeze_time(local(2026, 4, 5, 10)):
        done = planned.maintenance.complete(
            task.id, note="finance wants docking stations", by="dave"
        )
    assert (done.state, done.note, done.kind) == (
        "done",
        "finance wants docking stations",
        "account_contact",
    )
    nxt = planned.maintenance.next_task(task.plan_id)
    assert nxt is not None and nxt.due_at == local(2026, 7, 4)
    assert [(e.trigger, e.reason) for e in planned.history(nxt)] == [
        ("schedule", f"next after task {task.id}")
    ]


def test_skipping_also_makes_sure_there_is_a_next_task(planned: Desk) -> None:
    task = task_in(planned, "scheduled", "account-contact")
    before = len(all_tasks(planned, task.plan_id))
    planned.maintenance.skip(task.id, reason="customers on a company outing", by="eve")
    assert len(all_tasks(planned, task.plan_id)) == before + 1


STAFF = ["anna", "omar", "ben", "lisa", "carla", "dave", "fatima", "hugo", "eve", "admin"]


@pytest.mark.parametrize("who", STAFF)
@pytest.mark.parametrize("trigger", sorted(FIRE))
def test_roles_decide_who_may_complete_or_skip(planned: Desk, who: str, trigger: str) -> None:
    task = task_in(planned, "scheduled")
    trail = planned.history(task)
    act = {
        "complete": lambda: planned.maintenance.complete(task.id, note="ok", by=who),
        "skip": lambda: planned.maintenance.skip(task.id, reason="not needed", by=who),
    }[trigger]
    if TASK.may(planned.person(who), trigger):
        assert act().state == LEGAL[("scheduled", trigger)]
        assert trigger in planned.maintenance.allowed(task, who)
    else:
        with pytest.raises(PermissionDenied, match=f"task.{trigger}"):
            act()
        assert (
            stable(planned.maintenance.get(task.id)) == stable(task)
            and planned.history(task) == trail
        )
        assert trigger not in planned.maintenance.allowed(task, who)


def test_the_permission_table_says_what_the_issue_says() -> None:
    from bpsm.processes import PERMISSIONS

    assert {"operator", "specialist", "account_manager"} <= PERMISSIONS["task.complete"]
    assert not {"manager", "change_manager"} & PERMISSIONS["task.complete"]
    assert "operator" not in PERMISSIONS["task.generate"]


def test_a_stale_version_is_refused_and_changes_nothing(planned: Desk) -> None:
    task = task_in(planned, "scheduled")
    planned.maintenance.complete(task.id, by="anna", expected_version=task.version)
    seen = planned.maintenance.get(task.id)
    with pytest.raises(ConcurrentModification) as err:
        planned.maintenance.skip(
            task.id, reason="duplicate", by="omar", expected_version=task.version
        )
    assert (err.value.expected, err.value.actual) == (task.version, seen.version)
    assert stable(planned.maintenance.get(task.id)) == stable(seen)
    assert [e.trigger for e in planned.history(task)] == ["schedule", "complete"]


def test_two_desks_on_one_database_never_overwrite_each_other(
    planned: Desk, db_url: str, catalogue
) -> None:
    other = Desk.open(db_url, catalogue=catalogue)
    task = task_in(planned, "scheduled")
    seen_by_other = other.maintenance.get(task.id)
    planned.maintenance.complete(
        task.id, note="done by ben", by="ben", expected_version=task.version
    )
    with pytest.raises(ConcurrentModification):
        other.maintenance.skip(
            task.id,
            reason="lisa thinks it is not needed",
            by="lisa",
            expected_version=seen_by_other.version,
        )
    final = planned.maintenance.get(task.id)
    assert (final.state, final.note, final.skip_reason) == ("done", "done by ben", None)
    second = next(t for t in all_tasks(planned, task.plan_id) if t.state == "scheduled")
    # the version column also stops a lost update without expected_version
    with pytest.raises(ConcurrentModification), other.transaction() as s:
        row = s.get(TaskRow, second.id)
        assert row is not None
        planned.maintenance.complete(
            second.id, note="done first", by="ben"
        )  # commits in its own session
        row.note = "overwritten?"
    assert planned.maintenance.get(second.id).note == "done first"
    other.close()


def test_history_of_plan_and_task(planned: Desk) -> None:
    task = task_in(planned, "done")
    assert [(e.trigger, e.actor, e.from_state, e.to_state) for e in planned.history(task)] == [
        ("schedule", "admin", None, "scheduled"),
        ("complete", "ben", "scheduled", "done"),
    ]
    assert planned.history(task)[0].data == {"plan_id": task.plan_id}
    assert [e.trigger for e in planned.history(planned.maintenance.plan(task.plan_id))] == [
        "create"
    ]


def test_unknown_records_and_people_and_bad_filters(planned: Desk) -> None:
    with pytest.raises(NotFound):
        planned.maintenance.get(999_999)
    with pytest.raises(NotFound):
        planned.maintenance.complete(999_999, by="ben")
    with pytest.raises(NotFound):
        planned.maintenance.next_occurrence(999_999)
    task = task_in(planned, "scheduled")
    with pytest.raises(PermissionDenied, match="staff list"):
        planned.maintenance.complete(task.id, by="mallory")
    with pytest.raises(ValidationError, match="'bogus'") as err:
        planned.maintenance.tasks(states=["bogus"])
    assert err.value.problems[0].field == "states"
    with pytest.raises(ValidationError) as err:
        planned.maintenance.next_occurrence(
            task.plan_id, after=local(2026, 1, 1).replace(tzinfo=None)
        )
    assert err.value.problems[0].field == "after"
    with pytest.raises(ValidationError, match="paging"):
        planned.maintenance.tasks(limit=0)
    assert planned.maintenance.get(task.id).state == "scheduled"


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from(sorted(FIRE)), max_size=6))
def test_any_sequence_of_triggers_follows_the_table_and_keeps_a_next_task(
    planned: Desk, triggers: list[str]
) -> None:
    """Model check: the state equals the table's prediction.

    The plan always keeps a scheduled task.
    """
    task = next(
        t for t in all_tasks(planned, plan_of(planned, "patch-check").id) if t.state == "scheduled"
    )
    expected = task.state
    for trig in triggers:
        if (expected, trig) in LEGAL:
            task = FIRE[trig](planned, task)
            expected = LEGAL[(expected, trig)]
        else:
            with pytest.raises(InvalidTransition):
                FIRE[trig](planned, task)
        assert planned.maintenance.get(task.id).state == expected
        assert planned.maintenance.next_task(task.plan_id) is not None
    events = planned.history(task)
    assert all(a.to_state == b.from_state for a, b in pairwise(events))
    assert events[0].trigger == "schedule" and len(events) == 1 + (expected != "scheduled")


def test_due_list_upcoming_window(planned: Desk) -> None:
    plan = plan_of(planned, "patch-check")
    first = all_tasks(planned, plan.id)[0]
    assert first.due_at == local(2026, 2, 2)
    week_before = local(2026, 1, 27, 9)
    assert first.id not in {t.id for t in planned.maintenance.due(now=week_before)}
    assert first.id not in {
        t.id for t in planned.maintenance.due(now=week_before, include_upcoming_days=5)
    }
    soon = planned.maintenance.due(now=week_before, include_upcoming_days=6)
    assert [t.status for t in soon if t.id == first.id] == ["upcoming"]
    assert all(t.due_at <= week_before + timedelta(days=6) for t in soon)
