"""The daily KPI roll-ups: the report read through them is the live engine's, figure for figure.

Random small desks (calls written straight into the table, around the desk's local midnights and
across the start of summer time), a refresh, then random changes to the calls the roll-up has
not seen (reopened, re-resolved, closed, moved to another group, deleted, new calls in the past),
days passing without a refresh, and another refresh or not: every report (any period, grouping
and filter, cut anywhere) and the headline snapshot equal the live engine's and the reference.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, time, timedelta
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, insert, select, update

from bpsm import Desk
from bpsm.kpis import KpiFilter, rollup
from bpsm.store.tables import CallRow
from bpsm.store.tables.kpi import KpiDirtyRow, KpiRollupRow, KpiRollupStateRow
from tests.kpi_reference import compare, facts, reference

TZ = "Europe/Amsterdam"  # the example desk's; summer time begins on Sunday 29 March 2026
ZONE = ZoneInfo(TZ)
T0 = datetime(2026, 3, 20, tzinfo=UTC)
SERVICES = ["laptop", "email-account", "catering", None]


@st.composite
def a_moment(draw: Any) -> datetime:
    """Mostly a few minutes either side of a local midnight, else anywhere in 40 days."""
    day = (T0 + timedelta(days=draw(st.integers(0, 40)))).astimezone(ZONE).date()
    midnight = datetime.combine(day, time(), ZONE).astimezone(UTC)
    if draw(st.booleans()):
        return midnight + timedelta(minutes=draw(st.integers(-3, 3)))
    return midnight + timedelta(minutes=draw(st.integers(0, 60 * 24 - 1)))


@st.composite
def a_call(draw: Any) -> dict[str, Any]:
    at = draw(a_moment())
    state = draw(st.sampled_from(["registered", "in_progress", "resolved", "closed", "referred"]))
    later = lambda: at + timedelta(minutes=draw(st.integers(0, 60 * 24 * 6)))  # noqa: E731
    resolved = later() if state in ("resolved", "closed") else None
    closed = resolved + timedelta(minutes=draw(st.integers(0, 600))) if resolved else None
    closed = closed if state == "closed" else None
    survey = draw(st.sampled_from(["answered", "not_answered", "not_asked"])) if closed else None
    answered = survey == "answered"
    return {
        "state": state,
        "caller": "Kim",
        "channel": draw(st.sampled_from(["phone", "email", "chat"])),
        "summary": "x",
        "service_id": draw(st.sampled_from(SERVICES)),
        "service_version": None,
        "registered_by": draw(st.sampled_from(["anna", "ben"])),
        "group": draw(st.sampled_from(["service-desk", "second-line-it"])),
        "is_exception": draw(st.booleans()),
        "registered_at": at,
        "resolved_at": resolved,
        "closed_at": closed,
        "responded_at": None if state == "registered" else later(),
        "contact_count": draw(st.integers(1, 3)),
        "resolved_at_contact": draw(st.sampled_from([1, 2])) if resolved else None,
        "escalation_count": draw(st.integers(0, 2)),
        "reopen_count": draw(st.integers(0, 1)),
        "effort_score": draw(st.none() | st.integers(1, 7)) if answered else None,
        "satisfaction": draw(st.none() | st.integers(1, 5)) if answered else None,
        "survey": survey,
        "version": 1,
        "updated_at": at,
    }


#: what happens to a call after the refresh: (what, the call's index, minutes after "now")
a_change = st.tuples(
    st.sampled_from(["reopen", "resolve", "close", "regroup", "delete", "add"]),
    st.integers(0, 30),
    st.integers(0, 60 * 24 * 4),
)


def apply(desk: Desk, change: tuple[str, int, int], now: datetime, new: dict[str, Any]) -> None:
    """One change to the calls, as the desk's steps would leave the row (or a new old call)."""
    what, index, minutes = change
    C = CallRow
    with desk.transaction() as s:
        if what == "add":
            s.execute(insert(C), [new])
            return
        ids = list(s.scalars(select(C.id).order_by(C.id)))
        if not ids:
            return
        cid = ids[index % len(ids)]
        at = now + timedelta(minutes=minutes)
        row = s.execute(select(C.registered_at, C.state).where(C.id == cid)).one()
        at = max(at, row.registered_at)
        values: dict[str, Any] = {
            "reopen": {
                "state": "in_progress",
                "resolved_at": None,
                "closed_at": None,
                "resolved_at_contact": None,
                "reopen_count": C.reopen_count + 1,
            },
            "resolve": {"state": "resolved", "resolved_at": at, "resolved_at_contact": 2},
            "close": {
                "state": "closed",
                "resolved_at": at,
                "closed_at": at,
                "survey": "answered",
                "satisfaction": 4,
                "effort_score": 2,
            },
            "regroup": {"group": "second-line-it", "escalation_count": C.escalation_count + 1},
        }.get(what, {})
        if what == "delete":
            s.execute(delete(C).where(C.id == cid))
        else:
            s.execute(update(C).where(C.id == cid).values(updated_at=at, **values))


