"""KPI roll-ups: the parts per local day, and triggers recording which days the calls' changes touch

Adds ``kpi_rollup`` (each anchored KPI's additive parts per anchor, local day and dimension
value), ``kpi_rollup_state`` (its one state row) and ``kpi_dirty`` (the anchor timestamps of
calls changed since the last refresh), and the triggers on ``calls`` that fill ``kpi_dirty``
on every insert, update and delete, whatever wrote it. The roll-up starts empty: reports count
live until ``desk.kpis.refresh()`` (the nightly ``bpsm proactive``) builds it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 04:40:00
"""

import sqlalchemy as sa
from alembic import op

import bpsm.store.tables

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ANCHORS = ("registered_at", "resolved_at", "closed_at")
SLOTS = 24


def _values(rec: str) -> str:
    return ", ".join(f"('{a}', {rec}.{a})" for a in ANCHORS)


def upgrade() -> None:
    op.create_table(
        "kpi_dirty",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("anchor", sa.String(length=32), nullable=False),
        sa.Column("at", bpsm.store.tables.core.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "kpi_rollup",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=True),
        sa.Column("anchor", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        *(sa.Column(f"s{i}", sa.Float(), nullable=False) for i in range(SLOTS)),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("kpi_rollup", schema=None) as batch_op:
        batch_op.create_index(
            "ix_kpi_rollup_key", ["dimension", "anchor", "day", "value"], unique=False
        )
    op.create_table(
        "kpi_rollup_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("through", sa.Integer(), nullable=False),
        sa.Column(
            "refreshed_at", bpsm.store.tables.core.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    if op.get_bind().dialect.name == "postgresql":
        # statement triggers over the transition tables: a bulk insert marks its rows at once
        for verb, tables, sources in (
            ("INSERT", "NEW TABLE AS new_rows", ("new_rows",)),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows", ("old_rows", "new_rows")),
            ("DELETE", "OLD TABLE AS old_rows", ("old_rows",)),
        ):
            union = " UNION ".join(
                f"SELECT v.a, v.t FROM {src} r CROSS JOIN LATERAL (VALUES {_values('r')}) v(a, t)"
                for src in sources
            )
            op.execute(f"""
                CREATE FUNCTION bpsm_kpi_dirty_{verb.lower()}() RETURNS trigger
                LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO kpi_dirty (anchor, at)
                    SELECT a, t FROM ({union}) m(a, t) WHERE t IS NOT NULL;
                    RETURN NULL;
                END $$""")
            op.execute(f"""
                CREATE TRIGGER calls_kpi_dirty_{verb.lower()} AFTER {verb} ON calls
                REFERENCING {tables} FOR EACH STATEMENT
                EXECUTE FUNCTION bpsm_kpi_dirty_{verb.lower()}()""")
    else:
        for verb, recs in (
            ("INSERT", ("NEW",)),
            ("UPDATE", ("OLD", "NEW")),
            ("DELETE", ("OLD",)),
        ):
            union = " UNION ".join(
                f"SELECT '{a}' AS a, {r}.{a} AS t" for r in recs for a in ANCHORS
            )
            op.execute(f"""
                CREATE TRIGGER calls_kpi_dirty_{verb.lower()} AFTER {verb} ON calls
                BEGIN
                    INSERT INTO kpi_dirty (anchor, at)
                    SELECT a, t FROM ({union}) WHERE t IS NOT NULL;
                END""")


def downgrade() -> None:
    for verb in ("insert", "update", "delete"):
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER calls_kpi_dirty_{verb} ON calls")
            op.execute(f"DROP FUNCTION bpsm_kpi_dirty_{verb}()")
        else:
            op.execute(f"DROP TRIGGER calls_kpi_dirty_{verb}")
    op.drop_table("kpi_rollup_state")
    with op.batch_alter_table("kpi_rollup", schema=None) as batch_op:
        batch_op.drop_index("ix_kpi_rollup_key")
    op.drop_table("kpi_rollup")
    op.drop_table("kpi_dirty")
