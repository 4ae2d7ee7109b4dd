"""Opening the database: engines for SQLite (default) and PostgreSQL, and schema migrations.

The embedded default is a SQLite file in the user's data folder, in WAL mode with foreign keys
and a busy timeout, so two desks on one machine can share it. PostgreSQL is used by URL
(``postgresql+psycopg://user:pass@host/db``). :func:`upgrade` brings any database to the newest
schema with Alembic; :func:`open_engine` does it on open.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, InterfaceError, NoSuchModuleError, OperationalError

from bpsm.errors import DatabaseUnavailable, ValidationError
from bpsm.store.uow import translate

__all__ = [
    "current_revision",
    "default_database_url",
    "head_revision",
    "make_engine",
    "open_engine",
    "upgrade",
]

MIGRATIONS = Path(__file__).with_name("migrations")


def default_database_url() -> str:
    """The embedded SQLite file: ``<user data dir>/bpsm-desk/desk.sqlite3``."""
    from platformdirs import user_data_path

    return f"sqlite:///{user_data_path('bpsm-desk') / 'desk.sqlite3'}"


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str) -> Engine:
    """Create an engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout.

    Raises:
        ValidationError: the URL cannot be parsed or its driver is not installed.
        DatabaseUnavailable: the SQLite file's folder cannot be created.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ValidationError(f"database URL {url!r} cannot be parsed: {exc}") from None
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            try:
                Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseUnavailable(url, f"cannot create its folder: {exc}") from None
        try:
            engine = create_engine(parsed, connect_args={"timeout": 10})
        except NoSuchModuleError as exc:
            raise ValidationError(f"database URL {url!r}: {exc}") from None
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    try:
        return create_engine(parsed, pool_pre_ping=True)
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        hint = (
            " (install the extra: pip install 'bpsm-desk[postgres]')" if "postgres" in url else ""
        )
        raise ValidationError(f"database URL {url!r}: driver not available: {exc}{hint}") from None


def _config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    """The newest migration the code knows."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head() or ""


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (None for an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` (newest by default)."""
    command.upgrade(_config(engine), revision)


def open_engine(url: str) -> Engine:
    """Create the engine and migrate the database to the newest schema if it is behind.

    Raises:
        ValidationError: the URL is malformed or its driver is missing.
        DatabaseUnavailable: the database cannot be reached or opened.
    """
    engine = make_engine(url)
    try:
        if current_revision(engine) != head_revision():
            upgrade(engine)
    except (OperationalError, InterfaceError) as exc:
        engine.dispose()
        raise translate(exc, engine.url.render_as_string(hide_password=True)) or exc from None
    return engine
