"""Importing other desks' history: the declarative event-log mapping (:mod:`.mapping`)."""

from __future__ import annotations

from bpsm.importing.mapping import Mapping, load_mapping, shipped

__all__ = ["Mapping", "load_mapping", "shipped"]
