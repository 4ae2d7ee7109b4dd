"""Relation management: its guards, roles, versions and trail.

Every legal, illegal and forbidden step of every process is checked once for all of them: without a
database in ``tests/test_process_tables.py``, through the API in ``tests/test_process_contract.py``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bpsm import ConcurrentModification, Desk, GuardFailed, InvalidTransition, PermissionDenied
from bpsm.processes import PERMISSIONS
from bpsm.processes.relations.steps import RELATION
from bpsm.processes.relations.views import RelationCaseView

OP, AM, SPEC = "anna", "dave", "ben"
#: One member of staff per role (admin also holds operator, so is left out).
BY_ROLE = {
    "operator": "anna",
    "specialist": "ben",
    "change_manager": "carla",
    "account_manager": "dave",
    "manager": "eve",
}
TABLET_NEED = "read and annotate the board papers during meetings without printing them"
LEGAL = {(src, s.trigger): (s.dest or src) for s in RELATION.table for src in s.source}


def service_definition(service_id: str) -> dict:
    """A complete catalogue definition for a standardized bespoke solution."""
    return {
        "id": service_id,
        "name": "Dictation software",
        "department": "IT",
        "description": "Speech recognition software for staff who cannot type for long.",
        "keywords": ["dictation", "speech recognition", "rsi"],
        "faq": [
            {"q": "Who can get it?", "a": "Anyone with a note from the company doctor."},
            {"q": "Which languages?", "a": "Dutch and English."},
        ],
        "quality_levels": [
            {
                "name": "standard",
                "description": "Installed remotely.",
                "response_time": "PT4H",
                "resolution_time": "P2D",
            }
        ],
        "ordering": "Ask the desk; the company doctor's note is enough.",
        "delivery": {"lead_time": "P2D", "pickup": "Installed on your laptop remotely"},
        "owner": "IT Workplace Services team lead",
        "account_manager": "dave",
        "group": "second-line-it",
    }


def yes_to_all(d: Desk, c: RelationCaseView) -> RelationCaseView:
    for q in ("feasible", "want", "budget"):
        c = d.relations.answer(c.id, q, yes=True, reason=f"{q}: yes", by=AM)
    return c


def say_no(d: Desk, c: RelationCaseView) -> RelationCaseView:
    return d.relations.answer(
        c.id, "budget", yes=False, reason="the department has no budget left", by=AM
    )


#: How to fire each trigger with valid arguments: (prepare, fire). ``prepare`` records what the
#: trigger's guard needs (answers) and runs only where the trigger is legal.
FIRE: dict[str, tuple[Callable | None, Callable]] = {
    "clarify_need": (
        None,
        lambda d, c, by=OP, **kw: d.relations.clarify_need(
            c.id, need=TABLET_NEED, asked_for="an iPad", by=by, **kw
        ),
    ),
    "propose_alternatives": (
        None,
        lambda d, c, by=OP, **kw: d.relations.propose_alternatives(c.id, by=by, **kw),
    ),
    "accept_alternative": (
        None,
        lambda d, c, by=OP, **kw: d.relations.accept_alternative(
            c.id, service="loan-device", by=by, **kw
        ),
    ),
    "decline_alternative": (
        None,
        lambda d, c, by=OP, **kw: d.relations.decline_alternative(
            c.id, reason="a four-week loan does not do", by=by, **kw
        ),
    ),
    "assess_bespoke": (
        None,
        lambda d, c, by=AM, **kw: d.relations.assess_bespoke(
            c.id, reason="nothing in the catalogue fits", by=by, **kw
        ),
    ),
    "answer": (
        None,
        lambda d, c, by=AM, **kw: d.relations.answer(
            c.id, "feasible", yes=True, reason="the supplier has them", by=by, **kw
        ),
    ),
    "refuse": (
        say_no,
        lambda d, c, by=AM, **kw: d.relations.refuse(
            c.id,
            explanation="no budget this year",
            options=["borrow one from the loan pool"],
            by=by,
            **kw,
        ),
    ),
    "agree": (
        yes_to_all,
        lambda d, c, by=AM, **kw: d.relations.agree(c.id, customer_agrees=True, by=by, **kw),
    ),
    "deliver": (
        None,
        lambda d, c, by=AM, **kw: d.relations.deliver(
            c.id, notes="handed over", steps=["order", "configure", "hand over"], by=by, **kw
        ),
    ),
    "standardize": (
        None,
        lambda d, c, by=AM, **kw: d.relations.standardize(
            c.id, definition=service_definition(f"dictation-{c.id}"), by=by, **kw
        ),
    ),
    "keep_standard_delivery": (
        None,
        lambda d, c, by=AM, **kw: d.relations.keep_standard_delivery(
            c.id, steps=["order an iPad", "enrol it in device management"], by=by, **kw
        ),
    ),
    "keep_bespoke": (
        None,
        lambda d, c, by=AM, **kw: d.relations.keep_bespoke(c.id, reason="a one-off", by=by, **kw),
    ),
    "withdraw": (
        None,
        lambda d, c, by=OP, **kw: d.relations.withdraw(
            c.id, reason="no longer needed", by=by, **kw
        ),
    ),
}

#: How to bring a fresh case into each state, as trigger names (each fired as in FIRE).
PATHS: dict[str, list[str]] = {
    "received": [],
    "need_clarified": ["clarify_need"],
    "alternative_proposed": ["clarify_need", "propose_alternatives"],
    "accepted": ["clarify_need", "propose_alternatives", "accept_alternative"],
    "bespoke_assessment": ["clarify_need", "assess_bespoke"],
    "refused": ["clarify_need", "assess_bespoke", "refuse"],
    "bespoke_agreed": ["clarify_need", "assess_bespoke", "agree"],
    "delivered": ["clarify_need", "assess_bespoke", "agree", "deliver"],
    "standardized": ["clarify_need", "assess_bespoke", "agree", "deliver", "standardize"],
    "standard_delivery": [
        "clarify_need",
        "assess_bespoke",
        "agree",
        "deliver",
        "keep_standard_delivery",
    ],
    "kept_bespoke": ["clarify_need", "assess_bespoke", "agree", "deliver", "keep_bespoke"],
    "withdrawn": ["withdraw"],
}


def fire(desk: Desk, case: RelationCaseView, trigger: str, **kw) -> RelationCaseView:
    """Prepare what the trigger's guard needs, then fire it."""
    prepare, act = FIRE[trigger]
    if prepare is not None:
        case = prepare(desk, case)
    return act(desk, case, **kw)


