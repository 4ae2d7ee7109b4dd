"""Developer tool: rewrite the initial migration from the current table definitions.

Only for schema work before the first release (there is one migration, 0001). Once a release
is out, add a new revision with ``alembic revision --autogenerate`` instead.
usage: python .ci/regen-migration.py
"""

import tempfile
from pathlib import Path

from alembic import command

from bpsm.store.db import MIGRATIONS, _config, make_engine

for old in (MIGRATIONS / "versions").glob("0001_*.py"):
    old.unlink()
with tempfile.TemporaryDirectory() as tmp:
    engine = make_engine(f"sqlite:///{Path(tmp) / 'empty.sqlite3'}")
    command.revision(_config(engine), message="initial schema", autogenerate=True, rev_id="0001")
    engine.dispose()
