"""Alembic environment: migrations run on the engine handed over by ``bpsm.store.db``."""

from alembic import context

from bpsm.store.search import include_name
from bpsm.store.tables import Base

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
        include_name=include_name,  # the search index is the migration's (0005)
    )
    with context.begin_transaction():
        context.run_migrations()
