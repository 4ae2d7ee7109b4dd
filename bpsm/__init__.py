"""bpsm — a service desk run the Best Practice Service Management way.

Open a desk, register calls, read KPIs::

    from bpsm import Desk
    desk = Desk.open()                      # embedded SQLite, example catalogue
    call = desk.calls.register(caller="Kim", channel="phone", summary="Laptop won't boot",
                               service="laptop", by="anna")
"""

from bpsm.calls import Calls, Page
from bpsm.catalogue import Catalogue, DeskConfig, Service, load_catalogue
from bpsm.desk import Desk
from bpsm.errors import (
    BpsmError,
    ConcurrentModification,
    GuardFailed,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    Problem,
    ValidationError,
)
from bpsm.kpi import KpiSnapshot
from bpsm.models import AuditEvent, CallView, ContactView, RelationCaseView, ServiceHit, ServiceView
from bpsm.settings import Settings

__version__ = "0.1.0"

__all__ = [
    "AuditEvent",
    "BpsmError",
    "CallView",
    "Calls",
    "Catalogue",
    "ConcurrentModification",
    "ContactView",
    "Desk",
    "DeskConfig",
    "GuardFailed",
    "InvalidTransition",
    "KpiSnapshot",
    "NotFound",
    "Page",
    "PermissionDenied",
    "Problem",
    "RelationCaseView",
    "Service",
    "ServiceHit",
    "ServiceView",
    "Settings",
    "ValidationError",
    "load_catalogue",
]
