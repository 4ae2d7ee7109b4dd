"""``bpsm pilot``: define, list, show, end, compare (table / json / csv); bad input is one line."""

from __future__ import annotations

import csv
import io
import json

import pytest
from freezegun import freeze_time
from typer.testing import CliRunner

from bpsm import Desk
from bpsm.pilots.output import CSV_COLUMNS, SCHEMA
from bpsm_tui.cli import app
from tests.conftest import CATALOGUE
from tests.helpers import call_in


def run(now: str, *args: str):
    with freeze_time(now):
        return CliRunner().invoke(app, ["pilot", *args, "-c", str(CATALOGUE)])


DEFINE = (
    "define",
    "finance-laptops",
    "--group",
    "Finance",
    "--caller",
    "Finance *",
    "--service",
    "laptop",
    "--since",
    "2026-06-01",
    "--until",
    "2026-06-28",
    "--as",
    "carla",
)


@pytest.fixture
def piloted(desk: Desk, db_url: str) -> str:
    got = run("2026-05-20 10:00", *DEFINE, "--db", db_url)
    assert got.exit_code == 0, got.output
    assert got.output.startswith("defined pilot finance-laptops  active  2026-05-31 22:00")
    with freeze_time("2026-05-28 10:00"):
        call_in(desk, "resolved", caller="Finance – Kim")
    with freeze_time("2026-06-02 10:00"):
        call_in(desk, "in_progress", caller="Finance – Kim")
        call_in(desk, "resolved", caller="Sales – Bo")
    return db_url


def test_list_show_end(piloted: str) -> None:
    listed = run("2026-06-03 10:00", "list", "--db", piloted)
    assert listed.exit_code == 0 and "finance-laptops  active" in listed.output
    body = json.loads(run("2026-06-03 10:00", "list", "--format", "json", "--db", piloted).output)
    assert [p["name"] for p in body] == ["finance-laptops"] and body[0]["callers"] == ["Finance *"]
    shown = run("2026-06-03 10:00", "show", "finance-laptops", "--db", piloted)
    assert "scope  laptop" in shown.output and "define by carla" in shown.output
    ended = run("2026-06-10 10:00", "end", "finance-laptops", "--as", "eve", "--db", piloted)
    assert ended.exit_code == 0 and "ended pilot finance-laptops  ended" in ended.output
    assert "2026-06-10 10:00 UTC" in ended.output  # ended early: until is now
    assert "finance-laptops  ended" in run("2026-06-11", "list", "--db", piloted).output


def test_compare_table_json_csv(piloted: str) -> None:
    now = "2026-06-05 10:00"
    table = run(now, "compare", "finance-laptops", "--db", piloted)
    assert table.exit_code == 0, table.output
    assert "pilot" in table.output and "rest" in table.output and "before" in table.output
    body = json.loads(
        run(now, "compare", "finance-laptops", "--format", "json", "--db", piloted).output
    )
    assert body["schema"] == SCHEMA and body["pilot"]["name"] == "finance-laptops"
    volume = {
        k: next(r for r in rep["rows"] if (r["kpi"], r["period"]) == ("volume", "total"))
        for k, rep in body["reports"].items()
    }
    assert {k: v["figures"]["registered"] for k, v in volume.items()} == {
        "pilot": 1,
        "rest": 1,
        "before": 1,
    }
    lines = list(
        csv.reader(
            io.StringIO(
                run(now, "compare", "finance-laptops", "--format", "csv", "--db", piloted).output
            )
        )
    )
    assert tuple(lines[0]) == CSV_COLUMNS
    assert ["before", "total", "", "first_time_right", "share", "1.0"] in lines


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (DEFINE[:1] + ("Bad Name",) + DEFINE[2:], "name: 'Bad Name' is not a pilot name"),
        (DEFINE[:-1] + ("anna",), "needs role admin, change_manager, manager"),
        (
            DEFINE[:7] + ("unicorns",) + DEFINE[8:],
            "services: 'unicorns' is not a catalogue service",
        ),
        (DEFINE[:9] + ("June",) + DEFINE[10:], "since: 'June' is not a date"),
        (("show", "nope"), "no pilot 'nope'"),
        (("end", "nope", "--as", "eve"), "no pilot 'nope'"),
        (("compare", "nope"), "no pilot 'nope'"),
        (("list", "--state", "paused"), "state: 'paused' is not one of active, ended"),
        (("list", "--format", "xml"), "format: 'xml' is not table or json"),
    ],
)
def test_bad_input_is_one_line(db_url: str, args: tuple[str, ...], message: str) -> None:
    result = run("2026-05-20 10:00", *args, "--db", db_url)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.output


def test_compare_refusals_are_one_line(piloted: str) -> None:
    early = run("2026-05-25 10:00", "compare", "finance-laptops", "--db", piloted)
    assert early.exit_code == 1 and "begins" in early.output
    bad = run("2026-06-05", "compare", "finance-laptops", "--format", "xml", "--db", piloted)
    assert bad.exit_code == 1 and bad.output.strip().splitlines() == [
        "format: 'xml' is not table, json or csv"
    ]


def test_an_ongoing_pilots_before_window_is_as_long_and_ends_at_its_start(piloted: str) -> None:
    """The pilot began 2026-05-31 22:00 and runs on: during is [since, now), 4 days 12 hours;
    before is the 4 days 12 hours up to its start — it never ends at now."""
    now = "2026-06-05 10:00"
    args = ("compare", "finance-laptops", "--db", piloted)
    body = json.loads(run(now, *args, "--format", "json").output)
    during, before = body["reports"]["pilot"], body["reports"]["before"]
    assert (during["since"], during["until"]) == ("2026-05-31T22:00:00Z", "2026-06-05T10:00:00Z")
    assert (before["since"], before["until"]) == ("2026-05-27T10:00:00Z", "2026-05-31T22:00:00Z")
    table = " ".join(run(now, *args).output.split())
    assert "before 2026-05-27 10:00 – 2026-05-31 22:00" in table
