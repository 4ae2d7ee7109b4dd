"""Developer tool: rewrite migration 0001 (the tables) from the current table definitions.

Only for schema work before the first release. Later revisions (0002 on: hand-written DDL such as
the audit triggers) are set aside while 0001 is generated and put back after. Once a release is
out, add a new revision with ``alembic revision --autogenerate`` instead.
usage: python .ci/regen-migration.py
"""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from alembic import command

from bpsm.store.db import MIGRATIONS, _config, make_engine

versions = MIGRATIONS / "versions"
for old in versions.glob("0001_*.py"):
    old.unlink()
with tempfile.TemporaryDirectory() as tmp:
    later = [p for p in versions.glob("0*.py")]
    for p in later:
        shutil.move(p, Path(tmp) / p.name)
    try:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'empty.sqlite3'}")
        command.revision(
            _config(engine), message="initial schema", autogenerate=True, rev_id="0001"
        )
        engine.dispose()
    finally:
        for p in later:
            shutil.move(Path(tmp) / p.name, versions / p.name)

# The generated file follows the house style like any other (ruff's fixes, then its format).
generated = [str(p) for p in versions.glob("0001_*.py")]
ruff = [sys.executable, "-m", "ruff"]
subprocess.run([*ruff, "check", "--fix", "--quiet", *generated], check=False, capture_output=True)
subprocess.run([*ruff, "format", "--quiet", *generated], check=True)
