"""KPIs in SQL, checked against a tiny pure-Python reference on hand-made fixtures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from statistics import mean

from freezegun import freeze_time

from bpsm import Desk
from tests.helpers import OP, call_in, new_call

DAY = datetime(2026, 5, 12, 10, 0, tzinfo=UTC)


def test_kpis_match_hand_computed_values(desk: Desk) -> None:
    with freeze_time(DAY) as clock:
        a = call_in(desk, "resolved")  # FTR
        desk.calls.close(a.id, effort=1, satisfaction=5, by=OP)
        b = call_in(desk, "in_progress")  # escalated, then resolved
        desk.calls.escalate(b.id, to_group="second-line-it", reason="repair", by=OP)
        desk.calls.resolve(b.id, solution="repaired", by="ben")
        desk.calls.close(b.id, effort=5, satisfaction=3, by=OP)
        c = call_in(desk, "resolved")  # FTR, closed without survey answers
        desk.calls.close(c.id, survey="not_answered", by=OP)
        call_in(desk, "waiting_customer")  # open
        e = call_in(desk, "registered", service=None)  # exception, open
        desk.calls.make_exception(e.id, reason="one-off", by=OP)
        call_in(desk, "referred", service=None)
        clock.tick(timedelta(days=1))
        call_in(desk, "resolved")  # tomorrow: outside the window
        window = desk.kpis.window(DAY - timedelta(hours=1), DAY + timedelta(hours=12))
    assert (window.registered, window.resolved, window.first_time_right) == (6, 3, 2)
    assert window.first_time_right_share == 2 / 3
    assert (window.exceptions, window.referred, window.surveyed) == (1, 1, 2)
    assert window.effort_mean == mean([1, 5]) and window.satisfaction_mean == mean([5, 3])
    assert window.open_now == 3  # waiting, the exception in progress, tomorrow's resolved call


def test_empty_window_has_no_share_and_no_means(desk: Desk) -> None:
    new_call(desk)
    k = desk.kpis.window(DAY, DAY + timedelta(days=1))
    assert k.resolved == 0 and k.first_time_right_share is None and k.effort_mean is None
