"""The periodic relationship survey: one per customer department and period, made by the run.

The policy: departments Finance and Sales, every 30 days from 2026-03-01 (midnight in
Amsterdam: 2026-02-28 23:00 UTC), open a week. Hand-computed report over two periods:

=======  ========  =========  ==============
period   Finance   Sales      all
=======  ========  =========  ==============
1st      4         expired    1 of 2, mean 4
2nd      5         2          2 of 2, mean 3.5
total    4.5 (2)   2.0 (1/2)  3 of 4, mean 11/3, 2 satisfied
=======  ========  =========  ==============
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from bpsm import Desk, ValidationError
from bpsm.catalogue.schema import SurveyPolicy
from tests.test_surveys import DAY, T0, DeskMaker, make_desk  # noqa: F401

FIRST = datetime(2026, 2, 28, 23, 0, tzinfo=UTC)
SECOND = FIRST + 30 * DAY


def departments(desk: Desk) -> dict[str, int]:
    page = desk.surveys.list(kind="relationship", states=["sent"])
    return {s.department or "": s.id for s in page.items}


def two_periods(desk: Desk, clock: object) -> None:
    ran = desk.surveys.run(by="admin")
    assert (ran.relationship, ran.sent) == (2, 2)
    first = departments(desk)
    desk.surveys.answer(first["Finance"], satisfaction=4, via="email", by="dave")
    clock.tick(7 * DAY)  # type: ignore[attr-defined]
    assert desk.surveys.run(by="admin").expired == 1  # Sales did not answer
    clock.move_to(SECOND + timedelta(hours=10))  # type: ignore[attr-defined]
    assert desk.surveys.run(by="admin").relationship == 2
    second = departments(desk)
    desk.surveys.answer(second["Finance"], satisfaction=5, by="dave")
    desk.surveys.answer(second["Sales"], satisfaction=2, by="anna")


def test_each_department_gets_one_survey_per_period_and_a_rerun_makes_none(
    make_desk: DeskMaker,  # noqa: F811
) -> None:
    with freeze_time(T0):
        desk = make_desk(departments="Finance, Sales")
        ran = desk.surveys.run(by="admin")
        assert (ran.relationship, ran.sent) == (2, 2)
        assert desk.surveys.run(by="admin").relationship == 0
    made = desk.surveys.list(kind="relationship").items
    assert sorted((s.department, s.period_start, s.state) for s in made) == [
        ("Finance", FIRST, "sent"),
        ("Sales", FIRST, "sent"),
    ]
    assert all(s.call_id is None and s.expires_at == T0 + 7 * DAY for s in made)


def test_a_missed_period_is_not_made_afterwards(make_desk: DeskMaker) -> None:  # noqa: F811
    with freeze_time(FIRST + 65 * DAY):  # the third period; the run never ran before
        desk = make_desk(departments="Finance")
        assert desk.surveys.run(by="admin").relationship == 1
    [made] = desk.surveys.list(kind="relationship").items
    assert made.period_start == FIRST + 60 * DAY


def test_before_the_first_period_nothing_is_made(make_desk: DeskMaker) -> None:  # noqa: F811
    with freeze_time(FIRST - timedelta(minutes=1)):
        desk = make_desk(departments="Finance")
        assert desk.surveys.run(by="admin").relationship == 0


def test_a_relationship_survey_asks_satisfaction_only(make_desk: DeskMaker) -> None:  # noqa: F811
    with freeze_time(T0):
        desk = make_desk(departments="Finance")
        desk.surveys.run(by="admin")
        [survey] = desk.surveys.list(kind="relationship").items
        with pytest.raises(ValidationError, match="effort: a relationship survey asks"):
            desk.surveys.answer(survey.id, effort=3, satisfaction=4, by="dave")
        assert desk.surveys.get(survey.id) == survey


def test_the_relationship_report_by_department_and_week(make_desk: DeskMaker) -> None:  # noqa: F811
    with freeze_time(T0) as clock:
        desk = make_desk(departments="Finance, Sales")
        two_periods(desk, clock)
    since, until = datetime(2026, 2, 20, tzinfo=UTC), datetime(2026, 4, 10, tzinfo=UTC)
    report = desk.surveys.relationship_report(since, until, by="week")
    first_week, second_week = "2026-02-23", "2026-03-30"  # Sunday 1 and Tuesday 31 March, local
    assert first_week in report.periods and second_week in report.periods
    assert report.get() == {
        "surveys": 4,
        "responses": 3,
        "satisfied": 2,
        "score_sum": 11,
        "mean": pytest.approx(11 / 3),
        "share": pytest.approx(2 / 3),
        "response_rate": 0.75,
    }
    finance, sales = report.get(department="Finance"), report.get(department="Sales")
    assert (finance["mean"], finance["share"], finance["response_rate"]) == (4.5, 1.0, 1.0)
    assert (sales["mean"], sales["share"], sales["response_rate"]) == (2.0, 0.0, 0.5)
    one, two = report.get(first_week), report.get(second_week)
    assert (one["surveys"], one["responses"], one["mean"], one["response_rate"]) == (2, 1, 4.0, 0.5)
    assert (two["surveys"], two["responses"], two["mean"], two["share"]) == (2, 2, 3.5, 0.5)
    empty = report.get("2026-03-09")
    assert (empty["surveys"], empty["mean"]) == (0, None)
    total_only = desk.surveys.relationship_report(since, until)
    assert total_only.periods == [] and total_only.get()["responses"] == 3


def test_a_bad_report_window_is_refused_naming_the_field(make_desk: DeskMaker) -> None:  # noqa: F811
    desk = make_desk()
    with pytest.raises(ValidationError, match="until: "):
        desk.surveys.relationship_report(T0, T0 - DAY)
    with pytest.raises(ValidationError, match="by: 'year'"):
        desk.surveys.relationship_report(T0 - DAY, T0, by="year")


def test_the_departments_and_schedule_are_checked_in_desk_yaml() -> None:
    with pytest.raises(ValueError, match="duplicate name"):
        SurveyPolicy.model_validate({"relationship": {"departments": ["Sales", "Sales"]}})
    with pytest.raises(ValueError, match="shorter than a day"):
        SurveyPolicy.model_validate({"relationship": {"departments": ["Sales"], "every": "PT1H"}})
    with pytest.raises(ValueError, match="not a duration"):
        SurveyPolicy.model_validate({"relationship": {"every": "quarterly"}})
