"""Surveys as records: one per call, decided once; pending → sent → answered | declined | expired.

The desks here do not ask at the close (``ask_on_close: false``) and survey every call afterwards
(``sample: 1``) unless a test says otherwise, so each scenario is the policy's and the clock's
(``freezegun``): a survey goes out a day after the close, stays open a week, and a caller asked
within 30 days is not asked again.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from freezegun import freeze_time

from bpsm import (
    ConcurrentModification,
    Desk,
    GuardFailed,
    InvalidTransition,
    PermissionDenied,
    ValidationError,
)
from bpsm.catalogue.schema import SurveyPolicy
from tests.conftest import CATALOGUE
from tests.helpers import OP, call_in

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
POLICY = """survey:
  ask_on_close: {ask_on_close}
  every_nth_call: 1
  sample: {sample}
  seed: tests
  delay: P1D
  open_for: P7D
  cap_days: {cap_days}
  relationship:
    departments: [{departments}]
    every: P30D
    start: 2026-03-01
"""

DeskMaker = Callable[..., Desk]


def with_policy(folder: Path, **kw: Any) -> Path:
    """A copy of the example catalogue with this survey section in desk.yaml."""
    values = {"ask_on_close": "false", "sample": 1, "cap_days": 30, "departments": ""} | kw
    shutil.copytree(CATALOGUE, folder)
    desk_yaml = folder / "desk.yaml"
    text = desk_yaml.read_text()
    section = re.compile(r"^survey:\n(?:  .*\n)+", re.M)
    assert section.search(text)
    desk_yaml.write_text(section.sub(POLICY.format(**values), text))
    return folder


@pytest.fixture
def make_desk(db_url: str, tmp_path: Path) -> Iterator[DeskMaker]:
    """Open the test database with a survey policy (one desk per test)."""
    opened: list[Desk] = []

    def make(**kw: Any) -> Desk:
        desk = Desk.open(db_url, catalogue=with_policy(tmp_path / "catalogue", **kw))
        opened.append(desk)
        return desk

    yield make
    for d in opened:
        d.close()


def closed_call(desk: Desk, caller: str = "Kim Jansen", **answers: Any) -> Any:
    call = call_in(desk, "resolved", caller=caller)
    return desk.calls.close(call.id, by=OP, **answers)


def test_a_sampled_call_closed_without_answers_gets_a_pending_survey_sent_after_the_delay(
    make_desk: DeskMaker,
) -> None:
    with freeze_time(T0) as clock:
        desk = make_desk()
        call = closed_call(desk)
        survey = desk.surveys.for_call(call.id)
        assert survey is not None
        assert (call.survey, survey.state, survey.send_at) == ("pending", "pending", T0 + DAY)
        assert desk.history(call)[-1].data == {"survey": "pending"}

        assert desk.surveys.run(by="admin").sent == 0  # the delay is not over
        clock.tick(DAY)
        ran = desk.surveys.run(by="admin")
        assert (ran.sent, ran.expired) == (1, 0)
        sent = desk.surveys.get(survey.id)
        assert (sent.state, sent.sent_at, sent.expires_at) == ("sent", T0 + DAY, T0 + 8 * DAY)
        assert desk.calls.get(call.id).survey == "sent"


DAY = timedelta(days=1)


def test_answers_recorded_after_the_close_land_on_the_survey_and_the_call(
    make_desk: DeskMaker,
) -> None:
    with freeze_time(T0) as clock:
        desk = make_desk()
        call = closed_call(desk)
        clock.tick(DAY)
        desk.surveys.run(by="admin")
        clock.tick(timedelta(hours=3))
        survey = desk.surveys.for_call(call.id)
        assert survey is not None
        answered = desk.surveys.answer(
            survey.id, effort=2, satisfaction=5, via="phone", note="called back", by=OP
        )
    assert (answered.state, answered.effort_score, answered.satisfaction) == ("answered", 2, 5)
    assert (answered.answered_by, answered.answered_via) == (OP, "phone")
    assert answered.answered_at == T0 + DAY + timedelta(hours=3)
    after = desk.calls.get(call.id)
    assert (after.state, after.survey, after.effort_score, after.satisfaction) == (
        "closed",
        "answered",
        2,
        5,
    )
    assert [(e.trigger, e.from_state, e.to_state, e.actor) for e in desk.history(answered)] == [
        ("ask", None, "pending", OP),
        ("send", "pending", "sent", "admin"),
        ("answer", "sent", "answered", OP),
    ]


def test_a_survey_not_answered_in_its_open_period_expires_and_counts_as_not_answered(
    make_desk: DeskMaker,
) -> None:
    with freeze_time(T0) as clock:
        desk = make_desk()
        call = closed_call(desk)
        clock.tick(DAY)
        desk.surveys.run(by="admin")
        clock.tick(7 * DAY - timedelta(seconds=1))
        assert desk.surveys.run(by="admin").expired == 0  # still open, one second to go
        clock.tick(timedelta(seconds=1))
        assert desk.surveys.run(by="admin").expired == 1
        survey = desk.surveys.for_call(call.id)
        assert survey is not None
        assert (survey.state, survey.closed_at, survey.not_answered) == (
            "expired",
            T0 + 8 * DAY,
            True,
        )
        assert desk.calls.get(call.id).survey == "not_answered"
        with pytest.raises(InvalidTransition):
            desk.surveys.answer(survey.id, satisfaction=4, by=OP)
        sat = desk.kpis.report(T0, T0 + DAY).get("satisfaction")
    assert (sat["asked"], sat["responses"], sat["not_answered"], sat["response_rate"]) == (
        1,
        0,
        1,
        0.0,
    )


def test_the_run_catches_up_and_a_second_run_changes_nothing(make_desk: DeskMaker) -> None:
    with freeze_time(T0) as clock:
        desk = make_desk()
        first, second = closed_call(desk, "Kim"), closed_call(desk, "Lee")
        clock.tick(30 * DAY)  # the nightly run did not run for a month
        ran = desk.surveys.run(by="admin")
        assert (ran.decided, ran.sent, ran.expired) == (0, 2, 0)  # sent now, open a week from now
        again = desk.surveys.run(by="admin")
        assert (again.decided, again.relationship, again.sent, again.expired) == (0, 0, 0, 0)
        clock.tick(7 * DAY)
        assert desk.surveys.run(by="admin").expired == 2
    states = {desk.calls.get(c.id).survey for c in (first, second)}
    assert states == {"not_answered"}


def test_one_caller_is_not_asked_twice_within_the_cap(make_desk: DeskMaker) -> None:
    with freeze_time(T0) as clock:
        desk = make_desk(cap_days=30)
        asked = closed_call(desk, "Kim Jansen")
        clock.tick(29 * DAY)
        capped = closed_call(desk, "  kim   JANSEN ")  # the same caller, typed differently
        other = closed_call(desk, "Lee Smit")
        clock.tick(DAY + timedelta(seconds=1))  # 30 days after the first survey
        again = closed_call(desk, "Kim Jansen")
    assert [c.survey for c in (asked, capped, other, again)] == [
        "pending",
        "not_asked",
        "pending",
        "pending",
    ]
    assert desk.history(capped)[-1].data == {"survey": "not_asked", "why": "caller_cap"}
    assert desk.surveys.for_call(capped.id) is None


def test_the_sample_is_decided_once_per_call_from_the_seed() -> None:
    policy = SurveyPolicy(sample=0.3, seed="desk-a")
    picks = [policy.sampled(i) for i in range(1, 2001)]
    assert picks == [policy.sampled(i) for i in range(1, 2001)]  # the same every time
    assert 0.25 < sum(picks) / len(picks) < 0.35
    other = SurveyPolicy(sample=0.3, seed="desk-b")
    assert picks != [other.sampled(i) for i in range(1, 2001)]
    assert not any(SurveyPolicy(sample=0).sampled(i) for i in range(1, 200))
    assert all(SurveyPolicy(sample=1).sampled(i) for i in range(1, 200))


def test_a_call_the_sample_skips_closes_as_not_asked_and_the_run_leaves_it(
    make_desk: DeskMaker,
) -> None:
    with freeze_time(T0) as clock:
        desk = make_desk(sample=0)
        call = closed_call(desk)
        clock.tick(2 * DAY)
        ran = desk.surveys.run(by="admin")
    assert (call.survey, ran.decided, ran.sent) == ("not_asked", 0, 0)
    assert desk.history(call)[-1].data == {"survey": "not_asked", "why": "sample"}
    assert desk.surveys.list().total == 0


def test_answers_at_close_still_work_and_make_the_one_survey_of_the_call(
    make_desk: DeskMaker,
) -> None:
    desk = make_desk(ask_on_close="true")
    call = closed_call(desk, effort=3, satisfaction=4)
    survey = desk.surveys.for_call(call.id)
    assert survey is not None
    assert (survey.state, survey.effort_score, survey.satisfaction) == ("answered", 3, 4)
    assert (call.survey, call.effort_score, call.satisfaction) == ("answered", 3, 4)
    refused = closed_call(desk, survey="not_answered")
    declined = desk.surveys.for_call(refused.id)
    assert declined is not None and (declined.state, refused.survey) == (
        "declined",
        "not_answered",
    )
    assert desk.surveys.run(by="admin").decided == 0  # decided at the close, never again


def test_a_survey_can_be_answered_before_it_goes_out_and_is_then_asked(
    make_desk: DeskMaker,
) -> None:
    with freeze_time(T0):
        desk = make_desk()
        call = closed_call(desk)
        survey = desk.surveys.for_call(call.id)
        assert survey is not None
        done = desk.surveys.answer(survey.id, satisfaction=2, by=OP)
    assert (done.state, done.sent_at, done.effort_score) == ("answered", T0, None)
    assert desk.kpis.report(T0, T0 + DAY).get("satisfaction")["asked"] == 1


def test_the_customer_may_decline_and_that_is_counted_as_not_answered(
    make_desk: DeskMaker,
) -> None:
    desk = make_desk()
    call = closed_call(desk)
    survey = desk.surveys.for_call(call.id)
    assert survey is not None
    gone = desk.surveys.decline(survey.id, reason="does not do surveys", by=OP)
    assert (gone.state, gone.note, desk.calls.get(call.id).survey) == (
        "declined",
        "does not do surveys",
        "not_answered",
    )


@pytest.mark.parametrize(
    ("answers", "error", "message"),
    [
        ({"effort": 9}, ValidationError, "effort: 9 is not an answer from 1 to 7"),
        ({"satisfaction": "5"}, ValidationError, "satisfaction: '5' is not an answer from 1 to 5"),
        ({}, GuardFailed, "record an answer"),
        ({"satisfaction": 4, "via": "pigeon"}, GuardFailed, "'pigeon' is not one of the desk's"),
    ],
)
def test_bad_answers_are_refused_in_one_line_and_change_nothing(
    make_desk: DeskMaker, answers: dict[str, Any], error: type[Exception], message: str
) -> None:
    desk = make_desk()
    call = closed_call(desk)
    survey = desk.surveys.for_call(call.id)
    assert survey is not None
    trail = desk.history(survey)
    with pytest.raises(error) as refused:
        desk.surveys.answer(survey.id, by=OP, **answers)
    assert message in str(refused.value) and "\n" not in str(refused.value)
    assert desk.surveys.get(survey.id) == survey and desk.history(survey) == trail
    assert desk.calls.get(call.id) == call


def test_who_may_answer_and_who_may_run(make_desk: DeskMaker) -> None:
    desk = make_desk()
    call = closed_call(desk)
    survey = desk.surveys.for_call(call.id)
    assert survey is not None
    with pytest.raises(PermissionDenied):
        desk.surveys.answer(survey.id, satisfaction=4, by="eve")  # a manager reads, no more
    with pytest.raises(PermissionDenied):
        desk.surveys.run(by=OP)  # the scheduled run is not an operator's
    assert desk.surveys.answer(survey.id, satisfaction=4, by="dave").state == "answered"


def test_a_stale_version_is_refused_and_changes_nothing(make_desk: DeskMaker) -> None:
    desk = make_desk()
    call = closed_call(desk)
    survey = desk.surveys.for_call(call.id)
    assert survey is not None
    desk.surveys.answer(survey.id, satisfaction=5, by=OP, expected_version=survey.version)
    with pytest.raises(ConcurrentModification):
        desk.surveys.decline(survey.id, by="omar", expected_version=survey.version)
    assert desk.surveys.get(survey.id).state == "answered"


def test_the_list_pages_by_state_and_refuses_an_unknown_state(make_desk: DeskMaker) -> None:
    desk = make_desk()
    calls = [closed_call(desk, f"caller {i}") for i in range(3)]
    first = desk.surveys.for_call(calls[0].id)
    assert first is not None
    desk.surveys.answer(first.id, effort=1, by=OP)
    assert desk.surveys.list(states=["pending"]).total == 2
    assert [s.call_id for s in desk.surveys.list(states="answered").items] == [calls[0].id]
    with pytest.raises(ValidationError, match="states: .*'done'"):
        desk.surveys.list(states=["done"])
    with pytest.raises(ValidationError, match="kind"):
        desk.surveys.list(kind="yearly")


def test_a_desk_yaml_with_only_the_old_survey_keys_loads_and_behaves_as_before() -> None:
    old = SurveyPolicy.model_validate({"ask_on_close": True, "every_nth_call": 3})
    assert (old.sample, old.due(3), old.due(4)) == (0.0, True, False)
    assert not old.sampled(4)  # no survey after the close unless `sample` is set
    with pytest.raises(ValueError, match="sample"):
        SurveyPolicy.model_validate({"sample": 1.5})
    with pytest.raises(ValueError, match="open for some time"):
        SurveyPolicy.model_validate({"open_for": "PT0S"})


def test_the_run_decides_a_closed_call_that_came_in_without_a_decision(
    make_desk: DeskMaker,
) -> None:
    from sqlalchemy import delete, update

    from bpsm.store.tables import CallRow
    from bpsm.store.tables.survey import SurveyRow

    with freeze_time(T0) as clock:
        desk = make_desk()
        call = closed_call(desk)
        with desk.transaction() as s:  # as an import would leave it: closed, nothing decided
            s.execute(delete(SurveyRow))
            s.execute(update(CallRow).where(CallRow.id == call.id).values(survey=None))
        clock.tick(DAY)
        ran = desk.surveys.run(by="admin")
        assert (ran.decided, ran.sent) == (1, 1)  # closed a day ago: the delay is over
        assert desk.surveys.run(by="admin").decided == 0
    assert desk.calls.get(call.id).survey == "sent"


def test_the_state_diagram_in_the_docs_is_the_step_table() -> None:
    from bpsm.processes.surveys.steps import SURVEY
    from tests.conftest import ROOT

    assert SURVEY.mermaid() in (ROOT / "docs" / "surveys.md").read_text(encoding="utf-8")


def test_the_demo_history_has_surveys_the_kpis_count(desk: Desk) -> None:
    from bpsm.demo import seed_demo

    with freeze_time(T0):
        seed_demo(desk, calls=30)
        relationship = desk.surveys.list(kind="relationship").items
        sat = desk.kpis.report(T0 - 30 * DAY, T0 + DAY).get("satisfaction")
    assert {s.department for s in relationship} == set(desk.config.survey.relationship.departments)
    assert any(s.state == "answered" for s in relationship)
    assert desk.surveys.list(kind="call").total == sat["asked"] > 0  # every close asked
