"""The audit trail is append-only against the application too: no route rewrites or empties it.

SQLite: ``INSERT OR REPLACE`` (and its kin) over an existing id. PostgreSQL: ``TRUNCATE``. And on
PostgreSQL the desk runs as a role that owns no table (docs/deployment.md), which cannot lift the
triggers either.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError, ProgrammingError

from bpsm import DatabaseUnavailable, Desk
from bpsm.store.db import open_engine
from bpsm.store.tables import AuditEventRow
from tests.conftest import PG_URL
from tests.helpers import call_in

DOCS = Path(__file__).resolve().parent.parent / "docs" / "deployment.md"
COLUMNS = "(id, at, actor, record_type, record_id, trigger)"
ROW = "VALUES (:id, :at, 'mallory', 'call', '1', 'forged')"

SQLITE_ROUTES = {
    "insert or replace": f"INSERT OR REPLACE INTO audit_events {COLUMNS} {ROW}",
    "replace": f"REPLACE INTO audit_events {COLUMNS} {ROW}",
    "insert or ignore": f"INSERT OR IGNORE INTO audit_events {COLUMNS} {ROW}",
    "upsert": f"INSERT INTO audit_events {COLUMNS} {ROW} "
    "ON CONFLICT (id) DO UPDATE SET actor = 'mallory'",
}
POSTGRES_ROUTES = {
    "truncate": "TRUNCATE audit_events",
    "truncate with others": "TRUNCATE calls, audit_events CASCADE",
    "upsert": f"INSERT INTO audit_events {COLUMNS} {ROW} "
    "ON CONFLICT (id) DO UPDATE SET actor = 'mallory'",
}
ROUTES = POSTGRES_ROUTES if PG_URL else SQLITE_ROUTES


def _trail(desk: Desk) -> list[tuple]:
    with desk.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(AuditEventRow.__table__))]


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_no_statement_rewrites_or_empties_the_audit_trail(desk: Desk, route: str) -> None:
    call = call_in(desk, "resolved")
    before = _trail(desk)
    first = desk.history(call)[0]
    with pytest.raises(DatabaseError, match="append-only"), desk.engine.begin() as conn:
        conn.execute(text(ROUTES[route]), {"id": first.id, "at": first.at})
    assert _trail(desk) == before


def test_new_audit_events_are_still_appended_by_hand(desk: Desk) -> None:
    before = len(_trail(desk))
    with desk.engine.begin() as conn:
        conn.execute(
            text(f"INSERT INTO audit_events {COLUMNS} {ROW}"),
            {"id": 10_000, "at": "2026-12-01 10:00:00+00:00"},
        )
    assert len(_trail(desk)) == before + 1


def _grant_block() -> str:
    """The SQL block of docs/deployment.md that grants the desk role its rights."""
    blocks = re.findall(r"```sql\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    return next(b for b in blocks if "GRANT" in b)


@pytest.fixture
def desk_role(db_url: str, worker_id: str) -> Iterator[str]:
    """A login like the documented ``bpsm_desk`` on this test's database; its URL."""
    base = make_url(db_url)
    role = f"{base.database}_desk_{worker_id}".replace("-", "_")
    owner = create_engine(db_url, isolation_level="AUTOCOMMIT")
    with owner.connect() as conn:
        if _exists(conn, role):
            conn.execute(text(f'DROP OWNED BY "{role}"'))
        conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        conn.execute(text(f'CREATE ROLE "{role}" LOGIN'))
        conn.execute(text(_grant_block().replace("bpsm_desk", f'"{role}"')))
    yield base.set(username=role, password=None).render_as_string(hide_password=False)
    with owner.connect() as conn:
        conn.execute(text(f'DROP OWNED BY "{role}"'))
        conn.execute(text(f'DROP ROLE "{role}"'))
    owner.dispose()


def _exists(conn, role: str) -> bool:
    return bool(conn.scalar(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}))


@pytest.mark.skipif(not PG_URL, reason="database roles are a PostgreSQL matter")
def test_the_desk_runs_as_a_role_that_can_append_to_the_trail_but_not_lift_its_guards(
    desk_role: str, catalogue
) -> None:
    the_desk = Desk.open(desk_role, catalogue=catalogue)
    call = call_in(the_desk, "closed")
    assert [e.trigger for e in the_desk.history(call)][-1] == "close"
    trail = _trail(the_desk)
    for statement in (
        "UPDATE audit_events SET reason = 'rewritten'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
        "ALTER TABLE audit_events DISABLE TRIGGER ALL",
        "DROP TABLE audit_events",
    ):
        with (
            pytest.raises(ProgrammingError, match="permission denied|must be owner"),
            the_desk.engine.begin() as conn,
        ):
            conn.execute(text(statement))
    assert _trail(the_desk) == trail
    the_desk.close()


@pytest.mark.skipif(not PG_URL, reason="database roles are a PostgreSQL matter")
def test_a_desk_role_on_a_database_behind_the_code_says_to_upgrade_as_the_owner(
    desk_role: str,
) -> None:
    owner = create_engine(PG_URL or "", isolation_level="AUTOCOMMIT")
    name = f"{make_url(desk_role).database}_behind"
    with owner.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        with pytest.raises(DatabaseUnavailable) as err:
            open_engine(make_url(desk_role).set(database=name))
        assert "run 'bpsm db upgrade' as the role that owns the tables" in str(err.value)
        assert len(str(err.value).splitlines()) == 1
    finally:
        with owner.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        owner.dispose()
