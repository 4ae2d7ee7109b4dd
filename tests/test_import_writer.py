"""The import writer: each case replayed and written through the bulk path, with its ledger row,
per batch all or nothing; a re-run imports nothing twice (SQLite and PostgreSQL)."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bpsm import Desk
from bpsm.bulk import Batch
from bpsm.errors import PermissionDenied, ValidationError
from bpsm.importing import import_file, load_mapping, shipped
from bpsm.store.tables import AuditEventRow, CallRow
from bpsm.store.tables.importing import ImportLedgerRow

HEADER = "number,incident_state,reassignment_count,reopen_count,sys_mod_count,sys_updated_at,"
HEADER += "contact_type,category,assignment_group,assigned_to\n"


def _row(
    n: str,
    state: str,
    seq: int,
    at: str,
    *,
    group: str = "Group 1",
    person: str = "?",
    channel: str = "Phone",
    counts: tuple[int, int] = (0, 0),
) -> str:
    return f"{n},{state},{counts[0]},{counts[1]},{seq},{at},{channel},Cat 1,{group},{person}\n"


LOG = (
    HEADER
    # A: self service, straight through: first time right
    + _row("A", "New", 0, "1/3/2016 09:00", channel="Self service")
    + _row("A", "Resolved", 1, "1/3/2016 10:30", channel="Self service")
    + _row("A", "Closed", 2, "6/3/2016 11:00", channel="Self service")
    # B: reassigned once and reopened once (the last row's counters), by phone through the IVR
    + _row("B", "New", 0, "2/3/2016 08:00", channel="IVR")
    + _row("B", "Active", 1, "2/3/2016 08:05", channel="IVR", person="anna")
    + _row("B", "Active", 2, "2/3/2016 09:00", channel="IVR", group="Group 2", counts=(1, 0))
    + _row("B", "Resolved", 3, "2/3/2016 12:00", channel="IVR", group="Group 2", counts=(1, 0))
    + _row("B", "Active", 4, "3/3/2016 08:00", channel="IVR", group="Group 2", counts=(1, 1))
    + _row("B", "Resolved", 5, "3/3/2016 09:00", channel="IVR", group="Group 2", counts=(1, 1))
    + _row("B", "Closed", 6, "8/3/2016 09:00", channel="IVR", group="Group 2", counts=(1, 1))
    # C: walked in, still waiting for the user
    + _row("C", "New", 0, "4/3/2016 14:00", channel="Direct opening")
    + _row("C", "Awaiting User Info", 1, "4/3/2016 15:00", channel="Direct opening")
)


@pytest.fixture
def log(tmp_path: Path) -> Path:
    path = tmp_path / "log.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8", newline="") as f:
        f.write(LOG)
    return path


def _calls(desk: Desk) -> dict[str, CallRow]:
    with desk.transaction() as s:
        ledger = dict(s.execute(select(ImportLedgerRow.case_key, ImportLedgerRow.call_id)).all())
        rows = {r.id: r for r in s.scalars(select(CallRow))}
        for r in rows.values():
            s.expunge(r)
    return {case: rows[call] for case, call in ledger.items()}


def test_cases_become_calls_with_their_history_channel_group_and_facts(
    desk: Desk, log: Path
) -> None:
    mapping = load_mapping(shipped("servicenow"))
    result = import_file(desk, log, mapping, by="admin")
    assert (result.rows, result.cases_imported, result.bad_rows, result.cases_refused) == (
        12,
        3,
        [],
        [],
    )
    calls = _calls(desk)
    a, b, c = calls["A"], calls["B"], calls["C"]
    assert (a.channel, b.channel, c.channel) == ("portal", "phone", "walk-in")
    assert a.registered_at == datetime(2016, 3, 1, 9, 0, tzinfo=UTC)
    assert a.resolved_at == datetime(2016, 3, 1, 10, 30, tzinfo=UTC)
    assert a.closed_at == datetime(2016, 3, 6, 11, 0, tzinfo=UTC)
    assert (a.state, a.escalation_count, a.reopen_count, a.resolved_at_contact) == (
        "closed",
        0,
        0,
        1,
    )
    assert (b.state, b.group, b.escalation_count, b.reopen_count) == ("closed", "Group 2", 1, 1)
    assert b.registered_by == "admin"  # the source person anna is not who registered it
    assert (c.state, c.waiting_for, c.closed_at) == ("waiting_customer", "customer", None)
    assert desk.calls.get(a.id).first_time_right and not desk.calls.get(b.id).first_time_right

    trail = desk.history("call", b.id)
    assert [e.trigger for e in trail] == [
        "register",
        "accept",
        "escalate",  # the reassignment, while in progress
        "resolve",
        "reopen",
        "resolve",
        "close",
    ]
    assert all(e.data and e.data["imported"] == "servicenow" for e in trail)
    assert [e.data["row"] for e in trail if e.data] == [5, 6, 7, 8, 9, 10, 11]
    assert all(e.actor == "admin" for e in trail[1:])
    assert trail[2].data is not None and trail[2].data["to_group"] == "Group 2"
    assert trail[4].at == datetime(2016, 3, 3, 8, 0, tzinfo=UTC)
    assert trail[1].data is not None and trail[1].data["person"] == "anna"
    assert [e.data.get("implied", False) for e in desk.history("call", a.id) if e.data] == [
        False,
        True,
        False,
        False,
    ]


def test_a_second_run_imports_nothing_twice(desk: Desk, log: Path) -> None:
    mapping = load_mapping(shipped("servicenow"))
    first = import_file(desk, log, mapping, by="admin", batch=2)
    again = import_file(desk, log, mapping, by="admin", batch=2)
    assert (first.cases_imported, again.cases_imported, again.cases_skipped_already) == (3, 0, 3)
    with desk.transaction() as s:
        assert s.scalar(select(func.count()).select_from(CallRow)) == 3
        calls_events = select(func.count()).where(AuditEventRow.record_type == "call")
        assert s.scalar(calls_events) == first.events


def test_a_batch_is_written_whole_or_not_at_all(
    desk: Desk, log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A failure while the second batch is written: the first batch stays, none of the second."""
    mapping = load_mapping(shipped("servicenow"))
    seen = 0
    real = Batch.add_row

    def failing(self: Batch, table: object, row: dict[str, object]) -> None:
        nonlocal seen
        seen += 1
        if seen == 3:  # the ledger row of C, the second case of the second batch
            raise RuntimeError("the disk is full")
        real(self, table, row)  # type: ignore[arg-type]

    monkeypatch.setattr(Batch, "add_row", failing)
    with pytest.raises(RuntimeError):
        import_file(desk, log, mapping, by="admin", batch=2)
    assert set(_calls(desk)) == {"A", "B"}
    with desk.transaction() as s:
        assert s.scalar(select(func.count()).select_from(CallRow)) == 2
    monkeypatch.setattr(Batch, "add_row", real)
    assert import_file(desk, log, mapping, by="admin", batch=2).cases_imported == 1
    assert set(_calls(desk)) == {"A", "B", "C"}


