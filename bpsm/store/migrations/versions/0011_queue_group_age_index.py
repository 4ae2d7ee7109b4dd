"""Queue index: the group filter sorted by age reads one index range per state

The "my group" filter reads its open states one at a time (:mod:`bpsm.processes.calls.queue`):
``state = s AND "group" = g ORDER BY registered_at, id``. No index started with both the state
and the group and went on with the sort column, so PostgreSQL read a group's calls of each state
through ``(group, registered_at, id)`` or ``(state, group, id)`` and sorted or filtered the rest
(``benchmarks/explain_queue.py`` showed it). ``(state, group, registered_at, id)`` serves the
first page, the next, the last and the one before it by seeks. On PostgreSQL only: SQLite,
given it, took it for the group filter sorted by group (a range on the group, then a sort of the
ids: 40-77 ms a page on a million calls) instead of ``(state, group, id)``; its ``(group,
registered_at, id)`` already serves it. Nothing else changes.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 16:30:00
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

NAME = "ix_calls_state_group_registered"


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if _postgresql():
        op.create_index(NAME, "calls", ["state", "group", "registered_at", "id"], unique=False)


def downgrade() -> None:
    if _postgresql():
        op.drop_index(NAME, table_name="calls")
