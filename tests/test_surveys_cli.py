"""``bpsm survey list | answer | run``, and the survey work in ``bpsm proactive``, on a database.

The example desk asks every call at the close and samples the rest; its relationship survey asks
four customer departments every 91 days from 2026-01-05.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from freezegun import freeze_time
from typer.testing import CliRunner

from bpsm import Desk
from bpsm_tui.cli import app
from tests.conftest import CATALOGUE
from tests.helpers import OP

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def run(*args: str):
    return CliRunner().invoke(app, [*args])


@pytest.fixture
def db(desk: Desk, db_url: str) -> str:
    """The test database with the example catalogue published."""
    return db_url


def test_the_run_makes_the_relationship_surveys_and_list_shows_them(db: str) -> None:
    with freeze_time(AT):
        ran = run("survey", "run", "--db", db, "--as", "admin")
        assert ran.exit_code == 0, ran.output
        assert ran.output == (
            "surveys: 0 decided, 4 relationship surveys made, 4 sent, 0 expired\n"
        )
        listed = run("survey", "list", "--db", db, "--state", "sent")
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[-1] == "4 of 4 surveys"
    assert sum("relationship" in line and "dept Finance" in line for line in lines) == 1


def test_answers_recorded_from_the_command_line(db: str, desk: Desk) -> None:
    with freeze_time(AT):
        run("survey", "run", "--db", db, "--as", "admin")
        [finance] = [
            s for s in desk.surveys.list(kind="relationship").items if s.department == "Finance"
        ]
        done = run(
            "survey", "answer", str(finance.id), "--satisfaction", "4", "--via", "email",
            "--db", db, "--as", "dave",
        )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert done.output == f"survey {finance.id}: answered (satisfaction 4)\n"
    got = desk.surveys.get(finance.id)
    assert (got.state, got.satisfaction, got.answered_via, got.answered_by) == (
        "answered",
        4,
        "email",
        "dave",
    )


def test_a_declined_survey_from_the_command_line(db: str, desk: Desk) -> None:
    with freeze_time(AT):
        run("survey", "run", "--db", db, "--as", "admin")
    sales = next(s for s in desk.surveys.list(kind="relationship").items if s.department == "Sales")
    out = run("survey", "answer", str(sales.id), "--decline", "--db", db, "--as", OP)
    assert (out.exit_code, out.output) == (0, f"survey {sales.id}: declined\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["1", "--effort", "9"], "effort: 9 is not an answer from 1 to 7"),
        (["999"], "error: no survey 999"),
        ([], "survey: give the survey's id"),
        (["1", "--decline", "--effort", "2"], "decline: --decline records no answers"),
        (["1", "--satisfaction", "4", "--via", "pigeon"], "'pigeon' is not one of"),
    ],
)
def test_bad_input_is_one_line_and_a_non_zero_exit(
    db: str, desk: Desk, args: list[str], message: str
) -> None:
    with freeze_time(AT):
        run("survey", "run", "--db", db, "--as", "admin")  # survey 1 exists: a relationship one
        before = desk.surveys.get(1)
        result = run("survey", "answer", *args, "--db", db, "--as", OP)
    assert result.exit_code != 0
    assert len(result.stderr.splitlines()) == 1 and message in result.stderr, result.stderr
    assert desk.surveys.get(1) == before


def test_an_unknown_state_is_refused_in_one_line(db: str) -> None:
    result = run("survey", "list", "--db", db, "--state", "done")
    assert result.exit_code == 1 and len(result.stderr.splitlines()) == 1
    assert "states: " in result.stderr and "'done'" in result.stderr


def test_the_nightly_proactive_run_does_the_survey_work(db: str) -> None:
    with freeze_time(AT):
        result = run(
            "proactive", "--db", db, "-c", str(CATALOGUE), "--horizon", "7", "--as", "admin"
        )
    assert result.exit_code == 0, result.output
    assert "surveys: 0 decided, 4 relationship surveys made, 4 sent, 0 expired" in result.output


def test_an_operator_may_not_run_the_survey_work(db: str) -> None:
    result = run("survey", "run", "--db", db, "--as", OP)
    assert result.exit_code == 1 and "'anna' may not survey.send" in result.stderr


def test_bpsm_kpi_prints_the_relationship_survey_beside_the_call_satisfaction(
    db: str, desk: Desk
) -> None:
    with freeze_time(AT):
        run("survey", "run", "--db", db, "--as", "admin")
        for s in desk.surveys.list(kind="relationship").items:
            if s.department in ("Finance", "Sales"):
                desk.surveys.answer(s.id, satisfaction=5 if s.department == "Finance" else 3, by=OP)
        table = run("kpi", "--db", db, "--since", "2026-01-01", "--by", "month")
        as_json = run("kpi", "--db", db, "--since", "2026-01-01", "--format", "json")
    assert table.exit_code == 0, table.output
    out = table.output
    assert out.index("Customer satisfaction") < out.index("Relationship survey")
    cells: dict[tuple[str, str], str] = {}
    department = ""
    for line in out[out.index("Relationship survey") :].splitlines():
        parts = [p.strip() for p in line.split("│")[1:-1]]
        if len(parts) >= 3 and parts[1]:
            department = parts[0] or department
            cells[(department, parts[1])] = parts[2]  # the total column
    assert cells[("all", "mean")] == "4"  # (5 + 3) / 2
    assert cells[("all", "response_rate")] == "50%"  # 2 of the 4 departments answered
    assert (cells[("Finance", "share")], cells[("Sales", "share")]) == ("100%", "0%")
    assert cells[("Human Resources", "responses")] == "0"
    assert "Relationship survey" not in as_json.output  # JSON keeps its schema: calls only
