"""Build the benchmark database: ``--calls`` past calls (default 1,000,000) through the bulk path.

The calls go in with :func:`bpsm.demo.bulk_seed` (SQLAlchemy Core inserts, chunked, ids from the
database; each call with its registration contact and its one audit event). A database that
already holds exactly that many calls is reused as it is; one holding fewer is topped up; a SQLite
file holding more is rebuilt (a PostgreSQL database holding more is refused: drop it yourself).
Prints the time taken and the rows per second.

usage: python benchmarks/build_db.py [--calls 1000000] [--db PATH_OR_URL]

``--db`` is a SQLite file path or a database URL (``postgresql+psycopg://...``); default a file in
the temporary folder named after the count (:func:`default_db`), which ``bench_queue.py`` uses too.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "catalogue"


def default_db(calls: int) -> str:
    """The default benchmark database for ``calls`` calls: a SQLite file in the temp folder."""
    return str(Path(tempfile.gettempdir()) / "bpsm-bench" / f"calls-{calls}.sqlite3")


def database_url(db: str) -> str:
    """A SQLAlchemy URL for ``db``: a URL as given, a path as an (absolute) SQLite file."""
    if "://" in db:
        return db
    path = Path(db).expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def _remove_sqlite(url: str) -> None:
    path = Path(make_url(url).database or "")
    for suffix in ("", "-wal", "-shm", ".lock"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def _bulk_pragmas(dbapi_conn, _record) -> None:
    dbapi_conn.execute(f"PRAGMA cache_size=-{256 * 1024}")  # KiB: 256 MiB of index pages


def count_calls(desk) -> int:
    """How many calls the desk's database holds."""
    from bpsm.store.tables import CallRow

    with desk.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(CallRow)) or 0)


def build(url: str, calls: int, *, quiet: bool = False) -> float:
    """Make the database at ``url`` hold ``calls`` calls; the seconds spent seeding (0: reused).

    Raises:
        SystemExit: the database holds more calls than asked and is not a SQLite file.
    """
    from bpsm import Desk
    from bpsm.demo import bulk_seed

    desk = Desk.open(url, catalogue=CATALOGUE)
    have = count_calls(desk)
    if have > calls:
        desk.close()
        if make_url(url).get_backend_name() != "sqlite":
            raise SystemExit(
                f"error: the database holds {have:,} calls, more than {calls:,}; "
                "use an empty one (or drop its tables)"
            )
        _remove_sqlite(url)
        desk, have = Desk.open(url, catalogue=CATALOGUE), 0
    missing = calls - have
    if desk.engine.dialect.name == "sqlite":  # a bigger page cache for this load only
        event.listen(desk.engine, "connect", _bulk_pragmas)
        desk.engine.dispose()
    if not missing:
        if not quiet:
            print(f"reused: {calls:,} calls already there")
        desk.close()
        return 0.0
    if have and not quiet:
        print(f"topping up: {have:,} calls there, adding {missing:,}")
    t = time.perf_counter()
    try:
        if quiet or not sys.stderr.isatty():
            bulk_seed(desk, missing, chunk=10_000)
        else:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            columns = (
                TextColumn("seeding calls"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
            )
            with Progress(*columns, transient=True) as bar:
                task = bar.add_task("seed", total=missing)
                bulk_seed(desk, missing, chunk=10_000, progress=lambda n: bar.advance(task, n))
    finally:
        desk.close()
    spent = time.perf_counter() - t
    if not quiet:
        print(
            f"seeded {missing:,} calls in {spent:.1f} s ({missing / spent:,.0f} calls/s; "
            f"{3 * missing / spent:,.0f} rows/s with their contacts and audit events) "
            f"into {make_url(url).get_backend_name()}"
        )
    return spent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000, help="calls (default 1,000,000)")
    parser.add_argument("--db", help="SQLite file or database URL (default: see default_db)")
    args = parser.parse_args()
    if args.calls < 1:
        print(f"error: --calls {args.calls}: give a positive number of calls", file=sys.stderr)
        return 2
    url = database_url(args.db or default_db(args.calls))
    from bpsm import BpsmError

    try:
        build(url, args.calls)
    except BpsmError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
