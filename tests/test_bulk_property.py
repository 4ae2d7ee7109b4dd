"""Property: any sequence of call actions gives the same desk through the bulk path as through
the one-action API — the same calls (states, facts, counters, versions), contacts, surveys,
relation cases, audit trail and KPIs — and the same refusals (the same error class), a refused
batch writing nothing (checked by :func:`tests.bulk_scenarios.bulk_path`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bpsm import Desk
from tests.bulk_scenarios import Op, bulk_path, fresh_desks, one_action, snapshot

__all__ = ["fresh_desks"]

PEOPLE = ("anna", "ben", "eve")  # an operator, a specialist, a manager (who may do none of it)
text = st.sampled_from(["because", "  ", "the customer asked"])

ACTIONS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "accept": st.just({}),
    "make_exception": st.fixed_dictionaries({"reason": text}),
    "refer": st.fixed_dictionaries({"reason": text}),
    "wait": st.fixed_dictionaries(
        {"for_": st.sampled_from(["customer", "supplier"])},
        optional={"reason": text},
    ),
    "resume": st.fixed_dictionaries({}, optional={"note": text}),
    "escalate": st.fixed_dictionaries(
        {"to_group": st.sampled_from(["second-line-it", "service-desk", "nowhere"]), "reason": text}
    ),
    "resolve": st.fixed_dictionaries({"solution": st.sampled_from(["fixed", "", "new part"])}),
    "reopen": st.fixed_dictionaries({"reason": text}),
    "close": st.one_of(
        st.fixed_dictionaries(
            {},
            optional={
                "effort": st.integers(0, 8),
                "satisfaction": st.integers(1, 5),
            },
        ),
        st.just({"survey": "not_answered"}),
    ),
    "cancel": st.fixed_dictionaries({"reason": text}),
    "set_service": st.fixed_dictionaries(
        {"service": st.sampled_from(["laptop", "password-reset", "no-such-service"])}
    ),
    "flag_self_service": st.fixed_dictionaries({"faq": st.integers(0, 3)}),
    "unflag_self_service": st.just({}),
    "log_contact": st.fixed_dictionaries(
        {"channel": st.sampled_from(["phone", "email", "fax"])}, optional={"note": text}
    ),
}


@st.composite
def scenarios(draw: st.DrawFn) -> list[Op]:
    """A few calls registered, then actions on them, each a few minutes after the last."""
    calls = draw(st.integers(1, 3))
    ops = []
    for i in range(calls):  # registrations that succeed: each later action names one
        service = draw(st.sampled_from([None, "laptop", "peripherals"]))
        at_once: list[dict[str, Any]] = [{}]
        if service is not None:
            at_once += [{"accept": True}, {"accept": True, "solution": "at once"}]
        ops.append(
            Op(
                "register",
                None,
                {
                    "caller": draw(st.sampled_from(["Kim", "Ann"])),
                    "channel": draw(st.sampled_from(["phone", "email"])),
                    "summary": "it broke",
                    "service": service,
                    **draw(st.sampled_from(at_once)),
                },
                i,
                draw(st.sampled_from(["anna", "omar"])),
            )
        )
    minute = calls
    for _ in range(draw(st.integers(1, 14))):
        method = draw(st.sampled_from(sorted(ACTIONS)))
        minute += draw(st.integers(0, 600))
        ops.append(
            Op(
                method,
                draw(st.integers(0, calls - 1)),
                draw(ACTIONS[method]),
                minute,
                draw(st.sampled_from(PEOPLE)),
            )
        )
    return ops


@settings(
    max_examples=12,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=scenarios())
def test_the_bulk_path_and_the_one_action_api_end_in_the_same_desk(
    fresh_desks: Callable[[], Desk], ops: list[Op]
) -> None:
    desk = fresh_desks()
    refused = one_action(desk, ops).errors
    wanted = snapshot(desk)
    desk.close()

    desk = fresh_desks()
    assert bulk_path(desk, ops, refused).errors == refused  # and each refused batch wrote nothing
    got = snapshot(desk)
    desk.close()
    for part in wanted:
        assert got[part] == wanted[part], part
