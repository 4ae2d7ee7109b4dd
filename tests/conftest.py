"""Shared fixtures: a fresh database per test, on SQLite or (``BPSM_TEST_DATABASE_URL``) PostgreSQL.

SQLite: the schema is migrated once per worker into a template file that each test copies.
PostgreSQL: each xdist worker gets its own database, migrated once; each test starts from
emptied tables.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bpsm import Desk, load_catalogue
from bpsm.catalogue.loader import Catalogue
from bpsm.store.db import open_engine, safe_url
from bpsm.store.tables import Base

# No wall-clock limits in tests (shared, noisy machines): hypothesis deadlines off everywhere.
settings.register_profile("bpsm", deadline=None, print_blob=True)
settings.load_profile("bpsm")

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "catalogue"
PG_URL = os.environ.get("BPSM_TEST_DATABASE_URL")


def pytest_report_header(config: pytest.Config) -> str:
    db = "PostgreSQL " + safe_url(PG_URL) if PG_URL else "SQLite"
    return f"bpsm database under test: {db}"


def _screen_test(item: pytest.Item) -> bool:
    path = Path(str(item.fspath)).relative_to(ROOT).as_posix()
    return path.startswith("tests/tui/") or path == "tests/test_tui.py"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On PostgreSQL, leave out the screen tests that are not about the database.

    The TUI works only through the public ``bpsm`` API, whose own tests run on both databases;
    a screen test is about keys, focus and layout, which no database changes. Those whose point is
    the database (paging, search, conflicts, no queries on the event loop) are marked
    ``postgres_too`` and run on both.
    """
    if not PG_URL:
        return
    kept, left = [], []
    for item in items:
        screen_only = _screen_test(item) and not item.get_closest_marker("postgres_too")
        (left if screen_only else kept).append(item)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    """The example catalogue, parsed once."""
    return load_catalogue(CATALOGUE)


@pytest.fixture(scope="session")
def _template(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> str:
    """A migrated, empty database for this worker: a SQLite file, or a PostgreSQL database."""
    if PG_URL:
        base = make_url(PG_URL)
        name = f"{base.database}_{worker_id}".replace("-", "_")
        admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = base.set(database=name).render_as_string(hide_password=False)
        open_engine(url).dispose()
        return url
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = open_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return str(path)


def empty_database(url: str) -> None:
    """Empty every table of the migrated PostgreSQL database ``url`` (ids start again at 1)."""
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:  # the owner lifts the audit trail's guard for the reset
        conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_truncate"))
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_truncate"))
    engine.dispose()


@pytest.fixture
def db_url(_template: str, tmp_path: Path) -> str:
    """A fresh, migrated, empty database for one test."""
    if PG_URL:
        empty_database(_template)
        return _template
    target = tmp_path / "desk.sqlite3"
    shutil.copyfile(_template, target)
    return f"sqlite:///{target}"


@pytest.fixture(scope="session")
def _second_template(_template: str) -> Iterator[str]:
    """On PostgreSQL, a second migrated database beside the worker's (``…_rt``); on SQLite the
    worker's template file (each test copies it)."""
    if not PG_URL:
        yield _template
        return
    base = make_url(_template)
    name = f"{base.database}_rt"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    open_engine(url).dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def second_db_url(_second_template: str, tmp_path: Path) -> str:
    """A second fresh, migrated, empty database beside ``db_url``, of the same kind (a round
    trip's empty desk: both sides on one kind of database, whose SQL rounds durations apart)."""
    if PG_URL:
        empty_database(_second_template)
        return _second_template
    target = tmp_path / "second.sqlite3"
    shutil.copyfile(_second_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def desk(db_url: str, catalogue: Catalogue) -> Iterator[Desk]:
    """A desk on a fresh database with the example catalogue loaded."""
    d = Desk.open(db_url, catalogue=catalogue)
    yield d
    d.close()
