"""Importing other desks' history: the declarative event-log mapping (:mod:`.mapping`), the
streaming reader (:mod:`.reader`), the replay on the step table (:mod:`.replay`) and the writer
(:mod:`.writer`: :func:`import_file`); and exporting this desk's own (:mod:`.export`:
:func:`export_events`)."""

from __future__ import annotations

from bpsm.importing.export import export_events
from bpsm.importing.mapping import Mapping, load_mapping, shipped
from bpsm.importing.writer import ImportProgress, ImportResult, Refused, import_file

__all__ = [
    "ImportProgress",
    "ImportResult",
    "Mapping",
    "Refused",
    "export_events",
    "import_file",
    "load_mapping",
    "shipped",
]