def case_in(
    desk: Desk,
    state: str,
    *,
    request: str = "I want an iPad",
    customer: str = "Kim Jansen",
    prepared_for: str | None = None,
) -> RelationCaseView:
    """A new case in ``state``; with ``prepared_for``, also what that trigger's guard needs."""
    case = desk.relations.open(customer=customer, request=request, by=OP)
    for trigger in PATHS[state]:
        case = fire(desk, case, trigger)
    assert case.state == state
    prepare = FIRE[prepared_for][0] if prepared_for else None
    if prepare is not None and (state, prepared_for) in LEGAL:
        case = prepare(desk, case)
    return case


def test_fire_table_covers_every_trigger_and_paths_cover_every_state() -> None:
    assert set(FIRE) == set(RELATION.triggers)
    assert set(PATHS) == set(RELATION.states)
    assert {f"relation.{t}" for t in RELATION.triggers} <= set(PERMISSIONS)


@pytest.mark.parametrize(
    "person", [p for r, p in BY_ROLE.items() if r not in PERMISSIONS["relation.open"]]
)
def test_opening_a_case_is_refused_to_roles_not_allowed(desk: Desk, person: str) -> None:
    with pytest.raises(PermissionDenied):
        desk.relations.open(customer="Kim", request="a tablet", by=person)
    assert desk.relations.queue().total == 0


def test_allowed_actions_come_from_the_same_table_and_the_roles(desk: Desk) -> None:
    case = case_in(desk, "bespoke_assessment")
    assert set(desk.relations.allowed(case, AM)) == {"answer", "refuse", "agree", "withdraw"}
    assert set(desk.relations.allowed(case, SPEC)) == {"answer", "withdraw"}
    assert desk.relations.allowed(case, OP) == ["withdraw"]
    assert desk.relations.allowed(case, "carla") == [] and desk.relations.allowed(case, "eve") == []


#: For each trigger, the nearest state it fires from.
FIRST_LEGAL = {
    t: min((s for s, tr in LEGAL if tr == t), key=lambda s: len(PATHS[s]))
    for t in RELATION.triggers
}


