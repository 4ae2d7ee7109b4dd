"""Property: whatever the desk does in whatever order — closing, reopening before the close, the
scheduled run, answers, refusals, time passing — a call's survey only moves forward (pending →
sent → answered / declined / expired, and an ended survey never changes), a call has at most
one survey and keeps the one it got, and a caller is never given two surveys within the cap."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from freezegun import freeze_time
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bpsm import Desk, InvalidTransition
from bpsm.store.tables.survey import SurveyRow
from tests.helpers import OP, call_in
from tests.test_surveys import with_policy

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
CAP_DAYS = 3
RANK = {"pending": 0, "sent": 1, "answered": 2, "declined": 2, "expired": 2}
ENDED = frozenset({"answered", "declined", "expired"})

CALL = st.integers(min_value=0, max_value=5)
STEP = st.one_of(
    st.tuples(st.just("new"), st.integers(min_value=0, max_value=1)),  # which of two callers
    st.tuples(st.just("reopen"), CALL),
    st.tuples(st.just("close"), CALL),
    st.tuples(st.just("close"), CALL),
    st.tuples(st.just("answer"), CALL),
    st.tuples(st.just("decline"), CALL),
    st.tuples(st.just("later"), st.integers(min_value=0, max_value=9)),  # days pass, the run
    st.tuples(st.just("later"), st.integers(min_value=0, max_value=9)),
)
_examples = itertools.count()


@pytest.fixture
def capped(db_url: str, tmp_path: Path) -> Iterator[Desk]:
    """Surveys after the close for every call (sample 1), a caller asked at most once in 3 days."""
    desk = Desk.open(db_url, catalogue=with_policy(tmp_path / "catalogue", cap_days=CAP_DAYS))
    yield desk
    desk.close()


def _surveys(desk: Desk, call_ids: list[int]) -> dict[int, tuple[str, datetime]]:
    """Each call's survey: its state and when it was made."""
    out = {}
    for call_id in call_ids:
        survey = desk.surveys.for_call(call_id)
        if survey is not None:
            out[call_id] = (survey.state, survey.created_at)
    return out


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(script=st.lists(STEP, min_size=1, max_size=20))
def test_surveys_move_forward_one_per_call_and_the_caller_cap_holds(
    capped: Desk, script: list[tuple[str, int]]
) -> None:
    desk, n = capped, next(_examples)
    callers = [f"Caller {n}-a", f"Caller {n}-b"]  # each example its own customers
    calls: list[int] = []
    seen: dict[int, tuple[str, datetime]] = {}
    with freeze_time(T0 + n * 60 * DAY) as clock:
        for op, arg in [("new", 0), ("new", 1), *script]:  # two calls to start with
            call_id = calls[arg % len(calls)] if calls else None
            state = desk.calls.get(call_id).state if call_id is not None else None
            survey = desk.surveys.for_call(call_id) if call_id is not None else None
            if op == "new":
                calls.append(call_in(desk, "resolved", caller=callers[arg]).id)
            elif op == "reopen" and state == "resolved":
                desk.calls.reopen(call_id, reason="still broken", by=OP)
                desk.calls.resolve(call_id, solution="fixed again", by=OP)
            elif op == "close" and state == "resolved":
                desk.calls.close(call_id, by=OP)
            elif op in ("answer", "decline") and survey is not None:
                try:
                    if op == "answer":
                        desk.surveys.answer(survey.id, satisfaction=4, by=OP)
                    else:
                        desk.surveys.decline(survey.id, by=OP)
                except InvalidTransition:
                    assert survey.state in ENDED  # only an ended survey refuses
            elif op == "later":
                clock.tick(arg * DAY)
                desk.surveys.run(by="admin")
            now = _surveys(desk, calls)
            for call_id, (was, made) in seen.items():
                assert call_id in now, "a survey disappeared"
                got, made_now = now[call_id]
                assert made_now == made, "the call got a new survey"
                assert RANK[got] >= RANK[was], f"{was} → {got}"
                assert was not in ENDED or got == was, f"an ended survey changed: {was} → {got}"
            seen = now
    for state, _ in seen.values():
        event(f"a survey ended {state}")
    with desk.transaction() as s:
        most = s.scalar(
            select(func.count()).select_from(SurveyRow).where(SurveyRow.call_id.in_(calls or [0]))
            .group_by(SurveyRow.call_id).order_by(func.count().desc()).limit(1)
        )  # fmt: skip
    assert (most or 0) <= 1
    for caller in callers:
        made = sorted(
            at for call_id, (_, at) in seen.items() if desk.calls.get(call_id).caller == caller
        )
        gaps = [b - a for a, b in itertools.pairwise(made)]
        assert all(gap >= CAP_DAYS * DAY for gap in gaps), f"{caller}: surveys {made}"
