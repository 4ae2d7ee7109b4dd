"""``bpsm kpi``: the table, JSON and CSV of one report; a bad date or filter is one line."""

from __future__ import annotations

import csv
import io
import json

import pytest
from freezegun import freeze_time
from typer.testing import CliRunner

from bpsm import Desk
from bpsm.kpis.output import CSV_COLUMNS, SCHEMA
from bpsm_tui.cli import app
from tests.conftest import CATALOGUE
from tests.helpers import OP, call_in

NOW = "2026-05-14 10:00:00"


def run(*args: str):
    with freeze_time(NOW):
        return CliRunner().invoke(app, ["kpi", "-c", str(CATALOGUE), *args])


@pytest.fixture
def seeded(desk: Desk, db_url: str) -> str:
    with freeze_time("2026-05-12 09:00:00"):
        a = call_in(desk, "resolved")
        desk.calls.close(a.id, effort=2, satisfaction=5, by=OP)
        call_in(desk, "in_progress", service="email-account")
    return db_url


def test_table_json_and_csv_of_one_report(seeded: str) -> None:
    args = ("--db", seeded, "--since", "2026-05-01", "--by", "week")
    table = run(*args)
    assert table.exit_code == 0, table.output
    assert "2026-05-11" in table.output and "share" in table.output and "100%" in table.output
    got = run(*args, "--format", "json")
    body = json.loads(got.output)
    assert body["schema"] == SCHEMA and body["by"] == "week"
    assert body["periods"] == ["2026-04-27", "2026-05-04", "2026-05-11"]
    ftr = next(r for r in body["rows"] if (r["kpi"], r["period"]) == ("first_time_right", "total"))
    assert ftr["figures"] == {"resolved": 1, "first_time_right": 1, "reopened": 0, "share": 1.0}
    lines = list(csv.reader(io.StringIO(run(*args, "--format", "csv").output)))
    assert tuple(lines[0]) == CSV_COLUMNS
    assert ["2026-05-11", "", "volume", "registered", "2"] in lines
    grouped = run(*args, "--group-by", "service", "--kpi", "volume", "--format", "json")
    groups = {r["group"] for r in json.loads(grouped.output)["rows"]}
    assert groups == {None, "laptop", "email-account"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--since", "2026-02-30"), "since: '2026-02-30' is not a date (YYYY-MM-DD)"),
        (("--until", "tomorrow"), "until: 'tomorrow' is not a date"),
        (("--since", "2026-06-01", "--until", "2026-05-01"), "must be after since"),
        (("--service", "unicorns"), "service: 'unicorns' is not a known service"),
        (("--channel", "pigeon"), "channel: 'pigeon' is not a known channel"),
        (("--by", "year"), "by: 'year' is not one of day, week, month"),
        (("--group-by", "colour"), "group_by: 'colour' is not one of"),
        (("--format", "xml"), "format: 'xml' is not table, json or csv"),
    ],
)
def test_bad_input_is_one_line(db_url: str, args: tuple[str, ...], message: str) -> None:
    result = run("--db", db_url, *args)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.output


def test_new_kpis_in_table_json_and_csv_and_what_does_not_apply(seeded: str) -> None:
    args = ("--db", seeded, "--since", "2026-05-01")
    table = run(*args)
    assert "Self-service opportunities" in table.output and "Proactive delivery" in table.output
    assert "reactive_target" in table.output and "50%" in table.output  # desk.yaml's target
    body = json.loads(run(*args, "--format", "json").output)
    kpis = {r["kpi"] for r in body["rows"]}
    assert {"self_service", "lead_time", "effort_balance", "proactive"} <= kpis
    assert body["not_applicable"] == {}
    filtered = run(*args, "--service", "laptop")
    assert "Proactive delivery (proactive) not shown: not by service" in filtered.output
    body = json.loads(run(*args, "--service", "laptop", "--format", "json").output)
    assert set(body["not_applicable"]) == {"effort_balance", "proactive"}
    refused = run(*args, "--service", "laptop", "--kpi", "effort_balance")
    assert refused.exit_code == 1
    assert refused.output.strip().splitlines() == [
        "service: KPI 'effort_balance' is not by service: effort entries (logged on any record: "
        "no service or channel)"
    ]


