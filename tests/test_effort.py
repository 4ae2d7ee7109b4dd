"""The effort log: minutes staff spend on any record, and the balance against desk.yaml's target.

One desk holds a record of every kind (a call, a relation case, a change, a maintenance task and
an account contact, an improvement, a recommendation); the balance is checked against a
hand-computed split and a pure-Python sum of the entries.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from freezegun import freeze_time

from bpsm import Desk, NotFound, PermissionDenied, ValidationError
from bpsm.processes.maintenance.steps import CONTACT_ACTIVITY_ID
from tests import test_change, test_improvement, test_recommendation, test_relation_transitions
from tests.helpers import call_in
from tests.test_maintenance_schedule import all_tasks, plan_of

folder = test_change.folder


@pytest.fixture
def edesk(db_url: str, folder: Path) -> Iterator[Desk]:
    """A desk on a copy of the example catalogue (changes write their files back)."""
    d = Desk.open(db_url, catalogue=folder)
    with freeze_time("2026-01-05 08:00"):
        d.maintenance.generate(by="admin")
    yield d
    d.close()


@pytest.fixture
def records(edesk: Desk) -> dict[str, int]:
    """One record of every kind, by the name effort is logged with (the account contact as
    ``contact``: a maintenance task that counts as relation work)."""
    contact = next(
        t
        for t in all_tasks(edesk, plan_of(edesk, CONTACT_ACTIVITY_ID).id)
        if t.state == "scheduled"
    )
    patch = next(
        t for t in all_tasks(edesk, plan_of(edesk, "patch-check").id) if t.state == "scheduled"
    )
    return {
        "call": call_in(edesk, "in_progress").id,
        "relation": test_relation_transitions.case_in(edesk, "received").id,
        "change": test_change.in_state(edesk, "draft").id,
        "task": patch.id,
        "contact": contact.id,
        "improvement": test_improvement.idea_in(edesk, "identified").id,
        "recommendation": test_recommendation.rec_in(edesk, "offered").id,
    }


def _kind(name: str) -> str:
    return "task" if name == "contact" else name


#: record (as the fixture names it) → the kind of work its minutes count as
WORK = {
    "call": "reactive",
    "relation": "relation",
    "change": "change",
    "task": "maintenance",
    "contact": "relation",
    "improvement": "improvement",
    "recommendation": "reactive",
}


def test_staff_log_minutes_on_any_record_with_an_audit_event(
    edesk: Desk, records: dict[str, int]
) -> None:
    assert set(WORK) == set(records)
    for minutes, (name, work) in enumerate(WORK.items(), start=20):
        kind, record_id = _kind(name), records[name]
        before = edesk.history(kind, record_id)
        with freeze_time("2026-02-03 10:00"):
            entry = edesk.effort.log(kind, record_id, minutes, by="ben", note="  looked into it ")
        assert (entry.record_type, entry.record_id, entry.work, entry.minutes, entry.by) == (
            kind,
            record_id,
            work,
            minutes,
            "ben",
        ), name
        assert (entry.at, entry.note) == (datetime(2026, 2, 3, 10, tzinfo=UTC), "looked into it")
        trail = edesk.history(kind, record_id)
        assert trail[: len(before)] == before and len(trail) == len(before) + 1
        event = trail[-1]
        state = before[-1].to_state if before else event.from_state
        assert (event.trigger, event.actor, event.from_state, event.to_state, event.reason) == (
            "log_effort",
            "ben",
            state,
            state,
            "looked into it",
        ), name
        assert event.data == {"effort": entry.id, "minutes": minutes, "work": work}
        assert edesk.effort.total(kind, record_id) == minutes


@pytest.mark.parametrize(
    ("kind", "record_id", "minutes", "by", "error", "message"),
    [
        ("call", 1, 0, "anna", ValidationError, "minutes: 0 is not a whole number from 1 to 720"),
        (
            "call",
            1,
            721,
            "anna",
            ValidationError,
            "minutes: 721 is not a whole number from 1 to 720",
        ),
        ("call", 1, 1.5, "anna", ValidationError, "minutes: 1.5"),
        ("call", 1, True, "anna", ValidationError, "minutes: True"),
        ("call", 1, "15", "anna", ValidationError, "minutes: '15'"),
        ("ticket", 1, 15, "anna", ValidationError, "kind: 'ticket' is not one of"),
        ("call", 999, 15, "anna", NotFound, "call 999"),
        ("call", "1", 15, "anna", ValidationError, "not a call id"),
        ("call", 1, 15, "nobody", PermissionDenied, "not on the desk's staff list"),
        ("call", 1, 15, "eve", PermissionDenied, "effort.log"),
    ],
)
def test_a_bad_entry_is_refused_with_one_line_and_nothing_is_written(
    desk: Desk,
    kind: object,
    record_id: object,
    minutes: object,
    by: str,
    error: type[Exception],
    message: str,
) -> None:
    call = call_in(desk, "registered")
    assert call.id == 1
    trail = desk.history(call)
    with pytest.raises(error, match=message):
        desk.effort.log(kind, record_id, minutes, by=by)  # type: ignore[arg-type]
    assert desk.effort.list().total == 0 and desk.history(call) == trail


def test_a_too_long_note_is_refused(desk: Desk) -> None:
    call = call_in(desk, "registered")
    with pytest.raises(ValidationError, match="note: at most 20,000 characters"):
        desk.effort.log("call", call.id, 5, by="anna", note="x" * 20_001)


def test_the_log_lists_by_record_kind_person_and_period(desk: Desk) -> None:
    first, second = call_in(desk, "registered"), call_in(desk, "in_progress")
    for when, call, minutes, by in [
        ("2026-03-02 09:00", first, 10, "anna"),
        ("2026-03-02 10:00", second, 20, "omar"),
        ("2026-03-09 09:00", first, 30, "omar"),
    ]:
        with freeze_time(when):
            desk.effort.log("call", call.id, minutes, by=by)
    assert [e.minutes for e in desk.effort.list().items] == [30, 20, 10]  # newest first
    assert [e.minutes for e in desk.effort.list("call", first.id).items] == [30, 10]
    assert [e.minutes for e in desk.effort.list(by="omar").items] == [30, 20]
    march_2 = desk.effort.list(
        since=datetime(2026, 3, 2, tzinfo=UTC), until=datetime(2026, 3, 3, tzinfo=UTC)
    )
    assert (march_2.total, [e.minutes for e in march_2.items]) == (2, [20, 10])
    assert desk.effort.list("relation").total == 0
    with pytest.raises(ValidationError, match="kind: give the record's kind with its id"):
        desk.effort.list(record_id=first.id)
    with pytest.raises(NotFound):
        desk.effort.list("call", 404)


# -- the balance -----------------------------------------------------------------------------------

FEB, MAR = datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def logged(edesk: Desk, records: dict[str, int]) -> Desk:
    """February: anna 60 on the call and 30 on the relation case, ben 90 on the patch task,
    dave 20 on his account contact, carla 40 on the change; January: 500 on the improvement."""
    entries = [
        ("2026-02-02 09:00", "call", 60, "anna"),
        ("2026-02-02 11:00", "relation", 30, "anna"),
        ("2026-02-03 09:00", "task", 90, "ben"),
        ("2026-02-04 09:00", "contact", 20, "dave"),
        ("2026-02-27 23:59", "change", 40, "carla"),
        ("2026-01-31 23:59", "improvement", 500, "ben"),
    ]
    for when, name, minutes, by in entries:
        with freeze_time(when):
            edesk.effort.log(_kind(name), records[name], minutes, by=by)
    return edesk


def _reference(desk: Desk, since: datetime, until: datetime, people: set[str] | None = None):
    minutes: Counter[str] = Counter()
    for e in desk.effort.list(limit=1000).items:
        if since <= e.at < until and (people is None or e.by in people):
            minutes[e.work] += e.minutes
    return dict(minutes)


def test_the_balance_splits_the_teams_time_against_the_target(logged: Desk) -> None:
    balance = logged.effort.balance(since=FEB, until=MAR)
    got = {k.work: k.minutes for k in balance.kinds if k.minutes}
    assert got == _reference(logged, FEB, MAR)
    assert balance.minutes == 240
    assert [(k.work, k.minutes, k.target) for k in balance.kinds] == [
        ("reactive", 60, 50),
        ("relation", 50, 10),
        ("change", 40, 10),
        ("maintenance", 90, 20),
        ("improvement", 0, 10),
    ]
    assert balance.of("reactive").share == pytest.approx(25.0)
    assert balance.of("reactive").gap == pytest.approx(-25.0)
    assert balance.of("maintenance").share == pytest.approx(37.5)
    assert balance.of("improvement").gap == pytest.approx(-10.0)


def test_the_balance_of_one_group_or_one_person(logged: Desk) -> None:
    desk_group = logged.effort.balance(since=FEB, until=MAR, group="service-desk")
    got = {k.work: k.minutes for k in desk_group.kinds if k.minutes}
    assert got == _reference(logged, FEB, MAR, {"anna", "omar", "carla", "eve", "admin"})
    assert got == {"reactive": 60, "relation": 30, "change": 40}
    ben = logged.effort.balance(by="ben")
    assert (ben.minutes, ben.of("improvement").minutes) == (590, 500)
    empty = logged.effort.balance(until=FEB, group="hr-services")
    assert (empty.minutes, {k.share for k in empty.kinds}) == (0, {None})
    with pytest.raises(ValidationError, match="group: 'sales' is not one of"):
        logged.effort.balance(group="sales")
