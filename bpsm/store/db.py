"""Opening the database: engines for SQLite (default) and PostgreSQL, and schema migrations.

The embedded default is a SQLite file in the user's data folder, in WAL mode with foreign keys
and a busy timeout, so two desks on one machine can share it; its folder and files are readable
by their owner only. PostgreSQL is used by URL (``postgresql+psycopg://user:pass@host/db``).
:func:`upgrade` brings any database to the newest schema with Alembic; :func:`open_engine` does it
on open, under :func:`first_start_lock`, so any number of processes may open one fresh database at
once; a database already at head is recognised with one query, without importing Alembic.
Every URL this module shows goes through :func:`safe_url`: no message carries a password.
"""

from __future__ import annotations

import os
import re
import stat
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import URL, Engine, Table, create_engine, event, func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session

from bpsm.errors import DatabaseUnavailable, Problem, ValidationError
from bpsm.store.uow import translate

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = [
    "bulk_insert",
    "current_revision",
    "default_database_url",
    "first_start_lock",
    "head_revision",
    "make_engine",
    "mask_passwords",
    "open_engine",
    "safe_url",
    "upgrade",
]

MIGRATIONS = Path(__file__).with_name("migrations")
SUPPORTED = "sqlite:///path/to/desk.sqlite3 or postgresql+psycopg://user@host/database"
#: the PostgreSQL advisory lock taken around a first start ("bpsmdesk" as a 64-bit number)
FIRST_START_LOCK_KEY = int.from_bytes(b"bpsmdesk", "big")

# user:password@ in anything that looks like scheme://..., and password=... in a query or DSN
_USERINFO = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@?#]*:)\S*@")
_LOOSE_USERINFO = re.compile(r"(?P<head>:)[^\s:/]*@")  # for text that does not parse as a URL
_KEYWORD = re.compile(r"(?P<head>\bpassword\s*=\s*)('[^']*'|[^\s&;]+)", re.IGNORECASE)


def mask_passwords(text: str) -> str:
    """``text`` with every ``scheme://user:password@`` and ``password=...`` masked as ``***``."""
    text = _USERINFO.sub(r"\g<head>***@", text)
    return _KEYWORD.sub(r"\g<head>***", text)


def safe_url(url: str | URL) -> str:
    """The URL as it may be shown to a person: its password (also one in the query) masked.

    A URL that does not even parse is masked by pattern (``user:***@``), so it can be shown in
    the message that says it does not parse.
    """
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError, TypeError):
        return _LOOSE_USERINFO.sub(r"\g<head>***@", mask_passwords(str(url)))
    if any(k.lower() == "password" for k in parsed.query):
        parsed = parsed.update_query_dict(
            {k: "***" for k in parsed.query if k.lower() == "password"}
        )
    return mask_passwords(parsed.render_as_string(hide_password=True))


def _scrub(reason: str, url: URL | None) -> str:
    """A driver's message, first line only, without the URL's password even if it is quoted."""
    lines = reason.strip().splitlines()
    line = lines[0] if lines else "unknown error"
    if url is not None and url.password:
        line = line.replace(str(url.password), "***")
    return mask_passwords(line)


def default_database_url() -> str:
    """The embedded SQLite file: ``<user data dir>/bpsm-desk/desk.sqlite3``."""
    from platformdirs import user_data_path

    return f"sqlite:///{user_data_path('bpsm-desk') / 'desk.sqlite3'}"


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_file(parsed: URL) -> Path | None:
    """The database file of a SQLite URL (None: in memory or a ``file:`` URI)."""
    if not parsed.database or parsed.database == ":memory:" or parsed.query.get("uri"):
        return None
    return Path(parsed.database).expanduser()


def _private(path: Path, mode: int) -> None:
    """Tighten ``path`` to ``mode`` if group or others may read it (only the owner can)."""
    try:
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            path.chmod(mode)
    except OSError:
        pass  # not ours to change: it stays as its owner set it


def _prepare_sqlite_file(parsed: URL, shown: str) -> None:
    """Check the folder of a SQLite file, and create a new file readable by its owner only.

    The embedded default makes its own folder (0700); any other URL must name an existing folder,
    so a typing mistake never leaves folders behind. A new database file is created 0600 before
    SQLite opens it, and SQLite gives its ``-wal`` and ``-shm`` files the same mode.
    """
    path = _sqlite_file(parsed)
    if path is None:
        return
    folder = path.parent
    embedded = parsed == make_url(default_database_url())
    if embedded:
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseUnavailable(shown, f"cannot create its folder {folder}: {exc}") from None
        _private(folder, 0o700)
    elif not folder.exists():
        raise DatabaseUnavailable(shown, f"folder {folder} does not exist; create it first")
    elif not folder.is_dir():
        raise DatabaseUnavailable(shown, f"{folder} is not a folder")
    if path.is_dir():
        raise DatabaseUnavailable(shown, f"{path} is a folder, not a database file")
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    except OSError as exc:
        raise DatabaseUnavailable(shown, f"cannot create {path}: {exc.strerror}") from None
    if embedded:
        for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            if part.exists():
                _private(part, 0o600)


