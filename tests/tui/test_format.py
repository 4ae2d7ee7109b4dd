"""How the TUI shows values: ages, states, the KPI line, the page status and errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bpsm import ConcurrentModification, GuardFailed, KpiSnapshot, Problem, ValidationError
from bpsm_tui.data.format import (
    age,
    error_text,
    event_details,
    kpi_line,
    local_time,
    page_status,
    speak,
    state_label,
)

NOW = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("ago", "shown"),
    [
        (timedelta(seconds=20), "<1m"),
        (timedelta(minutes=25), "25m"),
        (timedelta(hours=2), "2h"),
        (timedelta(hours=2, minutes=5), "2h 5m"),
        (timedelta(days=3, hours=4, minutes=59), "3d 4h"),
        (timedelta(days=12), "12d"),
        (timedelta(minutes=-3), "<1m"),  # another machine's clock runs ahead
    ],
)
def test_age_is_humanised_in_the_two_largest_units(ago: timedelta, shown: str) -> None:
    assert age(NOW - ago, NOW) == shown


def test_age_takes_naive_stored_times_as_utc() -> None:
    assert age(datetime(2025, 3, 14, 11, 35), NOW) == "25m"


def test_states_read_as_words_and_exceptions_are_flagged() -> None:
    assert state_label("waiting_customer") == "waiting: customer"
    assert state_label("in_progress", is_exception=True) == "in progress (exception)"


def test_local_time_is_shown_in_the_desks_zone() -> None:
    assert local_time(NOW, "Europe/Amsterdam") == "2025-03-14 13:00"
    assert local_time(None, "Europe/Amsterdam") == "—"


def _kpis(resolved: int, ftr: int, open_now: int) -> KpiSnapshot:
    return KpiSnapshot(
        since=NOW,
        until=NOW,
        registered=0,
        resolved=resolved,
        first_time_right=ftr,
        exceptions=0,
        referred=0,
        open_now=open_now,
        surveyed=0,
        effort_mean=None,
        satisfaction_mean=None,
    )


def test_kpi_line_shows_the_first_time_right_share_or_a_dash() -> None:
    assert kpi_line(_kpis(6, 4, 23), "Anna de Vries (operator)") == (
        "First time right today: 67% (4 of 6 resolved) · Open calls: 23 · Anna de Vries (operator)"
    )
    assert kpi_line(_kpis(0, 0, 1), "Omar").startswith("First time right today: — ")


def test_page_status_counts_calls_and_pages() -> None:
    assert page_status(40, 40, 123, 40) == "Calls 41–80 of 123 · page 2/4"
    assert page_status(120, 3, 123, 40) == "Calls 121–123 of 123 · page 4/4"
    assert page_status(0, 0, 0, 40) == "No open calls"


def test_errors_read_as_the_library_says_them() -> None:
    assert error_text(ValidationError("caller: must not be empty")) == "caller: must not be empty"
    two = ValidationError(
        [Problem("must not be empty", field="caller"), Problem("too long", field="summary")]
    )
    assert error_text(two) == "caller: must not be empty\nsummary: too long"
    assert "changed by someone else" in error_text(ConcurrentModification("call 7", 3, 4))
    assert error_text(OSError("disk full")) == "OSError: disk full"


@pytest.mark.parametrize(
    ("said", "shown"),
    [
        ("call 159 is 'waiting_customer'", "C-000159 is waiting: customer"),
        ("call 159 is waiting_customer", "C-000159 is waiting: customer"),
        ("Call 159: cannot close", "C-000159: cannot close"),
        ("change #3 is in_progress", "CH-000003 is in progress"),
        ("improvement 1 approved: change 2 opened", "IM-000001 approved: CH-000002 opened"),
        ("task 12 skipped", "T-000012 skipped"),
        ("relation case 3 was changed", "R-000003 was changed"),
        (
            "service_id: 'printing' is not in the catalogue",
            "service_id: 'printing' is not in the catalogue",
        ),
    ],
)
def test_messages_name_records_and_states_as_the_screens_do(said: str, shown: str) -> None:
    assert speak(said) == shown
    assert error_text(ValidationError(said)) == shown


def test_a_guards_refusal_reads_as_its_reason_without_the_guards_name() -> None:
    said = error_text(GuardFailed("answer_is_no", "refusing needs a recorded 'no'"))
    assert said == "refusing needs a recorded 'no'"


def test_audit_details_read_as_words() -> None:
    said = event_details("moved", {"to": "waiting_customer", "origin": "improvement 1", "x": None})
    assert said == "moved (to: waiting: customer, origin: IM-000001)"
    assert event_details(None, {"service_id": "printing"}) == "service id: printing"
    assert event_details(None, None) == ""
