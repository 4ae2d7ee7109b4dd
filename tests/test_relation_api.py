"""``desk.relations`` as a developer meets it.

Bad input, look-ups, drafts, queues and stale alternatives.
"""

from __future__ import annotations

import pytest
from freezegun import freeze_time

from bpsm import Desk, GuardFailed, NotFound, PermissionDenied, ValidationError
from bpsm.store.tables import ServiceRow, StandardDeliveryRow
from tests.test_relation_transitions import AM, OP, case_in, say_no, service_definition


def test_a_case_opened_directly_starts_received_with_its_trail(desk: Desk) -> None:
    with freeze_time("2026-04-01T08:30:00Z"):
        case = desk.relations.open(
            customer=" Board secretariat ", request="iPad for the board", by="dave"
        )
    assert (case.state, case.customer, case.call_id, case.opened_by, case.number) == (
        "received",
        "Board secretariat",
        None,
        "dave",
        f"R-{case.id:06d}",
    )
    assert case.opened_at.isoformat() == "2026-04-01T08:30:00+00:00"
    assert [(e.trigger, e.from_state, e.to_state) for e in desk.history(case)] == [
        ("open", None, "received")
    ]
    assert desk.history("relation", case.id) == desk.history(case)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"customer": " ", "request": "a tablet"}, "customer: must not be empty"),
        ({"customer": "Kim", "request": ""}, "request: must not be empty"),
        ({"customer": "Kim", "request": 42}, "request: 42 is not text"),
    ],
)
def test_opening_with_bad_input_names_the_field_and_creates_nothing(
    desk: Desk, kwargs, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        desk.relations.open(by=OP, **kwargs)
    assert desk.relations.queue().total == 0


BAD_INPUT = [
    (
        "received",
        lambda d, c: d.relations.clarify_need(c.id, need="read papers", asked_for=7, by=OP),
        "asked_for: 7 is not text",
    ),
    (
        "alternative_proposed",
        lambda d, c: d.relations.accept_alternative(c.id, by=OP),
        "alternative: choose exactly one",
    ),
    (
        "alternative_proposed",
        lambda d, c: d.relations.accept_alternative(
            c.id, service="loan-device", standard_delivery=1, by=OP
        ),
        "alternative: choose exactly one",
    ),
    (
        "bespoke_assessment",
        lambda d, c: d.relations.answer(c.id, "cost", yes=True, reason="x", by=AM),
        "question: 'cost' is not one of feasible, want, budget",
    ),
    (
        "bespoke_assessment",
        lambda d, c: d.relations.answer(c.id, "budget", yes="yes", reason="x", by=AM),
        "yes: 'yes' must be True or False",
    ),
    (
        "bespoke_assessment",
        lambda d, c: d.relations.answer(
            c.id, "budget", yes=True, reason="x", by=AM, considerations={"time": "a week"}
        ),
        "considerations: only the 'want' question has them, not 'budget'",
    ),
    (
        "bespoke_assessment",
        lambda d, c: d.relations.answer(
            c.id, "want", yes=True, reason="x", by=AM, considerations={"fun": "yes"}
        ),
        "considerations: 'fun' not one of policy_strategy",
    ),
    (
        "bespoke_assessment",
        lambda d, c: d.relations.answer(
            c.id, "want", yes=True, reason="x", by=AM, considerations={"time": " "}
        ),
        "considerations.time: must not be empty",
    ),
    (
        "bespoke_assessment",
        lambda d, c: d.relations.agree(c.id, customer_agrees="sure", by=AM),
        "customer_agrees: 'sure' must be True or False",
    ),
    (
        "bespoke_agreed",
        lambda d, c: d.relations.deliver(c.id, notes="done", steps=["order", " "], by=AM),
        r"steps\[1\]: ' ' must be a non-empty text",
    ),
    (
        "delivered",
        lambda d, c: d.relations.keep_standard_delivery(c.id, steps=["order", 3], by=AM),
        r"steps\[1\]: 3 must be a non-empty text",
    ),
    (
        "delivered",
        lambda d, c: d.relations.standardize(
            c.id, definition={**service_definition("dictation"), "faq": []}, by=AM
        ),
        "faq",
    ),
    (
        "delivered",
        lambda d, c: d.relations.standardize(c.id, definition=service_definition("laptop"), by=AM),
        "service_id: 'laptop' is already in the catalogue",
    ),
    (
        "delivered",
        lambda d, c: d.relations.standardize(
            c.id, definition=service_definition("dictation"), impact="huge", by=AM
        ),
        "impact: 'huge' is not one of low, medium, high",
    ),
]


@pytest.mark.parametrize(("state", "act", "message"), BAD_INPUT)
def test_bad_input_names_the_field_and_value_and_changes_nothing(
    desk: Desk, state: str, act, message: str
) -> None:
    case = case_in(desk, state)
    trail = desk.history(case)
    with pytest.raises(ValidationError, match=message):
        act(desk, case)
    assert desk.relations.get(case.id) == case and desk.history(case) == trail
    assert desk.changes.list() == [] and desk.relations.standard_deliveries() == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("borrow one", "options: 'borrow one' must be a list of texts"),
        (["borrow one", ""], r"options\[1\]: '' must be a non-empty text"),
    ],
)
def test_refusing_with_malformed_options_names_them_and_changes_nothing(
    desk: Desk, options, message: str
) -> None:
    case = say_no(desk, case_in(desk, "bespoke_assessment"))
    with pytest.raises(ValidationError, match=message):
        desk.relations.refuse(case.id, explanation="no budget", options=options, by=AM)
    assert desk.relations.get(case.id) == case