def live(desk: Desk, *args: Any, **kwargs: Any) -> Any:
    """The report as the engine counts it without the roll-up."""
    with mock.patch.object(rollup, "_plan", return_value=None):
        return desk.kpis.report(*args, **kwargs)


def same(a: Any, b: Any) -> None:
    """The same rows with the same figures: counts exactly, sums of seconds and the ratios
    derived from them to the last bits a different order of additions may change."""
    got = {(r.period, r.group, r.kpi): r.figures for r in a.rows}
    want = {(r.period, r.group, r.kpi): r.figures for r in b.rows}
    assert got.keys() == want.keys()
    for key, figures in want.items():
        assert got[key].keys() == figures.keys(), key
        for name, v in figures.items():
            g = got[key][name]
            if v is None or g is None or (isinstance(v, int) and isinstance(g, int)):
                assert g == v, (key, name, g, v)
            else:
                assert math.isclose(g, v, rel_tol=1e-12, abs_tol=1e-9), (key, name, g, v)


def reset(desk: Desk, calls: list[dict[str, Any]]) -> None:
    with desk.transaction() as s:
        for table in (KpiRollupRow, KpiRollupStateRow, CallRow, KpiDirtyRow):
            s.execute(delete(table))
        if calls:
            s.execute(insert(CallRow), calls)


GROUPS = [None, "service", "department", "operator", "channel", "group"]
FILTERS = [
    {},
    {"channel": "phone"},
    {"department": "IT"},
    {"service": "laptop"},
    {"operator": "ben"},
    {"group": "second-line-it"},
]


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    calls=st.lists(a_call(), max_size=25),
    changes=st.lists(st.tuples(a_change, a_call()), max_size=6),
    refreshed=st.integers(20, 44),
    later=st.integers(0, 60 * 24 * 5),
    again=st.booleans(),
    by=st.sampled_from([None, "day", "week", "month"]),
    group_by=st.sampled_from(GROUPS),
    filters=st.sampled_from(FILTERS),
    start=st.integers(0, 40),
    hours=st.sampled_from([0, 0, 5]),
    days=st.integers(1, 40),
)
def test_rollup_reads_as_the_live_engine(
    desk: Desk,
    calls: Any,
    changes: Any,
    refreshed: int,
    later: int,
    again: bool,
    by: Any,
    group_by: Any,
    filters: Any,
    start: int,
    hours: int,
    days: int,
) -> None:
    reset(desk, calls)
    at = T0 + timedelta(days=refreshed, hours=7)
    with freeze_time(at):
        desk.kpis.refresh()
    for change, new in changes:
        apply(desk, change, at, new)
    now = at + timedelta(minutes=later)
    if again:
        with freeze_time(now):
            desk.kpis.refresh()
    local = (T0 + timedelta(days=start)).astimezone(ZONE).date()
    since = datetime.combine(local, time(hours), ZONE)
    until = since + timedelta(days=days)
    args = (since, until)
    kwargs = {"by": by, "group_by": group_by, "filters": KpiFilter(**filters)}
    with freeze_time(now):
        got, want = desk.kpis.report(*args, **kwargs), live(desk, *args, **kwargs)
        snap = desk.kpis.today()
        with mock.patch.object(rollup, "_plan", return_value=None):
            snap_live = desk.kpis.today()
    same(got, want)
    compare(got, reference(facts(desk), since, until, TZ, now, by, group_by, filters))
    assert snap == snap_live


