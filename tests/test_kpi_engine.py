"""The KPI engine (SQL) against the pure-Python reference, on hand-made and random desks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from freezegun import freeze_time
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert

from bpsm import Desk, ValidationError
from bpsm.kpis import KPIS, KpiFilter, periods
from bpsm.store.tables import CallRow
from tests.conftest import ROOT
from tests.helpers import OP, call_in, new_call
from tests.kpi_reference import compare, facts, reference

TZ = "Europe/Amsterdam"  # the example desk's; summer time ends on Sunday 25 October 2026
START = datetime(2026, 10, 22, 9, 0, tzinfo=UTC)  # a Thursday


def build(desk: Desk, clock: Any) -> None:
    """A hand-made fortnight across the DST change, a week and a month boundary."""
    hour = timedelta(hours=1)
    a = call_in(desk, "resolved")  # first time right, closed with answers
    desk.calls.close(a.id, effort=2, satisfaction=5, by=OP)
    b = call_in(desk, "in_progress", service="email-account")  # escalated, then resolved
    desk.calls.escalate(b.id, to_group="second-line-it", reason="repair", by=OP)
    clock.tick(hour)
    desk.calls.resolve(b.id, solution="repaired", by="ben")
    desk.calls.close(b.id, effort=6, satisfaction=2, by=OP)
    desk.effort.log("call", a.id, 15, by=OP)
    desk.effort.log("call", b.id, 30, by="ben")
    rec = desk.recommendations
    headset = rec.register(
        customer="Kim", description="headset", item="headset", call_id=a.id, by=OP
    )
    rec.accept(headset.id, by=OP)
    rec.register(customer="Finance", description="laptops", value=2000, call_id=b.id, by="ben")
    e = call_in(desk, "registered", service=None)  # an exception, never acted on
    desk.calls.make_exception(e.id, reason="one-off", by=OP)
    call_in(desk, "referred", service=None)
    clock.move_to(datetime(2026, 10, 25, 23, 30, tzinfo=UTC))  # Monday 00:30 local: next week
    c = call_in(desk, "resolved")
    desk.calls.reopen(c.id, reason="still broken", by=OP)  # reopened: not first time right
    clock.tick(hour * 3)
    desk.calls.resolve(c.id, solution="really fixed", by=OP)
    desk.calls.close(c.id, survey="not_answered", by=OP)
    w = call_in(desk, "waiting_customer", service="email-account")
    desk.calls.flag_self_service(w.id, faq=1, by=OP)  # answerable from the FAQ
    desk.effort.log("call", c.id, 45, by=OP)
    clock.move_to(datetime(2026, 10, 31, 23, 15, tzinfo=UTC))  # 1 November, 00:15 local
    d = call_in(desk, "resolved", service="email-account")
    desk.calls.close(d.id, effort=3, satisfaction=4, by=OP)
    clock.move_to(datetime(2026, 11, 4, 12, tzinfo=UTC))
    new_call(desk)  # open, a few hours old when the report runs


@pytest.fixture
def world(desk: Desk) -> tuple[Desk, datetime]:
    with freeze_time(START) as clock:
        build(desk, clock)
    return desk, datetime(2026, 11, 4, 18, tzinfo=UTC)


SINCE = datetime(2026, 10, 19, tzinfo=ZoneInfo(TZ))
UNTIL = datetime(2026, 11, 9, tzinfo=ZoneInfo(TZ))


def test_hand_made_desk_by_hand(world: tuple[Desk, datetime]) -> None:
    desk, now = world
    with freeze_time(now):
        r = desk.kpis.report(SINCE, UNTIL, by="week")
    assert r.periods == ["2026-10-19", "2026-10-26", "2026-11-02"]
    ftr = {"resolved": 4, "first_time_right": 2, "reopened": 1, "share": 0.5}
    assert r.get("first_time_right") == ftr  # the reopened call counted out, and counted
    assert r.get("volume", "2026-10-19") == {"registered": 4, "exceptions": 1, "referred": 1}
    # the Monday 00:30 local call is in the second week, though still Sunday in UTC; so is the
    # call of Sunday 1 November 00:15 local (Saturday in UTC)
    assert r.get("volume", "2026-10-26")["registered"] == 3
    sat = r.get("satisfaction")
    assert (sat["asked"], sat["responses"], sat["satisfied"]) == (4, 3, 2)
    assert sat["response_rate"] == 0.75 and sat["mean"] == pytest.approx(11 / 3)
    eff = r.get("effort")
    assert (eff["responses"], eff["easy"], eff["easy_share"]) == (3, 2, pytest.approx(2 / 3))
    assert r.get("mileage")["handovers_sum"] == 2  # one escalation, one referral
    back = r.get("backlog", "now")
    assert (back["open"], back["under_1d"], back["7d_30d"]) == (3, 1, 2)
    assert r.get("response_time")["not_acted_on"] == 1  # the exception still registered


@pytest.mark.parametrize(
    ("by", "group_by", "filters"),
    [
        (None, None, {}),
        ("day", None, {}),
        ("week", "service", {}),
        ("month", "department", {}),
        ("day", "group", {"channel": "phone"}),
        ("month", "operator", {"service": "email-account"}),
        ("week", "channel", {"department": "IT"}),
        (None, None, {"group": "second-line-it"}),
        ("week", "operator", {"group": "service-desk"}),
        (None, "group", {}),
        ("day", None, {"operator": "ben"}),
    ],
)
def test_hand_made_desk_matches_reference(
    world: tuple[Desk, datetime], by: Any, group_by: Any, filters: dict[str, str]
) -> None:
    desk, now = world
    with freeze_time(now):
        got = desk.kpis.report(SINCE, UNTIL, by=by, group_by=group_by, filters=KpiFilter(**filters))
    target = dict(desk.config.effort.target)
    expected = reference(facts(desk), SINCE, UNTIL, TZ, now, by, group_by, filters, targets=target)
    compare(got, expected)


def test_new_kpis_by_hand(world: tuple[Desk, datetime]) -> None:
    desk, now = world
    with freeze_time(now):
        r = desk.kpis.report(SINCE, UNTIL, by="week")
        people = desk.kpis.report(SINCE, UNTIL, group_by="operator", kpis=["proactive"])
    assert r.get("self_service") == {"calls": 8, "flagged": 1, "share": 1 / 8}
    assert r.get("self_service", "2026-10-26")["flagged"] == 1
    eff = r.get("effort_balance")
    assert (eff["entries"], eff["minutes"], eff["reactive_minutes"]) == (3, 90, 90)
    assert (eff["reactive_share"], eff["reactive_target"]) == (1.0, 0.5)
    assert eff["reactive_gap"] == pytest.approx(0.5) and eff["change_gap"] == pytest.approx(-0.1)
    assert r.get("effort_balance", "2026-10-26")["minutes"] == 45
    pro = r.get("proactive")
    # anna registered the eight calls (her resolving them adds no job), ben resolved one
    assert (pro["jobs"], pro["recommendations"], pro["add_ons_accepted"], pro["leads"]) == (
        9,
        2,
        1,
        1,
    )
    assert (pro["add_on_hit_rate"], pro["lead_hit_rate"], pro["booked_value_sum"]) == (
        1.0,
        None,
        129,
    )
    assert people.get("proactive", group="ben")["recommendation_rate"] == 1.0
    assert people.get("proactive", group="anna")["recommendation_rate"] == 1 / 8
    lead = r.get("lead_time")
    assert lead["measured"] == 4 and lead["timed"] == 4


def test_a_job_counts_at_its_first_handling(world: tuple[Desk, datetime]) -> None:
    """Call c was registered (and first resolved) by anna at 23:30 UTC on 25 October and resolved
    again by her after it was reopened: from 23:45 on, it is not a job of hers in the window."""
    desk, now = world
    lo = datetime(2026, 10, 25, 23, 45, tzinfo=UTC)
    with freeze_time(now):
        got = desk.kpis.report(lo, UNTIL, group_by="operator", kpis=["proactive"])
        stats = {p.person: p.jobs for p in desk.recommendations.stats(lo, UNTIL)}
    assert got.get("proactive", group="anna")["jobs"] == 3 == stats["anna"]  # w, d, the new call
    target = dict(desk.config.effort.target)
    ref = reference(facts(desk), lo, UNTIL, TZ, now, None, "operator", {}, targets=target)
    compare(got, {k: v for k, v in ref.items() if k[2] == "proactive"})


def test_potential_from_the_data_or_overridden(world: tuple[Desk, datetime]) -> None:
    desk, now = world
    anna = KpiFilter(operator="anna")
    with freeze_time(now):
        got = desk.kpis.potential(SINCE, UNTIL, filters=anna)
        more = desk.kpis.potential(SINCE, UNTIL, filters=anna, jobs=800, lead_rate=0.01)
    # anna: 8 jobs, one add-on (EUR 129, accepted), no lead
    assert got.inputs == {
        "jobs": 8,
        "add_on_rate": 1 / 8,
        "add_on_hit_rate": 1.0,
        "add_on_value": 129,
        "lead_rate": 0,
        "lead_hit_rate": 0,
        "lead_value": 0,
        "baseline": 129,
    }
    assert (got.potential.add_on, got.potential.value, got.overridden) == (129, 0, ())
    assert more.overridden == ("jobs", "lead_rate")
    assert more.potential.add_on == 800 / 8 * 129 and more.potential.lead == 0  # no lead value
    assert more.potential.value == 800 / 8 * 129 - 129
    with pytest.raises(ValidationError) as err:
        desk.kpis.potential(SINCE, UNTIL, wishes=3)
    assert [p.field for p in err.value.problems] == ["wishes"]
    with pytest.raises(ValidationError) as err:
        desk.kpis.potential(SINCE, UNTIL, add_on_hit_rate=2)
    assert [p.field for p in err.value.problems] == ["add_on_hit_rate"]


def test_record_reports_agree_with_the_engine(world: tuple[Desk, datetime]) -> None:
    """One definition: the records' own reports give the engine's figures."""
    desk, now = world
    with freeze_time(now):
        r = desk.kpis.report(SINCE, UNTIL, group_by="operator")
        ss = desk.calls.self_service(since=SINCE, until=UNTIL)
        lt = desk.calls.lead_time_compliance(since=SINCE, until=UNTIL)
        bal = desk.effort.balance(since=SINCE, until=UNTIL)
        stats = desk.recommendations.stats(SINCE, UNTIL)
    assert (ss.calls, ss.flagged, ss.share) == tuple(
        r.get("self_service")[k] for k in ("calls", "flagged", "share")
    )
    lead = r.get("lead_time")
    assert (lt.resolved, lt.met) == (lead["measured"], lead["met"])
    assert lt.mean_business_minutes == pytest.approx(lead["mean_business_minutes"])
    eff = r.get("effort_balance")
    assert bal.minutes == eff["minutes"]
    for w in bal.kinds:
        assert w.minutes == eff[f"{w.work}_minutes"]
        assert w.target / 100 == eff[f"{w.work}_target"]
    for p in stats:
        mine = r.get("proactive", group=p.person)
        assert (p.jobs, p.recommendations, p.add_ons, p.leads, p.booked_value) == (
            mine["jobs"],
            mine["recommendations"],
            mine["add_ons"],
            mine["leads"],
            mine["booked_value_sum"],
        )
        assert p.add_on_hit_rate == mine["add_on_hit_rate"]
        assert p.recommendation_rate == mine["recommendation_rate"]


def test_a_dimension_a_source_lacks_is_said_not_ignored(world: tuple[Desk, datetime]) -> None:
    desk, now = world
    with freeze_time(now):
        r = desk.kpis.report(SINCE, UNTIL, filters=KpiFilter(service="laptop"))
        by_channel = desk.kpis.report(SINCE, UNTIL, group_by="channel")
    assert set(r.not_applicable) == {"effort_balance", "proactive"}
    assert "not by service" in r.not_applicable["effort_balance"]
    assert not r.get("effort_balance") and r.get("self_service")["calls"] == 3
    assert "not by channel" in by_channel.not_applicable["proactive"]
    with pytest.raises(ValidationError, match="not by service") as err:
        desk.kpis.report(SINCE, UNTIL, filters=KpiFilter(service="laptop"), kpis=["proactive"])
    assert [p.field for p in err.value.problems] == ["service"]


def test_headline_snapshot_agrees_with_the_report(world: tuple[Desk, datetime]) -> None:
    desk, now = world
    day = desk.kpis.local_day(datetime(2026, 10, 22).date())
    with freeze_time(now):
        snap, r = desk.kpis.window(*day), desk.kpis.report(*day)
    ftr = r.get("first_time_right")
    assert (snap.resolved, snap.first_time_right) == (ftr["resolved"], ftr["first_time_right"])
    assert snap.registered == r.get("volume")["registered"] == 4
    assert snap.effort_mean == r.get("effort")["mean"]


def test_periods_follow_the_desk_calendar() -> None:
    days = periods(SINCE, UNTIL, "day", TZ)
    sunday = next(p for p in days if p.label.isoformat() == "2026-10-25")
    assert sunday.until - sunday.since == timedelta(hours=25)  # summer time ends
    weeks = periods(SINCE, UNTIL, "week", TZ)
    assert all(p.label.weekday() == 0 for p in weeks)
    cut = periods(SINCE + timedelta(hours=5), UNTIL, "month", TZ)
    assert [p.label.isoformat() for p in cut] == ["2026-10-01", "2026-11-01"]
    assert cut[0].since == SINCE + timedelta(hours=5)  # cut to the report's since


def test_first_step_sets_responded_at(desk: Desk) -> None:
    with freeze_time(START) as clock:
        c = new_call(desk)
        clock.tick(timedelta(minutes=7))
        desk.calls.accept(c.id, by=OP)
        clock.tick(timedelta(minutes=5))
        desk.calls.resolve(c.id, solution="done", by=OP)
    r = desk.kpis.report(START - timedelta(hours=1), START + timedelta(hours=1))
    assert r.get("response_time")["mean_seconds"] == 7 * 60
    assert r.get("resolution_time")["mean_seconds"] == 12 * 60


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"filters": KpiFilter(service="no-such")}, "service"),
        ({"filters": KpiFilter(department="Nowhere")}, "department"),
        ({"filters": KpiFilter(group="nobody")}, "group"),
        ({"filters": KpiFilter(operator="zed")}, "operator"),
        ({"filters": KpiFilter(channel="pigeon")}, "channel"),
        ({"by": "year"}, "by"),
        ({"group_by": "colour"}, "group_by"),
        ({"kpis": ["happiness"]}, "kpi"),
    ],
)
def test_bad_report_arguments_name_the_field(desk: Desk, kwargs: Any, field: str) -> None:
    with pytest.raises(ValidationError) as err:
        desk.kpis.report(SINCE, UNTIL, **kwargs)
    assert [p.field for p in err.value.problems] == [field]


def test_until_before_since_is_refused(desk: Desk) -> None:
    with pytest.raises(ValidationError, match="must be after since"):
        desk.kpis.report(UNTIL, SINCE)


# -- random desks: rows written straight into the table, the engine against the reference ------

SERVICES = ["laptop", "email-account", "catering", None]
T0 = datetime(2026, 3, 20, tzinfo=UTC)  # summer time begins on 29 March 2026


@st.composite
def a_call(draw: Any) -> dict[str, Any]:
    at = T0 + timedelta(minutes=draw(st.integers(0, 60 * 24 * 50)))
    state = draw(st.sampled_from(["registered", "in_progress", "resolved", "closed", "referred"]))
    later = lambda: at + timedelta(minutes=draw(st.integers(0, 60 * 24 * 20)))  # noqa: E731
    resolved = later() if state in ("resolved", "closed") else None
    closed = resolved + timedelta(hours=1) if state == "closed" else None
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


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    calls=st.lists(a_call(), max_size=25),
    by=st.sampled_from([None, "day", "week", "month"]),
    group_by=st.sampled_from([None, "service", "department", "operator", "channel", "group"]),
    filters=st.sampled_from([{}, {"channel": "phone"}, {"department": "IT"}, {"operator": "ben"}]),
    start=st.integers(0, 40),
    days=st.integers(1, 40),
)
def test_random_desks_match_reference(
    desk: Desk, calls: Any, by: Any, group_by: Any, filters: Any, start: int, days: int
) -> None:
    with desk.transaction() as s:
        s.execute(delete(CallRow))
        if calls:
            s.execute(insert(CallRow), calls)
    since = T0 + timedelta(days=start, hours=5)
    until = since + timedelta(days=days)
    now = T0 + timedelta(days=80)
    with freeze_time(now):
        got = desk.kpis.report(since, until, by=by, group_by=group_by, filters=KpiFilter(**filters))
    compare(got, reference(facts(desk), since, until, TZ, now, by, group_by, filters))


def test_docs_name_every_kpi_and_figure() -> None:
    text = (ROOT / "docs" / "kpis.md").read_text(encoding="utf-8")
    for k in KPIS:
        assert f"`{k.name}`" in text, k.name
        for figure in (*k.parts, *k.figures):
            assert figure in text, (k.name, figure)


def test_a_sum_of_seconds_does_not_depend_on_the_order_the_rows_came_in() -> None:
    """The database adds a day's float seconds in whatever order it reads the rows (PostgreSQL's
    parallel or hashed aggregates differ run to run): the figures are the same either way."""
    response = next(k for k in KPIS if k.name == "response_time")
    seconds = [285.746413, 301.2, 0.000001, 1413.278482]
    forward = sum(seconds)
    backward = sum(reversed(seconds))
    assert forward != backward  # the floats really do differ with the order
    one = response.derive({"acted_on": 4, "not_acted_on": 0, "seconds_sum": forward})
    other = response.derive({"acted_on": 4, "not_acted_on": 0, "seconds_sum": backward})
    assert one == other
    assert one["seconds_sum"] == 2000.224896
    assert one["mean_seconds"] == 2000.224896 / 4
