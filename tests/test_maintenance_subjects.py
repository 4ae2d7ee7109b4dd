"""Plans for a subject (an asset, a person) from its start date, on a frozen clock.

The laptop bought on 2024-02-29 is replaced on 2028-02-29 whatever day the plan was entered;
month ends, leap days and DST; refusals that change nothing; the catalogue activity as template.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from bpsm import Desk, NotFound, PermissionDenied, ValidationError
from bpsm.store.tables import AuditEventRow
from bpsm.store.tables.proactive import MaintenancePlanRow, TaskRow
from tests import test_maintenance_schedule as schedule
from tests.test_maintenance_schedule import AMS, all_tasks, local, variant

desk_with = schedule.desk_with  # the fixture: a desk on a variant of the example catalogue


def per_subject(rule: str, ident: str = "replace-device") -> dict[str, Any]:
    return {"id": ident, "activity": f"Per device ({rule})", "rule": rule, "per": "subject"}


def counts(desk: Desk) -> tuple[int, int, int]:
    with desk.transaction() as s:
        return (
            s.scalar(select(func.count()).select_from(MaintenancePlanRow)) or 0,
            s.scalar(select(func.count()).select_from(TaskRow)) or 0,
            s.scalar(select(func.count()).select_from(AuditEventRow)) or 0,
        )


def kims_laptop(desk: Desk, by: str = "ben", **kw: Any) -> Any:
    args: dict[str, Any] = {
        "subject": "laptop NB-0042 of Kim",
        "reference": "NB-0042",
        "start": date(2024, 2, 29),
        "by": by,
    }
    return desk.maintenance.plan_for_subject("laptop", "replace-device", **{**args, **kw})


@pytest.mark.parametrize(
    "entered", [local(2024, 2, 29, 16), local(2025, 7, 1, 9), local(2026, 12, 1, 10)]
)
def test_the_laptop_bought_on_a_leap_day_is_replaced_on_the_leap_day_four_years_on(
    desk: Desk, entered: datetime
) -> None:
    with freeze_time(entered):
        plan = kims_laptop(desk)
        assert (plan.subject, plan.reference, plan.start) == (
            "laptop NB-0042 of Kim",
            "NB-0042",
            date(2024, 2, 29),
        )
        assert (plan.recurrence, plan.rule, plan.assignee) == (
            "calendar",
            "FREQ=YEARLY;INTERVAL=4",
            "second-line-it",
        )
        assert plan.anchor == local(2024, 2, 29) and desk.maintenance.next_occurrence(
            plan.id
        ) == local(2028, 2, 29)
        desk.maintenance.generate(local(2032, 3, 1) - entered, by="admin")
        tasks = all_tasks(desk, plan.id)
    assert [t.due_at for t in tasks] == [local(2028, 2, 29), local(2032, 2, 29)]
    assert {(t.subject, t.reference, t.activity_id) for t in tasks} == {
        ("laptop NB-0042 of Kim", "NB-0042", "replace-device")
    }
    [event] = desk.history(plan)
    assert (event.trigger, event.actor, event.to_state) == ("create", "ben", "active")
    assert event.data == {
        "subject": "laptop NB-0042 of Kim",
        "reference": "NB-0042",
        "start": "2024-02-29",
        "recurrence": "FREQ=YEARLY;INTERVAL=4",
        "assignee": "second-line-it",
    }


def test_a_per_subject_activity_makes_no_plan_of_its_own(desk: Desk) -> None:
    desk.maintenance.sync_plans("admin")
    assert "replace-device" not in {p.activity_id for p in desk.maintenance.plans()}


def test_yearly_from_the_leap_day_falls_on_28_february_in_other_years(desk_with) -> None:
    with freeze_time(local(2024, 3, 1, 9)):
        d = desk_with([per_subject("FREQ=YEARLY")])
        plan = kims_laptop(d)
        d.maintenance.generate(local(2029, 3, 1) - local(2024, 3, 1, 9), by="admin")
        due = [t.due_at for t in all_tasks(d, plan.id)]
    assert due == [
        local(2025, 2, 28),
        local(2026, 2, 28),
        local(2027, 2, 28),
        local(2028, 2, 29),
        local(2029, 2, 28),
    ]


def test_monthly_from_the_31st_falls_on_the_last_day_of_shorter_months(desk_with) -> None:
    with freeze_time(local(2027, 1, 20, 9)):
        d = desk_with([per_subject("FREQ=MONTHLY", "check")])
        plan = d.maintenance.plan_for_subject(
            "laptop", "check", subject="loan pool", start=date(2027, 1, 31), by="anna"
        )
        d.maintenance.generate(timedelta(days=170), by="admin")
        due = [t.due_at.astimezone(AMS).date().isoformat() for t in all_tasks(d, plan.id)]
    assert due == ["2027-02-28", "2027-03-31", "2027-04-30", "2027-05-31", "2027-06-30"]


def test_a_start_in_winter_falls_due_at_eight_local_time_in_summer(desk_with) -> None:
    with freeze_time(local(2026, 1, 10, 9)):
        d = desk_with([per_subject("FREQ=MONTHLY;INTERVAL=3", "quarterly")])
        plan = d.maintenance.plan_for_subject(
            "laptop", "quarterly", subject="Kim", start=date(2026, 1, 15), by="eve"
        )
        d.maintenance.generate(timedelta(days=200), by="admin")
        due = [t.due_at for t in all_tasks(d, plan.id)]
    assert due == [local(2026, 4, 15), local(2026, 7, 15)]
    assert [d.hour for d in due] == [6, 6]  # 08:00 CEST; the start was 08:00 CET (07:00 UTC)
    assert plan.anchor.hour == 7


def test_a_plan_entered_late_schedules_only_the_work_still_owed(desk_with) -> None:
    with freeze_time(local(2026, 5, 20, 9)):
        d = desk_with([per_subject("FREQ=MONTHLY;BYDAY=1MO", "patch")])
        plan = d.maintenance.plan_for_subject(
            "laptop", "patch", subject="NB-7", start=date(2025, 1, 1), by="ben"
        )
        [owed] = all_tasks(d, plan.id)
        assert (owed.due_at, owed.status) == (local(2026, 5, 4), "overdue")
        d.maintenance.generate(timedelta(days=60), by="admin")
        due = [t.due_at for t in all_tasks(d, plan.id)]
    assert due == [local(2026, 5, 4), local(2026, 6, 1), local(2026, 7, 6)]


def test_a_start_out_of_step_with_the_rule_is_refused(desk_with) -> None:
    rule = "FREQ=YEARLY;INTERVAL=4;BYMONTH=2;BYMONTHDAY=29"  # from 2026: 2030, 2034... never leap
    d = desk_with([per_subject(rule, "leap")])
    before = counts(d)
    with pytest.raises(ValidationError) as err:
        d.maintenance.plan_for_subject(
            "laptop", "leap", subject="Kim", start=date(2026, 3, 1), by="ben"
        )
    assert err.value.problems[0].field == "start" and "no occurrence after 2026-03-01" in str(
        err.value
    )
    assert counts(d) == before


@pytest.mark.parametrize(
    ("kwargs", "field", "says"),
    [
        ({"service": "hoverboard"}, "service", "'hoverboard' is not an active service"),
        ({"activity": "polish"}, "activity", "'polish' is not a maintenance activity of laptop"),
        ({"subject": "  "}, "subject", "must be a non-empty text"),
        ({"subject": "x" * 201}, "subject", "201 characters; at most 200"),
        ({"reference": ""}, "reference", "must be a non-empty text"),
        ({"start": "2024-02-29"}, "start", "must be a date"),
        ({"start": datetime(2024, 2, 29, 9)}, "start", "must be a date (no time of day)"),
    ],
)
def test_bad_subject_plan_input_names_the_field_and_changes_nothing(
    desk: Desk, kwargs: dict[str, Any], field: str, says: str
) -> None:
    args: dict[str, Any] = {
        "service": "laptop",
        "activity": "replace-device",
        "subject": "laptop NB-0042 of Kim",
        "reference": "NB-0042",
        "start": date(2024, 2, 29),
        "by": "ben",
        **kwargs,
    }
    before = counts(desk)
    with pytest.raises(ValidationError) as err:
        desk.maintenance.plan_for_subject(args.pop("service"), args.pop("activity"), **args)
    [problem] = err.value.problems
    assert problem.field == field and says in problem.message
    assert counts(desk) == before


def test_one_active_plan_per_subject_and_activity(desk: Desk) -> None:
    first = kims_laptop(desk)
    before = counts(desk)
    with pytest.raises(ValidationError) as err:
        kims_laptop(desk, subject="Kim's laptop", reference=" nb-0042 ")
    assert err.value.problems[0].field == "reference"
    assert f"already has plan {first.id} for laptop/replace-device" in str(err.value)
    assert counts(desk) == before
    other = kims_laptop(desk, subject="laptop NB-0043 of Sam", reference="NB-0043")
    assert other.id != first.id
    assert [p.id for p in desk.maintenance.plans(reference="NB-0043")] == [other.id]


@pytest.mark.parametrize("who", ["dave", "carla"])
def test_an_account_manager_or_change_manager_may_not_plan_a_subject(desk: Desk, who: str) -> None:
    before = counts(desk)
    with pytest.raises(PermissionDenied, match="task.plan"):
        kims_laptop(desk, by=who)
    assert counts(desk) == before


def test_ending_a_subjects_plan_skips_its_future_tasks_and_frees_the_subject(desk_with) -> None:
    with freeze_time(local(2026, 1, 10, 9)) as clock:
        d = desk_with([per_subject("FREQ=MONTHLY", "check")])
        plan = d.maintenance.plan_for_subject(
            "laptop", "check", subject="NB-1", reference="NB-1", start=date(2026, 1, 10), by="ben"
        )
        d.maintenance.generate(timedelta(days=100), by="admin")
        clock.move_to(local(2026, 3, 1, 9))
        with pytest.raises(ValidationError, match="reason"):
            d.maintenance.end_plan(plan.id, reason=" ", by="ben")
        with pytest.raises(PermissionDenied):
            d.maintenance.end_plan(plan.id, reason="laptop stolen", by="dave")
        ended = d.maintenance.end_plan(plan.id, reason="laptop stolen", by="ben")
        assert ended.active is False
        states = {t.due_at: (t.state, t.skip_reason) for t in all_tasks(d, plan.id)}
        assert states == {
            local(2026, 2, 10): ("scheduled", None),  # past work stays open
            local(2026, 3, 10): ("skipped", "laptop stolen"),
            local(2026, 4, 10): ("skipped", "laptop stolen"),
        }
        assert [e.trigger for e in d.history(ended)] == ["create", "deactivate"]
        with pytest.raises(ValidationError, match="already ended"):
            d.maintenance.end_plan(plan.id, reason="again", by="ben")
        again = d.maintenance.plan_for_subject(
            "laptop", "check", subject="NB-1", reference="NB-1", start=date(2026, 3, 1), by="ben"
        )
        assert again.id != plan.id and again.active
    with pytest.raises(NotFound):
        d.maintenance.end_plan(9999, reason="gone", by="ben")
    catalogue_plan = next(p for p in d.maintenance.plans() if p.subject is None)
    with pytest.raises(ValidationError, match="follows the catalogue"):
        d.maintenance.end_plan(catalogue_plan.id, reason="no", by="ben")


def test_a_subjects_plan_follows_its_catalogue_activity(desk_with, catalogue) -> None:
    with freeze_time(local(2026, 1, 10, 9)) as clock:
        d = desk_with([per_subject("FREQ=MONTHLY", "check")])
        plan = d.maintenance.plan_for_subject(
            "laptop", "check", subject="NB-1", start=date(2026, 1, 10), by="ben"
        )
        d.maintenance.generate(timedelta(days=100), by="admin")
        clock.move_to(local(2026, 2, 15, 9))
        changed = {**per_subject("FREQ=MONTHLY;INTERVAL=2", "check"), "activity": "Check it"}
        d.sync_catalogue("admin", variant(catalogue, [changed]))
        report = d.maintenance.generate(timedelta(days=100), by="admin")
        assert "laptop/check@NB-1" in report.plans.updated
        now = d.maintenance.plan(plan.id)
        assert (now.rule, now.activity, now.start) == (
            "FREQ=MONTHLY;INTERVAL=2",
            "Check it",
            date(2026, 1, 10),
        )
        future = [(t.due_at, t.state) for t in all_tasks(d, plan.id) if t.due_at > clock_now()]
        assert future == [
            (local(2026, 3, 10), "scheduled"),  # still an occurrence every two months
            (local(2026, 4, 10), "skipped"),
            (local(2026, 5, 10), "scheduled"),
        ]
        d.sync_catalogue("admin", variant(catalogue, []))
        gone = d.maintenance.sync_plans("admin")
        assert "laptop/check@NB-1" in gone.deactivated
        assert d.maintenance.plan(plan.id).active is False


def clock_now() -> datetime:
    from bpsm import clock

    return clock.now()
