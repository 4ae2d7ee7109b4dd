"""Closing a call records its survey: the customer's answers, or explicitly that they gave none.

The library checks every answer (effort 1–7, satisfaction 1–5) and refuses, changing nothing,
an answer out of range or not a whole number, naming the field and the range. Closing a call the
survey policy asks without answers is refused unless the operator records that the customer did
not answer (``survey="not_answered"``); a call the policy does not ask closes as ``not_asked``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bpsm import Desk, GuardFailed, ValidationError
from tests.conftest import CATALOGUE
from tests.helpers import OP, call_in


def closes_with(desk: Desk, **answers: Any) -> tuple[Any, Any]:
    """Close a fresh resolved call with ``answers``; the call and its closing audit event."""
    call = call_in(desk, "resolved")
    closed = desk.calls.close(call.id, by=OP, **answers)
    return closed, desk.history(closed)[-1]


def test_both_answers_are_recorded_on_the_call_and_in_the_audit_event(desk: Desk) -> None:
    call, event = closes_with(desk, effort=2, satisfaction=5)
    assert (call.state, call.survey, call.effort_score, call.satisfaction) == (
        "closed",
        "answered",
        2,
        5,
    )
    survey = desk.surveys.for_call(call.id)
    assert survey is not None
    assert (event.trigger, event.data) == (
        "close",
        {"survey": "answered", "effort": 2, "satisfaction": 5},
    )
    assert (survey.state, survey.effort_score, survey.satisfaction, survey.answered_via) == (
        "answered",
        2,
        5,
        "close",
    )
    assert [(e.trigger, e.from_state, e.to_state) for e in desk.history(survey)] == [
        ("ask", None, "pending"),
        ("answer", "pending", "answered"),
    ]


def test_a_customer_who_answers_one_question_is_recorded_as_answered(desk: Desk) -> None:
    call, event = closes_with(desk, satisfaction=4)
    assert (call.survey, call.effort_score, call.satisfaction) == ("answered", None, 4)
    assert event.data == {
        "survey": "answered",
        "effort": None,
        "satisfaction": 4,
    }


def test_customer_did_not_answer_is_recorded_as_such(desk: Desk) -> None:
    call, event = closes_with(desk, survey="not_answered")
    assert (call.state, call.survey, call.effort_score, call.satisfaction) == (
        "closed",
        "not_answered",
        None,
        None,
    )
    survey = desk.surveys.for_call(call.id)
    assert survey is not None and survey.state == "declined" and survey.not_answered
    assert event.data == {"survey": "not_answered"}


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"effort": 99}, "effort: 99 is not an answer from 1 to 7"),
        ({"effort": 0, "satisfaction": 3}, "effort: 0 is not an answer from 1 to 7"),
        ({"effort": "abc"}, "effort: 'abc' is not an answer from 1 to 7"),
        ({"effort": 2.5}, "effort: 2.5 is not an answer from 1 to 7"),
        ({"effort": True}, "effort: True is not an answer from 1 to 7"),
        ({"effort": 3, "satisfaction": 6}, "satisfaction: 6 is not an answer from 1 to 5"),
        ({"satisfaction": "5"}, "satisfaction: '5' is not an answer from 1 to 5"),
        ({"survey": "maybe"}, "survey: 'maybe' is not one of answered, not_answered"),
        (
            {"survey": "not_answered", "effort": 2},
            "survey: 'not_answered', yet the customer's answers are given (effort 2)",
        ),
        ({"survey": "answered"}, "survey: 'answered' needs an answer"),
    ],
)
def test_a_bad_answer_is_refused_naming_the_field_and_changes_nothing(
    desk: Desk, answers: dict[str, Any], message: str
) -> None:
    call = call_in(desk, "resolved")
    trail = desk.history(call)
    with pytest.raises(ValidationError) as refused:
        desk.calls.close(call.id, by=OP, **answers)
    assert str(refused.value).startswith(message)
    assert "\n" not in str(refused.value)  # one line
    assert desk.calls.get(call.id) == call and desk.history(call) == trail


def test_closing_without_answers_when_the_survey_is_due_is_refused(desk: Desk) -> None:
    call = call_in(desk, "resolved")
    assert desk.calls.survey_due(call)
    with pytest.raises(GuardFailed) as refused:
        desk.calls.close(call.id, by=OP)
    assert refused.value.guard == "survey_taken"
    assert "survey='not_answered'" in refused.value.reason
    assert desk.calls.get(call.id) == call


@pytest.fixture
def every_second(db_url: str, tmp_path: Path) -> Iterator[Desk]:
    """A desk whose survey policy asks every second call."""
    folder = tmp_path / "catalogue"
    shutil.copytree(CATALOGUE, folder)
    desk_yaml = folder / "desk.yaml"
    text = desk_yaml.read_text()
    assert "every_nth_call: 1" in text
    desk_yaml.write_text(text.replace("every_nth_call: 1", "every_nth_call: 2"))
    desk = Desk.open(db_url, catalogue=folder)
    yield desk
    desk.close()


def test_a_call_the_policy_does_not_ask_closes_as_not_asked(every_second: Desk) -> None:
    first, second = call_in(every_second, "resolved"), call_in(every_second, "resolved")
    asked, skipped = sorted((first, second), key=every_second.calls.survey_due, reverse=True)
    assert every_second.calls.survey_due(asked) and not every_second.calls.survey_due(skipped)

    closed = every_second.calls.close(skipped.id, by=OP)
    assert (closed.survey, every_second.history(closed)[-1].data) == (
        "not_asked",
        {"survey": "not_asked", "why": "sample"},
    )
    assert every_second.surveys.for_call(closed.id) is None
    with pytest.raises(GuardFailed, match="survey_taken"):
        every_second.calls.close(asked.id, by=OP)


def test_an_open_call_has_no_survey_yet(desk: Desk) -> None:
    assert call_in(desk, "resolved").survey is None
