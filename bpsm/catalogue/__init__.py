"""The service catalogue: schema, loading with precise errors, and syncing into the database."""

from bpsm.catalogue.loader import Catalogue, load_catalogue, validate_service
from bpsm.catalogue.schema import DeskConfig, Service, StaffMember, parse_duration

__all__ = [
    "Catalogue",
    "DeskConfig",
    "Service",
    "StaffMember",
    "load_catalogue",
    "parse_duration",
    "validate_service",
]
