"""Pilots: defining one (roles, audit, bad input), ending it, and every KPI pilot vs rest and
before vs during — hand-computed, and against the pure-Python reference with a population."""

from __future__ import annotations

import fnmatch
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from freezegun import freeze_time

from bpsm import Desk, NotFound, PermissionDenied, ValidationError
from bpsm.kpis import KpiFilter
from tests.helpers import OP, call_in
from tests.kpi_reference import compare, facts, reference

TZ = "Europe/Amsterdam"
D = datetime(2026, 6, 1, 7, tzinfo=UTC)  # a Monday, 09:00 local: the pilot begins
WEEK = timedelta(weeks=1)
NOW = D + timedelta(days=5)  # the pilot still runs


def _resolve_after_escalation(desk: Desk, call_id: int) -> None:
    desk.calls.escalate(call_id, to_group="second-line-it", reason="repair", by=OP)
    desk.calls.resolve(call_id, solution="repaired", by="ben")


def build(desk: Desk, clock: Any) -> dict[str, int]:
    """The week before the pilot and its first days: Finance (the pilot's customers) and Sales
    calling about laptops (the pilot's service) and e-mail (outside it)."""
    ids: dict[str, int] = {}
    clock.move_to(D - timedelta(days=3))
    ids["f0"] = call_in(desk, "resolved", caller="Finance – Kim").id  # before: first time right
    ids["f0b"] = call_in(desk, "in_progress", caller="Finance – Ann").id
    clock.move_to(D + timedelta(days=1))
    f1 = call_in(desk, "resolved", caller="Finance – Kim")
    desk.calls.flag_self_service(f1.id, faq=1, by=OP)
    f2 = call_in(desk, "in_progress", caller="finance – ann")  # patterns ignore case
    _resolve_after_escalation(desk, f2.id)
    ids["f3"] = call_in(desk, "resolved", service="email-account", caller="Finance – Kim").id
    s1 = call_in(desk, "resolved", caller="Sales – Bo")
    ids["s2"] = call_in(desk, "in_progress", caller="Sales – Bo").id
    x = call_in(desk, "registered", service=None, caller="Finance – Kim")
    desk.calls.make_exception(x.id, reason="one-off", by=OP)
    desk.effort.log("call", f1.id, 20, by=OP)
    desk.effort.log("call", s1.id, 10, by=OP)
    rec = desk.recommendations
    headset = rec.register(
        customer="Finance", description="headset", item="headset", call_id=f1.id, by=OP
    )
    rec.accept(headset.id, by=OP)
    ids.update(f1=f1.id, f2=f2.id, s1=s1.id, x=x.id)
    return ids


@pytest.fixture
def piloted(desk: Desk) -> Desk:
    with freeze_time(D - timedelta(days=7)) as clock:
        desk.pilots.define(
            "finance-laptops",
            services=["laptop"],
            group="Finance",
            callers=["Finance *"],
            since=D,
            until=D + 4 * WEEK,
            by="carla",
            note="new laptop terms",
        )
        build(desk, clock)
    return desk


def test_define_stores_the_pilot_with_an_audit_event(desk: Desk) -> None:
    with freeze_time(D):
        p = desk.pilots.define(
            "finance-laptops",
            services=["laptop", "laptop"],
            group=" Finance ",
            callers=["Finance *", "Controller ?"],
            since=D,
            until=D + WEEK,
            by="carla",
        )
    assert (p.scope, p.services, p.group_name, p.callers, p.state) == (
        "services",
        ["laptop"],
        "Finance",
        ["Finance *", "Controller ?"],
        "active",
    )
    assert (p.since, p.until, p.defined_by, p.catalogue_revision) == (D, D + WEEK, "carla", None)
    assert desk.pilots.get("finance-laptops") == p == desk.pilots.get(p.id)
    [event] = desk.history(p)
    assert (event.trigger, event.actor, event.to_state) == ("define", "carla", "active")
    assert event.data is not None and event.data["callers"] == ["Finance *", "Controller ?"]


