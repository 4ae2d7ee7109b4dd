"""The call search index: SQLite FTS5 (trigram) or PostgreSQL ``pg_trgm``, made by migration 0005.

:func:`create` and :func:`drop` are what the migration runs; :func:`rebuild` refills the SQLite
index from the calls (its triggers keep it in step with every insert and change);
:func:`pause` and :func:`resume` take the triggers away for a bulk load and refill the index
after it (:func:`bpsm.demo.bulk_seed`); :func:`has_index` tells the queue whether a database
has the index (an old SQLite without FTS5, a PostgreSQL without the extension: the queue then
searches unindexed).
"""

from __future__ import annotations

import logging
import weakref
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

__all__ = [
    "MIN_CHARS",
    "TABLE",
    "create",
    "drop",
    "has_index",
    "include_name",
    "pause",
    "rebuild",
    "resume",
]

log = logging.getLogger(__name__)

TABLE = "calls_search"
"""The SQLite FTS5 table (its shadow tables are named after it)."""
PG_INDEXES = ("ix_calls_caller_trgm", "ix_calls_summary_trgm")
PG_ONLY_INDEX = "ix_calls_state_group_registered"
"""An index of the calls that only PostgreSQL gets, the migration's alone (0011): not compared
with the models, tested apart."""
"""The PostgreSQL trigram indexes."""
MIN_CHARS = 3
"""The shortest text the trigram index can find (shorter texts read the calls)."""

_TRIGGERS = {
    "calls_search_insert": f"""
        CREATE TRIGGER calls_search_insert AFTER INSERT ON calls BEGIN
            INSERT INTO {TABLE}(rowid, caller, summary) VALUES (new.id, new.caller, new.summary);
        END""",
    "calls_search_delete": f"""
        CREATE TRIGGER calls_search_delete AFTER DELETE ON calls BEGIN
            INSERT INTO {TABLE}({TABLE}, rowid, caller, summary)
                VALUES ('delete', old.id, old.caller, old.summary);
        END""",
    "calls_search_update": f"""
        CREATE TRIGGER calls_search_update AFTER UPDATE OF caller, summary ON calls BEGIN
            INSERT INTO {TABLE}({TABLE}, rowid, caller, summary)
                VALUES ('delete', old.id, old.caller, old.summary);
            INSERT INTO {TABLE}(rowid, caller, summary) VALUES (new.id, new.caller, new.summary);
        END""",
}

_known: weakref.WeakKeyDictionary[Engine, bool] = weakref.WeakKeyDictionary()


def create(conn: Connection) -> None:
    """Make the search index on ``conn``'s database and fill it from the calls there are."""
    if conn.dialect.name == "sqlite":
        try:
            conn.exec_driver_sql(
                f"CREATE VIRTUAL TABLE {TABLE} USING fts5(caller, summary, "
                "content='calls', content_rowid='id', tokenize='trigram')"
            )
        except Exception as err:  # an SQLite built without FTS5 or older than 3.34
            log.warning("call search unindexed: SQLite has no FTS5 trigram tokenizer (%s)", err)
            return
        for ddl in _TRIGGERS.values():
            conn.exec_driver_sql(ddl)
        rebuild(conn)
    elif conn.dialect.name == "postgresql":
        try:
            with conn.begin_nested():
                conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        except Exception as err:
            log.warning("call search unindexed: extension pg_trgm not available (%s)", err)
            return
        for name, column in zip(PG_INDEXES, ("caller", "summary"), strict=True):
            conn.exec_driver_sql(
                f"CREATE INDEX IF NOT EXISTS {name} ON calls USING gin ({column} gin_trgm_ops)"
            )


def drop(conn: Connection) -> None:
    """Remove the search index (the extension stays: others may use it)."""
    if conn.dialect.name == "sqlite":
        for name in _TRIGGERS:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {TABLE}")
    elif conn.dialect.name == "postgresql":
        for name in PG_INDEXES:
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")


def rebuild(conn: Connection) -> None:
    """Fill the SQLite index anew from the calls."""
    if conn.dialect.name == "sqlite" and _sqlite_has_table(conn):
        conn.exec_driver_sql(f"INSERT INTO {TABLE}({TABLE}) VALUES ('rebuild')")


def pause(conn: Connection) -> bool:
    """Take the SQLite index's triggers away for a bulk load (they more than double its time);
    True if there were any: then :func:`resume` must follow. While they are away the queue
    searches without the index (:func:`has_index` looks for them)."""
    if conn.dialect.name != "sqlite" or not _sqlite_has_table(conn):
        return False
    for name in _TRIGGERS:
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    _known.pop(conn.engine, None)
    return True


def resume(conn: Connection) -> None:
    """Put the triggers :func:`pause` took away back and refill the index from the calls."""
    for name, ddl in _TRIGGERS.items():
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        conn.exec_driver_sql(ddl)
    rebuild(conn)
    _known.pop(conn.engine, None)


def _sqlite_has_table(conn: Connection) -> bool:
    found = conn.execute(
        text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"), {"name": TABLE}
    ).first()
    return found is not None


def _sqlite_has_trigger(conn: Connection) -> bool:
    found = conn.execute(
        text("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = :name"),
        {"name": "calls_search_insert"},
    ).first()
    return found is not None


def has_index(conn: Connection) -> bool:
    """Whether the database of ``conn`` has the search index (remembered per engine)."""
    engine = conn.engine
    known = _known.get(engine)
    if known is None:
        if conn.dialect.name == "sqlite":  # the table and its triggers (away for a bulk load)
            known = _sqlite_has_table(conn) and _sqlite_has_trigger(conn)
        elif conn.dialect.name == "postgresql":
            known = (
                conn.execute(
                    text("SELECT count(*) FROM pg_indexes WHERE indexname = :name"),
                    {"name": PG_INDEXES[0]},
                ).scalar()
                == 1
            )
        else:
            known = False
        _known[engine] = known
    return known


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic's filter for comparing the declared tables with a database: the search index (the
    FTS5 table and its shadow tables, the trigram indexes) is the migration's, not a model's;
    the index only PostgreSQL has (:data:`PG_ONLY_INDEX`) is checked by its own test."""
    if type_ == "table" and name is not None and name.startswith(TABLE):
        return False
    return not (type_ == "index" and name in (*PG_INDEXES, PG_ONLY_INDEX))
