"""The database-free tier: every process's state graph and permissions, straight from its table.

A refused step must be refused before it touches anything, so these tests fire steps on a plain
object with a unit of work that records what it is given: every illegal (state, trigger) pair and
every forbidden (trigger, role) pair of every process, with no database. The API-level contract
(the same refusals through ``desk.<process>`` leave the database untouched) is sampled in
``tests/test_process_contract.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bpsm import InvalidTransition, PermissionDenied, Person
from bpsm.processes import FACADES, PERMISSIONS, PROCESSES, Process
from bpsm.roles import DESK_ACTIONS, ROLES

ALL = list(PROCESSES.values())


class Recorder:
    """A unit of work that only records: a refused step must leave it empty."""

    def __init__(self) -> None:
        self.added: list[object] = []
        self.session = self
        self.callbacks: list[object] = []

    def add(self, obj: object) -> None:
        self.added.append(obj)

    def flush(self) -> None:
        self.added.append("flush")

    def after_commit(self, fn: object) -> None:
        self.callbacks.append(fn)


class Row:
    """A record with only a state, an id and a version."""

    def __init__(self, state: str) -> None:
        self.id, self.state, self.version, self.updated_at = 1, state, 1, None


def person(*roles: str) -> Person:
    return Person("someone", "Someone", frozenset(roles), "service-desk")


def pairs(kind: str) -> list[Any]:
    out = []
    for p in ALL:
        legal = {(src, s.trigger) for s in p.table for src in s.source}
        if kind == "illegal":
            out += [
                pytest.param(p, st_, t, id=f"{p.name}-{st_}-{t}")
                for st_ in p.states
                for t in p.triggers
                if (st_, t) not in legal
            ]
        else:
            out += [
                pytest.param(p, t, r, id=f"{p.name}-{t}-{r}")
                for t in p.triggers
                for r in ROLES
                if r not in p.roles(t)
            ]
    return out


@pytest.mark.parametrize("process", ALL, ids=lambda p: p.name)
def test_every_step_has_roles_and_every_permission_a_step(process: Process) -> None:
    assert all(step.roles for step in process.table)
    steps = {f"{p.name}.{s.trigger}" for p in ALL for s in p.table}
    assert set(PERMISSIONS) == steps | set(DESK_ACTIONS)
    assert all(role in ROLES for step in process.table for role in step.roles)


def test_the_desk_registers_every_process_from_one_list() -> None:
    assert {f.process.name for f in FACADES.values()} == set(PROCESSES)
    assert list(FACADES) == [
        "calls",
        "relations",
        "changes",
        "maintenance",
        "improvements",
        "recommendations",
    ]


@pytest.mark.parametrize("process", ALL, ids=lambda p: p.name)
def test_every_legal_pair_goes_where_the_table_says(process: Process) -> None:
    for step in process.table:
        for src in step.source:
            assert process.next_state(src, step.trigger) == (step.dest or src)


@pytest.mark.parametrize(("process", "state", "trigger"), pairs("illegal"))
def test_every_illegal_pair_is_refused_before_anything_is_touched(
    process: Process, state: str, trigger: str
) -> None:
    row, uow = Row(state), Recorder()
    allowed = person(*process.roles(trigger))
    with pytest.raises(InvalidTransition) as err:
        process.fire(uow, row, trigger, allowed)  # type: ignore[arg-type]
    assert (err.value.state, err.value.trigger) == (state, trigger)
    assert set(err.value.allowed) == {a for a in process.allowed(state)}
    assert (row.state, row.updated_at, uow.added, uow.callbacks) == (state, None, [], [])


@pytest.mark.parametrize(("process", "trigger", "role"), pairs("forbidden"))
def test_every_forbidden_role_is_refused_before_anything_is_touched(
    process: Process, trigger: str, role: str
) -> None:
    state = process.step(trigger).source[0]
    row, uow = Row(state), Recorder()
    with pytest.raises(PermissionDenied) as err:
        process.fire(uow, row, trigger, person(role))  # type: ignore[arg-type]
    assert err.value.action == f"{process.name}.{trigger}"
    assert (row.state, uow.added) == (state, [])
    assert trigger not in process.allowed(state, person(role))


@pytest.mark.parametrize("process", ALL, ids=lambda p: p.name)
def test_allowed_is_exactly_what_may_fire_for_each_role(process: Process) -> None:
    for state in process.states:
        for role in ROLES:
            who = person(role)
            expected = [
                t
                for t in dict.fromkeys(s.trigger for s in process.table)
                if any(
                    state in s.source and role in s.roles for s in process.table if s.trigger == t
                )
            ]
            assert list(process.allowed(state, who)) == expected


@given(data=st.data())
def test_any_walk_through_any_table_stays_on_its_graph(data: st.DataObject) -> None:
    process = data.draw(st.sampled_from(ALL))
    state = data.draw(
        st.sampled_from([s.dest for s in process.table if s.opens] or [process.initial])
    )
    for _ in range(data.draw(st.integers(0, 12))):
        trigger = data.draw(st.sampled_from(process.triggers))
        legal = [s for s in process.table if s.trigger == trigger and state in s.source]
        if legal:
            state = process.next_state(state, trigger)
            assert state == (legal[0].dest or state)
        else:
            with pytest.raises(InvalidTransition):
                process.next_state(state, trigger)
        assert state in process.states
