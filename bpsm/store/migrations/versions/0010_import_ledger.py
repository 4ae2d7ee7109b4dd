"""Import ledger: which source case (the mapping's name and its case id) became which call

Adds the ``import_ledger`` table. ``bpsm import`` writes a case's ledger row in the transaction
that writes its call, and skips the cases already there: re-running an import, or restarting one
that was killed, writes nothing twice. Nothing else changes; an earlier desk upgrades in place.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 13:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_ledger",
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("case_key", sa.String(length=200), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"]),
        sa.PrimaryKeyConstraint("source", "case_key"),
        sa.UniqueConstraint("call_id"),
    )


def downgrade() -> None:
    op.drop_table("import_ledger")