def test_a_whole_catalogue_pilot_records_the_published_revision(desk: Desk) -> None:
    p = desk.pilots.define(
        "all-of-hr", group="HR", callers=["HR *"], since=D, until=D + WEEK, by="eve"
    )
    assert p.scope == "catalogue" and p.services is None
    assert p.catalogue_revision is not None and p.catalogue_revision >= 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "Finance Laptops"}, "name"),
        ({"name": ""}, "name"),
        ({"services": ["no-such"]}, "services"),
        ({"services": []}, "services"),
        ({"callers": []}, "callers"),
        ({"callers": ["  "]}, "callers"),
        ({"group": ""}, "group"),
        ({"until": D}, "until"),
        ({"since": "monday"}, "since"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(
    desk: Desk, change: dict[str, Any], field: str
) -> None:
    kw: dict[str, Any] = {
        "name": "p1",
        "services": ["laptop"],
        "group": "Finance",
        "callers": ["Finance *"],
        "since": D,
        "until": D + WEEK,
        "by": "carla",
        **change,
    }
    name = kw.pop("name")
    with pytest.raises(ValidationError) as err:
        desk.pilots.define(name, **kw)
    assert [p.field for p in err.value.problems] == [field]
    assert desk.pilots.list() == []


def test_a_name_is_taken_once(desk: Desk) -> None:
    kw: dict[str, Any] = {"group": "F", "callers": ["F*"], "since": D, "until": D + WEEK}
    desk.pilots.define("p1", by="carla", **kw)
    with pytest.raises(ValidationError, match="already a pilot 'p1'"):
        desk.pilots.define("p1", by="eve", **kw)


@pytest.mark.parametrize("who", ["anna", "ben", "dave"])
def test_only_the_change_manager_manager_or_admin_define_and_end(desk: Desk, who: str) -> None:
    kw: dict[str, Any] = {"group": "F", "callers": ["F*"], "since": D, "until": D + WEEK}
    with pytest.raises(PermissionDenied):
        desk.pilots.define("p1", by=who, **kw)
    desk.pilots.define("p1", by="admin", **kw)
    with pytest.raises(PermissionDenied):
        desk.pilots.end("p1", by=who)
    assert desk.pilots.get("p1").state == "active"


def test_ending_early_moves_until_and_is_audited_once(desk: Desk) -> None:
    kw: dict[str, Any] = {"group": "F", "callers": ["F*"], "since": D, "until": D + 4 * WEEK}
    p = desk.pilots.define("p1", by="carla", **kw)
    with freeze_time(D + WEEK):
        ended = desk.pilots.end(
            "p1", by="eve", reason="evidence enough", expected_version=p.version
        )
    assert (ended.state, ended.until, ended.ended_by) == ("ended", D + WEEK, "eve")
    assert ended.version == p.version + 1
    assert [e.trigger for e in desk.history(ended)] == ["define", "end"]
    with pytest.raises(ValidationError, match="ended already"):
        desk.pilots.end("p1", by="eve")
    assert [x.name for x in desk.pilots.list(state="ended")] == ["p1"]
    assert desk.pilots.list(state="active") == []
    with pytest.raises(ValidationError):
        desk.pilots.list(state="paused")
    with pytest.raises(NotFound):
        desk.pilots.get("no-such")


def test_a_stale_version_is_refused(desk: Desk) -> None:
    from bpsm import ConcurrentModification

    kw: dict[str, Any] = {"group": "F", "callers": ["F*"], "since": D, "until": D + WEEK}
    p = desk.pilots.define("p1", by="carla", **kw)
    with pytest.raises(ConcurrentModification):
        desk.pilots.end("p1", by="carla", expected_version=p.version + 1)


def test_compare_by_hand(piloted: Desk) -> None:
    with freeze_time(NOW):
        cmp = piloted.pilots.compare("finance-laptops")
    assert cmp.pilot_report.filters == {"population": "pilot finance-laptops"}
    assert cmp.rest.filters == {"population": "rest of pilot finance-laptops"}
    assert (cmp.pilot_report.since, cmp.pilot_report.until) == (D, NOW)  # still running
    assert (cmp.before.since, cmp.before.until) == (D - (NOW - D), D)
    vol = cmp.figures("volume")
    # Finance on laptops: f1, f2 (not f3: e-mail; not x: no service); Sales: s1, s2
    assert [vol[k]["registered"] for k in ("pilot", "rest", "before")] == [2, 2, 2]
    ftr = cmp.figures("first_time_right")
    assert (ftr["pilot"]["share"], ftr["rest"]["share"], ftr["before"]["share"]) == (0.5, 1.0, 1.0)
    ss = cmp.figures("self_service")
    assert (ss["pilot"]["flagged"], ss["rest"]["flagged"]) == (1, 0)
    eff = cmp.figures("effort_balance")
    assert (eff["pilot"]["minutes"], eff["rest"]["minutes"], eff["before"]["minutes"]) == (
        20,
        10,
        0,
    )
    pro = cmp.figures("proactive")
    # jobs on pilot calls: anna registered f1 and f2, ben resolved f2
    assert (pro["pilot"]["jobs"], pro["pilot"]["recommendations"], pro["rest"]["jobs"]) == (3, 1, 2)
    # the backlog is of the present, not of a window: Finance's open laptop calls f0, f0b, f1, f2
    assert cmp.figures("backlog", "now")["pilot"]["open"] == 4


def test_compare_matches_the_reference_with_a_population(piloted: Desk) -> None:
    def in_pilot(c: dict[str, Any]) -> bool:
        return c["service_id"] == "laptop" and fnmatch.fnmatch(c["caller"].lower(), "finance *")

    def rest(c: dict[str, Any]) -> bool:
        return c["service_id"] == "laptop" and not in_pilot(c)

    target = dict(piloted.config.effort.target)
    with freeze_time(NOW):
        cmp = piloted.pilots.compare("finance-laptops", by="day", group_by="operator")
        rows = facts(piloted)
    for report, population in (
        (cmp.pilot_report, in_pilot),
        (cmp.rest, rest),
        (cmp.before, in_pilot),
    ):
        expected = reference(
            rows,
            report.since,
            report.until,
            TZ,
            NOW,
            "day",
            "operator",
            targets=target,
            population=population,
        )
        compare(report, expected)


def test_a_whole_catalogue_pilot_counts_every_call_of_the_group(piloted: Desk) -> None:
    with freeze_time(D - timedelta(days=7)):
        piloted.pilots.define(
            "finance-all", group="Finance", callers=["finance*"], since=D, until=D + WEEK, by="eve"
        )
    with freeze_time(NOW):
        cmp = piloted.pilots.compare("finance-all", kpis=["volume"])
    # f1, f2, f3 and the exception x; the rest: Sales' two
    assert cmp.figures("volume")["pilot"] == {"registered": 4, "exceptions": 1, "referred": 0}
    assert cmp.figures("volume")["rest"]["registered"] == 2


def test_compare_before_the_pilot_begins_is_refused(piloted: Desk) -> None:
    with freeze_time(D - timedelta(days=1)), pytest.raises(ValidationError, match="begins"):
        piloted.pilots.compare("finance-laptops")


def test_a_population_filter_on_the_engine_is_checked(desk: Desk) -> None:
    from bpsm.kpis import Population

    with pytest.raises(ValidationError) as err:
        desk.kpis.report(D, D + WEEK, filters=KpiFilter(population=Population("p", ())))
    assert [p.field for p in err.value.problems] == ["population"]
    with pytest.raises(ValidationError, match="not a known service"):
        desk.kpis.report(
            D, D + WEEK, filters=KpiFilter(population=Population("p", ("x*",), ("no-such",)))
        )


def test_caller_patterns_escape_sql_wildcards(desk: Desk) -> None:
    from bpsm.kpis import Population

    with freeze_time(D):
        call_in(desk, "registered", caller="100% Finance")
        call_in(desk, "registered", caller="1000 Finance")
    pop = Population("p", ("100% *",))
    r = desk.kpis.report(D - WEEK, D + WEEK, filters=KpiFilter(population=pop), kpis=["volume"])
    assert r.get("volume")["registered"] == 1
    rest = desk.kpis.report(
        D - WEEK, D + WEEK, filters=KpiFilter(population=pop.rest()), kpis=["volume"]
    )
    assert rest.get("volume")["registered"] == 1
