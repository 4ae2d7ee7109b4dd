"""Setting or correcting a call's catalogue service: one row of the reactive step table.

``set_service`` fires from every open state and stays there; it asks for the service, refuses one
that is not published and active, writes the service and its current version on the call, and
audits the old and the new. A call registered without a service is not offered ``accept`` until
it has one (a guard on the record, judged before anything is asked).
"""

from __future__ import annotations

import pytest

from bpsm import Desk, GuardFailed, InvalidTransition, PermissionDenied
from bpsm.processes.calls.steps import OPEN_STATES, REACTIVE
from tests import test_change
from tests.helpers import OP, call_in, new_call

# the change process publishes a new laptop version and retires services (its own fixtures)
cdesk = test_change.cdesk
folder = test_change.folder


def test_accept_is_not_offered_for_a_call_without_a_service_and_set_service_is(
    desk: Desk,
) -> None:
    call = new_call(desk, service=None)
    offered = desk.calls.allowed(call, OP)
    assert "accept" not in offered
    assert {"set_service", "make_exception", "refer"} <= set(offered)
    assert "accept" in desk.calls.allowed(new_call(desk), OP)


def test_accept_without_a_service_is_refused_by_its_guard_before_anything_is_asked(
    desk: Desk,
) -> None:
    call = new_call(desk, service=None)
    with pytest.raises(GuardFailed) as refused:
        REACTIVE.check(call, "accept", desk.person(OP))
    assert refused.value.guard == "service_in_catalogue"
    assert "set the catalogue service first" in refused.value.reason


def test_operator_sets_the_service_of_a_call_registered_without_one_then_accepts_it(
    desk: Desk,
) -> None:
    call = new_call(desk, service=None, summary="Mouse is broken")
    with_service = desk.calls.set_service(
        call.id, service="peripherals", by=OP, expected_version=call.version
    )
    assert (with_service.state, with_service.service_id, with_service.service_version) == (
        "registered",
        "peripherals",
        1,
    )
    event = desk.history(with_service)[-1]
    assert (event.trigger, event.from_state, event.to_state, event.actor) == (
        "set_service",
        "registered",
        "registered",
        OP,
    )
    assert event.data == {
        "from_service": None,
        "from_version": None,
        "to_service": "peripherals",
        "to_version": 1,
    }
    assert "accept" in desk.calls.allowed(with_service, OP)
    assert desk.calls.accept(call.id, by=OP).state == "in_progress"


@pytest.mark.parametrize("state", OPEN_STATES)
def test_a_wrong_service_is_corrected_in_every_open_state_with_old_and_new_audited(
    desk: Desk, state: str
) -> None:
    call = call_in(desk, state)
    corrected = desk.calls.set_service(
        call.id, service="wifi-access", reason="it is the Wi-Fi, not the laptop", by="ben"
    )
    assert (corrected.state, corrected.service_id, corrected.version) == (
        state,
        "wifi-access",
        call.version + 1,
    )
    event = desk.history(corrected)[-1]
    assert (event.reason, event.data) == (
        "it is the Wi-Fi, not the laptop",
        {"from_service": "laptop", "from_version": 1, "to_service": "wifi-access", "to_version": 1},
    )


@pytest.mark.parametrize(
    ("service", "guard", "message"),
    [
        ("teleporter", "published_service", "'teleporter' is not a published, active"),
        ("laptop", "other_service", "the call is already about Standard laptop (laptop v1)"),
    ],
)
def test_an_unknown_or_unchanged_service_is_refused_and_changes_nothing(
    desk: Desk, service: str, guard: str, message: str
) -> None:
    call = call_in(desk, "in_progress")
    trail = desk.history(call)
    with pytest.raises(GuardFailed) as refused:
        desk.calls.set_service(call.id, service=service, by=OP)
    assert refused.value.guard == guard and message in str(refused.value)
    assert desk.calls.get(call.id) == call and desk.history(call) == trail


def test_an_empty_service_is_refused_naming_the_field(desk: Desk) -> None:
    from bpsm import ValidationError

    call = new_call(desk, service=None)
    with pytest.raises(ValidationError, match="^service: must not be empty$"):
        desk.calls.set_service(call.id, service="  ", by=OP)


def test_a_retired_service_is_refused(cdesk: Desk) -> None:
    call = new_call(cdesk, service=None)
    retire = cdesk.changes.propose(
        kind="retire", service_id="parking", impact="low", summary="No more parking", by="dave"
    )
    cdesk.changes.submit(retire.id, by="dave")
    test_change.tick_all(cdesk, retire.id)
    cdesk.changes.approve(retire.id, by="carla")
    cdesk.changes.implement(retire.id, by="carla")
    with pytest.raises(GuardFailed, match="published_service"):
        cdesk.calls.set_service(call.id, service="parking", by=OP)
    assert cdesk.calls.get(call.id).service_id is None


def test_the_same_service_is_moved_to_its_newly_published_version(cdesk: Desk) -> None:
    call = call_in(cdesk, "in_progress")
    assert call.service_version == 1
    test_change.in_state(cdesk, "implemented")  # publishes laptop v2
    moved = cdesk.calls.set_service(call.id, service="laptop", by=OP)
    assert (moved.service_id, moved.service_version) == ("laptop", 2)
    assert cdesk.history(moved)[-1].data == {
        "from_service": "laptop",
        "from_version": 1,
        "to_service": "laptop",
        "to_version": 2,
    }


@pytest.mark.parametrize("state", ["closed", "referred", "cancelled"])
def test_the_service_of_a_finished_call_stays_as_it_was(desk: Desk, state: str) -> None:
    call = call_in(desk, state)
    with pytest.raises(InvalidTransition):
        desk.calls.set_service(call.id, service="wifi-access", by=OP)
    assert "set_service" not in desk.calls.allowed(call, OP)


@pytest.mark.parametrize("who", ["eve", "carla", "dave"])
def test_only_the_desk_sets_a_calls_service(desk: Desk, who: str) -> None:
    call = call_in(desk, "in_progress")
    with pytest.raises(PermissionDenied, match="call.set_service"):
        desk.calls.set_service(call.id, service="wifi-access", by=who)
    assert desk.calls.get(call.id) == call
