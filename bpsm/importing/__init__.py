"""Importing other desks' history: the declarative event-log mapping (:mod:`.mapping`), the
streaming reader (:mod:`.reader`), the replay on the step table (:mod:`.replay`) and the writer
(:mod:`.writer`: :func:`import_file`)."""

from __future__ import annotations

from bpsm.importing.mapping import Mapping, load_mapping, shipped
from bpsm.importing.writer import ImportProgress, ImportResult, Refused, import_file

__all__ = [
    "ImportProgress",
    "ImportResult",
    "Mapping",
    "Refused",
    "import_file",
    "load_mapping",
    "shipped",
]
