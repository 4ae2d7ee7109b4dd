"""The database schema, one module per area; importing this package registers every table."""

from bpsm.store.tables import change, proactive, recommendation, relation  # noqa: F401  (register tables)
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
from bpsm.store.tables.relation import RelationCaseRow, StandardDeliveryRow

__all__ = [
    "AuditEventRow",
    "Base",
    "CallContactRow",
    "CallRow",
    "RelationCaseRow",
    "ServiceRow",
    "ServiceVersionRow",
    "StaffRow",
    "StandardDeliveryRow",
    "UTCDateTime",
]
