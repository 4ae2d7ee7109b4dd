"""The command line: each command works on a real database, and bad arguments get clear errors."""

from __future__ import annotations

from typer.testing import CliRunner

from bpsm_tui.cli import app
from tests.conftest import CATALOGUE

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, [*args])


def test_seed_then_kpi_then_proactive(db_url: str) -> None:
    assert (
        run(
            "demo", "seed", "--db", db_url, "-c", str(CATALOGUE), "--calls", "20", "--as", "admin"
        ).output
        == "seeded 20 calls\n"
    )
    out = run("kpi", "--db", db_url, "-c", str(CATALOGUE)).output
    assert "First time" in out and "share" in out and "backlog" in out
    result = run(
        "proactive", "--db", db_url, "-c", str(CATALOGUE), "--horizon", "30", "--as", "admin"
    )
    assert result.exit_code == 0, result.output
    assert "scheduled" in result.output and "tasks due or overdue now" in result.output


def test_forbidden_role_is_refused_with_the_reason(db_url: str) -> None:
    result = run("proactive", "--db", db_url, "-c", str(CATALOGUE), "--as", "anna")
    assert result.exit_code == 1
    assert "'anna' may not task.generate" in result.output


def test_bad_database_url_is_named() -> None:
    result = run("db", "upgrade", "--db", "nosuchdb://x")
    assert result.exit_code == 1 and "database URL 'nosuchdb://x'" in result.output


def test_desk_refuses_someone_not_on_the_staff_list(db_url: str) -> None:
    result = run("desk", "--db", db_url, "-c", str(CATALOGUE), "--as", "mallory")
    assert result.exit_code == 2 and "not on the desk's staff list" in result.output


def test_db_upgrade_reports_the_revision(db_url: str) -> None:
    result = run("db", "upgrade", "--db", db_url)
    from bpsm.store.db import head_revision

    assert result.exit_code == 0 and f"(head {head_revision()})" in result.output


def test_bad_calls_argument_is_refused_by_the_parser(db_url: str) -> None:
    result = run("demo", "seed", "--db", db_url, "--calls", "0")
    assert result.exit_code == 2 and "--calls" in result.output


def test_an_unreachable_database_is_a_clear_error(tmp_path) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where a folder should be")
    result = run("kpi", "--db", f"sqlite:///{blocked}/desk.sqlite3", "-c", str(CATALOGUE))
    assert result.exit_code == 1
    assert "cannot open the database sqlite:///" in result.output
    assert "Traceback" not in result.output
