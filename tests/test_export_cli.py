"""``bpsm export events``: a file or standard output, the registration window, bad input in
one line, passwords masked."""

from __future__ import annotations

import csv
import io
import os
import threading
from pathlib import Path

from freezegun import freeze_time
from typer.testing import CliRunner

from bpsm import Desk
from bpsm.importing.export import COLUMNS, case_number
from bpsm_tui.cli import app
from tests.conftest import CATALOGUE


def run(*args: str):
    with freeze_time("2026-03-05 12:00"):
        return CliRunner().invoke(app, ["export", "events", *args, "-c", str(CATALOGUE)])


def _calls(desk: Desk) -> list[int]:
    ids = []
    for day in ("2026-03-01 09:00", "2026-03-02 09:00", "2026-03-03 09:00"):
        with freeze_time(day):
            c = desk.calls.register(caller="Kim", channel="phone", summary="x", by="anna")
            ids.append(c.id)
    return ids


def test_a_file_and_standard_output(desk: Desk, db_url: str, tmp_path: Path) -> None:
    ids = _calls(desk)
    out = tmp_path / "events.csv"
    got = run(str(out), "--db", db_url)
    assert got.exit_code == 0, got.output
    assert got.output.startswith(f"wrote 3 events to {out} from ")
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert tuple(rows[0]) == COLUMNS
    assert [r[0] for r in rows[1:]] == [case_number(i) for i in ids]

    got = run("-", "--since", "2026-03-02", "--until", "2026-03-02", "--db", db_url)
    assert got.exit_code == 0, got.output
    rows = list(csv.DictReader(io.StringIO(got.stdout)))
    assert [r["case_id"] for r in rows] == [case_number(ids[1])]
    assert rows[0]["timestamp"] == "2026-03-02T09:00:00+00:00"
    assert got.stderr.startswith("wrote 1 events to standard output from ")


def test_bad_input_is_one_line_and_writes_nothing(desk: Desk, db_url: str, tmp_path: Path) -> None:
    got = run(str(tmp_path / "x.csv"), "--since", "yesterday", "--db", db_url)
    assert got.exit_code == 1
    assert got.output.strip().splitlines() == [
        "since: 'yesterday' is not a date (YYYY-MM-DD) or an ISO time"
    ]
    assert not (tmp_path / "x.csv").exists()
    got = run(str(tmp_path / "no" / "x.csv"), "--db", db_url)
    assert got.exit_code == 1
    assert len(got.output.strip().splitlines()) == 1
    assert "cannot write the file" in got.output and "Traceback" not in got.output


def test_a_password_in_the_database_url_is_masked(tmp_path: Path) -> None:
    got = run(str(tmp_path / "x.csv"), "--db", "postgresql://bpsm:s3cret@127.0.0.1:1/none")
    assert got.exit_code == 1
    assert len(got.output.strip().splitlines()) == 1
    assert "s3cret" not in got.output
    assert not (tmp_path / "x.csv").exists()


def test_a_pipe_is_written_into_and_a_link_kept(desk: Desk, db_url: str, tmp_path: Path) -> None:
    """A target that is no regular file (a pipe, a device such as /dev/null) is written into,
    never replaced by a file; a symbolic link stays and the file it names gets the export."""
    _calls(desk)
    out = tmp_path / "out"
    out.mkdir()
    fifo = out / "pipe"
    os.mkfifo(fifo)
    read: list[str] = []
    reader = threading.Thread(target=lambda: read.append(fifo.read_text(encoding="utf-8")))
    reader.start()
    got = run(str(fifo), "--db", db_url)
    reader.join(timeout=30)
    assert got.exit_code == 0, got.output
    assert fifo.is_fifo() and read[0].splitlines()[0] == ",".join(COLUMNS)
    assert [p.name for p in out.iterdir()] == ["pipe"]

    target = out / "real.csv"
    target.write_text("old", encoding="utf-8")
    link = out / "link.csv"
    link.symlink_to(target)
    got = run(str(link), "--db", db_url)
    assert got.exit_code == 0, got.output
    assert link.is_symlink() and target.read_text(encoding="utf-8").startswith("case_id")
