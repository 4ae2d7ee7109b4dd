"""The round trip of the imported ServiceNow log: the full real log imported (``servicenow``
mapping, counter mode), exported (``export_events``), imported into an empty desk with the
shipped ``bpsm`` mapping, gives every call's facts and every round-tripping KPI exactly — by
day and per service, department, group, operator and channel — and the same audit steps.
Slow (two imports of the full log); SQLite, and PostgreSQL into PostgreSQL."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from freezegun import freeze_time
from sqlalchemy import create_engine, select

from bpsm import Desk
from bpsm.catalogue.loader import Catalogue
from bpsm.importing import export_events, import_file, load_mapping, shipped
from bpsm.importing.export import case_number
from bpsm.store.tables import AuditEventRow, CallContactRow, CallRow
from bpsm.store.tables.importing import ImportLedgerRow
from tests.real_log import LOG
from tests.test_export_roundtrip import _reports

pytestmark = pytest.mark.slow

SINCE, UNTIL = datetime(2016, 1, 1, tzinfo=UTC), datetime(2017, 12, 31, tzinfo=UTC)
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # the backlog's "now", the same on both sides


def _history(url: str, key: dict[int, str] | None) -> dict[str, Any]:
    """Every call's facts, contacts and steps, keyed by the exported case id (``C-000042``):
    ``key`` maps the second desk's call ids to the case ids its ledger read them from."""
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            name = (lambda i: key[i]) if key is not None else case_number
            calls = {
                name(r.id): {k: v for k, v in r._mapping.items() if k != "id"}
                for r in c.execute(select(CallRow.__table__))
            }
            contacts = Counter(
                (name(r.call_id), r.seq, r.at)
                for r in c.execute(
                    select(CallContactRow.call_id, CallContactRow.seq, CallContactRow.at)
                )
            )
            steps = Counter(
                (name(int(r.record_id)), r.at, r.trigger, r.from_state, r.to_state)
                for r in c.execute(
                    select(AuditEventRow.__table__).where(AuditEventRow.record_type == "call")
                )
            )
    finally:
        engine.dispose()
    return {"calls": calls, "contacts": contacts, "steps": steps}


def _ledger(url: str) -> dict[int, str]:
    engine = create_engine(url)
    try:
        with engine.connect() as c:
            return {
                i: k
                for k, i in c.execute(select(ImportLedgerRow.case_key, ImportLedgerRow.call_id))
            }
    finally:
        engine.dispose()


def test_the_imported_log_round_trips_every_call_and_every_kpi(
    desk: Desk, db_url: str, second_db_url: str, catalogue: Catalogue, tmp_path: Path
) -> None:
    if not LOG.exists():
        pytest.skip(f"the real log is not here ({LOG.name}; BPSM_SERVICENOW_LOG names it)")
    first = import_file(desk, LOG, load_mapping(shipped("servicenow")), by="admin")
    assert first.cases_imported == 24_918 and not first.bad_rows and not first.cases_refused
    events = tmp_path / "events.csv"
    assert export_events(desk, events) == first.events == 120_841
    with Desk.open(second_db_url, catalogue=catalogue) as target:
        back = import_file(target, events, load_mapping(shipped("bpsm")), by="admin")
        assert (back.cases_imported, back.events) == (24_918, first.events)
        assert back.bad_rows == [] and back.cases_refused == []
        with freeze_time(NOW):
            want, got = _reports(desk, SINCE, UNTIL), _reports(target, SINCE, UNTIL)
    source, copy = _history(db_url, None), _history(second_db_url, _ledger(second_db_url))
    assert set(copy["calls"]) == set(source["calls"])
    differ = Counter(
        f
        for case, facts in source["calls"].items()
        for f, v in facts.items()
        if copy["calls"][case][f] != v
    )
    assert differ == Counter(), differ  # every fact of every call, updated_at included
    assert copy["contacts"] == source["contacts"]
    assert copy["steps"] == source["steps"]
    assert set(got) == set(want) and len(want) > 1_000
    assert [k for k in want if got[k] != want[k]] == []
    ftr = want[(None, "first_time_right", "total", None)]  # the README's facts, both sides
    assert (ftr["resolved"], ftr["first_time_right"], ftr["reopened"]) == (24_918, 13_487, 275)
