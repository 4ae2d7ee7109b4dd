"""An import killed with SIGKILL after some batches committed, then run again, ends with exactly
the database an uninterrupted import gives (compared keyed by the source case id: surrogate ids
differ on PostgreSQL, whose sequences do not roll back). SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import make_url

from bpsm import Desk
from bpsm.catalogue.loader import Catalogue
from bpsm.importing import import_file, load_mapping, shipped
from bpsm.store.tables import AuditEventRow, CallContactRow, CallRow
from bpsm.store.tables.importing import ImportLedgerRow
from bpsm.store.tables.kpi import KpiDirtyRow
from tests.conftest import PG_URL, ROOT, empty_database
from tests.test_import_writer import HEADER, _row

CASES = 1_500
BATCH = 10


def _log(path: Path) -> Path:
    """CASES cases of 4-7 rows: some reassigned, some reopened, some left open."""
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write(HEADER)
        for i in range(CASES):
            n, day, ch = f"INC{i:07d}", 1 + i % 27, ("Phone", "Email", "Self service")[i % 3]
            f.write(_row(n, "New", 0, f"{day}/3/2016 08:00", channel=ch))
            f.write(_row(n, "Active", 1, f"{day}/3/2016 08:10", channel=ch, person=f"P{i % 7}"))
            if i % 4 == 0:
                f.write(_row(n, "Active", 2, f"{day}/3/2016 09:00", channel=ch, group="G2"))
            if i % 11 == 5:
                f.write(_row(n, "Awaiting User Info", 3, f"{day}/3/2016 10:00", channel=ch))
                continue
            counts = (int(i % 4 == 0), int(i % 9 == 0))
            f.write(_row(n, "Resolved", 4, f"{day}/3/2016 11:00", channel=ch, counts=counts))
            if i % 9 == 0:
                f.write(_row(n, "Active", 5, f"{day}/3/2016 12:00", channel=ch, counts=counts))
                f.write(_row(n, "Resolved", 6, f"{day}/3/2016 13:00", channel=ch, counts=counts))
            f.write(_row(n, "Closed", 7, f"{day + 1}/3/2016 11:00", channel=ch, counts=counts))
    return path


def _dump(url: str) -> dict[str, Any]:
    """The database's import, keyed by the source case id (no surrogate ids)."""
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            ledger = dict(
                c.execute(select(ImportLedgerRow.case_key, ImportLedgerRow.call_id)).all()
            )
            case_of = {call: case for case, call in ledger.items()}
            calls = {
                case_of[r.id]: {k: v for k, v in r._mapping.items() if k != "id"}
                for r in c.execute(select(CallRow.__table__))
            }
            contacts: dict[str, list[Any]] = {}
            for r in c.execute(select(CallContactRow.__table__).order_by(CallContactRow.id)):
                contacts.setdefault(case_of[r.call_id], []).append(
                    (r.seq, r.at, r.channel, r.by, r.note)
                )
            events: dict[str, list[Any]] = {}
            rows = c.execute(
                select(AuditEventRow.__table__)
                .where(AuditEventRow.record_type == "call")
                .order_by(AuditEventRow.id)
            )
            for r in rows:
                events.setdefault(case_of[int(r.record_id)], []).append(
                    (r.at, r.actor, r.trigger, r.from_state, r.to_state, r.reason, r.data)
                )
            dirty = Counter(tuple(r) for r in c.execute(select(KpiDirtyRow.anchor, KpiDirtyRow.at)))
            other = c.scalar(
                select(func.count())
                .select_from(AuditEventRow)
                .where(AuditEventRow.record_type != "call")
            )
    finally:
        engine.dispose()
    return {
        "ledger": sorted(ledger),
        "calls": calls,
        "contacts": contacts,
        "events": events,
        "dirty": dirty,
        "other events": other,
    }


def _reset(url: str, catalogue: Catalogue) -> None:
    """Empty the database again (as the fixtures do) and load the catalogue."""
    if PG_URL:
        empty_database(url)
    else:
        os.remove(make_url(url).database or "")
    Desk.open(url, catalogue=catalogue).close()


_CHILD = """
import sys
from bpsm import Desk
from bpsm.importing import import_file, load_mapping, shipped
with Desk.open(sys.argv[1]) as desk:
    mapping = load_mapping(shipped("servicenow"))
    import_file(desk, sys.argv[2], mapping, by="admin", batch=int(sys.argv[3]))
"""


def _ledger_count(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            return int(c.scalar(select(func.count()).select_from(ImportLedgerRow)) or 0)
    finally:
        engine.dispose()


def test_a_run_killed_after_some_batches_and_run_again_equals_one_uninterrupted_run(
    desk: Desk, db_url: str, catalogue: Catalogue, tmp_path: Path
) -> None:
    log = _log(tmp_path / "log.csv")
    mapping = load_mapping(shipped("servicenow"))
    whole = import_file(desk, log, mapping, by="admin", batch=BATCH)
    assert whole.cases_imported == CASES and not whole.bad_rows and not whole.cases_refused
    expected = _dump(db_url)
    desk.close()

    _reset(db_url, catalogue)
    assert _ledger_count(db_url) == 0
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", _CHILD, db_url, str(log), str(BATCH)], env=env)
    try:
        seen = 0
        while child.poll() is None and seen < CASES // 5:
            time.sleep(0.02)
            seen = _ledger_count(db_url)
        assert child.poll() is None, "the import ended before it could be killed"
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL
    killed_at = _ledger_count(db_url)
    assert CASES // 5 <= killed_at < CASES and killed_at % BATCH == 0  # whole batches only

    with Desk.open(db_url) as again:
        resumed = import_file(again, log, mapping, by="admin", batch=BATCH)
    assert resumed.cases_skipped_already == killed_at
    assert resumed.cases_imported == CASES - killed_at
    assert _dump(db_url) == expected
