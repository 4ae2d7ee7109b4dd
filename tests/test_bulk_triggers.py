"""On SQLite a batch writes the search entries and KPI marks of its new calls itself, the two
insert triggers on ``calls`` taken away inside its own transaction. That is safe because SQLite
has one writer at a time: no other connection sees the triggers gone or writes a call while the
batch holds them away, and a batch killed half-way leaves the triggers and nothing else."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bpsm import Desk

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
STOOD_IN = {"calls_search_insert", "calls_kpi_dirty_insert"}


def _file(db_url: str) -> str:
    if not db_url.startswith("sqlite:///"):
        pytest.skip("SQLite's triggers (PostgreSQL keeps its own and the batch leaves them)")
    return db_url.removeprefix("sqlite:///")


def _state(path: str) -> tuple[set[str], int, int, int]:
    """The triggers on calls, the calls, their search entries and KPI marks, from another
    connection."""
    with sqlite3.connect(path) as conn:
        triggers = {
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'calls'"
            )
        }
        counts = [
            conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("calls", "calls_search", "kpi_dirty")
        ]
    conn.close()
    return triggers, counts[0], counts[1], counts[2]


def _register(batch, i: int) -> int:
    return batch.register(
        caller=f"Caller {i}",
        channel="phone",
        summary=f"printer jam {i}",
        service="printing",
        at=START + timedelta(minutes=i),
    )


def test_while_a_batch_stands_in_others_see_the_triggers_and_cannot_write(
    desk: Desk, db_url: str
) -> None:
    path = _file(db_url)
    before = _state(path)
    assert before[0] >= STOOD_IN
    with desk.bulk(by="anna", chunk=3) as batch:
        for i in range(7):  # two chunks written: the triggers are away in the batch's transaction
            _register(batch, i)
        assert batch.written.get("calls") == 6
        assert _state(path) == before  # readers see the committed schema and rows
        other = sqlite3.connect(path, timeout=0.05)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("INSERT INTO calls_search(rowid, caller, summary) VALUES (999, 'x', 'y')")
        other.close()
    triggers, calls, entries, marks = _state(path)
    assert triggers == before[0] and calls == entries == 7 and marks == 7


def test_a_batch_killed_half_way_leaves_the_triggers_and_no_rows(desk: Desk, db_url: str) -> None:
    path = _file(db_url)
    desk.close()  # (seeded: staff, catalogue)
    before = _state(path)
    script = textwrap.dedent(
        f"""
        import os, sys
        from datetime import UTC, datetime, timedelta
        from bpsm import Desk
        desk = Desk.open({db_url!r}, catalogue={str(ROOT / "catalogue")!r}, seed=False)
        with desk.bulk(by="anna", chunk=2) as batch:
            for i in range(5):
                batch.register(caller="Kim", channel="phone", summary="no mail",
                               at=datetime(2026, 1, 5, 8, i, tzinfo=UTC))
            assert batch.written["calls"] == 4
            sys.stdout.flush()
            os._exit(9)  # killed: no rollback, no restore, no commit
        """
    )
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True)
    assert done.returncode == 9, done.stderr
    assert _state(path) == before
    again = Desk.open(db_url, catalogue=ROOT / "catalogue", seed=False)
    with again.bulk(by="anna") as batch:
        _register(batch, 0)
    again.close()
    triggers, calls, entries, marks = _state(path)
    assert triggers == before[0] and calls == entries == 1 and marks == 1