def _parse(url: str | URL) -> URL:
    try:
        return make_url(url)
    except (ArgumentError, ValueError, TypeError):
        raise ValidationError(
            Problem(f"database URL {safe_url(str(url))!r} cannot be parsed; use {SUPPORTED}")
        ) from None


def make_engine(url: str | URL) -> Engine:
    """Create an engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout.

    Nothing is connected yet. A SQLite file's folder must exist (only the embedded default
    creates its own); a new SQLite file is created readable by its owner only.

    Raises:
        ValidationError: the URL cannot be parsed, names a database bpsm does not support, or
            its driver is not installed. The message shows the URL with its password masked.
        DatabaseUnavailable: the SQLite file's folder is missing or the file cannot be created.
    """
    parsed = _parse(url)
    shown, asked = safe_url(parsed), parsed.drivername
    backend, _, driver = asked.partition("+")
    if backend == "postgres":  # the scheme many hosting services print
        parsed = parsed.set(drivername="postgresql+" + (driver or "psycopg"))
    backend = parsed.get_backend_name()
    try:
        dialect = parsed.get_dialect()
    except NoSuchModuleError:
        raise ValidationError(
            Problem(f"database URL {shown!r}: unknown database type {asked!r}; use {SUPPORTED}")
        ) from None
    if backend not in ("sqlite", "postgresql") or getattr(dialect, "is_async", False):
        raise ValidationError(
            Problem(
                f"database URL {shown!r}: bpsm supports SQLite and PostgreSQL "
                f"(synchronous drivers), not {asked!r}; use {SUPPORTED}"
            )
        )
    if backend == "sqlite":
        _prepare_sqlite_file(parsed, shown)
        options: dict = {"connect_args": {"timeout": 10}}
    else:
        options = {"pool_pre_ping": True}
    try:
        engine = create_engine(parsed, **options)
    except ImportError as exc:
        hint = (
            " (install the extra: pip install 'bpsm-desk[postgres]')" if backend != "sqlite" else ""
        )
        raise ValidationError(
            Problem(
                f"database URL {shown!r}: its driver {exc.name or parsed.get_driver_name()!r} "
                f"is not installed{hint}"
            )
        ) from None
    except (ArgumentError, TypeError, ValueError) as exc:
        raise ValidationError(
            Problem(f"database URL {shown!r}: {_scrub(str(exc), parsed)}")
        ) from None
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _config(engine: Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    """The newest migration the code knows."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS)).get_current_head() or ""


def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    return {r.revision for r in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}


_REVISION = re.compile(r"""^(down_revision|revision)\s*(?::[^=]*)?=\s*["']([^"']+)["']""", re.M)


def quick_head() -> str | None:
    """The newest migration, read from the migration files' ``revision`` / ``down_revision``
    lines without importing Alembic (None when they do not make one chain's single head: then
    ask :func:`head_revision`)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        for name, value in _REVISION.findall(path.read_text(encoding="utf-8")):
            (revisions if name == "revision" else parents).add(value)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def stamped_revision(engine: Engine) -> str | None:
    """The revision the database says it is at, read with one query and no Alembic (None: not
    stamped, several rows, or the table cannot be read: then ask :func:`current_revision`).

    Raises:
        DBAPIError: the database cannot be reached.
    """
    with engine.connect() as conn:  # a database that cannot be reached raises here
        try:
            rows = conn.execute(text("SELECT version_num FROM alembic_version")).all()
        except DBAPIError:
            return None
    return str(rows[0][0]) if len(rows) == 1 else None


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (None for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` (newest by default).

    Not guarded against a concurrent first start: :func:`open_engine` takes
    :func:`first_start_lock` around it.
    """
    from alembic import command

    command.upgrade(_config(engine), revision)


_held = threading.local()


@contextmanager
def first_start_lock(engine: Engine) -> Iterator[None]:
    """Hold the database's first-start lock: one process (and thread) at a time, machine-wide.

    Work that must happen once on a fresh database — the migration, the first seeding of the
    catalogue — runs inside it and re-checks, once it holds the lock, whether another process did
    it meanwhile. PostgreSQL: a transaction-level advisory lock (:data:`FIRST_START_LOCK_KEY`),
    released when the block ends or the process dies. SQLite: an exclusive lock on the file
    ``<database>.lock`` beside the database (``flock``; ``msvcrt`` on Windows), released likewise;
    an in-memory database needs none. Re-entrant within one thread.

    Raises:
        DatabaseUnavailable: the lock cannot be taken (database unreachable, folder not writable).
    """
    key = safe_url(engine.url)
    held: set[str] = _held.__dict__.setdefault("keys", set())
    if key in held:
        yield
        return
    held.add(key)
    try:
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn, conn.begin():
                conn.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": FIRST_START_LOCK_KEY}
                )
                yield
        else:
            path = _sqlite_file(engine.url)
            if path is None:
                yield
            else:
                with _file_lock(path.with_name(path.name + ".lock"), key):
                    yield
    finally:
        held.discard(key)


@contextmanager
def _file_lock(path: Path, shown: str) -> Iterator[None]:
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise DatabaseUnavailable(
            shown, f"cannot create the lock file {path}: {exc.strerror}"
        ) from None
    try:
        if sys.platform == "win32":
            import msvcrt

            while True:  # LK_LOCK gives up after ten seconds; a first start may take longer
                try:
                    msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
                    break
                except OSError:
                    continue
            try:
                yield
            finally:
                os.lseek(fd, 0, os.SEEK_SET)
                msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)  # per open file: serialises threads as well
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def bulk_insert(s: Session, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` into ``table`` with ids from the database's own generator; their ids.

    The ids are never guessed (no ``max(id) + 1``), so rows inserted meanwhile by others, or a
    bulk load stopped halfway, never collide with them. PostgreSQL: the ids are drawn from the
    table's sequence in one query and the rows go in as one pipelined ``executemany`` (four times
    faster than ``RETURNING`` there). SQLite: one ``executemany`` and ``last_insert_rowid()``:
    the insert holds the database's only write lock from its first row to the commit, and SQLite
    gives each new row of a rowid table the next id, so the rows have the consecutive ids ending
    there (checked; ``RETURNING`` in parameter order would cost one statement per row).
    Chunk large loads (a few thousand rows per call).
    """
    if not rows:
        return []
    (key,) = table.primary_key.columns
    if s.get_bind().dialect.name == "postgresql":
        ids = list(
            s.execute(
                text(
                    "SELECT nextval(pg_get_serial_sequence(:table, :column))"
                    " FROM generate_series(1, :n)"
                ),
                {"table": table.name, "column": key.name, "n": len(rows)},
            ).scalars()
        )
        s.execute(insert(table), [{**row, key.name: i} for row, i in zip(rows, ids, strict=True)])
        return ids
    if s.get_bind().dialect.name == "sqlite":
        s.execute(insert(table), rows)
        last = s.execute(text("SELECT last_insert_rowid()")).scalar_one()
        first = last - len(rows) + 1
        ours = s.execute(
            select(func.count(), func.max(key)).where(key >= first).select_from(table)
        ).one()
        if tuple(ours) != (len(rows), last):  # never guessed: a gap fails the chunk
            raise RuntimeError(f"bulk insert into {table.name}: the new ids are not consecutive")
        return list(range(first, last + 1))
    return list(
        s.execute(insert(table).returning(key, sort_by_parameter_order=True), rows).scalars()
    )


def _unavailable(exc: DBAPIError, engine: Engine) -> DatabaseUnavailable:
    """The one line for a database that cannot be opened (or migrated) by this login."""
    shown = safe_url(engine.url)
    typed = translate(exc, shown)
    if isinstance(typed, DatabaseUnavailable):
        return DatabaseUnavailable(shown, _scrub(typed.reason, engine.url))
    orig = getattr(exc, "orig", None)
    reason = _scrub(str(orig if orig is not None else exc), engine.url)
    if getattr(orig, "sqlstate", None) == "42501":  # insufficient privilege
        reason += (
            f"; the schema is not at {head_revision()}: run 'bpsm db upgrade' as the role "
            "that owns the tables"
        )
    return DatabaseUnavailable(shown, reason)


def open_engine(url: str | URL) -> Engine:
    """Create the engine and migrate the database to the newest schema if it is behind.

    Safe to race: any number of processes may open one fresh database at once; the migration
    runs once, under :func:`first_start_lock`, and the others wait for it and find it done.

    Raises:
        ValidationError: the URL is malformed, unsupported, or its driver is missing.
        DatabaseUnavailable: the database cannot be reached, opened or migrated.
    """
    engine = make_engine(url)
    try:
        quick = quick_head()
        if quick is not None and stamped_revision(engine) == quick:
            return engine  # at head: Alembic is not even imported
        head = head_revision()
        if current_revision(engine) != head:
            with first_start_lock(engine):
                found = current_revision(engine)  # another process may have done it meanwhile
                if found is not None and found not in _known_revisions():
                    engine.dispose()
                    raise DatabaseUnavailable(
                        safe_url(engine.url),
                        f"its schema is at {found}, newer than this bpsm-desk knows "
                        f"(head {head}): upgrade bpsm-desk",
                    )
                if found != head:
                    upgrade(engine)
    except DBAPIError as exc:
        engine.dispose()
        raise _unavailable(exc, engine) from None
    except BaseException:
        engine.dispose()
        raise
    return engine