def test_unknown_cases_and_people_get_typed_errors(desk: Desk) -> None:
    with pytest.raises(NotFound, match="no relation case 999"):
        desk.relations.get(999)
    with pytest.raises(NotFound):
        desk.relations.withdraw(999, reason="x", by=OP)
    with pytest.raises(NotFound, match="no standard delivery 5"):
        desk.relations.standard_delivery(5)
    case = case_in(desk, "received")
    with pytest.raises(PermissionDenied, match="not on the desk's staff list"):
        desk.relations.withdraw(case.id, reason="x", by="mallory")
    assert desk.relations.get(case.id) == case


def test_nothing_in_the_catalogue_matching_means_no_proposal_but_a_bespoke_assessment(
    desk: Desk,
) -> None:
    case = desk.relations.open(customer="Kim", request="A qwyxl frobnicator", by=OP)
    case = desk.relations.clarify_need(case.id, need="frobnicate the zorbles weekly", by=OP)
    assert desk.relations.suggestions(case) == []
    with pytest.raises(GuardFailed) as err:
        desk.relations.propose_alternatives(case.id, by=OP)
    assert err.value.guard == "alternatives_found" and desk.relations.get(case.id) == case
    assert (
        desk.relations.assess_bespoke(case.id, reason="nothing fits", by="ben").state
        == "bespoke_assessment"
    )


def test_suggestions_before_the_need_is_known_read_the_request(desk: Desk) -> None:
    case = desk.relations.open(customer="Kim", request="Can I borrow a tablet?", by=OP)
    assert desk.relations.suggestions(case.id, limit=1)[0].service_id == "loan-device"


def test_an_alternative_retired_since_it_was_proposed_cannot_be_accepted(desk: Desk) -> None:
    case = case_in(desk, "alternative_proposed")
    with desk.transaction() as s:
        s.get(ServiceRow, "loan-device").active = False
    with pytest.raises(GuardFailed) as err:
        desk.relations.accept_alternative(case.id, service="loan-device", by=OP)
    assert err.value.guard == "service_active" and desk.relations.get(case.id) == case
    assert desk.calls.queue().total == 0