@pytest.mark.parametrize("trigger", sorted(RELATION.triggers))
def test_a_stale_expected_version_is_refused_and_changes_nothing(desk: Desk, trigger: str) -> None:
    case = case_in(desk, FIRST_LEGAL[trigger], prepared_for=trigger)
    trail = desk.history(case)
    with pytest.raises(ConcurrentModification) as err:
        FIRE[trigger][1](desk, case, expected_version=case.version - 1)
    assert (err.value.expected, err.value.actual) == (case.version - 1, case.version)
    assert desk.relations.get(case.id) == case and desk.history(case) == trail
    assert FIRE[trigger][1](desk, case, expected_version=case.version).version > case.version


def test_two_account_managers_never_silently_overwrite_each_other(db_url: str, catalogue) -> None:
    dave_desk = Desk.open(db_url, catalogue=catalogue)
    fatima_desk = Desk.open(db_url, catalogue=catalogue)
    case = case_in(dave_desk, "bespoke_assessment")
    seen_by_fatima = fatima_desk.relations.get(case.id)
    dave_desk.relations.answer(
        case.id, "budget", yes=False, reason="no budget", by="dave", expected_version=case.version
    )
    with pytest.raises(ConcurrentModification):
        fatima_desk.relations.answer(
            case.id,
            "budget",
            yes=True,
            reason="budget found",
            by="fatima",
            expected_version=seen_by_fatima.version,
        )
    final = fatima_desk.relations.get(case.id)
    assert final.answers["budget"].yes is False and final.answers["budget"].by == "dave"
    dave_desk.close(), fatima_desk.close()


@pytest.mark.parametrize(
    ("state", "fire_", "guard"),
    [
        (
            "received",
            lambda d, c: d.relations.clarify_need(c.id, need="  ", by=OP),
            "need_is_the_why",
        ),
        (
            "received",
            lambda d, c: d.relations.clarify_need(c.id, need="I want an iPad", by=OP),
            "need_is_the_why",
        ),
        (
            "received",
            lambda d, c: d.relations.clarify_need(c.id, need="an iPad", asked_for="an iPad", by=OP),
            "need_is_the_why",
        ),
        (
            "alternative_proposed",
            lambda d, c: d.relations.accept_alternative(c.id, service="parking", by=OP),
            "proposed_alternative",
        ),
        (
            "alternative_proposed",
            lambda d, c: d.relations.accept_alternative(c.id, standard_delivery=1, by=OP),
            "proposed_alternative",
        ),
        (
            "alternative_proposed",
            lambda d, c: d.relations.decline_alternative(c.id, reason="", by=OP),
            "decline_reason",
        ),
        (
            "need_clarified",
            lambda d, c: d.relations.assess_bespoke(c.id, reason=" ", by=AM),
            "bespoke_reason",
        ),
        (
            "bespoke_assessment",
            lambda d, c: d.relations.answer(c.id, "want", yes=True, reason="", by=AM),
            "answer_reason",
        ),
        (
            "bespoke_assessment",
            lambda d, c: d.relations.refuse(c.id, explanation="x", options=["y"], by=AM),
            "answer_is_no",
        ),
        (
            "bespoke_assessment",
            lambda d, c: d.relations.agree(c.id, customer_agrees=True, by=AM),
            "all_answers_yes",
        ),
        (
            "bespoke_agreed",
            lambda d, c: d.relations.deliver(c.id, notes="", by=AM),
            "delivery_notes",
        ),
        (
            "delivered",
            lambda d, c: d.relations.keep_standard_delivery(c.id, steps=[], by=AM),
            "delivery_steps",
        ),
        (
            "delivered",
            lambda d, c: d.relations.keep_standard_delivery(c.id, steps=["a"], keywords=[], by=AM),
            "keywords",
        ),
        (
            "delivered",
            lambda d, c: d.relations.keep_bespoke(c.id, reason="", by=AM),
            "keep_bespoke_reason",
        ),
        ("received", lambda d, c: d.relations.withdraw(c.id, reason=" ", by=OP), "withdraw_reason"),
    ],
)
def test_guard_refuses_with_its_name_and_changes_nothing(
    desk: Desk, state: str, fire_, guard: str
) -> None:
    case = case_in(desk, state)
    trail = desk.history(case)
    with pytest.raises(GuardFailed) as err:
        fire_(desk, case)
    assert err.value.guard == guard
    assert desk.relations.get(case.id) == case and desk.history(case) == trail


