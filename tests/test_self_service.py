"""Self-service opportunities: the operator flags a call the catalogue's FAQ would have answered.

The steps' legal, illegal and forbidden transitions run in the process suites
(``tests/test_process_tables.py``, ``tests/test_process_contract.py``, the model check in
``tests/test_reactive_transitions.py``); here: what they ask and refuse, what they record, and the
KPI against a pure-Python count of hand-made calls.
"""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from freezegun import freeze_time

from bpsm import Desk, GuardFailed, InvalidTransition, PermissionDenied, ValidationError
from bpsm.processes.calls.steps import OPEN_STATES, REACTIVE
from tests.conftest import CATALOGUE
from tests.helpers import OP, call_in, new_call

LAPTOP_Q2 = "My laptop is broken. Do I get a replacement straight away?"


def test_operator_flags_a_call_with_the_faq_entry_that_answers_it(desk: Desk) -> None:
    call = call_in(desk, "in_progress")
    assert len(desk.calls.faq(call.id)) == 4 and desk.calls.faq(call.id)[1] == LAPTOP_Q2
    flagged = desk.calls.flag_self_service(call.id, faq=2, by=OP, reason="in the FAQ")
    assert (flagged.state, flagged.self_service_faq, flagged.self_service_question) == (
        "in_progress",
        2,
        LAPTOP_Q2,
    )
    event = desk.history(flagged)[-1]
    assert (event.trigger, event.from_state, event.to_state, event.reason) == (
        "flag_self_service",
        "in_progress",
        "in_progress",
        "in the FAQ",
    )
    assert event.data == {
        "service": "laptop",
        "version": 1,
        "faq": 2,
        "question": LAPTOP_Q2,
        "from_faq": None,
    }
    moved = desk.calls.flag_self_service(call.id, faq=1, by=OP)
    assert moved.self_service_faq == 1 and desk.history(moved)[-1].data["from_faq"] == 2


def test_unflagging_clears_the_flag_and_the_trail_keeps_what_it_was(desk: Desk) -> None:
    call = desk.calls.flag_self_service(call_in(desk, "waiting_customer").id, faq=3, by=OP)
    cleared = desk.calls.unflag_self_service(call.id, by=OP, reason="needed a repair after all")
    assert (cleared.self_service_faq, cleared.self_service_question) == (None, None)
    assert desk.history(cleared)[-1].data["from_faq"] == 3
    assert "unflag_self_service" not in desk.calls.allowed(cleared, OP)
    assert "flag_self_service" in desk.calls.allowed(cleared, OP)


def test_the_flag_is_possible_while_the_call_is_open_and_survives_closing(desk: Desk) -> None:
    assert {
        s for step in REACTIVE.table if "self_service" in step.trigger for s in step.source
    } == (set(OPEN_STATES))
    call = desk.calls.flag_self_service(call_in(desk, "resolved").id, faq=1, by=OP)
    closed = desk.calls.close(call.id, survey="not_answered", by=OP)
    assert closed.self_service_faq == 1
    with pytest.raises(InvalidTransition):
        desk.calls.unflag_self_service(closed.id, by=OP)


@pytest.mark.parametrize(
    ("service", "faq", "error", "message"),
    [
        (None, 1, GuardFailed, "service_set"),
        ("laptop", 5, GuardFailed, "laptop v1 has FAQ entries 1–4, not 5"),
        ("password-reset", 4, GuardFailed, "password-reset v1 has FAQ entries 1–3, not 4"),
        ("laptop", 0, ValidationError, "faq: 0 is not an answer"),
        ("laptop", "2", ValidationError, "faq: '2' is not an answer"),
        ("laptop", None, ValidationError, "faq: must not be empty"),
    ],
)
def test_a_flag_needs_an_faq_entry_of_the_calls_service(
    desk: Desk, service: str | None, faq: object, error: type[Exception], message: str
) -> None:
    call = call_in(desk, "registered", service=service)
    assert (desk.calls.faq(call.id) == []) == (service is None)
    trail = desk.history(call)
    with pytest.raises(error, match=message):
        desk.calls.flag_self_service(call.id, faq=faq, by=OP)  # type: ignore[arg-type]
    assert desk.calls.get(call.id) == call and desk.history(call) == trail


def test_flagging_twice_with_the_same_entry_or_clearing_no_flag_is_refused(desk: Desk) -> None:
    call = desk.calls.flag_self_service(call_in(desk, "in_progress").id, faq=2, by=OP)
    with pytest.raises(GuardFailed, match="other_faq"):
        desk.calls.flag_self_service(call.id, faq=2, by=OP)
    other = call_in(desk, "in_progress")
    with pytest.raises(GuardFailed, match="flagged"):
        desk.calls.unflag_self_service(other.id, by=OP)
    assert desk.calls.get(call.id) == call


def test_a_manager_reads_but_does_not_flag(desk: Desk) -> None:
    call = call_in(desk, "in_progress")
    with pytest.raises(PermissionDenied, match="call.flag_self_service"):
        desk.calls.flag_self_service(call.id, faq=1, by="eve")


def test_correcting_the_service_clears_a_flag_on_the_old_services_faq(desk: Desk) -> None:
    call = desk.calls.flag_self_service(call_in(desk, "in_progress").id, faq=4, by=OP)
    moved = desk.calls.set_service(call.id, service="peripherals", by=OP)
    assert (moved.service_id, moved.self_service_faq) == ("peripherals", None)
    assert desk.history(moved)[-1].data["cleared_self_service_faq"] == 4


# -- the KPI ---------------------------------------------------------------------------------------

APRIL, MAY = datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC)


