"""audit events: the last routes around append-only are closed (REPLACE, TRUNCATE)

SQLite's ``INSERT OR REPLACE`` with an existing id deletes the old row without firing the delete
trigger of 0002: a BEFORE INSERT trigger now refuses any insert whose id is already taken.
PostgreSQL's ``TRUNCATE`` fires no row trigger: a statement trigger refuses it. What a table's
owner can still do (disable a trigger, drop the table) is closed by connecting the desk as a role
that owns nothing: docs/deployment.md.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

MESSAGE = "audit_events is append-only"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
                      FOR EACH STATEMENT EXECUTE FUNCTION bpsm_audit_append_only()"""
        )
    else:
        op.execute(
            f"""CREATE TRIGGER audit_events_no_replace BEFORE INSERT ON audit_events
                       WHEN EXISTS (SELECT 1 FROM audit_events WHERE id = NEW.id)
                       BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"""
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_events_no_truncate ON audit_events")
    else:
        op.execute("DROP TRIGGER audit_events_no_replace")
