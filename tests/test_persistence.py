"""SQLite and PostgreSQL persistence: migrations, time zones, optimistic concurrency, atomicity."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from freezegun import freeze_time
from sqlalchemy import func, select

from bpsm import ConcurrentModification, Desk, NotFound, PermissionDenied, ValidationError
from bpsm.store.db import (
    current_revision,
    head_revision,
    make_engine,
    quick_head,
    stamped_revision,
)
from bpsm.store.search import include_name
from bpsm.store.tables import AuditEventRow, Base, CallRow
from tests.helpers import OP, call_in, new_call

COMPARE = {"compare_type": True, "include_name": include_name}
"""The models against a migrated database (the search index is the migration's alone)."""


def test_migrations_build_exactly_the_declared_schema(db_url: str) -> None:
    engine = make_engine(db_url)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts=COMPARE), Base.metadata)
    engine.dispose()
    assert diff == []


def test_a_database_of_the_previous_release_upgrades_and_keeps_its_calls(tmp_path) -> None:
    """A database at 0003 (before the KPI records' columns and table) upgrades to the head in
    place: its calls stay, the new columns are empty, the schema is the declared one."""
    from alembic import command
    from sqlalchemy import inspect, text

    from bpsm.store.db import _config, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    command.upgrade(_config(engine), "0003")
    assert "responded_at" not in {c["name"] for c in inspect(engine).get_columns("calls")}
    with engine.begin() as conn:
        conn.execute(
            text(
                'INSERT INTO staff (id, name, roles, "group", active)'
                " VALUES ('anna', 'Anna', '[\"operator\"]', 'service-desk', 1)"
            )
        )
        conn.execute(
            text(
                'INSERT INTO calls (id, state, caller, channel, summary, registered_by, "group",'
                " is_exception, registered_at, contact_count, escalation_count, reopen_count,"
                " version, updated_at) VALUES (7, 'registered', 'Kim', 'phone', 'Old call',"
                " 'anna', 'service-desk', 0, '2026-11-30 09:00:00.000000', 1, 0, 0, 1,"
                " '2026-11-30 09:00:00.000000')"
            )
        )
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        row = conn.execute(text("SELECT summary, responded_at, lead_time_met FROM calls")).one()
        assert tuple(row) == ("Old call", None, None)
        assert conn.execute(text("SELECT count(*) FROM effort_log")).scalar() == 0
        diff = compare_metadata(MigrationContext.configure(conn, opts=COMPARE), Base.metadata)
    engine.dispose()
    assert diff == []


def test_the_quick_revision_check_agrees_with_alembic(db_url: str, tmp_path) -> None:
    engine = make_engine(db_url)
    assert quick_head() == head_revision()
    assert stamped_revision(engine) == current_revision(engine) == head_revision()
    engine.dispose()
    empty = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    assert stamped_revision(empty) is None and current_revision(empty) is None
    empty.dispose()


def test_times_are_stored_in_utc_and_come_back_aware(desk: Desk) -> None:
    with freeze_time(datetime(2026, 7, 1, 12, 30, tzinfo=UTC)):
        call = new_call(desk)
    again = desk.calls.get(call.id)
    assert again.registered_at == datetime(2026, 7, 1, 12, 30, tzinfo=UTC)
    assert again.registered_at.tzinfo is not None


def test_two_operators_never_silently_overwrite_each_other(db_url: str, catalogue) -> None:
    anna_desk = Desk.open(db_url, catalogue=catalogue)
    omar_desk = Desk.open(db_url, catalogue=catalogue)
    call = call_in(anna_desk, "in_progress")
    seen_by_omar = omar_desk.calls.get(call.id)
    anna_desk.calls.resolve(
        call.id, solution="anna fixed it", by="anna", expected_version=call.version
    )
    with pytest.raises(ConcurrentModification) as err:
        omar_desk.calls.escalate(
            call.id,
            to_group="second-line-it",
            reason="omar thinks it is hardware",
            by="omar",
            expected_version=seen_by_omar.version,
        )
    assert err.value.expected == seen_by_omar.version
    final = omar_desk.calls.get(call.id)
    assert (final.state, final.solution, final.group) == (
        "resolved",
        "anna fixed it",
        "service-desk",
    )
    assert [e.trigger for e in omar_desk.history(final)][-1] == "resolve"
    anna_desk.close(), omar_desk.close()


