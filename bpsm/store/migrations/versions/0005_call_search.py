"""Call search: an index that finds a text anywhere in a call's caller or summary.

The queue's search matches a text inside the caller or the summary (case-insensitively). Without
an index each search reads every call; on a desk of a million calls a search that finds little
read them all on every key typed.

* SQLite: ``calls_search``, an FTS5 table with the ``trigram`` tokenizer over the calls'
  ``caller`` and ``summary`` (external content: the text stays in ``calls``), kept in step by
  three triggers and filled from the calls there are. A search of three characters or more asks
  it for the candidates; shorter ones read the calls as before.
* PostgreSQL: trigram GIN indexes (``pg_trgm``) on ``caller`` and ``summary``, which serve the
  queue's ``ILIKE '%text%'`` as they are. When the extension cannot be created (not installed,
  no right to), the indexes are left out and said so in the log: searches work, unindexed.

Neither is in the table declarations (:mod:`bpsm.store.tables`): see
:func:`bpsm.store.search.include_name`, which keeps them out of the model comparison.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 05:10:00
"""

from alembic import op

from bpsm.store import search

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    search.create(op.get_bind())


def downgrade() -> None:
    search.drop(op.get_bind())
