"""Lead-time compliance counted in the desk's business hours, stored when a call is resolved.

Under a frozen clock on the example desk (Europe/Amsterdam; Friday closes at 16:00; King's Day,
27 April 2026, and Christmas closed; 24 December the desk's own closing day), across a weekend
and a holiday; every expectation computed by hand, the KPI also against a pure-Python count.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time

from bpsm import CallView, Desk, ValidationError
from tests.helpers import OP, new_call

AMS = ZoneInfo("Europe/Amsterdam")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=AMS)


def resolved_call(
    desk: Desk, service: str | None, registered: datetime, resolved: datetime
) -> CallView:
    with freeze_time(registered):
        call = new_call(desk, service=service)
        if service is None:
            call = desk.calls.make_exception(call.id, reason="one-off", by=OP)
        else:
            call = desk.calls.accept(call.id, by=OP)
    with freeze_time(resolved):
        return desk.calls.resolve(call.id, solution="done", by=OP)


def test_a_password_reset_over_a_weekend_and_kings_day_meets_its_half_hour(desk: Desk) -> None:
    # Friday 15:45 → Tuesday 08:10: 15 business minutes on Friday, 10 on Tuesday
    call = resolved_call(desk, "password-reset", at(2026, 4, 24, 15, 45), at(2026, 4, 28, 8, 10))
    assert (call.business_minutes_to_resolve, call.lead_time_met) == (25, True)
    event = desk.history(call)[-1]
    assert (event.trigger, event.data) == (
        "resolve",
        {"contact": 1, "business_minutes": 25, "lead_time_met": True},
    )


def test_ten_minutes_later_the_half_hour_is_missed(desk: Desk) -> None:
    call = resolved_call(desk, "password-reset", at(2026, 4, 24, 15, 45), at(2026, 4, 28, 8, 20))
    assert (call.business_minutes_to_resolve, call.lead_time_met) == (35, False)


def test_reopening_clears_the_facts_and_resolving_again_sets_them_anew(desk: Desk) -> None:
    # access badge, one open day: Wednesday 23 Dec 17:00 is due Monday 28 Dec 17:00 (24 Dec the
    # desk's own closing day, Christmas, the weekend)
    call = resolved_call(desk, "access-badge", at(2026, 12, 23, 17), at(2026, 12, 28, 16))
    assert (call.business_minutes_to_resolve, call.lead_time_met) == (30 + 480, True)
    with freeze_time(at(2026, 12, 29, 9)):
        call = desk.calls.reopen(call.id, reason="badge still refused", by=OP)
    assert (call.business_minutes_to_resolve, call.lead_time_met) == (None, None)
    with freeze_time(at(2026, 12, 29, 18)):  # after Tuesday's closing: all of Monday and Tuesday
        call = desk.calls.resolve(call.id, solution="reprinted", by=OP)
    assert (call.business_minutes_to_resolve, call.lead_time_met) == (30 + 570 + 570, False)


def test_a_call_without_a_service_has_business_minutes_but_no_lead_time(desk: Desk) -> None:
    call = resolved_call(desk, None, at(2026, 6, 5, 15), at(2026, 6, 8, 9))
    assert (call.business_minutes_to_resolve, call.lead_time_met) == (60 + 60, None)


def test_resolving_at_first_contact_takes_no_business_time(desk: Desk) -> None:
    with freeze_time(at(2026, 6, 2, 10)):
        call = desk.calls.register(
            caller="Kim",
            channel="phone",
            summary="forgot my password",
            service="password-reset",
            accept=True,
            solution="reset it",
            by=OP,
        )
    assert (call.business_minutes_to_resolve, call.lead_time_met) == (0, True)


# -- the KPI ---------------------------------------------------------------------------------------

APRIL, MAY = datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC)


@pytest.fixture
def april(desk: Desk) -> Desk:
    resolved_call(desk, "password-reset", at(2026, 4, 24, 15, 45), at(2026, 4, 28, 8, 10))  # met
    resolved_call(desk, "password-reset", at(2026, 4, 24, 15, 45), at(2026, 4, 28, 8, 20))  # late
    resolved_call(desk, "access-badge", at(2026, 4, 9, 10), at(2026, 4, 9, 11))  # met, 60 min
    resolved_call(desk, None, at(2026, 4, 14, 9), at(2026, 4, 14, 10))  # no lead time, 60 min
    resolved_call(desk, "access-badge", at(2026, 5, 4, 9), at(2026, 5, 4, 10))  # in May
    with freeze_time(at(2026, 4, 15, 9)):
        new_call(desk, service="laptop")  # unresolved: not counted
    return desk


def _reference(desk: Desk, since: datetime, until: datetime, service: str | None = None):
    calls = [
        c
        for c in desk.calls.queue(states=None, limit=1000).items
        if c.resolved_at is not None
        and since <= c.resolved_at < until
        and service in (None, c.service_id)
    ]
    measured = [c for c in calls if c.lead_time_met is not None]
    minutes = [c.business_minutes_to_resolve for c in calls]
    return len(measured), sum(c.lead_time_met for c in measured), sum(minutes) / len(minutes)


def test_compliance_is_the_share_of_resolved_calls_within_their_lead_time(april: Desk) -> None:
    kpi = april.calls.lead_time_compliance(since=APRIL, until=MAY)
    assert (kpi.resolved, kpi.met, kpi.mean_business_minutes) == _reference(april, APRIL, MAY)
    assert (kpi.resolved, kpi.met, kpi.share) == (3, 2, 2 / 3)
    assert kpi.mean_business_minutes == (25 + 35 + 60 + 60) / 4


def test_compliance_filters_by_service_and_period(april: Desk) -> None:
    badge = april.calls.lead_time_compliance(since=APRIL, until=MAY, service="access-badge")
    assert (badge.resolved, badge.met, badge.share) == (1, 1, 1.0)
    assert (badge.resolved, badge.met) == _reference(april, APRIL, MAY, "access-badge")[:2]
    assert april.calls.lead_time_compliance(since=MAY).resolved == 1
    assert april.calls.lead_time_compliance().resolved == 4
    nothing = april.calls.lead_time_compliance(until=APRIL)
    assert (nothing.resolved, nothing.share, nothing.mean_business_minutes) == (0, None, None)


def test_a_bad_compliance_filter_is_named(desk: Desk) -> None:
    with pytest.raises(ValidationError, match="until: 5 is not a datetime"):
        desk.calls.lead_time_compliance(until=5)  # type: ignore[arg-type]
