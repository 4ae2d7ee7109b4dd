"""Plans synced from the catalogue: one per maintenance activity, an account contact per service."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from bpsm import Desk, PermissionDenied, ValidationError
from bpsm.catalogue.loader import Catalogue
from bpsm.catalogue.schema import MaintenanceActivity, Service
from bpsm.store.tables import AuditEventRow
from bpsm.store.tables.proactive import MaintenancePlanRow, TaskRow
from tests import test_maintenance_schedule as schedule
from tests.test_maintenance_schedule import AMS, all_tasks, local, plan_of, variant

desk_with = schedule.desk_with  # the fixture: a desk on a variant of the example catalogue

LAPTOP = [
    {
        "id": "replace",
        "activity": "Replace laptops",
        "rule": "FREQ=YEARLY;INTERVAL=4",
        "duration": "P10D",
    },
    {
        "id": "patch-check",
        "activity": "Check patches",
        "rule": "FREQ=MONTHLY;BYDAY=1MO",
        "duration": "PT4H",
    },
]


def counts(desk: Desk) -> tuple[int, int, int]:
    with desk.transaction() as s:
        return (
            s.scalar(select(func.count()).select_from(MaintenancePlanRow)) or 0,
            s.scalar(select(func.count()).select_from(TaskRow)) or 0,
            s.scalar(select(func.count()).select_from(AuditEventRow)) or 0,
        )


def test_one_plan_per_activity_and_one_account_contact_per_service(
    desk: Desk, catalogue: Catalogue
) -> None:
    with freeze_time(local(2026, 3, 2, 6, 15)):  # before office hours: the anchor is 08:00 that day
        report = desk.maintenance.sync_plans("admin")
    plans = desk.maintenance.plans()
    activities = sum(
        1 for s in catalogue.services.values() for m in s.maintenance if m.per == "service"
    )
    assert len(report.created) == len(plans) == activities + len(catalogue.services)
    for sid, service in catalogue.services.items():
        mine = [p for p in plans if p.service_id == sid]
        assert sorted(p.activity_id for p in mine if p.kind == "maintenance") == sorted(
            m.id for m in service.maintenance if m.per == "service"
        )  # an activity planned per subject is only a template
        assert {p.assignee for p in mine if p.kind == "maintenance"} <= {service.group}
        [contact] = [p for p in mine if p.kind == "account_contact"]
        assert (contact.assignee, contact.activity) == (
            service.account_manager,
            f"Contact customers of {service.name}",
        )
    replace = plan_of(desk, "replace")
    assert (replace.duration, replace.service_version, replace.active) == (
        timedelta(days=10),
        1,
        True,
    )
    assert {p.anchor for p in plans} == {local(2026, 3, 2)}
    assert [(e.trigger, e.actor, e.to_state) for e in desk.history(replace)] == [
        ("create", "admin", "active")
    ]


def test_syncing_again_changes_nothing_and_writes_no_audit(desk: Desk) -> None:
    desk.maintenance.sync_plans("admin")
    before = counts(desk)
    report = desk.maintenance.sync_plans("admin")
    assert not (report.created or report.updated or report.deactivated or report.reactivated)
    assert counts(desk) == before and str(report).startswith("0 plans created")


def test_a_changed_rule_updates_the_plan_and_skips_only_tasks_the_new_rule_lacks(
    desk_with, catalogue
) -> None:
    with freeze_time(local(2026, 1, 5, 9)) as clock:
        d = desk_with(LAPTOP)
        d.maintenance.generate(timedelta(days=200), by="admin")
        plan = plan_of(d, "patch-check")
        clock.move_to(local(2026, 3, 3, 9))  # 2 Feb and 2 Mar are past; 6 Apr ... 3 Aug are ahead
        every_other = [
            {
                **LAPTOP[1],
                "rule": "FREQ=MONTHLY;INTERVAL=2;BYDAY=1MO",
                "activity": "Check all patches",
            }
        ]
        d.sync_catalogue("admin", variant(catalogue, [LAPTOP[0], *every_other]))
        report = d.maintenance.generate(timedelta(days=200), by="admin")
        assert "laptop/patch-check" in report.plans.updated
    changed = plan_of(d, "patch-check")
    assert (changed.rule, changed.activity, changed.service_version) == (
        "FREQ=MONTHLY;INTERVAL=2;BYDAY=1MO",
        "Check all patches",
        2,
    )
    states = {
        t.due_at.astimezone(AMS).date().isoformat(): (t.state, t.skip_reason)
        for t in all_tasks(d, plan.id)
    }
    why = "rule changed from FREQ=MONTHLY;BYDAY=1MO to FREQ=MONTHLY;INTERVAL=2;BYDAY=1MO"
    assert (
        states["2026-02-02"] == states["2026-03-02"] == ("scheduled", None)
    )  # the past stays open work
    assert states["2026-04-06"] == states["2026-06-01"] == ("skipped", why)
    assert (
        states["2026-05-04"] == states["2026-07-06"] == ("scheduled", None)
    )  # still occurrences: kept
    assert states["2026-09-07"] == ("scheduled", None)  # generated under the new rule
    assert len(states) == 7
    update = [e for e in d.history(changed) if e.trigger == "update"]
    assert update[0].data["before"]["rule"] == "FREQ=MONTHLY;BYDAY=1MO"
    assert sorted(update[0].data["fields"]) == ["activity", "rule", "service_version"]


def test_a_removed_activity_deactivates_its_plan_and_skips_its_future_tasks(
    desk_with, catalogue
) -> None:
    with freeze_time(local(2026, 1, 5, 9)) as clock:
        d = desk_with(LAPTOP)
        d.maintenance.generate(timedelta(days=120), by="admin")
        plan = plan_of(d, "patch-check")
        clock.move_to(local(2026, 3, 3, 9))
        d.sync_catalogue("admin", variant(catalogue, LAPTOP[:1]))
        report = d.maintenance.sync_plans(
            "carla"
        )  # a change manager syncs; the skips follow from it
        assert report.deactivated == ["laptop/patch-check"]
        tasks = all_tasks(d, plan.id)
        assert [(t.due_at, t.state) for t in tasks if t.due_at < local(2026, 3, 3)] == [
            (local(2026, 2, 2), "scheduled"),
            (local(2026, 3, 2), "scheduled"),
        ]
        future = [t for t in tasks if t.due_at > local(2026, 3, 3)]
        assert future and {(t.state, t.skip_reason) for t in future} == {
            ("skipped", "activity removed from catalogue")
        }
        assert [e.actor for e in d.history(future[0])] == ["admin", "carla"]
        assert "patch-check" not in {p.activity_id for p in d.maintenance.plans()}
        assert plan_of(d, "patch-check").active is False
        assert d.maintenance.generate(by="admin").created.get(plan.id) is None

        clock.move_to(
            local(2026, 9, 15, 9)
        )  # back in the catalogue: no back-fill of the months it was gone
        d.sync_catalogue("admin", variant(catalogue, LAPTOP))
        again = d.maintenance.generate(timedelta(days=40), by="admin")
        assert again.plans.reactivated == ["laptop/patch-check"]
        fresh = [
            t.due_at
            for t in all_tasks(d, plan.id)
            if t.state == "scheduled" and t.due_at > local(2026, 3, 3)
        ]
        assert fresh == [local(2026, 10, 5)]
    assert [e.trigger for e in d.history(plan_of(d, "patch-check"))] == [
        "create",
        "deactivate",
        "reactivate",
        "update",
    ]  # a new service version


def test_a_retired_service_deactivates_all_its_plans(desk: Desk, catalogue: Catalogue) -> None:
    desk.maintenance.sync_plans("admin")
    without = {k: v for k, v in catalogue.services.items() if k != "laptop"}
    desk.sync_catalogue("admin", replace(catalogue, services=without))
    report = desk.maintenance.sync_plans("admin")
    assert sorted(report.deactivated) == [
        "laptop/account-contact",
        "laptop/battery-health",
        "laptop/patch-check",
        "laptop/replace",
    ]
    assert {
        e.reason
        for p in desk.maintenance.plans(service="laptop", include_inactive=True)
        for e in desk.history(p)
        if e.trigger == "deactivate"
    } == {"service retired from catalogue"}


def test_a_new_account_manager_and_contact_interval_are_taken_over(desk_with, catalogue) -> None:
    with freeze_time(local(2026, 1, 5, 9)):
        d = desk_with(LAPTOP)
        d.maintenance.generate(timedelta(days=100), by="admin")
        d.sync_catalogue(
            "admin",
            variant(
                catalogue, LAPTOP, account_manager="fatima", desk={"account_contact_every": "P13W"}
            ),
        )
        report = d.maintenance.generate(timedelta(days=100), by="admin").plans
    contact = plan_of(d, "account-contact")
    assert report.updated == [
        "laptop/account-contact",
        "laptop/patch-check",
        "laptop/replace",
    ]  # service version
    assert (contact.assignee, contact.rule) == ("fatima", "FREQ=WEEKLY;INTERVAL=13")
    assert [
        t.service_id for t in d.maintenance.due(now=local(2026, 4, 6, 9), assignee="fatima")
    ] == ["laptop"]
    assert [(t.due_at, t.state) for t in all_tasks(d, contact.id)] == [
        (local(2026, 4, 5), "skipped"),
        (local(2026, 4, 6), "scheduled"),
    ]


def test_a_rule_that_cannot_be_evaluated_is_refused_and_nothing_is_synced(
    desk_with, catalogue
) -> None:
    d = desk_with(LAPTOP)
    bad = MaintenanceActivity.model_construct(
        id="broken", activity="Broken", rule="FREQ=SOMETIMES", duration=timedelta(hours=1)
    )
    laptop = catalogue.services["laptop"]
    service = Service.model_construct(**{**dict(laptop), "maintenance": [*laptop.maintenance, bad]})
    d.sync_catalogue("admin", replace(catalogue, services={"laptop": service}))
    before = counts(d)
    with pytest.raises(ValidationError) as err:
        d.maintenance.generate(by="admin")
    assert err.value.problems[0].field == "laptop.maintenance.broken.rule"
    assert "'FREQ=SOMETIMES' is not a valid RRULE" in str(err.value)
    assert counts(d) == before


@pytest.mark.parametrize("who", ["anna", "omar"])
def test_operators_may_not_sync_or_generate_plans(desk: Desk, who: str) -> None:
    before = counts(desk)
    for act in (
        lambda: desk.maintenance.sync_plans(who),
        lambda: desk.maintenance.generate(by=who),
    ):
        with pytest.raises(PermissionDenied, match="task.generate"):
            act()
    assert counts(desk) == before


@pytest.mark.parametrize(("kwargs", "field"), [({"kind": "repair"}, "kind")])
def test_bad_plan_filters_name_the_field(desk: Desk, kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as err:
        desk.maintenance.plans(**kwargs)
    assert err.value.problems[0].field == field and "'repair'" in str(err.value)
