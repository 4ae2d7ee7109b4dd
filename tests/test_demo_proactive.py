"""The demo gives every role work: changes in each state a change manager decides on, tasks due
and overdue, improvements in each state; the same on every run (fixed seed, frozen clock)."""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from freezegun import freeze_time

from bpsm import Desk
from bpsm.demo import seed_demo
from tests.conftest import CATALOGUE

NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


def _seeded(tmp_path: Path, name: str) -> tuple[list[tuple[str, str, str]], list[str], Counter]:
    folder = tmp_path / name
    shutil.copytree(CATALOGUE, folder)
    desk = Desk.open(f"sqlite:///{tmp_path / name}.db", catalogue=folder)
    try:
        with freeze_time(NOW):
            seed_demo(desk, calls=20)
            changes = [(c.number, c.state, c.summary) for c in desk.changes.page(limit=50).items]
            ideas = [i.state for i in desk.improvements.list()]
            tasks = Counter(
                t.status for t in desk.maintenance.tasks(kind="maintenance", limit=500).items
            )
    finally:
        desk.close()
    assert (folder / "services").exists()
    for path in (folder / "services").iterdir():  # nothing implemented: no file written back
        assert path.read_text() == (CATALOGUE / "services" / path.name).read_text()
    return changes, ideas, tasks


def test_the_demo_gives_the_change_manager_and_the_proactive_screen_work(tmp_path: Path) -> None:
    changes, ideas, tasks = _seeded(tmp_path, "one")
    assert Counter(state for _, state, _ in changes) == {
        "draft": 2,
        "submitted": 1,
        "approved": 1,
        "rejected": 1,
        "withdrawn": 1,
    }
    assert any(summary.startswith("Improvement IM-") for _, _, summary in changes)
    assert sorted(ideas) == ["approved", "assessed", "dropped", "identified"]
    assert tasks["overdue"] >= 1 and tasks["done"] == 1 and tasks["skipped"] == 1
    assert _seeded(tmp_path, "two") == (changes, ideas, tasks)  # the same on every run
