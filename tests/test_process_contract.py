"""The contract every process keeps through the API, as one suite over all of them, on the database.

* every legal step moves the record where its table says, bumps its version and writes exactly
  one audit event (who, trigger, from, to);
* a step fired from a state it does not leave, or by someone whose roles it does not list, is
  refused and changes nothing — the record and its trail are as they were (one sample per step
  here; every pair is covered without a database in ``tests/test_process_tables.py``);
* a stale ``expected_version`` is refused and changes nothing.

Each process brings a :class:`Kit`: how to get a record into a state and how to fire a step with
valid answers; those come from its own test module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from bpsm import ConcurrentModification, Desk, InvalidTransition, PermissionDenied
from bpsm.processes import FACADES, PROCESSES, Process
from tests import (
    test_change,
    test_improvement,
    test_maintenance_transitions,
    test_reactive_transitions,
    test_recommendation,
    test_relation_transitions,
)

STAFF = (
    "anna",
    "ben",
    "carla",
    "dave",
    "eve",
    "admin",
)  # one of each role (admin is also an operator)


@dataclass(frozen=True)
class Kit:
    """How the suite drives one process through its own module's helpers."""

    fixture: str  # the desk fixture the process's tests use
    make: Callable[[Desk, str, str], Any]  # a record in ``state``, ready for ``trigger``
    fire: Callable[[Desk, Any, str], Any]  # fire ``trigger`` with valid answers, by someone allowed


def _relation(d: Desk, state: str, trigger: str) -> Any:
    return test_relation_transitions.case_in(d, state, prepared_for=trigger)


def _change(d: Desk, state: str, trigger: str) -> Any:
    change = test_change.in_state(d, state)
    if trigger == "approve" and state == "submitted":  # the gate needs the checklist met
        test_change.tick_all(d, change.id)
        change = d.changes.get(change.id)
    return change


KITS: dict[str, Kit] = {
    "call": Kit(
        "desk",
        test_reactive_transitions.call_for,
        lambda d, r, t: test_reactive_transitions.FIRE[t](d, r),
    ),
    "relation": Kit("desk", _relation, lambda d, r, t: test_relation_transitions.FIRE[t][1](d, r)),
    "change": Kit("cdesk", _change, lambda d, r, t: test_change.FIRE[t](d, r)),
    "task": Kit(
        "planned",
        lambda d, s, t: test_maintenance_transitions.task_in(d, s),
        lambda d, r, t: test_maintenance_transitions.FIRE[t](d, r),
    ),
    "improvement": Kit(
        "desk",
        lambda d, s, t: test_improvement.idea_in(d, s),
        lambda d, r, t: test_improvement.FIRE[t](d, r),
    ),
    "recommendation": Kit(
        "desk",
        lambda d, s, t: test_recommendation.rec_in(d, s),
        lambda d, r, t: test_recommendation.FIRE[t](d, r),
    ),
}
FACADE = {f.process.name: name for name, f in FACADES.items()}
# changes and maintenance use fixtures defined in their own modules
cdesk = test_change.cdesk
folder = test_change.folder
planned = test_maintenance_transitions.planned


def _legal() -> list[Any]:
    return [
        pytest.param(p, src, s.trigger, id=f"{p.name}-{src}-{s.trigger}")
        for p in PROCESSES.values()
        for s in p.table
        for src in s.source
    ]


def _sample(kind: str) -> list[Any]:
    """One (state) per trigger it does not leave, or one trigger per process for stale versions."""
    out = []
    for p in PROCESSES.values():
        for trigger in p.triggers:
            legal = {src for s in p.table if s.trigger == trigger for src in s.source}
            if kind == "illegal":
                other = next((st for st in p.states if st not in legal), None)
                if other is not None:
                    out.append(pytest.param(p, other, trigger, id=f"{p.name}-{other}-{trigger}"))
            else:
                out.append(
                    pytest.param(p, p.step(trigger).source[0], trigger, id=f"{p.name}-{trigger}")
                )
    return out


