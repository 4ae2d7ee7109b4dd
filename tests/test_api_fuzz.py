"""The public API under adversarial arguments: only the library's typed errors, and no trace left.

Hypothesis drives every step of every process (through ``fire``, on a record in a state the step
leaves, with one answer, the id, the version or the person replaced by a hostile value) and the
facades' own functions (registering, opening, proposing, getters, queues, lists, search, history,
KPIs) the same way. Hostile values: texts one past a column's length and far beyond it, NUL bytes,
lone surrogates, LIKE wildcards, huge and negative integers, floats, NaN, booleans, None, unknown
names, lists and mappings where a text belongs. The assertions:

* nothing but a :class:`~bpsm.errors.BpsmError` subclass is raised;
* a refused call leaves the database exactly as it was (every row of every table);
* no message shows SQL.

Runs on SQLite and, with ``BPSM_TEST_DATABASE_URL``, on PostgreSQL; bounded by ``max_examples``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from freezegun import freeze_time
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bpsm import BpsmError, Desk
from bpsm.processes import FACADES, PROCESSES, Ask, Process, Step
from bpsm.store.tables import Base
from tests import test_process_contract as contract
from tests.test_maintenance_transitions import local

cdesk = contract.cdesk
folder = contract.folder

#: Values no careful caller sends; every one of them must be refused cleanly (or be harmless).
HOSTILE: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1.5,
    1.0,
    float("nan"),
    float("inf"),
    2**31,
    2**63,
    -(2**63) - 1,
    2**64,
    10**30,
    "",
    "   ",
    "x" * 65,
    "x" * 201,
    "y" * 20_001,
    "z " * 150_000,
    "nul\x00byte",
    "\x00",
    "lone \ud800 surrogate",
    "\udfff",
    "%",
    "_%\\",
    "'; DROP TABLE calls; --",
    "no-such-name",
    ["a", "b"],
    [None],
    {"a": 1},
    {"\x00": "\ud800"},
    b"bytes",
    object(),
    datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))),  # no UTC equivalent
    datetime.max.replace(tzinfo=timezone(timedelta(hours=-5))),
    datetime(2026, 2, 1),  # naive
    timedelta.max,
    timedelta(days=-1),
]
hostile = st.sampled_from(HOSTILE) | st.text(max_size=12) | st.integers() | st.floats()


def snapshot(desk: Desk) -> str:
    """A digest of every row of every table (the database's whole content)."""
    digest = hashlib.sha256()
    with desk.transaction() as s:
        for table in Base.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            for row in s.execute(select(table).order_by(*order)):
                digest.update(repr(tuple(row)).encode("utf-8", "backslashreplace"))
    return digest.hexdigest()


def refused_cleanly(desk: Desk, act: Callable[[], Any]) -> None:
    """Run ``act``: it succeeds, or raises a typed error that shows no SQL and changed nothing."""
    before = snapshot(desk)
    try:
        act()
    except BpsmError as err:
        text = str(err)
        assert "SELECT " not in text and "INSERT " not in text and "UPDATE " not in text, text
        assert "[SQL:" not in text and "(Background on this error" not in text, text
        assert snapshot(desk) == before, f"refused ({err}) but the database changed"


@pytest.fixture
def fdesk(cdesk: Desk) -> Desk:
    """A desk with every process's records reachable: a catalogue folder of its own, and tasks."""
    with freeze_time(local(2026, 1, 5, 9)):
        cdesk.maintenance.generate(by="admin")
    return cdesk


def _valid(desk: Desk, ask: Ask) -> Any:
    """A plausible answer to ``ask`` (the guards may still refuse it: that is fine here)."""
    if ask.kind == "lines":
        return ["one step"]
    if ask.kind in ("int", "number"):
        return int(ask.low or 1)
    if ask.kind == "yes_no":
        return True
    if ask.kind == "mapping":
        return {}
    if ask.kind == "choice":
        if ask.choices:
            return ask.choices[0]
        source = {
            "groups": list(desk.config.groups),
            "channels": list(desk.config.channels),
            "checklist": [i.id for i in desk.config.checklist],
        }.get(ask.choices_from or "", ["x"])
        return source[-1]
    return "a fine answer"


LEGAL = [(p, s, src) for p in PROCESSES.values() for s in p.table for src in s.source]


@settings(max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pick=st.sampled_from(LEGAL),
    slot=st.integers(min_value=0, max_value=20),
    value=hostile,
)
def test_every_step_refuses_hostile_answers_with_a_typed_error_and_changes_nothing(
    fdesk: Desk, pick: tuple[Process, Step, str], slot: int, value: Any
) -> None:
    process, step, state = pick
    kit = contract.KITS[process.name]
    try:
        record = kit.make(fdesk, state, step.trigger)
    except KeyError:
        assume(False)
    facade = getattr(fdesk, contract.FACADE[process.name])
    who = next(p for p in contract.STAFF if fdesk.person(p).roles & step.roles)
    args: dict[str, Any] = {a.name: _valid(fdesk, a) for a in step.asks}
    names = [*args, "record_id", "expected_version", "by"]
    target = names[slot % len(names)]
    record_id, version = record.id, record.version
    if target == "record_id":
        record_id = value
    elif target == "expected_version":
        version = value
    elif target == "by":
        who = value
    else:
        args[target] = value
    refused_cleanly(
        fdesk,
        lambda: facade.fire(record_id, step.trigger, by=who, expected_version=version, **args),
    )


def _calls(d: Desk) -> dict[str, tuple[Callable[..., Any], dict[str, Any]]]:
    """The facades' own functions, each with arguments that would work."""
    call = d.calls.register(caller="Kim", channel="phone", summary="s", service="laptop", by="anna")
    case = d.relations.open(customer="Kim", request="a 3D printer", by="dave")
    idea = d.improvements.identify(
        source="other", title="t", description="d", by="carla", service_id="laptop"
    )
    task = d.maintenance.tasks(limit=1).items[0]
    since = datetime(2026, 1, 1, tzinfo=UTC)
    return {
        "calls.register": (
            d.calls.register,
            {
                "caller": "Kim",
                "channel": "phone",
                "summary": "laptop",
                "by": "anna",
                "service": "laptop",
                "accept": True,
                "solution": "rebooted",
            },
        ),
        "calls.get": (d.calls.get, {"call_id": call.id}),
        "calls.contacts": (d.calls.contacts, {"call_id": call.id}),
        "calls.allowed": (d.calls.allowed, {"record": call, "by": "anna"}),
        "calls.queue": (
            d.calls.queue,
            {"offset": 0, "limit": 5, "states": ("registered",), "group": "service-desk"},
        ),
        "calls.wait": (d.calls.wait, {"call_id": call.id, "for_": "customer", "by": "anna"}),
        "relations.open": (
            d.relations.open,
            {"customer": "Kim", "request": "a tablet", "by": "dave"},
        ),
        "relations.get": (d.relations.get, {"case_id": case.id}),
        "relations.queue": (
            d.relations.queue,
            {"offset": 0, "limit": 5, "states": ("received",)},
        ),
        "relations.suggestions": (d.relations.suggestions, {"case": case.id, "limit": 3}),
        "relations.standard_delivery": (d.relations.standard_delivery, {"delivery_id": 1}),
        "relations.draft_service": (d.relations.draft_service, {"case_id": case.id, "by": "eve"}),
        "changes.propose": (
            d.changes.propose,
            {
                "kind": "retire",
                "summary": "retire it",
                "by": "dave",
                "impact": "low",
                "service_id": "laptop",
                "rollback_plan": "restore",
            },
        ),
        "changes.get": (d.changes.get, {"change_id": 1}),
        "changes.list": (d.changes.list, {"states": ("draft",)}),
        "maintenance.plans": (d.maintenance.plans, {"service": "laptop", "kind": "maintenance"}),
        "maintenance.plan": (d.maintenance.plan, {"plan_id": 1}),
        "maintenance.next_occurrence": (d.maintenance.next_occurrence, {"plan_id": 1}),
        "maintenance.due": (
            d.maintenance.due,
            {"assignee": "dave", "include_upcoming_days": 3},
        ),
        "maintenance.tasks": (
            d.maintenance.tasks,
            {"plan_id": 1, "states": ("scheduled",), "offset": 0, "limit": 5},
        ),
        "maintenance.get": (d.maintenance.get, {"task_id": task.id}),
        "maintenance.next_task": (d.maintenance.next_task, {"plan_id": 1}),
        "maintenance.generate": (
            d.maintenance.generate,
            {"horizon": timedelta(days=1), "by": "admin"},
        ),
        "improvements.identify": (
            d.improvements.identify,
            {"source": "other", "title": "t", "description": "d", "by": "carla"},
        ),
        "improvements.get": (d.improvements.get, {"improvement_id": idea.id}),
        "improvements.list": (
            d.improvements.list,
            {"states": ("identified",), "source": "other", "service_id": "laptop"},
        ),
        "recommendations.register": (
            d.recommendations.register,
            {"customer": "Kim", "description": "a dock", "by": "anna", "call_id": call.id},
        ),
        "recommendations.get": (d.recommendations.get, {"recommendation_id": 1}),
        "recommendations.list": (
            d.recommendations.list,
            {"states": ("offered",), "kind": "add_on", "recommended_by": "anna"},
        ),
        "recommendations.stats": (
            d.recommendations.stats,
            {"since": since, "until": since + timedelta(days=30)},
        ),
        "services.search": (
            d.services.search,
            {"text": "laptop", "limit": 5, "department": "IT"},
        ),
        "services.get": (d.services.get, {"service_id": "laptop", "version": 1}),
        "services.list": (d.services.list, {"include_retired": True}),
        "services.versions": (d.services.versions, {"service_id": "laptop"}),
        "history": (d.history, {"record": "call", "record_id": call.id}),
        "kpis.window": (d.kpis.window, {"since": since, "until": since + timedelta(days=30)}),
    }


FACADE_CALLS = sorted(
    [
        "calls.register",
        "calls.get",
        "calls.contacts",
        "calls.allowed",
        "calls.queue",
        "calls.wait",
        "relations.open",
        "relations.get",
        "relations.queue",
        "relations.suggestions",
        "relations.standard_delivery",
        "relations.draft_service",
        "changes.propose",
        "changes.get",
        "changes.list",
        "maintenance.plans",
        "maintenance.plan",
        "maintenance.next_occurrence",
        "maintenance.due",
        "maintenance.tasks",
        "maintenance.get",
        "maintenance.next_task",
        "maintenance.generate",
        "improvements.identify",
        "improvements.get",
        "improvements.list",
        "recommendations.register",
        "recommendations.get",
        "recommendations.list",
        "recommendations.stats",
        "services.search",
        "services.get",
        "services.list",
        "services.versions",
        "history",
        "kpis.window",
    ]
)


def test_the_fuzzed_calls_cover_every_process_facade(fdesk: Desk) -> None:
    assert set(_calls(fdesk)) == set(FACADE_CALLS)
    assert {name.split(".")[0] for name in FACADE_CALLS} >= set(FACADES)


@settings(max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.sampled_from(FACADE_CALLS), slot=st.integers(min_value=0, max_value=20), value=hostile
)
def test_facade_functions_refuse_hostile_arguments_with_a_typed_error_and_change_nothing(
    fdesk: Desk, name: str, slot: int, value: Any
) -> None:
    function, args = _calls(fdesk)[name]
    target = list(args)[slot % len(args)]
    args[target] = value
    refused_cleanly(fdesk, lambda: function(**args))


def test_the_fuzz_desk_has_a_catalogue_folder_of_its_own(fdesk: Desk, folder: Path) -> None:
    assert Path(fdesk.catalogue.root) == folder


REACTIVE = PROCESSES["call"]
NEXT = {(src, s.trigger): s.dest or src for s in REACTIVE.table for src in s.source}


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    caller=hostile,
    moves=st.lists(
        st.tuples(st.sampled_from(REACTIVE.triggers), st.booleans(), st.integers(0, 9), hostile),
        max_size=10,
    ),
)
def test_a_call_end_to_end_under_hostile_answers_follows_its_table_and_refuses_cleanly(
    fdesk: Desk, caller: Any, moves: list[tuple[str, bool, int, Any]]
) -> None:
    """Register (with a hostile caller, or else a fine one), then steps with hostile answers mixed
    in: every refusal is typed and leaves no trace; every success moves as the table says."""
    register = {"caller": caller, "channel": "phone", "summary": "s", "by": "anna"}
    refused_cleanly(fdesk, lambda: fdesk.calls.register(**register, service="laptop"))
    call = fdesk.calls.register(
        caller="Kim", channel="phone", summary="s", service="laptop", by="anna"
    )
    state = call.state
    for trigger, spoil, slot, value in moves:
        step = REACTIVE.step(trigger, state)
        args = {a.name: _valid(fdesk, a) for a in step.asks}
        if trigger == "escalate":
            args["to_group"] = next(g for g in fdesk.config.groups if g != call.group)
        who: Any = "anna"
        if spoil:
            names = [*args, "by"]
            target = names[slot % len(names)]
            if target == "by":
                who = value
            else:
                args[target] = value
        before = snapshot(fdesk)
        try:
            call = fdesk.calls.fire(call.id, trigger, by=who, **args)
        except BpsmError:
            assert snapshot(fdesk) == before
        else:
            state = NEXT[(state, trigger)]
        assert fdesk.calls.get(call.id).state == state
