"""``bpsm import servicenow`` and ``bpsm import csv``: a summary, bad rows one line each, one
clear line and a non-zero exit on a bad mapping, a missing file or a bad database URL."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bpsm import Desk
from bpsm.cli import app
from tests.conftest import CATALOGUE
from tests.test_import_writer import HEADER, LOG, _calls, _row


def run(*args: str):
    return CliRunner().invoke(app, ["import", *args, "-c", str(CATALOGUE), "--as", "admin"])


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "log.csv"
    path.write_text(LOG, encoding="utf-8")
    return path


def test_servicenow_imports_and_a_second_run_imports_nothing(
    desk: Desk, db_url: str, log: Path
) -> None:
    first = run("servicenow", str(log), "--db", db_url)
    assert first.exit_code == 0, first.output
    assert "12 rows; 3 cases imported (14 events), 0 already imported" in first.stdout
    again = run("servicenow", str(log), "--db", db_url)
    assert again.exit_code == 0, again.output
    assert "0 cases imported (0 events), 3 already imported" in again.stdout
    assert set(_calls(desk)) == {"A", "B", "C"}


def test_csv_by_a_mapping_with_positions_another_delimiter_and_bad_rows(
    desk: Desk, db_url: str, tmp_path: Path
) -> None:
    mapping = tmp_path / "desk.yaml"
    mapping.write_text(
        "name: other-desk\ndelimiter: ';'\ncase_id: 0\n"
        "timestamp: {column: 1, format: iso}\nstate: 2\nchannel: 3\n"
        "states: {opened: registered, working: in_progress, done: resolved, shut: closed}\n"
        "channels: {tel: phone}\n",
        encoding="utf-8",
    )
    log = tmp_path / "export.csv"
    log.write_text(
        "\ufeffid;when;what;how\n"
        "T1;2016-03-01T09:00:00+01:00;opened;tel\n"
        "T1;2016-03-01T09:30:00.5+01:00;done;tel\n"
        "T1;2016-03-02T09:00:00+01:00;shut;tel\n"
        "T2;2016-03-01T09:00:00+01:00;opened;tel\n"
        "T2;yesterday;shut;tel\n"
        "T3;2016-03-01T09:00:00+01:00;exploded;tel\n",
        encoding="utf-8",
    )
    got = run("csv", str(log), "--map", str(mapping), "--db", db_url)
    assert got.exit_code == 0, got.output
    assert got.stderr.splitlines() == [
        f"{log}:6: 'yesterday' is not a time in format 'iso'",
        f"{log}:7: unknown state 'exploded'",
    ]
    assert "1 cases imported" in got.stdout and "2 skipped for bad rows (2 bad rows)" in got.stdout
    assert set(_calls(desk)) == {"T1"}


def test_refused_cases_are_reported_with_file_row_and_reason(
    desk: Desk, db_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "log.csv"
    log.write_text(HEADER + _row("A", "New", 0, "1/3/2016 09:00", channel="Fax"), "utf-8")
    got = run("servicenow", str(log), "--db", db_url)
    assert got.exit_code == 0, got.output
    (line,) = got.stderr.splitlines()
    assert line.startswith(f"{log}:2: case A: channel 'Fax' is not one of the desk's")


def test_a_bad_mapping_is_one_line_per_field_with_its_yaml_line(
    desk: Desk, db_url: str, log: Path, tmp_path: Path
) -> None:
    mapping = tmp_path / "bad.yaml"
    mapping.write_text(
        "name: x\ncase_id: 0\ntimestamp: {column: 1}\nstate: [1, 2]\n"
        "states: {Open: opened}\ncolour: red\n",
        encoding="utf-8",
    )
    got = run("csv", str(log), "--map", str(mapping), "--db", db_url)
    assert got.exit_code == 1
    assert got.stderr.splitlines() == [
        f"{mapping}:4: state: a column is a header name or a 0-based position",
        f"{mapping}:5: states: 'Open' maps to 'opened', not a reactive state (registered, "
        "in_progress, waiting_customer, waiting_supplier, resolved, closed, referred, "
        "cancelled, contact, ignore)",
        f"{mapping}:6: colour: not a field of a mapping (a misspelt name?)",
    ]
    assert "Traceback" not in got.output and _calls(desk) == {}


def test_not_yaml_names_its_line(db_url: str, log: Path, tmp_path: Path) -> None:
    mapping = tmp_path / "bad.yaml"
    mapping.write_text("name: x\ncase_id: [0\n", encoding="utf-8")
    got = run("csv", str(log), "--map", str(mapping), "--db", db_url)
    assert got.exit_code == 1 and len(got.stderr.splitlines()) == 1
    assert got.stderr.startswith(f"{mapping}:3: not YAML")


def test_a_missing_file_or_column_is_one_line_and_writes_nothing(
    desk: Desk, db_url: str, tmp_path: Path
) -> None:
    got = run("servicenow", str(tmp_path / "missing.csv"), "--db", db_url)
    assert (got.exit_code, got.stderr) == (1, f"{tmp_path / 'missing.csv'}: no such file\n")
    short = tmp_path / "short.csv"
    short.write_text("number,incident_state\nA,New\n", encoding="utf-8")
    got = run("servicenow", str(short), "--db", db_url)
    assert (
        got.exit_code == 1
        and "short.csv:1: timestamp.column: the file has no column" in (got.stderr.splitlines()[0])
    )
    assert _calls(desk) == {}


def test_a_bad_database_url_is_one_line_with_the_password_masked(log: Path) -> None:
    got = run("servicenow", str(log), "--db", "postgresql://u:s3cret-pw@127.0.0.1:1/x")
    assert got.exit_code == 1 and len(got.stderr.splitlines()) == 1
    assert "s3cret-pw" not in got.output and "u:***@" in got.stderr


def test_on_a_terminal_a_progress_bar_shows_rows_cases_rate_and_eta(
    desk: Desk, db_url: str, log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bpsm.cli_import._on_terminal", lambda: True)
    got = run("servicenow", str(log), "--db", db_url)
    assert got.exit_code == 0, got.output
    assert "12/12 rows · 3 cases" in got.stderr and "rows/s" in got.stderr
    assert "ETA" in got.stderr


def test_a_shipped_mapping_by_its_name(desk: Desk, tmp_path: Path) -> None:
    """``--map bpsm`` reads a desk's own export by the shipped mapping; a name that is neither a
    file nor a shipped mapping is one line."""
    from freezegun import freeze_time

    from bpsm.importing import export_events

    with freeze_time("2026-03-02 09:00"):
        desk.calls.register(caller="Kim", channel="phone", summary="no mail", by="anna")
    events = tmp_path / "events.csv"
    export_events(desk, events)
    other = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    got = run("csv", str(events), "--map", "bpsm", "--db", other)
    assert got.exit_code == 0, got.output
    assert "1 cases imported" in got.stdout
    got = run("csv", str(events), "--map", "nosuch", "--db", other)
    assert got.exit_code == 1 and "nosuch" in got.stderr and "Traceback" not in got.output
