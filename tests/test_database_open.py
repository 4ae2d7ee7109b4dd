"""Opening a database: passwords never shown, SQLite folders never made by mistake, the embedded
file private to its owner, and a first start that any number of processes may race."""

from __future__ import annotations

import multiprocessing
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from bpsm import DatabaseUnavailable, ValidationError
from bpsm.store.db import (
    current_revision,
    default_database_url,
    first_start_lock,
    head_revision,
    make_engine,
    open_engine,
    safe_url,
)
from bpsm.store.tables import Base
from bpsm_tui.cli import app
from tests.conftest import CATALOGUE, PG_URL
from tests.first_start import open_when_released

RACERS = 8


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql+psycopg://desk:S3cret@db/bpsm", "postgresql+psycopg://desk:***@db/bpsm"),
        ("postgresql://desk:p%40ss%3Aw@db:5433/bpsm", "postgresql://desk:***@db:5433/bpsm"),
        (
            "postgresql+psycopg://desk@db/bpsm?password=S3cret",
            "postgresql+psycopg://desk@db/bpsm?password=***",
        ),
        ("postgres+nodriver://desk:S3cret@x/y", "postgres+nodriver://desk:***@x/y"),
        ("not a url desk:S3cret@x", "not a url desk:***@x"),
        ("sqlite:///desk.sqlite3", "sqlite:///desk.sqlite3"),
        ("postgresql://desk:p@ss@db/bpsm", "postgresql://desk:***@db/bpsm"),
        ("not a url desk:p@ss@x", "not a url desk:***@x"),
        ("host=db password=S3cret dbname=bpsm", "host=db password=*** dbname=bpsm"),
    ],
)
def test_a_url_is_shown_with_its_password_masked(url: str, shown: str) -> None:
    assert safe_url(url) == shown


@settings(max_examples=150)
@given(
    user=st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=8),
    secret=st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=4),
)
def test_no_password_survives_safe_url(user: str, secret: str) -> None:
    secret = "Pw" + secret
    for url in (
        f"postgresql+psycopg://{quote(user, safe='')}:{quote(secret, safe='')}@db/bpsm",
        f"postgresql+psycopg://{quote(user, safe='')}@db/bpsm?password={quote(secret, safe='')}",
    ):
        shown = safe_url(url)
        assert quote(secret, safe="") not in shown and secret not in shown


def test_an_explicit_sqlite_url_in_a_missing_folder_is_refused_and_creates_nothing(
    tmp_path: Path,
) -> None:
    target = tmp_path / "no" / "such" / "folder" / "desk.sqlite3"
    with pytest.raises(DatabaseUnavailable, match="folder .* does not exist; create it first"):
        make_engine(f"sqlite:///{target}")
    assert list(tmp_path.iterdir()) == []


def test_the_cli_refuses_a_missing_sqlite_folder_in_one_line(tmp_path: Path) -> None:
    target = tmp_path / "typo" / "desk.sqlite3"
    result = CliRunner().invoke(app, ["kpi", "--db", f"sqlite:///{target}", "-c", str(CATALOGUE)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: cannot open the database sqlite:///{target}: "
        f"folder {target.parent} does not exist; create it first\n"
    )
    assert not target.parent.exists()


def test_a_url_that_names_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DatabaseUnavailable, match="is a folder, not a database file"):
        make_engine(f"sqlite:///{tmp_path}")


@pytest.mark.parametrize(
    "url", ["mysql+pymysql://desk:S3cret@db/x", "postgresql+asyncpg://desk:S3cret@db/x"]
)
def test_an_unsupported_database_is_refused_by_name(url: str) -> None:
    with pytest.raises(ValidationError, match="bpsm supports SQLite and PostgreSQL") as err:
        make_engine(url)
    assert "S3cret" not in str(err.value)


