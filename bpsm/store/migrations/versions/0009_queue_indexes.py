"""Queue indexes: every filter of states pages by every sort column with one index seek

The queue reads a filter of several states as one ordered, limited read per state
(:mod:`bpsm.processes.calls.queue`), and "all" as one read: each needs an index that starts with
the state (or nothing) and continues with the sort column and the id that breaks its ties. The
number, age and state sorts had theirs; caller, service and group had none, so a page of one of
them sorted every call of the state (0.5-2 s on a million calls). The service sort orders by
``coalesce(service_id, '')`` (a call without a service first): an expression index, which the
queue's sort expression matches as written. PostgreSQL also gets ``(state, registered_at, id)``:
its ``(state, registered_at)`` does not end with the id as an SQLite index does, so a deep page
by age read from the state's first row.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 09:55:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

SERVICE_KEY = "coalesce(service_id, '')"

INDEXES: dict[str, list[str | sa.TextClause]] = {
    "ix_calls_state_caller": ["state", "caller", "id"],
    "ix_calls_state_service": ["state", sa.text(SERVICE_KEY), "id"],
    "ix_calls_service_key": [sa.text(SERVICE_KEY), "id"],
    "ix_calls_state_group": ["state", "group", "id"],
    "ix_calls_group_id": ["group", "id"],
    "ix_calls_state_registered_id": ["state", "registered_at", "id"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "calls", columns, unique=False)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="calls")
