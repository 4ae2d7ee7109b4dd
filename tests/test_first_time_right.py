"""First time right: resolved during the registering contact, never escalated, never reopened."""

from __future__ import annotations

from datetime import UTC, datetime

from freezegun import freeze_time

from bpsm import Desk
from tests.helpers import OP, call_in


def _ftr_today(desk: Desk) -> tuple[int, int]:
    k = desk.kpis.today()
    return k.first_time_right, k.resolved


def test_operator_resolves_at_first_contact_counts_as_first_time_right(desk: Desk) -> None:
    call = call_in(desk, "in_progress")
    call = desk.calls.resolve(call.id, solution="reset the dock", by=OP)
    assert call.first_time_right and call.resolved_at_contact == 1
    assert _ftr_today(desk) == (1, 1)


def test_escalated_call_is_not_first_time_right(desk: Desk) -> None:
    call = call_in(desk, "in_progress")
    desk.calls.escalate(call.id, to_group="second-line-it", reason="needs a new screen", by=OP)
    call = desk.calls.resolve(call.id, solution="screen replaced", by="ben")
    assert not call.first_time_right and call.escalation_count == 1
    assert _ftr_today(desk) == (0, 1)


def test_reopened_call_is_not_first_time_right_even_when_resolved_again(desk: Desk) -> None:
    call = call_in(desk, "resolved")
    assert call.first_time_right
    desk.calls.reopen(call.id, reason="still broken", by=OP)
    call = desk.calls.resolve(call.id, solution="replaced the charger", by=OP)
    assert not call.first_time_right and call.reopen_count == 1
    assert _ftr_today(desk) == (0, 1)


def test_call_resolved_at_a_later_contact_is_not_first_time_right(desk: Desk) -> None:
    call = call_in(desk, "in_progress")
    desk.calls.log_contact(call.id, channel="email", note="customer sent the error text", by=OP)
    call = desk.calls.resolve(call.id, solution="cleared the cache", by=OP)
    assert not call.first_time_right and call.resolved_at_contact == 2
    assert _ftr_today(desk) == (0, 1)


def test_the_customers_reply_after_waiting_is_a_new_contact(desk: Desk) -> None:
    call = call_in(desk, "waiting_customer")
    call = desk.calls.resume(call.id, note="sent the asset number", by=OP)
    assert call.contact_count == 2
    assert [c.seq for c in desk.calls.contacts(call.id)] == [1, 2]
    assert not desk.calls.resolve(call.id, solution="done", by=OP).first_time_right


def test_waiting_for_a_supplier_during_the_call_keeps_first_time_right(desk: Desk) -> None:
    call = call_in(desk, "waiting_supplier")
    desk.calls.resume(call.id, by=OP)
    assert desk.calls.resolve(call.id, solution="licence key from vendor", by=OP).first_time_right


def test_today_follows_the_desks_time_zone(desk: Desk) -> None:
    # 23:30 UTC on 1 March is already 2 March in Amsterdam: yesterday's resolution is not today's
    with freeze_time(datetime(2026, 3, 1, 22, 30, tzinfo=UTC)):
        call_in(desk, "resolved")
    with freeze_time(datetime(2026, 3, 1, 23, 30, tzinfo=UTC)):
        assert _ftr_today(desk) == (0, 0)
        call_in(desk, "resolved")
        assert _ftr_today(desk) == (1, 1)


def test_resolve_at_first_contact_is_one_transaction(desk: Desk) -> None:
    call = desk.calls.register(
        caller="Kim",
        channel="phone",
        summary="Dock not charging",
        service="laptop",
        accept=True,
        solution="Swapped the dock's power supply",
        by=OP,
    )
    assert call.state == "resolved" and call.first_time_right
    assert [e.trigger for e in desk.history(call)] == ["register", "accept", "resolve"]


def test_resolve_at_first_contact_without_a_service_stores_nothing(desk: Desk) -> None:
    import pytest

    from bpsm import GuardFailed, ValidationError

    with pytest.raises(GuardFailed, match="service_in_catalogue"):
        desk.calls.register(
            caller="Kim", channel="phone", summary="x", accept=True, solution="y", by=OP
        )
    with pytest.raises(ValidationError, match="needs accept=True"):
        desk.calls.register(
            caller="Kim", channel="phone", summary="x", service="laptop", solution="y", by=OP
        )
    with pytest.raises(GuardFailed, match="solution_recorded"):
        desk.calls.register(
            caller="Kim",
            channel="phone",
            summary="x",
            service="laptop",
            accept=True,
            solution=" ",
            by=OP,
        )
    assert desk.calls.queue().total == 0


def test_survey_policy_decides_who_is_asked(desk: Desk) -> None:
    calls = [call_in(desk, "resolved") for _ in range(2)]
    assert all(desk.calls.survey_due(c) for c in calls)  # the example desk asks every call