def test_a_channel_the_desk_lacks_refuses_that_case_only(desk: Desk, tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text(
        HEADER
        + _row("A", "New", 0, "1/3/2016 09:00", channel="Fax")
        + _row("B", "New", 0, "1/3/2016 09:00"),
        encoding="utf-8",
    )
    result = import_file(desk, path, load_mapping(shipped("servicenow")), by="admin")
    assert result.cases_imported == 1 and set(_calls(desk)) == {"B"}
    (refused,) = result.cases_refused
    assert (refused.case, refused.row) == ("A", 2) and "'Fax'" in refused.reason


def test_the_importing_person_must_be_staff_and_the_file_must_exist(
    desk: Desk, log: Path, tmp_path: Path
) -> None:
    mapping = load_mapping(shipped("servicenow"))
    with pytest.raises(PermissionDenied):
        import_file(desk, log, mapping, by="nobody")
    with pytest.raises(ValidationError, match="no such file"):
        import_file(desk, tmp_path / "missing.csv", mapping, by="admin")
    assert _calls(desk) == {}


def test_a_mapping_name_too_long_for_the_ledger_is_refused_first(desk: Desk, log: Path) -> None:
    mapping = load_mapping(shipped("servicenow")).model_copy(update={"name": "n" * 65})
    with pytest.raises(ValidationError, match="name: 'n+': 1 to 64 characters"):
        import_file(desk, log, mapping, by="admin")
    assert _calls(desk) == {}
