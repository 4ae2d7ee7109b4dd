"""Preventative maintenance on a frozen clock.

Covers calendar rules, month ends, leap days, DST, due and overdue.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from bpsm import Desk, ValidationError
from bpsm.catalogue.loader import Catalogue
from bpsm.catalogue.schema import DeskConfig, Service
from bpsm.processes.maintenance.facade import PlanView, TaskView
from bpsm.store.tables.proactive import MaintenancePlanRow, TaskRow

AMS = ZoneInfo("Europe/Amsterdam")


def local(y: int, m: int, d: int, h: int = 8, minute: int = 0) -> datetime:
    """A wall-clock time at the desk (Europe/Amsterdam), as an aware datetime."""
    return datetime(y, m, d, h, minute, tzinfo=AMS)


def variant(
    catalogue: Catalogue,
    activities: list[dict[str, Any]] | None = None,
    *,
    service: str = "laptop",
    only: bool = True,
    desk: dict[str, Any] | None = None,
    **fields: Any,
) -> Catalogue:
    """The example catalogue with ``service``'s maintenance (and other fields) replaced.

    ``only``: keep just that service, so a test sees its own plans and few others.
    """
    data = catalogue.services[service].model_dump()
    if activities is not None:
        data["maintenance"] = activities
    changed = Service.model_validate({**data, **fields})
    services = {service: changed} if only else {**catalogue.services, service: changed}
    config = (
        DeskConfig.model_validate({**catalogue.desk.model_dump(), **desk})
        if desk
        else catalogue.desk
    )
    return replace(catalogue, desk=config, services=services)


@pytest.fixture
def desk_with(db_url: str, catalogue: Catalogue) -> Iterator[Callable[..., Desk]]:
    """Open a desk whose catalogue is :func:`variant` of the example one."""
    opened: list[Desk] = []

    def make(activities: list[dict[str, Any]] | None = None, **kw: Any) -> Desk:
        d = Desk.open(db_url, catalogue=variant(catalogue, activities, **kw))
        opened.append(d)
        return d

    yield make
    for d in opened:
        d.close()


def plan_of(desk: Desk, activity_id: str, service: str = "laptop") -> PlanView:
    return next(
        p
        for p in desk.maintenance.plans(service=service, include_inactive=True)
        if p.activity_id == activity_id
    )


def all_tasks(desk: Desk, plan_id: int) -> list[TaskView]:
    return desk.maintenance.tasks(plan_id=plan_id, limit=1000).items


def one(rule: str, duration: str = "PT2H") -> list[dict[str, Any]]:
    return [
        {"id": "job", "activity": f"Recurring job ({rule})", "rule": rule, "duration": duration}
    ]


def test_laptop_replacement_falls_due_after_four_years(desk: Desk) -> None:
    """The scenario: plan made 2026-01-05, replacement due 2030-01-05 08:00 local.

    After that, every four years.
    """
    with freeze_time(local(2026, 1, 5, 9, 30)) as clock:
        desk.maintenance.generate(by="admin")
        plan = plan_of(desk, "replace")
        assert (plan.kind, plan.rule, plan.assignee) == (
            "maintenance",
            "FREQ=YEARLY;INTERVAL=4",
            "second-line-it",
        )
        assert plan.anchor == local(2026, 1, 5)
        assert desk.maintenance.next_occurrence(plan.id) == local(2030, 1, 5)
        assert all_tasks(desk, plan.id) == []  # nothing due within the first 90 days

        clock.move_to(local(2029, 12, 31, 12))
        desk.maintenance.generate(by="ben")
        [task] = all_tasks(desk, plan.id)
        assert task.due_at == local(2030, 1, 5) and task.due_at.astimezone(AMS).hour == 8
        assert task.status == "upcoming"
        assert task.id not in {t.id for t in desk.maintenance.due()}
        soon = desk.maintenance.due(assignee="second-line-it", include_upcoming_days=7)
        assert [t.status for t in soon if t.id == task.id] == ["upcoming"]

        clock.move_to(local(2030, 1, 5, 9))
        assert desk.maintenance.get(task.id).status == "due"
        assert [t.status for t in desk.maintenance.due() if t.id == task.id] == ["due"]

        clock.move_to(local(2030, 1, 12, 9))
        assert desk.maintenance.get(task.id).status == "overdue"
        assert [t.status for t in desk.maintenance.due() if t.id == task.id] == ["overdue"]

        done = desk.maintenance.complete(task.id, note="42 laptops swapped", by="ben")
        assert (done.state, done.status, done.done_by, done.note) == (
            "done",
            "done",
            "ben",
            "42 laptops swapped",
        )
        nxt = desk.maintenance.next_task(plan.id)
        assert nxt is not None and nxt.due_at == local(2034, 1, 5) and nxt.status == "upcoming"
        assert [e.trigger for e in desk.history(done)] == ["schedule", "complete"]


def test_monthly_on_the_31st_lands_only_in_months_that_have_one(desk_with) -> None:
    with freeze_time(local(2026, 1, 10, 12)) as clock:
        d = desk_with(one("FREQ=MONTHLY;BYMONTHDAY=31"))
        d.maintenance.generate(timedelta(days=365), by="admin")
        due = [t.due_at for t in all_tasks(d, plan_of(d, "job").id)]
        assert due == [local(2026, m, 31) for m in (1, 3, 5, 7, 8, 10, 12)]
        clock.move_to(local(2026, 1, 31, 23, 59))
        assert [t.status for t in d.maintenance.due() if t.activity_id == "job"] == ["due"]
        clock.move_to(local(2026, 2, 1, 0, 0))  # across the month end: the due day is over
        assert [t.status for t in d.maintenance.due() if t.activity_id == "job"] == ["overdue"]


def test_last_day_of_the_month_includes_the_leap_day(desk_with) -> None:
    with freeze_time(local(2028, 1, 10, 12)):
        d = desk_with(one("FREQ=MONTHLY;BYMONTHDAY=-1"))
        d.maintenance.generate(timedelta(days=120), by="admin")
        due = [t.due_at for t in all_tasks(d, plan_of(d, "job").id)]
    assert due == [local(2028, 1, 31), local(2028, 2, 29), local(2028, 3, 31), local(2028, 4, 30)]


def test_every_quarter_and_first_monday_of_the_month(desk_with) -> None:
    with freeze_time(local(2026, 1, 15, 12)):
        d = desk_with(
            [
                {
                    "id": "quarterly",
                    "activity": "Quarterly review",
                    "rule": "FREQ=MONTHLY;INTERVAL=3",
                },
                {"id": "first-monday", "activity": "Patch check", "rule": "FREQ=MONTHLY;BYDAY=1MO"},
            ]
        )
        d.maintenance.generate(timedelta(days=300), by="admin")
        quarterly = [t.due_at for t in all_tasks(d, plan_of(d, "quarterly").id)]
        mondays = [t.due_at for t in all_tasks(d, plan_of(d, "first-monday").id)]
    assert quarterly == [local(2026, 4, 15), local(2026, 7, 15), local(2026, 10, 15)]
    assert mondays[:4] == [
        local(2026, 2, 2),
        local(2026, 3, 2),
        local(2026, 4, 6),
        local(2026, 5, 4),
    ]
    assert {
        (m.astimezone(AMS).weekday(), m.astimezone(AMS).day <= 7, m.astimezone(AMS).hour)
        for m in mondays
    } == {(0, True, 8)}


def test_leap_day_rule_falls_due_every_four_years(desk_with) -> None:
    with freeze_time(local(2027, 1, 4, 10)) as clock:
        d = desk_with(one("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29"))
        report = d.maintenance.generate(local(2033, 12, 31, 23) - local(2027, 1, 4, 10), by="admin")
        plan = plan_of(d, "job")
        tasks = all_tasks(d, plan.id)
        assert [t.due_at for t in tasks] == [local(2028, 2, 29), local(2032, 2, 29)]
        assert report.created[plan.id] == 2
        assert d.maintenance.next_occurrence(plan.id, after=local(2032, 2, 29)) == local(
            2036, 2, 29
        )

        clock.move_to(local(2028, 2, 29, 9))
        assert d.maintenance.get(tasks[0].id).status == "due"
        clock.move_to(local(2028, 3, 1, 0, 0))
        assert d.maintenance.get(tasks[0].id).status == "overdue"
        d.maintenance.complete(tasks[0].id, by="ben")
        assert [t.due_at for t in all_tasks(d, plan.id)] == [
            local(2028, 2, 29),
            local(2032, 2, 29),
        ]  # next existed


def test_weekly_task_stays_at_eight_local_time_across_both_dst_changes(desk_with) -> None:
    with freeze_time(local(2026, 3, 16, 12)) as clock:
        d = desk_with(one("FREQ=WEEKLY;BYDAY=SU"))
        d.maintenance.generate(timedelta(days=240), by="admin")
        tasks = all_tasks(d, plan_of(d, "job").id)
        assert {t.due_at.astimezone(AMS).hour for t in tasks} == {8}
        utc_hours = {t.due_at.astimezone(AMS).date().isoformat(): t.due_at.hour for t in tasks}
        assert (
            utc_hours["2026-03-22"] == 7 and utc_hours["2026-03-29"] == 6
        )  # last Sunday of March: CEST
        assert (
            utc_hours["2026-10-18"] == 6 and utc_hours["2026-10-25"] == 7
        )  # last Sunday of October: CET
        spring = next(t for t in tasks if t.due_at == local(2026, 3, 29))
        assert spring.due_at == datetime(2026, 3, 29, 6, tzinfo=UTC)
        assert spring.overdue_at == datetime(
            2026, 3, 29, 22, tzinfo=UTC
        )  # local midnight, summer time

        clock.move_to(datetime(2026, 3, 29, 5, 30, tzinfo=UTC))  # 07:30 CEST
        assert d.maintenance.get(spring.id).status == "upcoming"
        clock.move_to(
            datetime(2026, 3, 29, 6, 30, tzinfo=UTC)
        )  # 08:30 CEST; would be 07:30 in winter time
        assert d.maintenance.get(spring.id).status == "due"
        clock.move_to(datetime(2026, 3, 29, 22, 0, tzinfo=UTC))
        assert d.maintenance.get(spring.id).status == "overdue"


def test_status_follows_the_clock_and_sql_agrees_with_the_view(desk_with) -> None:
    with freeze_time(local(2026, 5, 4, 12)):
        d = desk_with(one("FREQ=DAILY;INTERVAL=3"))
        d.maintenance.generate(timedelta(days=20), by="admin")
        tasks = all_tasks(d, plan_of(d, "job").id)
    tiny = timedelta(microseconds=1)
    for task in tasks[:3]:
        moments = {
            task.due_at - tiny: "upcoming",
            task.due_at: "due",
            task.overdue_at - tiny: "due",
            task.overdue_at: "overdue",
        }
        for at, expected in moments.items():
            listed = {t.id: t.status for t in d.maintenance.due(now=at, include_upcoming_days=1)}
            assert listed[task.id] == expected == task.status_at(at), at
            with freeze_time(at):
                assert (
                    d.maintenance.get(task.id).status
                    == d.maintenance.get(task.id).current_status
                    == expected
                )


def test_dave_keeps_in_touch_with_the_customers_of_every_it_service(
    desk: Desk, catalogue: Catalogue
) -> None:
    mine = sorted(sid for sid, s in catalogue.services.items() if s.account_manager == "dave")
    with freeze_time(local(2026, 1, 5, 9)):
        desk.maintenance.generate(timedelta(days=200), by="dave")
    contacts = desk.maintenance.plans(kind="account_contact")
    assert len(contacts) == len(catalogue.services)
    daves = [p for p in contacts if p.assignee == "dave"]
    assert sorted(p.service_id for p in daves) == mine
    assert {p.rule for p in contacts} == {"FREQ=DAILY;INTERVAL=90"}
    assert {p.activity for p in daves if p.service_id == "laptop"} == {
        "Contact customers of Standard laptop"
    }
    due = desk.maintenance.due(now=local(2026, 4, 5, 9), assignee="dave")
    assert sorted(t.service_id for t in due) == mine
    assert {(t.kind, t.status, t.due_at) for t in due} == {
        ("account_contact", "due", local(2026, 4, 5))
    }
    later = desk.maintenance.due(now=local(2026, 7, 4, 9), assignee="dave")
    assert {t.due_at for t in later} == {
        local(2026, 4, 5),
        local(2026, 7, 4),
    }  # the first is overdue now
    assert desk.maintenance.due(now=local(2026, 4, 5, 9), assignee=["fatima", "hugo"])
    assert not {
        t.service_id for t in desk.maintenance.due(now=local(2026, 4, 5, 9), assignee="fatima")
    } & set(mine)


def test_generating_twice_creates_nothing_new_and_a_longer_horizon_only_the_rest(
    desk: Desk,
) -> None:
    with freeze_time(local(2026, 2, 1, 9)):
        first = desk.maintenance.generate(by="admin")
        again = desk.maintenance.generate(by="admin")
        longer = desk.maintenance.generate(timedelta(days=180), by="admin")
    with desk.transaction() as s:
        total = s.scalar(select(func.count()).select_from(TaskRow))
        pairs = s.scalar(
            select(func.count()).select_from(
                select(TaskRow.plan_id, TaskRow.due_at).distinct().subquery()
            )
        )
    assert (
        first.total > 0 and again.total == 0 and again.plans.unchanged and not again.plans.created
    )
    assert longer.total > 0 and total == pairs == first.total + longer.total


def test_rules_that_end_have_no_next_occurrence(desk_with) -> None:
    with freeze_time(local(2026, 6, 1, 12)):
        d = desk_with(
            [
                *one("FREQ=WEEKLY;COUNT=3"),
                {
                    "id": "until-local",
                    "activity": "Daily until 5 June",
                    "rule": "FREQ=DAILY;UNTIL=20260605",
                },
                {
                    "id": "until-utc",
                    "activity": "Daily until 4 June",
                    "rule": "FREQ=DAILY;UNTIL=20260604T050000Z",
                },
            ]
        )
        d.maintenance.generate(timedelta(days=60), by="admin")
        plan = plan_of(d, "job")
        tasks = all_tasks(d, plan.id)
        assert len(tasks) == 2  # COUNT=3 counts the anchor, which is never due itself
        for t in tasks:
            d.maintenance.complete(t.id, by="ben")
        assert d.maintenance.next_task(plan.id) is None
        assert d.maintenance.next_occurrence(plan.id, after=tasks[-1].due_at) is None
        assert [t.due_at for t in all_tasks(d, plan_of(d, "until-local").id)] == [
            local(2026, 6, day) for day in (2, 3, 4)
        ]
        assert [t.due_at for t in all_tasks(d, plan_of(d, "until-utc").id)] == [
            local(2026, 6, 2),
            local(2026, 6, 3),
        ]


def test_a_runaway_rule_or_a_bad_horizon_is_refused_and_changes_nothing(desk_with) -> None:
    with freeze_time(local(2026, 6, 1, 12)):
        d = desk_with(one("FREQ=MINUTELY"))
        for horizon, says in (
            (timedelta(days=90), "more than 10000 occurrences"),
            (timedelta(days=-1), "non-negative"),
            ("P90D", "non-negative"),
        ):
            with pytest.raises(ValidationError) as err:
                d.maintenance.generate(horizon, by="admin")  # type: ignore[arg-type]
            assert err.value.problems[0].field == "horizon" and says in str(err.value)
        with d.transaction() as s:
            assert s.scalar(select(func.count()).select_from(MaintenancePlanRow)) == 0
            assert s.scalar(select(func.count()).select_from(TaskRow)) == 0


@pytest.mark.parametrize(
    ("kwargs", "field", "value"),
    [
        ({"now": datetime(2026, 1, 1, 8)}, "now", "datetime.datetime(2026, 1, 1, 8, 0)"),
        ({"include_upcoming_days": -1}, "include_upcoming_days", "-1"),
        ({"include_upcoming_days": 1.5}, "include_upcoming_days", "1.5"),
        ({"assignee": "nobody"}, "assignee", "'nobody'"),
        ({"assignee": ["dave", "ghost"]}, "assignee", "'ghost'"),
    ],
)
def test_bad_due_list_arguments_name_the_field_and_value(
    desk: Desk, kwargs: dict[str, Any], field: str, value: str
) -> None:
    with pytest.raises(ValidationError) as err:
        desk.maintenance.due(**kwargs)
    assert err.value.problems[0].field == field and value in str(err.value)
