"""The reactive process through the public API: guards, exceptions, referrals, roles, a model check.

Every legal, illegal and forbidden step of every process is checked once for all of them: without a
database in ``tests/test_process_tables.py``, through the API in ``tests/test_process_contract.py``.
"""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bpsm import CallView, Desk, GuardFailed, InvalidTransition
from bpsm.processes.calls.steps import OPEN_STATES, REACTIVE
from tests.helpers import OP, PATHS, call_in

#: For each trigger: the API call that fires it, with valid arguments.
FIRE = {
    "accept": lambda d, c, by=OP: d.calls.accept(c.id, by=by),
    "make_exception": lambda d, c, by=OP: d.calls.make_exception(c.id, reason="VIP visit", by=by),
    "refer": lambda d, c, by=OP: d.calls.refer(c.id, reason="not offered", by=by)[0],
    "wait_for_customer": lambda d, c, by=OP: d.calls.wait(c.id, for_="customer", by=by),
    "wait_for_supplier": lambda d, c, by=OP: d.calls.wait(c.id, for_="supplier", by=by),
    "resume": lambda d, c, by=OP: d.calls.resume(c.id, by=by),
    "escalate": lambda d, c, by=OP: d.calls.escalate(
        c.id,
        to_group="facilities-team" if c.group == "second-line-it" else "second-line-it",
        reason="hands-on",
        by=by,
    ),
    "resolve": lambda d, c, by=OP: d.calls.resolve(c.id, solution="replaced cable", by=by),
    "reopen": lambda d, c, by=OP: d.calls.reopen(c.id, reason="broken again", by=by),
    "close": lambda d, c, by=OP: d.calls.close(c.id, effort=2, satisfaction=4, by=by),
    "cancel": lambda d, c, by=OP: d.calls.cancel(c.id, reason="withdrawn", by=by),
    "log_contact": lambda d, c, by=OP: d.calls.log_contact(
        c.id, channel="email", note="called back", by=by
    ),
    "set_service": lambda d, c, by=OP: d.calls.set_service(
        c.id, service="peripherals" if c.service_id == "laptop" else "laptop", by=by
    ),
    "flag_self_service": lambda d, c, by=OP: d.calls.flag_self_service(
        c.id, faq=2 if c.self_service_faq == 1 else 1, by=by
    ),
    # the flagged guard needs a flag to clear: the model check flags first when there is none
    "unflag_self_service": lambda d, c, by=OP: d.calls.unflag_self_service(
        (c if c.self_service_faq else d.calls.flag_self_service(c.id, faq=1, by=by)).id, by=by
    ),
}

LEGAL = {(src, s.trigger): s.dest or src for s in REACTIVE.table for src in s.source}


def call_for(desk: Desk, state: str, trigger: str) -> CallView:
    """A call in ``state``, ready for ``trigger``: flagged when the step clears the flag."""
    call = call_in(desk, state)
    if trigger == "unflag_self_service" and state in OPEN_STATES:
        call = desk.calls.flag_self_service(call.id, faq=1, by=OP)
    return call


def test_fire_table_covers_every_trigger_and_paths_cover_every_state() -> None:
    assert set(FIRE) == set(REACTIVE.triggers)
    assert set(PATHS) == set(REACTIVE.states)


@pytest.mark.parametrize(
    ("state", "fire", "guard"),
    [
        (
            "in_progress",
            lambda d, c: d.calls.resolve(c.id, solution="  ", by=OP),
            "solution_recorded",
        ),
        (
            "registered",
            lambda d, c: d.calls.make_exception(c.id, reason="", by=OP),
            "exception_reason",
        ),
        ("registered", lambda d, c: d.calls.refer(c.id, reason=" ", by=OP), "referral_reason"),
        (
            "in_progress",
            lambda d, c: d.calls.escalate(c.id, to_group="nowhere", reason="x", by=OP),
            "known_group",
        ),
        (
            "in_progress",
            lambda d, c: d.calls.escalate(c.id, to_group="service-desk", reason="x", by=OP),
            "other_group",
        ),
        ("resolved", lambda d, c: d.calls.reopen(c.id, reason="", by=OP), "reopen_reason"),
    ],
)
def test_guard_refuses_with_its_name_and_changes_nothing(
    desk: Desk, state: str, fire, guard: str
) -> None:
    call = call_in(desk, state)
    trail = desk.history(call)
    with pytest.raises(GuardFailed) as err:
        fire(desk, call)
    assert err.value.guard == guard
    assert desk.calls.get(call.id) == call and desk.history(call) == trail


def test_accepting_a_call_without_a_catalogue_service_is_refused(desk: Desk) -> None:
    call = call_in(desk, "registered", service=None)
    with pytest.raises(GuardFailed, match="service_in_catalogue"):
        desk.calls.accept(call.id, by=OP)
    assert desk.calls.get(call.id).state == "registered"


def test_exception_is_recorded_with_its_reason(desk: Desk) -> None:
    call = call_in(desk, "registered", service=None, summary="Projector for the gala")
    call = desk.calls.make_exception(call.id, reason="board asked, one-off", by=OP)
    assert call.is_exception and call.exception_reason == "board asked, one-off"
    assert desk.history(call)[-1].reason == "board asked, one-off"


def test_referral_opens_a_relation_case_in_received(desk: Desk) -> None:
    call = call_in(desk, "registered", service=None, summary="I want a tablet")
    call, case = desk.calls.refer(call.id, reason="no tablet service", by=OP)
    assert call.state == "referred"
    assert (case.state, case.call_id, case.customer, case.request) == (
        "received",
        call.id,
        call.caller,
        "I want a tablet",
    )
    assert [e.trigger for e in desk.history(case)] == ["receive"]


def test_allowed_actions_come_from_the_same_table(desk: Desk) -> None:
    call = call_in(desk, "in_progress")
    legal = {t for (s, t) in LEGAL if s == "in_progress"}
    # a guard on the record leaves out clearing a flag the call does not have
    assert set(desk.calls.allowed(call, OP)) == legal - {"unflag_self_service"}
    assert desk.calls.allowed(call, "eve") == []  # a manager reads, does not act


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from(sorted(FIRE)), max_size=8))
def test_any_sequence_of_triggers_follows_the_table(desk: Desk, triggers: list[str]) -> None:
    """Model check: the database state always equals the table's prediction.

    Illegal triggers change nothing.
    """
    call = call_in(desk, "registered")
    expected = "registered"
    for trig in triggers:
        if (expected, trig) in LEGAL:
            call = FIRE[trig](desk, call)
            expected = LEGAL[(expected, trig)]
        else:
            with pytest.raises(InvalidTransition):
                FIRE[trig](desk, call)
        assert desk.calls.get(call.id).state == expected
    events = desk.history(call)
    assert all(a.to_state == b.from_state for a, b in pairwise(events))


def test_registering_is_refused_for_roles_without_it(desk: Desk) -> None:
    from bpsm import PermissionDenied

    for person in ("eve", "carla"):
        with pytest.raises(PermissionDenied, match="call.register"):
            desk.calls.register(
                caller="Kim", channel="phone", summary="x", service="laptop", by=person
            )
    assert desk.calls.queue().total == 0
