"""Recommendations: add-ons and leads, the kind guard, validation, roles, concurrency.

Every legal, illegal and forbidden step of every process is checked once for all of them: without a
database in ``tests/test_process_tables.py``, through the API in ``tests/test_process_contract.py``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from bpsm import (
    ConcurrentModification,
    Desk,
    GuardFailed,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from bpsm.catalogue.loader import Catalogue
from bpsm.catalogue.schema import PriceListItem
from bpsm.processes.recommendations.facade import RecommendationView
from bpsm.processes.recommendations.steps import (
    ADD_ON_STATES,
    LEAD_STATES,
    RECOMMENDATION,
    kind_for,
)
from bpsm.store.tables.recommendation import RecommendationRow
from tests.helpers import call_in, new_call

LEGAL = {(src, s.trigger): s.dest for s in RECOMMENDATION.table for src in s.source}

#: For each trigger: the API call that fires it, with valid arguments, by someone allowed to.
FIRE = {
    "accept": lambda d, r: d.recommendations.accept(r.id, by="anna"),
    "decline": lambda d, r: d.recommendations.decline(r.id, reason="maybe next year", by="anna"),
    "send_proposal": lambda d, r: d.recommendations.send_proposal(
        r.id, note="quote Q-17", by="dave"
    ),
    "win": lambda d, r: d.recommendations.win(r.id, by="dave"),
    "lose": lambda d, r: d.recommendations.lose(
        r.id, reason="went with another supplier", by="dave"
    ),
}
#: How to reach each state: (kind of recommendation to register, triggers to fire).
PATHS = {
    "offered": ("add_on", []),
    "accepted": ("add_on", ["accept"]),
    "declined": ("add_on", ["decline"]),
    "handed_over": ("lead", []),
    "proposal_sent": ("lead", ["send_proposal"]),
    "won": ("lead", ["send_proposal", "win"]),
    "lost": ("lead", ["lose"]),
}


def add_on(desk: Desk, **kw) -> RecommendationView:
    args = {
        "customer": "Kim Jansen",
        "description": "A headset for all those Teams calls",
        "item": "headset",
        "by": "anna",
    }
    return desk.recommendations.register(**{**args, **kw})


def lead(desk: Desk, **kw) -> RecommendationView:
    args = {
        "customer": "Finance department",
        "description": "Replace the 12 ageing laptops in Finance",
        "value": 14_400,
        "by": "ben",
    }
    return desk.recommendations.register(**{**args, **kw})


def rec_in(desk: Desk, state: str) -> RecommendationView:
    kind, steps = PATHS[state]
    r = add_on(desk) if kind == "add_on" else lead(desk)
    for trig in steps:
        r = FIRE[trig](desk, r)
    assert r.state == state
    return r


@pytest.fixture
def pricey_desk(db_url: str, catalogue: Catalogue) -> Iterator[Desk]:
    """The example desk with one price-list item above the lead threshold."""
    policy = catalogue.desk.recommendations
    items = [
        *policy.price_list,
        PriceListItem(id="meeting-room-av", name="AV kit for a meeting room", price=2500),
    ]
    config = catalogue.desk.model_copy(
        update={"recommendations": policy.model_copy(update={"price_list": items})}
    )
    d = Desk.open(db_url, catalogue=dataclasses.replace(catalogue, desk=config))
    yield d
    d.close()


def test_fire_table_covers_every_trigger_and_paths_every_state() -> None:
    assert set(FIRE) == set(RECOMMENDATION.triggers) and set(PATHS) == set(RECOMMENDATION.states)


def test_add_ons_and_leads_never_share_a_transition() -> None:
    """The kind guard is the table itself: every step stays within the states of one kind."""
    for step in RECOMMENDATION.table:
        states = {*step.source, step.dest}
        assert states <= set(ADD_ON_STATES) or states <= set(LEAD_STATES), step
    assert set(ADD_ON_STATES) | set(LEAD_STATES) == set(RECOMMENDATION.states)
    assert (
        "[*] --> handed_over" in RECOMMENDATION.mermaid()
        and "[*] --> offered" in RECOMMENDATION.mermaid()
    )


def test_the_database_refuses_an_add_on_in_a_lead_state(desk: Desk) -> None:
    r = add_on(desk)
    with (
        pytest.raises(ValidationError, match="ck_recommendations_kind_state"),
        desk.transaction() as s,
    ):
        s.execute(update(RecommendationRow).where(RecommendationRow.id == r.id).values(state="won"))
    assert desk.recommendations.get(r.id) == r


@pytest.mark.parametrize(
    ("value", "kind", "state"),
    [
        (35, "add_on", "offered"),
        (500, "add_on", "offered"),
        (500.01, "lead", "handed_over"),
        (9000, "lead", "handed_over"),
    ],
)
def test_the_value_decides_the_kind_at_the_threshold(
    desk: Desk, value: float, kind: str, state: str
) -> None:
    with freeze_time(datetime(2026, 4, 1, 10, tzinfo=UTC)):
        r = desk.recommendations.register(
            customer="Kim", description="something", value=value, by="anna"
        )
    assert (r.kind, r.state, r.value, r.currency, r.price_list_item) == (
        kind,
        state,
        value,
        "EUR",
        None,
    )
    assert r.handed_over_at == (r.recommended_at if kind == "lead" else None)
    assert kind_for(value, desk.config.recommendations.lead_threshold) == kind
    [event] = desk.history(r)
    assert (event.trigger, event.to_state, event.data["kind"], event.data["value"]) == (
        "register",
        state,
        kind,
        value,
    )


def test_a_price_list_item_is_priced_from_the_list(pricey_desk: Desk) -> None:
    chair = add_on(pricey_desk, item="ergonomic-chair")
    assert (chair.kind, chair.value, chair.price_list_item) == ("add_on", 445.0, "ergonomic-chair")
    av = add_on(pricey_desk, item="meeting-room-av")  # on the list, but above the threshold
    assert (av.kind, av.state, av.value) == ("lead", "handed_over", 2500.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"item": "headset", "value": 129}, "item/value: give exactly one"),
        ({"item": None}, "item/value: give exactly one"),
        ({"item": "gold-plated-mouse"}, "item: 'gold-plated-mouse' is not on the price list"),
        ({"item": None, "value": 0}, "value: 0 must be a positive amount"),
        ({"item": None, "value": -20}, "value: -20 must be a positive amount"),
        ({"item": None, "value": "lots"}, "value: 'lots' must be a positive amount"),
        ({"item": None, "value": True}, "value: True must be a positive amount"),
        ({"item": None, "value": math.nan}, "value: nan must be a positive amount"),
        ({"item": None, "value": math.inf}, "value: inf must be a positive amount"),
        ({"customer": "  "}, "customer: must not be empty"),
        ({"description": ""}, "description: must not be empty"),
        ({"call_id": 999}, "call_id: there is no call 999"),
        ({"call_id": "C-1"}, "call_id: there is no call 'C-1'"),
        ({"task_id": 999}, "task_id: there is no maintenance task 999"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(
    desk: Desk, kwargs: dict, message: str
) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(")):
        add_on(desk, **kwargs)
    assert desk.recommendations.list() == []


def test_a_recommendation_names_the_call_or_task_it_was_made_on(desk: Desk) -> None:
    call = call_in(desk, "in_progress")
    on_call = add_on(desk, call_id=call.id)
    assert on_call.call_id == call.id and desk.history(on_call)[0].data["call_id"] == call.id
    desk.maintenance.generate(timedelta(days=400), by="eve")
    task = desk.maintenance.tasks(states=("scheduled",), limit=1).items[0]
    on_task = add_on(desk, task_id=task.id, by="omar")
    assert (on_task.task_id, on_task.call_id, on_task.recommended_by) == (task.id, None, "omar")


def test_accepting_an_add_on_books_its_value_declining_books_nothing(desk: Desk) -> None:
    yes = desk.recommendations.accept(add_on(desk).id, note="signed the sheet", by="omar")
    assert (yes.booked_value, yes.closed_by, yes.outcome_note, yes.closed_at is not None) == (
        129.0,
        "omar",
        "signed the sheet",
        True,
    )
    no = desk.recommendations.decline(add_on(desk).id, by="anna")
    assert (no.state, no.booked_value, no.outcome_note, no.closed_at is not None) == (
        "declined",
        None,
        None,
        True,
    )


def test_lead_turnaround_runs_from_hand_over_to_proposal(desk: Desk) -> None:
    with freeze_time(datetime(2026, 4, 1, 10, tzinfo=UTC)) as clock:
        r = lead(desk)
        clock.tick(timedelta(days=3, hours=4))
        sent = desk.recommendations.send_proposal(r.id, by="dave")
    assert sent.turnaround == timedelta(days=3, hours=4) and r.turnaround is None
    assert desk.history(sent)[-1].data == {
        "turnaround_seconds": timedelta(days=3, hours=4).total_seconds()
    }


def test_a_won_lead_books_the_final_value_or_the_estimate(desk: Desk) -> None:
    sent = rec_in(desk, "proposal_sent")
    haggled = desk.recommendations.win(sent.id, final_value=12_000, note="PO 4711", by="dave")
    assert (haggled.state, haggled.value, haggled.booked_value, haggled.outcome_note) == (
        "won",
        14_400,
        12_000,
        "PO 4711",
    )
    assert desk.history(haggled)[-1].data == {"booked_value": 12_000, "estimate": 14_400}
    as_quoted = FIRE["win"](desk, rec_in(desk, "proposal_sent"))
    assert as_quoted.booked_value == 14_400


@pytest.mark.parametrize("final_value", [0, -1, "12k", True])
def test_a_bad_final_value_is_refused_and_changes_nothing(desk: Desk, final_value: object) -> None:
    r = rec_in(desk, "proposal_sent")
    with pytest.raises(ValidationError, match="final_value"):
        desk.recommendations.win(r.id, final_value=final_value, by="dave")
    assert desk.recommendations.get(r.id) == r


def test_a_lost_lead_needs_a_reason(desk: Desk) -> None:
    r = rec_in(desk, "handed_over")
    with pytest.raises(GuardFailed) as err:
        desk.recommendations.lose(r.id, reason=" ", by="dave")
    assert err.value.guard == "loss_reason" and desk.recommendations.get(r.id) == r
    lost = desk.recommendations.lose(r.id, reason="budget frozen", by="eve")
    assert (lost.state, lost.outcome_note, lost.closed_by, lost.booked_value) == (
        "lost",
        "budget frozen",
        "eve",
        None,
    )


@pytest.mark.parametrize(
    ("action", "state", "who"),
    [
        ("register", None, "eve"),
        ("register", None, "dave"),
        ("register", None, "carla"),
        ("accept", "offered", "dave"),
        ("accept", "offered", "eve"),
        ("decline", "offered", "eve"),
        ("send_proposal", "handed_over", "anna"),
        ("send_proposal", "handed_over", "ben"),
        ("win", "proposal_sent", "anna"),
        ("lose", "handed_over", "ben"),
        ("lose", "proposal_sent", "carla"),
    ],
)
def test_roles_not_allowed_are_refused_and_change_nothing(
    desk: Desk, action: str, state: str | None, who: str
) -> None:
    r = rec_in(desk, state) if state else None
    before = desk.recommendations.list()
    trail = desk.history(r) if r else []
    fire = {
        "register": lambda: add_on(desk, by=who),
        "accept": lambda: desk.recommendations.accept(r.id, by=who),
        "decline": lambda: desk.recommendations.decline(r.id, by=who),
        "send_proposal": lambda: desk.recommendations.send_proposal(r.id, by=who),
        "win": lambda: desk.recommendations.win(r.id, by=who),
        "lose": lambda: desk.recommendations.lose(r.id, reason="r", by=who),
    }[action]
    with pytest.raises(PermissionDenied, match=f"recommendation.{action}"):
        fire()
    assert desk.recommendations.list() == before and (desk.history(r) if r else []) == trail


def test_allowed_actions_follow_the_table_and_the_roles(desk: Desk) -> None:
    offer, handed = add_on(desk), lead(desk)
    assert set(desk.recommendations.allowed(offer, "anna")) == {"accept", "decline"}
    assert desk.recommendations.allowed(offer, "dave") == []
    assert set(desk.recommendations.allowed(handed, "dave")) == {"send_proposal", "lose"}
    assert desk.recommendations.allowed(handed, "anna") == []


def test_a_stale_version_is_refused_and_changes_nothing(desk: Desk) -> None:
    r = lead(desk)
    sent = FIRE["send_proposal"](desk, r)
    with pytest.raises(ConcurrentModification, match=f"recommendation {r.id}"):
        desk.recommendations.lose(r.id, reason="too late", by="dave", expected_version=r.version)
    assert desk.recommendations.get(r.id) == sent
    assert desk.recommendations.win(r.id, by="dave", expected_version=sent.version).state == "won"


def test_unknown_recommendation_is_not_found(desk: Desk) -> None:
    with pytest.raises(NotFound, match="no recommendation 404"):
        desk.recommendations.accept(404, by="anna")


def test_list_filters_and_history_is_the_full_trail(desk: Desk) -> None:
    a, b = rec_in(desk, "accepted"), rec_in(desk, "won")
    c = add_on(desk, by="omar")
    assert desk.recommendations.list() == [c, b, a]
    assert desk.recommendations.list(kind="lead") == [b]
    assert desk.recommendations.list(states=("offered", "accepted")) == [c, a]
    assert desk.recommendations.list(recommended_by="omar") == [c]
    with pytest.raises(ValidationError, match="kind: 'upsell'"):
        desk.recommendations.list(kind="upsell")
    with pytest.raises(
        ValidationError, match=r"states: \['sold'\]: not states of the recommendation process"
    ):
        desk.recommendations.list(states=("sold",))
    assert [(e.trigger, e.from_state, e.to_state, e.actor) for e in desk.history(b)] == [
        ("register", None, "handed_over", "ben"),
        ("send_proposal", "handed_over", "proposal_sent", "dave"),
        ("win", "proposal_sent", "won", "dave"),
    ]
    assert desk.history("recommendation", b.id) == desk.history(b)


def test_a_recommendation_made_on_a_call_keeps_the_call_untouched(desk: Desk) -> None:
    call = new_call(desk)
    add_on(desk, call_id=call.id)
    assert desk.calls.get(call.id) == call


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.sampled_from(["add_on", "lead"]), st.lists(st.sampled_from(sorted(FIRE)), max_size=5))
def test_any_sequence_of_triggers_follows_the_table(
    desk: Desk, kind: str, triggers: list[str]
) -> None:
    """Model check: the stored state always equals the table's prediction.

    It stays within its kind.
    """
    r = add_on(desk) if kind == "add_on" else lead(desk)
    expected, own = r.state, set(ADD_ON_STATES if kind == "add_on" else LEAD_STATES)
    for trig in triggers:
        if (expected, trig) in LEGAL:
            r, expected = FIRE[trig](desk, r), LEGAL[(expected, trig)]
        else:
            with pytest.raises(InvalidTransition):
                FIRE[trig](desk, r)
        got = desk.recommendations.get(r.id)
        assert got.state == expected and got.state in own and got.kind == kind
