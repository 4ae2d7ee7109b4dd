"""The service catalogue: schema, loading with precise errors, and publishing (plan, then apply)."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bpsm.catalogue.loader import Catalogue, load_catalogue, validate_service
    from bpsm.catalogue.schema import DeskConfig, Service, StaffMember, parse_duration
    from bpsm.catalogue.sync import CataloguePlan, ServicePlan, StaffPlan

__all__ = [
    "Catalogue",
    "CataloguePlan",
    "DeskConfig",
    "Service",
    "ServicePlan",
    "StaffMember",
    "StaffPlan",
    "load_catalogue",
    "parse_duration",
    "validate_service",
]

# imported from their modules on first use (PEP 562): reading the published catalogue back needs
# neither the YAML loader nor the publishing code
_MODULES = {
    "Catalogue": "bpsm.catalogue.loader",
    "CataloguePlan": "bpsm.catalogue.sync",
    "DeskConfig": "bpsm.catalogue.schema",
    "Service": "bpsm.catalogue.schema",
    "ServicePlan": "bpsm.catalogue.sync",
    "StaffMember": "bpsm.catalogue.schema",
    "StaffPlan": "bpsm.catalogue.sync",
    "load_catalogue": "bpsm.catalogue.loader",
    "parse_duration": "bpsm.catalogue.schema",
    "validate_service": "bpsm.catalogue.loader",
}


def __getattr__(name: str) -> Any:
    if name not in _MODULES:
        raise AttributeError(f"module 'bpsm.catalogue' has no attribute {name!r}")
    value = getattr(import_module(_MODULES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