@pytest.fixture
def usual_umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    (tmp_path / "share").mkdir(mode=0o755)
    return tmp_path / "share" / "bpsm-desk"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_the_embedded_database_is_readable_by_its_owner_only(
    usual_umask: None, data_home: Path
) -> None:
    url = default_database_url()
    assert url == f"sqlite:///{data_home / 'desk.sqlite3'}"
    engine = open_engine(url)
    with engine.connect() as conn:  # while a connection is open the -wal and -shm files exist
        conn.execute(text("SELECT count(*) FROM calls"))
        files = {p.name: _mode(p) for p in data_home.iterdir() if not p.name.endswith(".lock")}
    engine.dispose()
    assert _mode(data_home) == 0o700
    assert files == {"desk.sqlite3": 0o600, "desk.sqlite3-wal": 0o600, "desk.sqlite3-shm": 0o600}


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_an_embedded_database_left_world_readable_is_made_private(
    usual_umask: None, data_home: Path
) -> None:
    data_home.mkdir(mode=0o755)
    (data_home / "desk.sqlite3").touch(mode=0o644)
    make_engine(default_database_url()).dispose()
    assert (_mode(data_home), _mode(data_home / "desk.sqlite3")) == (0o700, 0o600)


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_a_new_database_at_an_explicit_path_is_private_too(
    usual_umask: None, tmp_path: Path
) -> None:
    make_engine(f"sqlite:///{tmp_path / 'team.sqlite3'}").dispose()
    assert _mode(tmp_path / "team.sqlite3") == 0o600


@pytest.fixture
def fresh_url(tmp_path: Path, worker_id: str) -> Iterator[str]:
    """A database nobody has opened yet: a new SQLite path, or a new PostgreSQL database."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    base = make_url(PG_URL)
    name = f"{base.database}_fresh_{worker_id}".replace("-", "_")
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_eight_processes_opening_one_fresh_database_at_once_all_succeed(fresh_url: str) -> None:
    spawn = multiprocessing.get_context("spawn")
    start, results = spawn.Barrier(RACERS), spawn.Queue()
    racers = [
        spawn.Process(target=open_when_released, args=(fresh_url, start, results))
        for _ in range(RACERS)
    ]
    for racer in racers:
        racer.start()
    try:
        # a hang guard, not a speed limit: a racer that died before reporting must not hang CI
        outcomes = [results.get(timeout=300) for _ in racers]
    finally:
        for racer in racers:
            racer.join(timeout=60)
            if racer.is_alive():
                racer.terminate()
    assert outcomes == [("ok", head_revision())] * RACERS
    engine = make_engine(fresh_url)
    assert current_revision(engine) == head_revision()
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_the_first_start_lock_is_reentrant_in_one_thread(fresh_url: str) -> None:
    engine = make_engine(fresh_url)
    with first_start_lock(engine), first_start_lock(engine):
        assert current_revision(engine) is None
    engine.dispose()


def test_the_test_report_header_masks_the_password(monkeypatch: pytest.MonkeyPatch) -> None:
    import tests.conftest

    monkeypatch.setattr(tests.conftest, "PG_URL", "postgresql+psycopg://ci:S3cret@db/bpsm")
    header = tests.conftest.pytest_report_header(pytest.Config.__new__(pytest.Config))
    assert header == "bpsm database under test: PostgreSQL postgresql+psycopg://ci:***@db/bpsm"


def test_a_database_newer_than_the_code_is_refused_by_its_revision(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    try:
        with pytest.raises(DatabaseUnavailable, match="its schema is at 9999, newer than this"):
            open_engine(db_url)
        assert current_revision(engine) == "9999"  # untouched
    finally:  # the PostgreSQL test database is shared by the worker's tests
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE alembic_version SET version_num = :head"), {"head": head_revision()}
            )
        engine.dispose()


def test_opening_a_database_at_head_imports_no_alembic(desk) -> None:
    code = (
        "import sys; from bpsm import Desk; Desk.open(sys.argv[1]).close(); "
        "print('alembic' in sys.modules)"
    )
    env = {**os.environ, "PYTHONPATH": str(CATALOGUE.parent)}
    url = desk.engine.url.render_as_string(hide_password=False)
    done = subprocess.run(
        [sys.executable, "-c", code, url], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.strip() == "False"  # the revision read with one query, no migration