def test_a_standard_delivery_no_longer_kept_cannot_be_accepted(desk: Desk) -> None:
    kept = case_in(desk, "standard_delivery", request="iPad for the board")
    case = case_in(desk, "alternative_proposed", request="iPad for the new board member")
    assert case.suggestions[0].standard_delivery_id == kept.standard_delivery_id
    with desk.transaction() as s:
        s.get(StandardDeliveryRow, kept.standard_delivery_id).active = False
    with pytest.raises(GuardFailed, match="standard_delivery_active"):
        desk.relations.accept_alternative(
            case.id, standard_delivery=kept.standard_delivery_id, by=OP
        )
    assert desk.relations.get(case.id) == case
    assert desk.relations.standard_deliveries() == []
    assert [d.id for d in desk.relations.standard_deliveries(include_retired=True)] == [
        kept.standard_delivery_id
    ]


def test_delivering_without_steps_is_fine_and_the_steps_are_recorded_when_given(desk: Desk) -> None:
    case = case_in(desk, "bespoke_agreed")
    case = desk.relations.deliver(case.id, notes="handed over at reception", by="ben")
    assert (case.delivery_notes, case.delivery_steps, case.state) == (
        "handed over at reception",
        [],
        "delivered",
    )
    assert case.delivered_at is not None and case.closed_at is None


def test_the_draft_service_is_prefilled_from_the_case_and_its_account_manager(desk: Desk) -> None:
    case = desk.relations.open(customer="Facilities", request="Laptop lockers in the hall", by=OP)
    case = desk.relations.clarify_need(
        case.id, need="staff want to store laptops safely during lunch", by=OP
    )
    case = desk.relations.assess_bespoke(case.id, reason="no locker service", by="fatima")
    for question in ("feasible", "want", "budget"):
        desk.relations.answer(case.id, question, yes=True, reason="fine", by="fatima")
    desk.relations.agree(case.id, customer_agrees=True, by="fatima")
    desk.relations.deliver(case.id, notes="lockers placed", by="lisa")
    draft = desk.relations.draft_service(case.id)
    assert (draft["id"], draft["account_manager"], draft["department"]) == (
        "laptop-lockers-in-the-hall",
        "fatima",
        "Facilities",
    )
    assert (
        draft["name"] == "Laptop lockers in the hall"
        and draft["faq"] == []
        and draft["quality_levels"] == []
    )
    assert (
        draft["keywords"] == ["laptop", "lockers", "hall"]
        and "store laptops safely" in draft["description"]
    )
    assert draft["group"] == "facilities-team"
    with pytest.raises(ValidationError, match="ordering"):
        desk.relations.standardize(
            case.id, definition=draft, by="fatima"
        )  # the caller has to complete it


def test_the_draft_id_never_clashes_with_an_existing_service(desk: Desk) -> None:
    case = desk.relations.open(customer="Kim", request="Laptop", by=OP)
    draft = desk.relations.draft_service(case.id, by="dave")
    assert (draft["id"], draft["account_manager"], draft["department"]) == (
        "laptop-2",
        "dave",
        "IT",
    )
    assert "account_manager" not in desk.relations.draft_service(case.id, by=OP)


def test_the_queue_pages_open_cases_oldest_first_and_filters_by_state(desk: Desk) -> None:
    first = case_in(desk, "received")
    case_in(desk, "withdrawn")
    third = case_in(desk, "need_clarified")
    page = desk.relations.queue(limit=1)
    assert (page.total, [c.id for c in page.items], page.has_next) == (2, [first.id], True)
    assert [c.id for c in desk.relations.queue(offset=1).items] == [third.id]
    assert desk.relations.queue(states=("withdrawn",)).total == 1
    with pytest.raises(ValidationError, match="paging"):
        desk.relations.queue(limit=0)
    with pytest.raises(
        ValidationError, match=r"states: \['closed'\]: not states of the relation process"
    ):
        desk.relations.queue(states=("closed",))


def test_a_referred_call_and_its_case_keep_the_same_customer_and_request(desk: Desk) -> None:
    call = desk.calls.register(
        caller="Kim", channel="chat", summary="Can I borrow a tablet?", by=OP
    )
    _, case = desk.calls.refer(call.id, reason="not standard", by=OP)
    assert (case.suggestions, case.answers, case.options, case.delivery_steps) == ([], {}, [], [])
    assert desk.relations.get(case.id) == case