@pytest.fixture
def rolled(desk: Desk) -> tuple[Desk, datetime]:
    """Three days of calls, each resolved an hour after it came in; rolled up the fourth day."""
    calls = []
    for d in range(3):
        at = datetime(2026, 3, 27 + d, 9, tzinfo=ZONE).astimezone(UTC)
        calls.append(
            {
                "state": "resolved",
                "caller": "Kim",
                "channel": "phone",
                "summary": "x",
                "service_id": "laptop",
                "registered_by": "anna",
                "group": "service-desk",
                "registered_at": at,
                "resolved_at": at + timedelta(hours=1),
                "responded_at": at + timedelta(minutes=5),
                "resolved_at_contact": 1,
                "contact_count": 1,
                "escalation_count": 0,
                "reopen_count": 0,
                "is_exception": False,
                "version": 1,
                "updated_at": at,
            }
        )
    reset(desk, calls)
    now = datetime(2026, 3, 30, 12, tzinfo=ZONE)
    with freeze_time(now):
        done = desk.kpis.refresh()
    assert done.rebuilt and done.through.isoformat() == "2026-03-29"
    return desk, now


SINCE, UNTIL = datetime(2026, 3, 27, tzinfo=ZONE), datetime(2026, 3, 31, tzinfo=ZONE)


def test_whole_days_are_read_from_the_rollup(rolled: tuple[Desk, datetime]) -> None:
    """Doubling the roll-up's rows doubles the report: it reads them, not the calls."""
    desk, now = rolled
    with freeze_time(now):
        before = desk.kpis.report(SINCE, UNTIL).get("first_time_right")
        with desk.transaction() as s:
            s.execute(update(KpiRollupRow).values(s0=KpiRollupRow.s0 * 2))
        after = desk.kpis.report(SINCE, UNTIL).get("first_time_right")
    assert (before["resolved"], after["resolved"]) == (3, 6)


def test_a_filter_the_rollup_does_not_hold_is_counted_live(rolled: tuple[Desk, datetime]) -> None:
    """A pilot's population is not in the roll-up: with its rows doubled, a report filtered
    by a population still counts the calls (3), while the plain report reads the roll-up (6)."""
    from bpsm.kpis import Population

    desk, now = rolled
    pop = Population("p", ("kim",))
    with freeze_time(now):
        with desk.transaction() as s:
            s.execute(update(KpiRollupRow).values(s0=KpiRollupRow.s0 * 2))
        plain = desk.kpis.report(SINCE, UNTIL).get("first_time_right")
        piloted = desk.kpis.report(SINCE, UNTIL, filters=KpiFilter(population=pop))
        rest = desk.kpis.report(SINCE, UNTIL, filters=KpiFilter(population=pop.rest()))
    assert plain["resolved"] == 6
    assert piloted.get("first_time_right")["resolved"] == 3
    assert rest.get("first_time_right")["resolved"] == 0


def test_a_changed_call_marks_its_days_and_they_are_counted_live(
    rolled: tuple[Desk, datetime],
) -> None:
    desk, now = rolled
    with desk.transaction() as s:  # the first call reopened: its resolution day is marked
        first = s.scalar(select(func.min(CallRow.id)))
        s.execute(
            update(CallRow)
            .where(CallRow.id == first)
            .values(state="in_progress", resolved_at=None, resolved_at_contact=None)
        )
        marks = set(s.execute(select(KpiDirtyRow.anchor, KpiDirtyRow.at)).all())
    assert (
        "resolved_at",
        datetime(2026, 3, 27, 9, tzinfo=ZONE).astimezone(UTC) + timedelta(hours=1),
    ) in marks
    with freeze_time(now):
        r = desk.kpis.report(SINCE, UNTIL, by="day")
        assert r.get("first_time_right", "2026-03-27")["resolved"] == 0
        assert r.get("first_time_right")["resolved"] == 2
        assert desk.kpis.today().open_now == 3  # resolved calls are open until closed
        same(r, live(desk, SINCE, UNTIL, by="day"))
        done = desk.kpis.refresh()
    assert not done.rebuilt and done.marks > 0
    with desk.transaction() as s:
        assert s.scalar(select(func.count()).select_from(KpiDirtyRow)) == 0
    with freeze_time(now):
        same(desk.kpis.report(SINCE, UNTIL, by="day"), r)


