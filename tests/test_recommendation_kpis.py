"""Proactive-delivery KPIs per person (SQL) against a tiny pure-Python reference.

Also the leaderboard and the potential.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from statistics import mean

import pytest
from freezegun import freeze_time

from bpsm import Desk, ValidationError
from bpsm.processes.recommendations.facade import RecommendationStats, potential
from tests.helpers import new_call

SINCE = datetime(2026, 5, 4, tzinfo=UTC)
UNTIL = SINCE + timedelta(weeks=1)
HOUR = timedelta(hours=1)


@dataclass
class World:
    """What happened, written down as it was done: the facts the reference computes from."""

    jobs: list[tuple[str, str, int, datetime]] = field(
        default_factory=list
    )  # (person, kind, ref, at)


def build(desk: Desk, clock) -> World:
    """A hand-made week: calls, tasks and recommendations by several people.

    Some fall outside the window.
    """
    w = World()
    r = desk.recommendations

    def call(by: str):
        c = desk.calls.register(caller="Kim", channel="phone", summary="x", service="laptop", by=by)
        w.jobs.append((by, "call", c.id, c.registered_at))
        return desk.calls.accept(c.id, by=by)

    def resolve(c, by: str):
        c = desk.calls.resolve(c.id, solution="done", by=by)
        w.jobs.append((by, "call", c.id, c.resolved_at))
        return c

    def complete(task_id: int, by: str):
        t = desk.maintenance.complete(task_id, note="checked, all fine", by=by)
        w.jobs.append((by, "task", t.id, t.done_at))

    clock.move_to(SINCE - timedelta(days=3))
    desk.maintenance.generate(timedelta(days=400), by="eve")
    tasks = [t.id for t in desk.maintenance.tasks(states=("scheduled",), limit=6).items]
    early = call("anna")  # registered before the window...
    r.accept(r.register(customer="Kim", description="old", item="headset", by="anna").id, by="anna")
    clock.move_to(SINCE + timedelta(days=1))
    resolve(early, "ben")  # ...resolved by ben inside it
    c1, c2, _c3 = call("anna"), call("anna"), call("anna")
    c1 = resolve(c1, "anna")
    desk.calls.reopen(c1.id, reason="still broken", by="anna")
    clock.tick(HOUR)
    resolve(c1, "anna")  # resolved twice: still one job
    resolve(c2, "ben")
    c4 = call("omar")
    resolve(c4, "omar")
    complete(tasks[0], "ben")
    complete(tasks[1], "ben")
    complete(tasks[2], "lisa")
    desk.maintenance.skip(
        tasks[3], reason="no access to the room", by="ben"
    )  # skipped: not a job done

    a1 = r.register(customer="Kim", description="headset", item="headset", call_id=c1.id, by="anna")
    r.accept(a1.id, by="anna")
    r.decline(
        r.register(customer="Kim", description="dock", item="docking-station", by="anna").id,
        by="anna",
    )
    r.register(customer="Lee", description="storage", value=60, by="anna")  # still on offer
    l1 = r.register(
        customer="Finance", description="new laptops", value=2000, call_id=c2.id, by="anna"
    )
    o1 = r.register(customer="Sam", description="case", item="phone-case", call_id=c4.id, by="omar")
    r.accept(o1.id, by="omar")
    l2 = r.register(customer="HR", description="kiosk", value=5000, by="omar")
    r.register(customer="Board", description="screens", value=900, by="omar")  # open lead
    b1 = r.register(
        customer="Ops", description="more storage", item="extra-storage", task_id=tasks[0], by="ben"
    )
    r.accept(b1.id, by="ben")
    clock.tick(timedelta(days=1))
    r.send_proposal(l2.id, by="dave")
    clock.tick(timedelta(days=1))
    r.send_proposal(l1.id, by="dave")
    clock.move_to(UNTIL + timedelta(days=2))  # outcomes after the window still count
    r.win(l1.id, final_value=1800, by="dave")
    r.lose(l2.id, reason="bought elsewhere", by="dave")
    complete(tasks[4], "lisa")  # outside the window
    call("omar")
    r.register(customer="Kim", description="late", item="headset", by="omar")
    return w


def reference(desk: Desk, world: World) -> dict[str, dict]:
    """The same KPIs, computed the slow obvious way in Python."""
    inside = lambda at: at is not None and SINCE <= at < UNTIL  # noqa: E731
    jobs: dict[str, set] = defaultdict(set)
    for person, kind, ref, at in world.jobs:
        if inside(at):
            jobs[person].add((kind, ref))
    recs = defaultdict(list)
    for rv in desk.recommendations.list():
        if inside(rv.recommended_at):
            recs[rv.recommended_by].append(rv)
    out = {}
    for person in set(jobs) | set(recs):
        mine = recs[person]
        add_ons = [x for x in mine if x.kind == "add_on"]
        leads = [x for x in mine if x.kind == "lead"]
        turnarounds = [x.turnaround.total_seconds() for x in leads if x.turnaround is not None]
        out[person] = {
            "jobs": len(jobs[person]),
            "recommendations": len(mine),
            "add_ons": len(add_ons),
            "add_ons_accepted": sum(x.state == "accepted" for x in add_ons),
            "add_ons_declined": sum(x.state == "declined" for x in add_ons),
            "leads": len(leads),
            "leads_won": sum(x.state == "won" for x in leads),
            "leads_lost": sum(x.state == "lost" for x in leads),
            "booked_value": sum(x.booked_value or 0 for x in mine),
            "add_on_value": mean(x.value for x in add_ons) if add_ons else None,
            "lead_value": mean(x.value for x in leads) if leads else None,
            "lead_turnaround_seconds": mean(turnarounds) if turnarounds else None,
        }
    return out


@pytest.fixture
def week(desk: Desk) -> World:
    with freeze_time(SINCE) as clock:
        return build(desk, clock)


def test_stats_in_sql_match_the_python_reference(desk: Desk, week: World) -> None:
    stats = desk.recommendations.stats(SINCE, UNTIL)
    expected = reference(desk, week)
    assert [s.person for s in stats] == sorted(expected)
    for s in stats:
        got = s.model_dump(
            exclude={
                "person",
                "name",
                "recommendation_rate",
                "add_on_rate",
                "add_on_hit_rate",
                "lead_rate",
                "lead_hit_rate",
            }
        )
        assert got == pytest.approx(expected[s.person]), s.person


def test_stats_by_hand_for_anna_omar_ben_and_lisa(desk: Desk, week: World) -> None:
    by = {s.person: s for s in desk.recommendations.stats(SINCE, UNTIL)}
    anna, omar, ben, lisa = by["anna"], by["omar"], by["ben"], by["lisa"]
    assert anna.name == "Anna de Vries"
    assert (anna.jobs, anna.recommendations, anna.add_ons, anna.leads) == (3, 4, 3, 1)
    assert (anna.recommendation_rate, anna.add_on_rate, anna.lead_rate) == (4 / 3, 1.0, 1 / 3)
    assert (anna.add_on_hit_rate, anna.lead_hit_rate, anna.booked_value) == (0.5, 1.0, 129 + 1800)
    assert anna.lead_turnaround == timedelta(days=2) and anna.add_on_value == pytest.approx(
        (129 + 189 + 60) / 3
    )
    assert (omar.jobs, omar.add_on_hit_rate, omar.lead_hit_rate, omar.booked_value) == (
        1,
        1.0,
        0.0,
        35,
    )
    assert (omar.leads, omar.lead_value, omar.lead_turnaround) == (2, 2950, timedelta(days=1))
    assert (ben.jobs, ben.recommendations, ben.booked_value, ben.lead_hit_rate) == (4, 1, 60, None)
    assert (lisa.jobs, lisa.recommendations, lisa.recommendation_rate, lisa.add_on_hit_rate) == (
        1,
        0,
        0.0,
        None,
    )


def test_leaderboard_ranks_everyone_with_a_recommendation_by_booked_value(
    desk: Desk, week: World
) -> None:
    board = desk.recommendations.leaderboard(SINCE, UNTIL)
    assert [(p.person, p.booked_value) for p in board] == [
        ("anna", 1929),
        ("ben", 60),
        ("omar", 35),
    ]
    assert "lisa" not in [p.person for p in board]  # jobs, but no recommendation: not ranked


def test_a_window_without_anything_is_empty_and_a_backwards_window_is_refused(desk: Desk) -> None:
    new_call(desk)
    assert (
        desk.recommendations.stats(SINCE, UNTIL) == []
        and desk.recommendations.leaderboard(SINCE, UNTIL) == []
    )
    with pytest.raises(ValidationError, match="window: until"):
        desk.recommendations.stats(UNTIL, SINCE)


def test_rates_without_jobs_or_decisions_are_none_not_zero() -> None:
    s = RecommendationStats(
        person="x",
        name="X",
        jobs=0,
        recommendations=1,
        add_ons=1,
        add_ons_accepted=0,
        add_ons_declined=0,
        leads=0,
        leads_won=0,
        leads_lost=0,
        booked_value=0.0,
        add_on_value=50.0,
        lead_value=None,
        lead_turnaround_seconds=None,
    )
    assert (
        s.recommendation_rate,
        s.add_on_rate,
        s.add_on_hit_rate,
        s.lead_hit_rate,
        s.lead_turnaround,
    ) == (None, None, None, None, None)


def test_potential_by_hand() -> None:
    # 1000 jobs: 50 % get an add-on, 80 % accept, EUR 100 each -> 40,000;
    # 5 % give a lead, 25 % won, EUR 8,000 each -> 100,000; already booked today: 30,000.
    p = potential(
        jobs=1000,
        add_on_rate=0.5,
        add_on_hit_rate=0.8,
        add_on_value=100,
        lead_rate=0.05,
        lead_hit_rate=0.25,
        lead_value=8000,
        baseline=30_000,
    )
    assert (p.add_on, p.lead, p.baseline) == pytest.approx((40_000, 100_000, 30_000))
    assert p.value == pytest.approx(110_000)
    assert (
        potential(
            jobs=0,
            add_on_rate=1,
            add_on_hit_rate=1,
            add_on_value=1,
            lead_rate=1,
            lead_hit_rate=1,
            lead_value=1,
        ).value
        == 0
    )


def test_potential_from_measured_stats(desk: Desk, week: World) -> None:
    """The formula on a person's own figures: what anna's way of working gives over 200 jobs."""
    anna = next(s for s in desk.recommendations.stats(SINCE, UNTIL) if s.person == "anna")
    p = potential(
        jobs=200,
        add_on_rate=anna.add_on_rate,
        add_on_hit_rate=anna.add_on_hit_rate,
        add_on_value=anna.add_on_value,
        lead_rate=anna.lead_rate,
        lead_hit_rate=anna.lead_hit_rate,
        lead_value=anna.lead_value,
        baseline=anna.booked_value,
    )
    assert p.value == pytest.approx(200 * 1.0 * 0.5 * 126 + 200 * (1 / 3) * 1.0 * 2000 - 1929)


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("jobs", -1),
        ("add_on_rate", -0.1),
        ("add_on_hit_rate", 1.5),
        ("lead_hit_rate", 2),
        ("add_on_value", "100"),
        ("lead_value", float("nan")),
        ("baseline", float("inf")),
        ("lead_rate", True),
    ],
)
def test_potential_refuses_bad_figures_naming_them(name: str, bad: object) -> None:
    args = {
        "jobs": 10,
        "add_on_rate": 0.5,
        "add_on_hit_rate": 0.5,
        "add_on_value": 10,
        "lead_rate": 0.1,
        "lead_hit_rate": 0.5,
        "lead_value": 100,
        "baseline": 0,
    }
    with pytest.raises(ValidationError, match=f"{name}: {bad!r}") as err:
        potential(**{**args, name: bad})
    assert err.value.problems[0].field == name
