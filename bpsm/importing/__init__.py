"""Importing other desks' history: the declarative event-log mapping (:mod:`.mapping`); and
exporting this desk's own (:func:`export_events`, :mod:`.export`)."""

from __future__ import annotations

from bpsm.importing.export import export_events
from bpsm.importing.mapping import Mapping, load_mapping, shipped

__all__ = ["Mapping", "export_events", "load_mapping", "shipped"]