def test_another_definition_or_time_zone_is_never_mixed_in(rolled: tuple[Desk, datetime]) -> None:
    """A roll-up built with other part SQL (or another zone) is not read; refresh rebuilds it."""
    desk, now = rolled
    with desk.transaction() as s:
        s.execute(update(KpiRollupRow).values(s0=KpiRollupRow.s0 * 2))  # wrong on purpose
        s.execute(update(KpiRollupStateRow).values(fingerprint="another layout"))
    with freeze_time(now):
        assert desk.kpis.report(SINCE, UNTIL).get("first_time_right")["resolved"] == 3
        assert desk.kpis.refresh().rebuilt
        assert desk.kpis.report(SINCE, UNTIL).get("first_time_right")["resolved"] == 3


def test_days_without_a_refresh_are_counted_live(rolled: tuple[Desk, datetime]) -> None:
    desk, now = rolled
    later = now + timedelta(days=9)
    with desk.transaction() as s:
        s.execute(
            insert(CallRow),
            [
                {
                    "state": "registered",
                    "caller": "Kim",
                    "channel": "email",
                    "summary": "x",
                    "service_id": None,
                    "registered_by": "ben",
                    "group": "service-desk",
                    "registered_at": later - timedelta(days=3),
                    "contact_count": 1,
                    "escalation_count": 0,
                    "reopen_count": 0,
                    "is_exception": True,
                    "version": 1,
                    "updated_at": later - timedelta(days=3),
                }
            ],
        )
    with freeze_time(later):
        r = desk.kpis.report(SINCE, later, by="week", group_by="service")
        same(r, live(desk, SINCE, later, by="week", group_by="service"))
        assert r.get("volume", "total", "(none)")["exceptions"] == 1
        assert r.get("backlog", "now")["3d_7d"] == 1


def test_a_refresh_or_change_while_a_report_reads_makes_it_read_again(
    rolled: tuple[Desk, datetime],
) -> None:
    """The report checks the roll-up's state and the marks before and after it reads; when they
    moved (here: once), it reads again."""
    desk, now = rolled
    probes = iter([(None, 0, 0), (None, 1, 1)])
    real = rollup._probe

    def moving(s: Any) -> Any:
        got = real(s)
        step = next(probes, None)
        return got if step is None else (got[0], got[1] + step[1], got[2])

    with freeze_time(now), mock.patch.object(rollup, "_probe", side_effect=moving) as probe:
        r = desk.kpis.report(SINCE, UNTIL)
    assert probe.call_count == 6  # the anchored KPIs before and after, twice; the backlog once
    assert r.get("first_time_right")["resolved"] == 3


def test_the_nightly_run_refreshes_the_rollups(db_url: str) -> None:
    from typer.testing import CliRunner

    from bpsm_tui.cli import app
    from tests.conftest import CATALOGUE

    def run(*args: str) -> Any:
        return CliRunner().invoke(app, [*args, "--db", db_url, "-c", str(CATALOGUE)])

    assert run("demo", "seed", "--calls", "30", "--as", "admin").exit_code == 0
    result = run("proactive", "--horizon", "7", "--as", "admin")
    assert result.exit_code == 0, result.output
    assert "KPI roll-ups up to" in result.output
    desk = Desk.open(db_url, catalogue=CATALOGUE)
    try:
        with desk.transaction() as s:
            assert s.scalar(select(func.count()).select_from(KpiRollupStateRow)) == 1
            assert s.scalar(select(func.count()).select_from(KpiDirtyRow)) == 0
        now = datetime.now(UTC)
        args = (now - timedelta(days=400), now)
        same(desk.kpis.report(*args, by="month"), live(desk, *args, by="month"))
    finally:
        desk.close()


def test_the_headline_reads_again_when_the_rollup_moved_under_it(
    rolled: tuple[Desk, datetime],
) -> None:
    """today() checks the state and the marks inside its own statement: when they are not what
    it planned with (here: a mark it did not see), it plans and reads again."""
    desk, now = rolled
    real, seen = rollup._probe, []

    def stale_once(s: Any) -> Any:
        got = real(s)
        seen.append(got)
        return (got[0], got[1] + 1, got[2]) if len(seen) == 1 else got

    with freeze_time(now), mock.patch.object(rollup, "_probe", side_effect=stale_once):
        snap = desk.kpis.today()
    assert len(seen) == 2 and snap.open_now == 3
