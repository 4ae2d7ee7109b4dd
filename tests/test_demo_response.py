"""The demo's calls have realistic response times: the desk's first action comes minutes to
hours after the registration, not at the same instant."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from freezegun import freeze_time
from sqlalchemy import select

from bpsm import Desk
from bpsm.demo import seed_demo
from bpsm.store.tables import CallRow
from tests.conftest import CATALOGUE

NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


def test_demo_calls_are_answered_minutes_to_hours_after_registering(tmp_path: Path) -> None:
    shutil.copytree(CATALOGUE, tmp_path / "cat")
    desk = Desk.open(f"sqlite:///{tmp_path / 'demo.db'}", catalogue=tmp_path / "cat")
    try:
        with freeze_time(NOW):
            seed_demo(desk, calls=60, proactive=False)
            report = desk.kpis.report(NOW - timedelta(days=60), NOW, kpis=["response_time"])
            with desk.transaction() as s:
                rows = s.execute(
                    select(CallRow.registered_at, CallRow.responded_at).where(
                        CallRow.service_id.is_not(None), CallRow.responded_at.is_not(None)
                    )
                ).all()
    finally:
        desk.close()
    figures = report.get("response_time")
    assert figures["acted_on"] >= 50
    mean = figures["mean_seconds"]
    assert 60 <= mean <= 6 * 3600, mean  # minutes to hours on average, never 0
    waits = [(responded - registered).total_seconds() for registered, responded in rows]
    assert sum(w > 0 for w in waits) == len(waits)  # every catalogue call: after registering
    assert max(waits) >= 3600  # some (mail, portal) wait an hour or more