def test_refusing_needs_a_no_an_explanation_and_the_options_left(desk: Desk) -> None:
    case = say_no(desk, case_in(desk, "bespoke_assessment"))
    for kwargs, guard in [
        ({"explanation": " ", "options": ["borrow one"]}, "explanation_to_customer"),
        ({"explanation": "no budget", "options": []}, "options_left"),
    ]:
        with pytest.raises(GuardFailed) as err:
            desk.relations.refuse(case.id, by=AM, **kwargs)
        assert err.value.guard == guard
    assert desk.relations.get(case.id) == case


def test_agreeing_needs_three_yeses_and_the_customer(desk: Desk) -> None:
    case = case_in(desk, "bespoke_assessment")
    case = desk.relations.answer(case.id, "feasible", yes=True, reason="can be done", by=SPEC)
    case = desk.relations.answer(case.id, "want", yes=False, reason="cannot maintain it", by=AM)
    with pytest.raises(GuardFailed, match=r"want \(no\), budget \(not answered\)"):
        desk.relations.agree(case.id, customer_agrees=True, by=AM)
    case = desk.relations.answer(
        case.id, "want", yes=True, reason="on second thought we can", by=AM
    )
    case = desk.relations.answer(case.id, "budget", yes=True, reason="invoiced to marketing", by=AM)
    with pytest.raises(GuardFailed) as err:
        desk.relations.agree(case.id, customer_agrees=False, by=AM)
    assert err.value.guard == "customer_agrees" and desk.relations.get(case.id) == case
    agreed = desk.relations.agree(case.id, customer_agrees=True, by=AM)
    assert (agreed.state, agreed.customer_agrees, agreed.agreed_by) == ("bespoke_agreed", True, AM)


def test_an_answer_can_be_changed_and_the_trail_keeps_both(desk: Desk) -> None:
    case = case_in(desk, "bespoke_assessment")
    desk.relations.answer(case.id, "budget", yes=False, reason="no budget", by=AM)
    case = desk.relations.answer(case.id, "budget", yes=True, reason="marketing pays", by="fatima")
    assert (case.answers["budget"].yes, case.answers["budget"].by) == (True, "fatima")
    answers = [
        (e.data["question"], e.data["yes"], e.reason)
        for e in desk.history(case)
        if e.trigger == "answer"
    ]
    assert answers == [("budget", False, "no budget"), ("budget", True, "marketing pays")]


def test_the_trail_of_a_case_is_complete_and_chained(desk: Desk) -> None:
    with freeze_time(datetime(2026, 3, 2, 9, 0, tzinfo=UTC)):
        case = case_in(desk, "kept_bespoke")
    events = desk.history(case)
    assert [e.trigger for e in events] == [
        "open",
        "clarify_need",
        "assess_bespoke",
        "answer",
        "answer",
        "answer",
        "agree",
        "deliver",
        "keep_bespoke",
    ]
    assert events[0].from_state is None and events[-1].to_state == "kept_bespoke"
    assert all(a.to_state == b.from_state for a, b in itertools.pairwise(events))
    assert all(e.at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC) for e in events)
    assert (
        case.closed_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        and case.closing_reason == "a one-off"
    )


@pytest.mark.parametrize("state", [s for s in RELATION.states if s not in RELATION.final])
def test_only_final_states_have_a_closing_time(desk: Desk, state: str) -> None:
    assert case_in(desk, state).closed_at is None


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from(sorted(FIRE)), max_size=8))
def test_any_sequence_of_triggers_follows_the_table(desk: Desk, triggers: list[str]) -> None:
    """Model check: the database state always equals the table's prediction.

    Illegal triggers change nothing.
    """
    case = case_in(desk, "received")
    expected = "received"
    for trig in triggers:
        if (expected, trig) in LEGAL:
            case = fire(desk, case, trig)
            expected = LEGAL[(expected, trig)]
        else:
            with pytest.raises(InvalidTransition):
                FIRE[trig][1](desk, case)
        assert desk.relations.get(case.id).state == expected
    events = desk.history(case)
    assert all(a.to_state == b.from_state for a, b in itertools.pairwise(events))