def _desk(request: pytest.FixtureRequest, process: Process) -> Desk:
    return request.getfixturevalue(KITS[process.name].fixture)


def _reachable(kit: Kit, desk: Desk, state: str, trigger: str) -> Any:
    try:
        return kit.make(desk, state, trigger)
    except KeyError:
        pytest.skip(f"the {state!r} state is not reached by this process's helpers")


def test_every_process_has_a_kit() -> None:
    assert set(KITS) == set(PROCESSES)


@pytest.mark.parametrize(("process", "state", "trigger"), _legal())
def test_a_legal_step_moves_the_record_and_writes_one_audit_event(
    request: pytest.FixtureRequest, process: Process, state: str, trigger: str
) -> None:
    desk, kit = _desk(request, process), KITS[process.name]
    record = _reachable(kit, desk, state, trigger)
    before = desk.history(process.name, record.id)
    after = kit.fire(desk, record, trigger)
    after = after[0] if isinstance(after, tuple) else after
    expected = process.step(trigger, state).dest or state
    assert (after.state, after.version > record.version) == (expected, True)
    events = desk.history(process.name, record.id)[len(before) :]
    assert [(e.trigger, e.from_state, e.to_state) for e in events] == [(trigger, state, expected)]


def _refused(
    request: pytest.FixtureRequest,
    process: Process,
    state: str,
    trigger: str,
    allowed: bool,
    error: type[Exception],
) -> Exception:
    """Fire ``trigger`` on a record in ``state`` by someone the step does (not) allow.

    It is refused, and nothing changes.
    """
    desk, kit = _desk(request, process), KITS[process.name]
    record = _reachable(kit, desk, state, trigger)
    facade = getattr(desk, FACADE[process.name])
    trail = desk.history(process.name, record.id)
    who = next(s for s in STAFF if bool(desk.person(s).roles & process.roles(trigger)) == allowed)
    with pytest.raises(error) as err:
        facade.fire(record.id, trigger, by=who)
    assert (trigger in facade.allowed(record, who)) == (
        allowed and state in process.step(trigger).source
    )
    assert facade.get(record.id).version == record.version
    assert desk.history(process.name, record.id) == trail
    return err.value


@pytest.mark.parametrize(("process", "state", "trigger"), _sample("illegal"))
def test_a_step_from_a_state_it_does_not_leave_changes_nothing(
    request: pytest.FixtureRequest, process: Process, state: str, trigger: str
) -> None:
    err = _refused(request, process, state, trigger, True, InvalidTransition)
    assert (err.state, err.trigger) == (state, trigger)  # type: ignore[attr-defined]


@pytest.mark.parametrize(("process", "state", "trigger"), _sample("forbidden"))
def test_a_step_by_someone_it_does_not_allow_changes_nothing(
    request: pytest.FixtureRequest, process: Process, state: str, trigger: str
) -> None:
    err = _refused(request, process, state, trigger, False, PermissionDenied)
    assert err.action == f"{process.name}.{trigger}"  # type: ignore[attr-defined]


@pytest.mark.parametrize("process", PROCESSES.values(), ids=lambda p: p.name)
def test_a_stale_version_is_refused_and_changes_nothing(
    request: pytest.FixtureRequest, process: Process
) -> None:
    desk, kit = _desk(request, process), KITS[process.name]
    step = next(s for s in process.table if not s.opens)
    record = _reachable(kit, desk, step.source[0], step.trigger)
    facade = getattr(desk, FACADE[process.name])
    who = next(s for s in STAFF if desk.person(s).roles & step.roles)
    trail = desk.history(process.name, record.id)
    with pytest.raises(ConcurrentModification):
        facade.fire(record.id, step.trigger, by=who, expected_version=record.version - 1)
    assert facade.get(record.id).version == record.version
    assert desk.history(process.name, record.id) == trail
