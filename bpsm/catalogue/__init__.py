"""The service catalogue: schema, loading with precise errors, and publishing (plan, then apply)."""

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