def test_potential_from_the_data_and_overridden(desk: Desk, db_url: str) -> None:
    with freeze_time("2026-05-12 09:00:00"):
        a = call_in(desk, "resolved")
        rec = desk.recommendations.register(
            customer="Kim", description="headset", item="headset", call_id=a.id, by=OP
        )
        desk.recommendations.accept(rec.id, by=OP)

    def potential(*args: str):
        with freeze_time(NOW):
            return CliRunner().invoke(
                app,
                ["potential", "-c", str(CATALOGUE), "--db", db_url, "--since", "2026-05-01", *args],
            )

    body = json.loads(potential("--format", "json").output)
    # one job, one add-on of EUR 129 accepted: the potential is what is booked already
    assert body["inputs"]["jobs"] == 1 and body["add_on"] == 129 and body["value"] == 0
    more = json.loads(potential("--set", "jobs=10", "--format", "json").output)
    assert more["overridden"] == ["jobs"] and more["value"] == 10 * 129 - 129
    table = potential("--set", "jobs=10")
    assert "jobs  10 (given)" in table.output and "1,161.00" in table.output
    for args, message in (
        (("--set", "jobs"), "set: 'jobs' is not NAME=NUMBER"),
        (("--set", "wishes=3"), "wishes: 'wishes' is not an input"),
        (("--set", "lead_hit_rate=2"), "lead_hit_rate: 2.0 is a share and cannot exceed 1"),
        (("--operator", "zed"), "operator: 'zed' is not a known operator"),
    ):
        bad = potential(*args)
        assert bad.exit_code == 1 and bad.output.strip().splitlines() == [bad.output.strip()], (
            bad.output
        )
        assert message in bad.output, bad.output


def test_the_relationship_survey_is_beside_the_kpis_in_json_and_csv(
    desk: Desk, db_url: str
) -> None:
    """Finance answers 4 on its relationship survey; the other departments do not answer."""
    with freeze_time("2026-05-04 09:00:00"):
        desk.surveys.run(by="admin")  # the period's relationship surveys, one per department
        finance = next(
            s for s in desk.surveys.list(kind="relationship").items if s.department == "Finance"
        )
        desk.surveys.answer(finance.id, satisfaction=4, via="phone", by="dave")
    args = ("--db", db_url, "--since", "2026-04-01")
    body = json.loads(run(*args, "--format", "json").output)
    rows = {r["department"]: r["figures"] for r in body["relationship"] if r["period"] == "total"}
    assert rows["Finance"] == {
        "surveys": 1, "responses": 1, "satisfied": 1, "score_sum": 4,
        "mean": 4.0, "share": 1.0, "response_rate": 1.0,
    }  # fmt: skip
    departments = len(desk.config.survey.relationship.departments)
    assert rows[None]["surveys"] == departments and rows[None]["responses"] == 1
    assert rows[None]["response_rate"] == pytest.approx(1 / departments)
    lines = list(csv.reader(io.StringIO(run(*args, "--format", "csv").output)))
    assert ["total", "Finance", "relationship_survey", "mean", "4.0"] in lines
    for narrowed in (("--kpi", "first_time_right"), ("--department", "IT"), ("--channel", "email")):
        body = json.loads(run(*args, *narrowed, "--format", "json").output)
        assert "relationship" not in body, narrowed  # the survey is of the whole relationship


def test_table_headings_fit_80_columns(desk: Desk, db_url: str) -> None:
    """The headings of the KPI and relationship tables are whole lines of at most 80 columns,
    also when the table is narrow (a rich table title wraps at the table's width)."""
    with freeze_time("2026-05-04 09:00:00"):
        desk.surveys.run(by="admin")
    args = ("--db", db_url, "--since", "2026-05-01", "--kpi", "volume")
    for extra in ((), ("--by", "week"), ("--channel", "email", "--operator", OP, "--by", "week")):
        got = run(*args, *extra)
        assert got.exit_code == 0, got.output
        first = got.output.splitlines()[0]
        assert first.startswith("KPIs 2026-04-30 22:00 – 2026-05-14 22:00 UTC"), first
        assert len(first) <= 80, first
    whole = run("--db", db_url, "--since", "2026-05-01", "--by", "week").output
    title = next(line for line in whole.splitlines() if line.startswith("Relationship survey"))
    assert "UTC" in title and len(title) <= 80, title
