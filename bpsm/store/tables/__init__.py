"""The database schema, one module per area; importing this package registers every table."""

from bpsm.store.tables import (  # noqa: F401  (register tables)
    catalogue,
    change,
    effort,
    importing,
    kpi,
    pilot,
    proactive,
    recommendation,
    relation,
    survey,
)
from bpsm.store.tables.catalogue import PublishedCatalogueRow
from bpsm.store.tables.core import (
    AuditEventRow,
    Base,
    CallContactRow,
    CallRow,
    ServiceRow,
    ServiceVersionRow,
    StaffRow,
    UTCDateTime,
)
from bpsm.store.tables.effort import EffortRow
from bpsm.store.tables.pilot import PilotRow
from bpsm.store.tables.relation import RelationCaseRow, StandardDeliveryRow

__all__ = [
    "AuditEventRow",
    "Base",
    "CallContactRow",
    "CallRow",
    "EffortRow",
    "PilotRow",
    "PublishedCatalogueRow",
    "RelationCaseRow",
    "ServiceRow",
    "ServiceVersionRow",
    "StaffRow",
    "StandardDeliveryRow",
    "UTCDateTime",
]
