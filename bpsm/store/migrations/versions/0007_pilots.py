"""Pilots: a service, or the whole catalogue, tried out with a named customer group for a while.

Adds the ``pilots`` table (scope, customer group as caller patterns, window ``[since, until)``,
state, who defined and ended it). Nothing else changes; an earlier desk upgrades in place.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 04:30:24.659497
"""

import sqlalchemy as sa
from alembic import op

import bpsm.store.tables

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pilots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("services", sa.JSON(), nullable=True),
        sa.Column("catalogue_revision", sa.Integer(), nullable=True),
        sa.Column("group_name", sa.String(length=200), nullable=False),
        sa.Column("callers", sa.JSON(), nullable=False),
        sa.Column("since", bpsm.store.tables.core.UTCDateTime(timezone=True), nullable=False),
        sa.Column("until", bpsm.store.tables.core.UTCDateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("defined_by", sa.String(length=64), nullable=False),
        sa.Column("defined_at", bpsm.store.tables.core.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", bpsm.store.tables.core.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_by", sa.String(length=64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", bpsm.store.tables.core.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("scope IN ('services', 'catalogue')", name="ck_pilots_scope"),
        sa.CheckConstraint("state IN ('active', 'ended')", name="ck_pilots_state"),
        sa.ForeignKeyConstraint(
            ["defined_by"],
            ["staff.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    with op.batch_alter_table("pilots", schema=None) as batch_op:
        batch_op.create_index("ix_pilots_state_since", ["state", "since"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pilots", schema=None) as batch_op:
        batch_op.drop_index("ix_pilots_state_since")

    op.drop_table("pilots")