@pytest.fixture
def flagged_desk(desk: Desk) -> Desk:
    """April: 3 laptop calls (two flagged on entry 1), 2 password resets (one on entry 2), one
    call without a service; 31 March and 1 May: flagged calls outside the window."""
    plan = [
        ("2026-03-31 23:59", "laptop", 1),
        ("2026-04-01 08:00", "laptop", 1),
        ("2026-04-02 09:00", "laptop", 1),
        ("2026-04-03 10:00", "laptop", None),
        ("2026-04-10 11:00", "password-reset", 2),
        ("2026-04-20 12:00", "password-reset", None),
        ("2026-04-30 23:59", None, None),
        ("2026-05-01 00:00", "password-reset", 3),
    ]
    for at, service, faq in plan:
        with freeze_time(at):
            call = new_call(desk, service=service)
            if faq is not None:
                desk.calls.flag_self_service(call.id, faq=faq, by=OP)
    return desk


def _reference(desk: Desk, since: datetime, until: datetime, service: str | None = None):
    calls = [
        c
        for c in desk.calls.queue(states=None, limit=1000).items
        if since <= c.registered_at < until and service in (None, c.service_id)
    ]
    flagged = [c for c in calls if c.self_service_faq is not None]
    return (
        len(calls),
        len(flagged),
        Counter(c.service_id for c in flagged),
        Counter((c.service_id, c.self_service_question) for c in flagged),
    )


def test_self_service_share_and_ranking_match_a_count_by_hand(flagged_desk: Desk) -> None:
    report = flagged_desk.calls.self_service(since=APRIL, until=MAY)
    calls, flagged, by_service, by_faq = _reference(flagged_desk, APRIL, MAY)
    assert (report.calls, report.flagged, report.share) == (calls, flagged, flagged / calls)
    assert (report.calls, report.flagged) == (6, 3)
    assert [(s.service_id, s.calls, s.flagged) for s in report.by_service] == [
        ("laptop", 3, 2),
        ("password-reset", 2, 1),
    ]
    assert {s.service_id: s.flagged for s in report.by_service} == by_service
    assert [(f.service_id, f.flagged) for f in report.by_faq] == [
        ("laptop", 2),
        ("password-reset", 1),
    ]
    assert {(f.service_id, f.question): f.flagged for f in report.by_faq} == by_faq
    assert report.by_faq[0].question == "My laptop is slow or keeps freezing. What can I do myself?"
    assert report.by_service[0].share == pytest.approx(2 / 3)


def test_self_service_filters_by_service_and_open_bounds(flagged_desk: Desk) -> None:
    laptop = flagged_desk.calls.self_service(since=APRIL, until=MAY, service="laptop")
    assert (laptop.calls, laptop.flagged) == _reference(flagged_desk, APRIL, MAY, "laptop")[:2]
    assert (laptop.calls, laptop.flagged) == (3, 2)
    everything = flagged_desk.calls.self_service()
    assert (everything.calls, everything.flagged) == (8, 5)
    assert flagged_desk.calls.self_service(until=APRIL).flagged == 1
    empty = flagged_desk.calls.self_service(since=MAY, until=MAY)
    assert (empty.calls, empty.share, empty.by_service, empty.by_faq) == (0, None, [], [])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"service": "teleportation"}, "service: 'teleportation' is not a catalogue service"),
        ({"since": "2026-04-01"}, "since: '2026-04-01' is not a datetime"),
        ({"top": 0}, "limit"),
    ],
)
def test_a_bad_filter_is_named(desk: Desk, kwargs: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        desk.calls.self_service(**kwargs)


def test_the_entry_is_checked_against_the_faq_of_the_calls_service_version(
    db_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "catalogue"
    shutil.copytree(CATALOGUE, folder)
    with Desk.open(db_url, catalogue=folder) as desk:
        old = call_in(desk, "in_progress")  # laptop v1: four FAQ entries
        laptop = folder / "services" / "laptop.yaml"
        definition = yaml.safe_load(laptop.read_text())
        definition["faq"] = definition["faq"][:2]
        laptop.write_text(yaml.safe_dump(definition, sort_keys=False))
        desk.apply_catalogue(folder, by="carla")
        new = call_in(desk, "in_progress")
        assert (old.service_version, new.service_version) == (1, 2)
        assert (len(desk.calls.faq(old.id)), len(desk.calls.faq(new.id))) == (4, 2)
        assert desk.calls.flag_self_service(old.id, faq=4, by=OP).self_service_faq == 4
        with pytest.raises(GuardFailed, match="laptop v2 has FAQ entries 1–2, not 4"):
            desk.calls.flag_self_service(new.id, faq=4, by=OP)


def test_the_new_call_form_flags_at_registration_in_the_same_transaction(desk: Desk) -> None:
    call = desk.calls.register(
        caller="Kim",
        channel="phone",
        summary="replacement laptop?",
        service="laptop",
        self_service_faq=2,
        accept=True,
        solution="told her about the loan laptop",
        by=OP,
    )
    assert (call.state, call.self_service_faq, call.self_service_question) == (
        "resolved",
        2,
        LAPTOP_Q2,
    )
    assert [e.trigger for e in desk.history(call)] == [
        "register",
        "flag_self_service",
        "accept",
        "resolve",
    ]
    with pytest.raises(GuardFailed, match="service_set"):
        desk.calls.register(
            caller="Kim", channel="phone", summary="?", service=None, self_service_faq=1, by=OP
        )
    with pytest.raises(GuardFailed, match="faq_of_service"):
        desk.calls.register(
            caller="Kim", channel="phone", summary="?", service="laptop", self_service_faq=9, by=OP
        )
    assert desk.calls.queue(states=None).total == 1  # the refused ones left nothing behind
