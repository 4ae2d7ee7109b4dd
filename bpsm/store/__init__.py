"""Persistence: the schema (``tables``), engines and migrations (``db``)."""

from bpsm.store.db import default_database_url, make_engine, open_engine, upgrade

__all__ = ["default_database_url", "make_engine", "open_engine", "upgrade"]
