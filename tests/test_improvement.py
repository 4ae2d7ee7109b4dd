"""The improvement process: its guards, roles, concurrency, and the change it opens.

Every legal, illegal and forbidden step of every process is checked once for all of them: without a
database in ``tests/test_process_tables.py``, through the API in ``tests/test_process_contract.py``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from itertools import pairwise

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
from bpsm.catalogue.schema import StaffMember
from bpsm.processes.improvements.facade import ImprovementView
from bpsm.processes.improvements.steps import IMPROVEMENT, SOURCES

LEGAL = {(src, s.trigger): s.dest for s in IMPROVEMENT.table for src in s.source}

#: For each trigger: the API call that fires it, with valid arguments, by someone allowed to.
FIRE = {
    "assess": lambda d, i: d.improvements.assess(
        i.id, worth_it=True, effort_hours=16, benefit="fewer jams", by="ben"
    ),
    "approve": lambda d, i: d.improvements.approve(i.id, by="eve"),
    "drop": lambda d, i: d.improvements.drop(i.id, reason="no budget this year", by="carla"),
}
PATHS = {
    "identified": [],
    "assessed": ["assess"],
    "approved": ["assess", "approve"],
    "dropped": ["drop"],
}


def new_idea(desk: Desk, **kw) -> ImprovementView:
    args = {
        "source": "new_technology",
        "title": "Print from phones",
        "by": "anna",
        "description": "Customers ask to print from their phones; a print app exists.",
        "service_id": "printing",
    }
    return desk.improvements.identify(**{**args, **kw})


def idea_in(desk: Desk, state: str, **kw) -> ImprovementView:
    idea = new_idea(desk, **kw)
    for trig in PATHS[state]:
        idea = FIRE[trig](desk, idea)
    assert idea.state == state
    return idea


@pytest.fixture
def audited_desk(db_url: str, catalogue: Catalogue) -> Iterator[Desk]:
    """The example desk plus 'auditor', who holds only the admin role."""
    config = catalogue.desk.model_copy(
        update={
            "staff": [
                *catalogue.desk.staff,
                StaffMember(
                    id="auditor", name="Ida Auditor", roles=["admin"], group="service-desk"
                ),
            ]
        }
    )
    d = Desk.open(db_url, catalogue=dataclasses.replace(catalogue, desk=config))
    yield d
    d.close()


def test_fire_table_covers_every_trigger_and_paths_every_state() -> None:
    assert set(FIRE) == set(IMPROVEMENT.triggers) and set(PATHS) == set(IMPROVEMENT.states)


@pytest.mark.parametrize("source", SOURCES)
def test_an_idea_from_any_source_starts_identified_with_one_audit_event(
    desk: Desk, source: str
) -> None:
    idea = new_idea(desk, source=source)
    assert (idea.state, idea.source, idea.identified_by, idea.service_id) == (
        "identified",
        source,
        "anna",
        "printing",
    )
    assert [(e.trigger, e.from_state, e.to_state, e.actor) for e in desk.history(idea)] == [
        ("identify", None, "identified", "anna")
    ]


def test_assessment_records_effort_against_benefit(desk: Desk) -> None:
    idea = desk.improvements.assess(
        new_idea(desk).id,
        worth_it=False,
        effort_hours=120.5,
        benefit="saves two calls a month",
        by="dave",
    )
    assert (idea.worth_it, idea.effort_hours, idea.benefit, idea.assessed_by) == (
        False,
        120.5,
        "saves two calls a month",
        "dave",
    )
    assert desk.history(idea)[-1].data == {"worth_it": False, "effort_hours": 120.5}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"worth_it": "yes"}, "worth_it"),
        ({"effort_hours": 0}, "effort_hours"),
        ({"effort_hours": -3}, "effort_hours"),
        ({"effort_hours": True}, "effort_hours"),
        ({"effort_hours": "lots"}, "effort_hours"),
        ({"benefit": "  "}, "benefit"),
    ],
)
def test_an_incomplete_assessment_is_refused_naming_the_field(
    desk: Desk, kwargs: dict, field: str
) -> None:
    idea = new_idea(desk)
    args = {"worth_it": True, "effort_hours": 8, "benefit": "fewer calls", **kwargs}
    with pytest.raises(ValidationError, match=field):
        desk.improvements.assess(idea.id, by="ben", **args)
    assert desk.improvements.get(idea.id) == idea and len(desk.history(idea)) == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"source": "gut_feeling"}, "source: 'gut_feeling' is not one of recurring_disruption"),
        ({"title": " "}, "title: must not be empty"),
        ({"description": ""}, "description: must not be empty"),
        (
            {"service_id": "teleportation"},
            "service_id: 'teleportation' is not an active catalogue service",
        ),
    ],
)
def test_a_bad_idea_is_refused_naming_the_field_and_nothing_is_stored(
    desk: Desk, kwargs: dict, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        new_idea(desk, **kwargs)
    assert desk.improvements.list() == []


def test_approval_opens_a_modify_change_from_the_current_definition(desk: Desk) -> None:
    idea = idea_in(desk, "approved")
    assert (idea.decided_by, idea.change_id is not None) == ("eve", True)
    change = desk.changes.get(idea.change_id)
    assert (change.state, change.kind, change.service_id, change.impact) == (
        "draft",
        "modify",
        "printing",
        "medium",
    )
    assert (
        change.summary == f"Improvement IM-{idea.id:06d}: Print from phones"
    )  # as screens name it
    assert (change.origin_type, change.origin_id, change.proposed_by) == (
        "improvement",
        str(idea.id),
        "eve",
    )
    assert change.definition == desk.services.get("printing").model_dump(mode="json")
    assert [e.trigger for e in desk.history(change)] == ["propose"]
    assert desk.history(idea)[-1].data == {"change_id": change.id, "change_kind": "modify"}


def test_a_change_from_an_improvement_must_differ_from_the_published_service(desk: Desk) -> None:
    """Approving opens the change from the service as published; submitting (or implementing)
    it unchanged would republish the same definition, so it is refused until amended."""
    change_id = idea_in(desk, "approved").change_id
    assert change_id is not None
    with pytest.raises(GuardFailed) as err:
        desk.changes.submit(change_id, by="eve")
    assert err.value.guard == "difference"
    assert "printing exactly as published (v1); amend the proposed definition" in str(err.value)
    assert desk.changes.get(change_id).state == "draft"
    definition = desk.services.get("printing").model_dump(mode="json")
    definition["description"] += " Print from your phone with the print app."
    desk.changes.amend(change_id, definition=definition, by="eve")
    assert desk.changes.submit(change_id, by="eve").state == "submitted"


def test_an_idea_assessed_as_not_worth_it_cannot_be_approved_only_dropped(desk: Desk) -> None:
    idea = desk.improvements.assess(
        new_idea(desk).id, worth_it=False, effort_hours=300, benefit="little", by="ben"
    )
    with pytest.raises(GuardFailed) as err:
        desk.improvements.approve(idea.id, by="eve")
    assert err.value.guard == "worth_it"
    assert desk.improvements.get(idea.id) == idea and desk.changes.list() == []
    dropped = desk.improvements.drop(idea.id, reason="effort far above benefit", by="eve")
    assert (dropped.state, dropped.drop_reason, dropped.decided_by) == (
        "dropped",
        "effort far above benefit",
        "eve",
    )


def test_dropping_needs_a_reason(desk: Desk) -> None:
    idea = new_idea(desk)
    with pytest.raises(GuardFailed) as err:
        desk.improvements.drop(idea.id, reason=" ", by="eve")
    assert err.value.guard == "drop_reason" and desk.improvements.get(idea.id) == idea


def test_an_idea_without_a_service_needs_a_change_kind_and_definition(desk: Desk) -> None:
    idea = idea_in(
        desk, "assessed", service_id=None, source="customer_needs", title="Tablets for the board"
    )
    for kwargs in ({}, {"change_kind": "add"}):
        with pytest.raises(GuardFailed) as err:
            desk.improvements.approve(idea.id, by="carla", **kwargs)
        assert err.value.guard == "change_target" and "definition" in err.value.reason
    with pytest.raises(
        ValidationError, match="change_kind: 'rebuild' is not one of add, modify, retire"
    ):
        desk.improvements.approve(idea.id, change_kind="rebuild", by="carla")
    assert desk.improvements.get(idea.id) == idea and desk.changes.list() == []
    tablet = desk.services.get("loan-device").model_dump(mode="json") | {
        "id": "board-tablet",
        "name": "Tablet for board members",
    }
    approved = desk.improvements.approve(
        idea.id, change_kind="add", definition=tablet, impact="high", by="carla"
    )
    change = desk.changes.get(approved.change_id)
    assert (change.kind, change.service_id, change.impact, change.proposed_by) == (
        "add",
        "board-tablet",
        "high",
        "carla",
    )


def test_a_change_the_change_process_refuses_leaves_the_improvement_assessed(desk: Desk) -> None:
    idea = idea_in(desk, "assessed", service_id=None)
    with pytest.raises(ValidationError, match="definition"):
        desk.improvements.approve(
            idea.id, change_kind="add", definition={"id": "half-a-service"}, by="eve"
        )
    assert desk.improvements.get(idea.id) == idea and desk.changes.list() == []
    assert [e.trigger for e in desk.history(idea)] == ["identify", "assess"]


def test_approval_can_retire_the_service_instead(desk: Desk) -> None:
    idea = idea_in(desk, "assessed", source="legislation", title="Fax is no longer allowed")
    change = desk.changes.get(
        desk.improvements.approve(idea.id, change_kind="retire", by="eve").change_id
    )
    assert (change.kind, change.service_id, change.definition) == ("retire", "printing", None)


@pytest.mark.parametrize(
    ("action", "who"),
    [
        ("identify", "auditor"),
        ("assess", "anna"),
        ("assess", "auditor"),
        ("approve", "anna"),
        ("approve", "ben"),
        ("approve", "dave"),
        ("drop", "anna"),
        ("drop", "dave"),
        ("detect", "anna"),
        ("detect", "ben"),
    ],
)
def test_roles_not_allowed_are_refused_and_change_nothing(
    audited_desk: Desk, action: str, who: str
) -> None:
    desk = audited_desk
    idea = idea_in(desk, "assessed" if action == "approve" else "identified")
    trail = desk.history(idea)
    fire = {
        "identify": lambda: new_idea(desk, by=who),
        "assess": lambda: desk.improvements.assess(
            idea.id, worth_it=True, effort_hours=2, benefit="b", by=who
        ),
        "approve": lambda: desk.improvements.approve(idea.id, by=who),
        "drop": lambda: desk.improvements.drop(idea.id, reason="r", by=who),
        "detect": lambda: desk.improvements.detect_recurring_disruptions(by=who),
    }[action]
    with pytest.raises(PermissionDenied, match=f"improvement.{action}"):
        fire()
    assert (
        desk.improvements.list() == [idea]
        and desk.history(idea) == trail
        and desk.changes.list() == []
    )


def test_allowed_actions_follow_the_table_and_the_roles(desk: Desk) -> None:
    idea = new_idea(desk)
    assert set(desk.improvements.allowed(idea, "eve")) == {"assess", "drop"}
    assert desk.improvements.allowed(idea, "ben") == ["assess"]
    assert desk.improvements.allowed(idea, "anna") == []


def test_a_stale_version_is_refused_and_changes_nothing(desk: Desk) -> None:
    idea = new_idea(desk)
    assessed = FIRE["assess"](desk, idea)
    with pytest.raises(ConcurrentModification, match=f"improvement {idea.id}"):
        desk.improvements.drop(idea.id, reason="too late", by="eve", expected_version=idea.version)
    assert desk.improvements.get(idea.id) == assessed
    dropped = desk.improvements.drop(
        idea.id, reason="now", by="eve", expected_version=assessed.version
    )
    assert dropped.state == "dropped"


def test_unknown_improvement_is_not_found(desk: Desk) -> None:
    with pytest.raises(NotFound, match="no improvement 999"):
        desk.improvements.get(999)
    with pytest.raises(NotFound):
        desk.improvements.drop(999, reason="x", by="eve")


def test_list_filters_by_state_source_and_service(desk: Desk) -> None:
    a = idea_in(desk, "dropped")
    b = new_idea(desk, source="legislation", service_id=None)
    c = new_idea(desk, service_id="laptop")
    assert desk.improvements.list() == [c, b, a]
    assert desk.improvements.list(states=("identified",)) == [c, b]
    assert desk.improvements.list(source="legislation") == [b]
    assert desk.improvements.list(service_id="laptop") == [c]
    with pytest.raises(ValidationError, match="source: 'rumour'"):
        desk.improvements.list(source="rumour")
    with pytest.raises(
        ValidationError, match=r"states: \['done'\]: not states of the improvement process"
    ):
        desk.improvements.list(states=("done",))


def test_history_is_the_full_trail(desk: Desk) -> None:
    idea = idea_in(desk, "approved")
    trail = desk.history(idea)
    assert [(e.trigger, e.from_state, e.to_state, e.actor) for e in trail] == [
        ("identify", None, "identified", "anna"),
        ("assess", "identified", "assessed", "ben"),
        ("approve", "assessed", "approved", "eve"),
    ]
    assert trail[1].reason == "fewer jams" and desk.history("improvement", idea.id) == trail


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from(sorted(FIRE)), max_size=5))
def test_any_sequence_of_triggers_follows_the_table(desk: Desk, triggers: list[str]) -> None:
    """Model check: the stored state always equals the table's prediction.

    Illegal triggers change nothing.
    """
    idea, expected = new_idea(desk), "identified"
    for trig in triggers:
        if (expected, trig) in LEGAL:
            idea, expected = FIRE[trig](desk, idea), LEGAL[(expected, trig)]
        else:
            with pytest.raises(InvalidTransition):
                FIRE[trig](desk, idea)
        assert desk.improvements.get(idea.id).state == expected
    events = desk.history(idea)
    assert all(a.to_state == b.from_state for a, b in pairwise(events))
