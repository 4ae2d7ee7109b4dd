"""The bulk path's replayed history (``Batch.replayed``): a path is written only when every event
is a step of the reactive table, by someone who may fire it, forward in time and not in the
future, on the desk's channel, every text fitting; a refusal rolls the batch back unless
``skip_refused`` (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from bpsm import Desk
from bpsm.errors import InvalidTransition, PermissionDenied, ValidationError
from bpsm.store.tables import AuditEventRow, CallRow

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NOW = "2026-06-01 12:00"


def _path(*steps: tuple[str, str | None, str], channel: str = "phone") -> tuple[Any, ...]:
    events = []
    for i, (trigger, src, dest) in enumerate(steps):
        events.append(
            {
                "at": T0 + timedelta(minutes=10 * i),
                "actor": "anna",
                "record_type": "call",
                "trigger": trigger,
                "from_state": src,
                "to_state": dest,
                "reason": None,
                "data": {"imported": "test", "row": i + 2},
            }
        )
    last = events[-1]["at"]
    call = {
        "state": steps[-1][2],
        "caller": "Kim",
        "channel": channel,
        "summary": "no mail",
        "service_id": None,
        "service_version": None,
        "registered_by": "anna",
        "group": "service-desk",
        "is_exception": False,
        "exception_reason": None,
        "waiting_for": None,
        "solution": None,
        "registered_at": T0,
        "resolved_at": None,
        "closed_at": None,
        "responded_at": None,
        "contact_count": 1,
        "resolved_at_contact": None,
        "escalation_count": 0,
        "reopen_count": 0,
        "effort_score": None,
        "satisfaction": None,
        "survey": None,
        "self_service_faq": None,
        "self_service_question": None,
        "business_minutes_to_resolve": None,
        "lead_time_met": None,
        "updated_at": last,
    }
    contacts = [{"seq": 1, "at": T0, "channel": channel, "by": "anna", "note": "registered"}]
    return call, contacts, events


LEGAL = (
    ("register", None, "registered"),
    ("accept", "registered", "in_progress"),
    ("resolve", "in_progress", "resolved"),
)


def _count(desk: Desk) -> tuple[int, int]:
    with desk.transaction() as s:
        calls = s.scalar(select(func.count()).select_from(CallRow))
        events = s.scalar(select(func.count()).where(AuditEventRow.record_type == "call"))
    return int(calls or 0), int(events or 0)


@freeze_time(NOW)
def test_a_legal_path_is_written_as_it_stands(desk: Desk) -> None:
    with desk.bulk(by="anna") as b:
        n = b.replayed(*_path(*LEGAL))
    call = desk.calls.get(n)
    assert (call.state, call.registered_at) == ("resolved", T0)
    trail = desk.history("call", n)
    assert [e.trigger for e in trail] == ["register", "accept", "resolve"]
    assert [e.at for e in trail] == [T0 + timedelta(minutes=m) for m in (0, 10, 20)]
    assert all(e.data and e.data["imported"] == "test" for e in trail)


@freeze_time(NOW)
@pytest.mark.parametrize(
    ("change", "error", "says"),
    [
        ("skip a step", InvalidTransition, "cannot 'resolve' from state 'registered'"),
        ("back in time", ValidationError, "is before"),
        ("in the future", ValidationError, "is in the future"),
        ("not the desk's channel", ValidationError, "fax"),
        ("too long a caller", ValidationError, "caller"),
        ("no right to the step", PermissionDenied, "eve"),
    ],
)
def test_a_path_breaking_a_rule_is_refused_and_the_batch_rolls_back(
    desk: Desk, change: str, error: type[Exception], says: str
) -> None:
    call, contacts, events = _path(*LEGAL)
    if change == "skip a step":
        call, contacts, events = _path(LEGAL[0], ("resolve", "registered", "resolved"))
    elif change == "back in time":
        events[2]["at"] = T0 - timedelta(minutes=1)
    elif change == "in the future":
        events[2]["at"] = datetime(2027, 1, 1, tzinfo=UTC)
    elif change == "not the desk's channel":
        call["channel"] = "fax"
    elif change == "too long a caller":
        call["caller"] = "K" * 201
    else:
        events[1]["actor"] = "eve"  # a manager: may not accept calls
    with pytest.raises(error, match=says), desk.bulk(by="anna") as b:
        b.replayed(*_path(*LEGAL))  # a good one first: rolled back with the batch
        b.replayed(call, contacts, events)
    assert _count(desk) == (0, 0)

    with desk.bulk(by="anna") as b:
        with pytest.raises(error):
            b.replayed(call, contacts, events, skip_refused=True)
        b.replayed(*_path(*LEGAL))  # the batch goes on
    assert _count(desk) == (1, 3)