def test_a_stale_row_in_an_open_session_is_refused_at_write_time(desk: Desk) -> None:
    """Without expected_version, the version column still stops a lost update between sessions."""
    call = call_in(desk, "in_progress")
    with pytest.raises(ConcurrentModification), desk.transaction() as s1:
        row = s1.get(CallRow, call.id)
        desk.calls.resolve(call.id, solution="done elsewhere", by=OP)  # commits in its own session
        row.summary = "overwritten?"
    assert desk.calls.get(call.id).summary != "overwritten?"


def test_failed_action_rolls_back_state_and_audit_together(desk: Desk) -> None:
    call = call_in(desk, "resolved")
    with desk.transaction() as s:
        events = s.scalar(select(func.count()).select_from(AuditEventRow))
    with pytest.raises(ValidationError):
        desk.calls.close(call.id, effort=9, satisfaction=4, by=OP)
    with pytest.raises(ValidationError):
        desk.calls.close(call.id, effort=3, satisfaction=0, by=OP)
    with desk.transaction() as s:
        assert s.scalar(select(func.count()).select_from(AuditEventRow)) == events
    assert desk.calls.get(call.id) == call


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"caller": " ", "channel": "phone", "summary": "x"}, "caller: must not be empty"),
        ({"caller": "Kim", "channel": "pigeon", "summary": "x"}, "channel: 'pigeon' is not one of"),
        ({"caller": "Kim", "channel": "phone", "summary": ""}, "summary: must not be empty"),
        (
            {"caller": "Kim", "channel": "phone", "summary": "x", "service": "teleporter"},
            "service: 'teleporter' is not an active catalogue service",
        ),
    ],
)
def test_bad_registration_names_the_field_and_stores_nothing(
    desk: Desk, kwargs: dict, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        desk.calls.register(by=OP, **kwargs)
    assert desk.calls.queue().total == 0


def test_unknown_call_and_unknown_person(desk: Desk) -> None:
    with pytest.raises(NotFound):
        desk.calls.get(999_999)
    with pytest.raises(PermissionDenied, match="not on the desk's staff list"):
        new_call(desk, caller="x") if False else desk.calls.register(
            caller="Kim", channel="phone", summary="x", by="mallory"
        )


def test_a_manager_may_read_but_not_act(desk: Desk) -> None:
    call = call_in(desk, "in_progress")
    trail = desk.history(call)
    with pytest.raises(PermissionDenied, match="call.resolve"):
        desk.calls.resolve(call.id, solution="x", by="eve")
    assert desk.calls.get(call.id) == call and desk.history(call) == trail
    assert desk.kpis.today().open_now == 1


def test_queue_pages_in_the_database(desk: Desk) -> None:
    ids = [new_call(desk, caller=f"Caller {i}").id for i in range(7)]
    closed = call_in(desk, "closed")
    first = desk.calls.queue(limit=3)
    third = desk.calls.queue(offset=6, limit=3)
    assert first.total == 7 and [c.id for c in first.items] == ids[:3] and first.has_next
    assert [c.id for c in third.items] == ids[6:] and not third.has_next
    assert closed.id not in {c.id for c in desk.calls.queue(limit=100).items}
    with pytest.raises(ValidationError):
        desk.calls.queue(limit=0)


def test_the_audit_trail_is_append_only_in_the_database(desk: Desk) -> None:
    from sqlalchemy import delete, update
    from sqlalchemy.exc import DatabaseError

    call = call_in(desk, "resolved")
    trail = desk.history(call)
    for statement in (update(AuditEventRow).values(reason="rewritten"), delete(AuditEventRow)):
        with pytest.raises(DatabaseError, match="append-only"), desk.engine.begin() as conn:
            conn.execute(statement)
    assert desk.history(call) == trail


def test_the_embedded_sqlite_database_runs_in_wal_mode_with_foreign_keys(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'desk.sqlite3'}")
    with engine.connect() as conn:
        pragmas = [
            conn.exec_driver_sql(f"PRAGMA {p}").scalar()
            for p in ("journal_mode", "foreign_keys", "busy_timeout")
        ]
    engine.dispose()
    assert pragmas == ["wal", 1, 10000]


def test_the_group_by_age_index_is_on_postgresql_only(db_url: str) -> None:
    """(state, group, registered_at, id) serves PostgreSQL's group filter by age; SQLite, given
    it, chose it for the group filter by group and sorted the ids (migration 0011)."""
    from sqlalchemy import inspect

    from bpsm.store.search import PG_ONLY_INDEX

    engine = make_engine(db_url)
    indexes = {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("calls")}
    postgresql = engine.dialect.name == "postgresql"
    engine.dispose()
    if postgresql:
        assert indexes[PG_ONLY_INDEX] == ["state", "group", "registered_at", "id"]
    else:
        assert PG_ONLY_INDEX not in indexes
