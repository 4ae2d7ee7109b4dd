"""The survey KPIs against the pure-Python reference and against figures worked out by hand.

One small desk history under ``freezegun`` (the policy: no questions at the close unless the
operator records answers, every call sampled, sent a day after the close, open a week, one survey
per caller in 30 days):

====  =======  =============================================  ===================
call  caller   what happens                                   call's ``survey``
====  =======  =============================================  ===================
1     Kim      answers at the close: effort 2, satisfaction 5 answered
2     Lee      declines at the close                          not_answered
3     Kim      closed without answers: Kim was asked (cap)    not_asked
4     Max      sent after a day, answers: effort 6, sat. 3    answered
5     Noor     sent after a day, never answers: expires       not_answered
6     Pia      answers at the close: satisfaction 4 only      answered
7     Ola      closed on day 9: not sent yet                  pending
====  =======  =============================================  ===================

Asked (the survey went out): 1, 2, 4, 5, 6 = 5. Satisfaction answers 5, 3, 4: 3 responses, 2
satisfied (≥ 4), mean 4.0, response rate 3 / 5. Effort answers 2, 6: mean 4.0, 1 easy (≤ 3),
response rate 2 / 5. Not answered: 2 and 5.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun import freeze_time

from bpsm import Desk
from tests.helpers import OP
from tests.kpi_reference import compare, facts, reference
from tests.test_surveys import DAY, T0, DeskMaker, closed_call, make_desk  # noqa: F401

HOUR = timedelta(hours=1)


def history(desk: Desk, clock: object) -> None:
    closed_call(desk, "Kim", effort=2, satisfaction=5)
    closed_call(desk, "Lee", survey="not_answered")
    closed_call(desk, "Kim")
    max_ = closed_call(desk, "Max")
    closed_call(desk, "Noor")
    closed_call(desk, "Pia", satisfaction=4)
    clock.tick(DAY)  # type: ignore[attr-defined]
    assert desk.surveys.run(by="admin").sent == 2
    clock.tick(HOUR)  # type: ignore[attr-defined]
    survey = desk.surveys.for_call(max_.id)
    assert survey is not None
    desk.surveys.answer(survey.id, effort=6, satisfaction=3, via="email", by=OP)
    clock.tick(7 * DAY + HOUR)  # type: ignore[attr-defined]
    closed_call(desk, "Ola")
    assert desk.surveys.run(by="admin").expired == 1
    clock.tick(HOUR)  # type: ignore[attr-defined]


@pytest.mark.parametrize("by", [None, "day"])
def test_survey_kpis_match_the_reference_and_the_hand_computed_figures(
    make_desk: DeskMaker,  # noqa: F811
    by: str | None,
) -> None:
    with freeze_time(T0) as clock:
        desk = make_desk()
        history(desk, clock)
        since, until = T0 - HOUR, T0 + 10 * DAY
        report = desk.kpis.report(since, until, by=by, kpis=["effort", "satisfaction"])  # type: ignore[arg-type]
        now = T0 + 8 * DAY + 3 * HOUR
        ref = reference(facts(desk), since, until, desk.config.timezone, now, by=by)
    ref = {k: v for k, v in ref.items() if k[2] in ("effort", "satisfaction")}
    compare(report, ref)
    sat, eff = report.get("satisfaction"), report.get("effort")
    assert (sat["asked"], sat["responses"], sat["satisfied"], sat["not_answered"]) == (5, 3, 2, 2)
    assert (sat["mean"], sat["share"], sat["response_rate"]) == (4.0, pytest.approx(2 / 3), 0.6)
    assert (eff["asked"], eff["responses"], eff["easy"]) == (5, 2, 1)
    assert (eff["mean"], eff["easy_share"], eff["response_rate"]) == (4.0, 0.5, 0.4)
    if by == "day":  # Ola's call (day 9) is pending: in no count but the period's
        day9 = (T0 + 8 * DAY).date().isoformat()
        assert report.get("satisfaction", day9) == {
            "asked": 0,
            "responses": 0,
            "not_answered": 0,
            "satisfied": 0,
            "score_sum": 0,
            "share": None,
            "mean": None,
            "response_rate": None,
        }


def test_every_closed_call_says_how_its_survey_went(make_desk: DeskMaker) -> None:  # noqa: F811
    with freeze_time(T0) as clock:
        desk = make_desk()
        history(desk, clock)
    outcomes = [
        c["survey"]
        for c in sorted((c for c in facts(desk) if c["kind"] == "call"), key=lambda c: c["id"])
    ]
    assert outcomes == [
        "answered",
        "not_answered",
        "not_asked",
        "answered",
        "not_answered",
        "answered",
        "pending",
    ]
