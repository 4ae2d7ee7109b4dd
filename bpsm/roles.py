"""Who may do what: the one permission table, enforced by the library on every action.

Actions are named ``"<process>.<trigger>"`` (``"call.resolve"``, ``"change.approve"``). A person
may perform an action when one of their roles is listed for it. Reading is open to all staff.
"""

from __future__ import annotations

from dataclasses import dataclass

from bpsm.errors import PermissionDenied

__all__ = ["ROLES", "PERMISSIONS", "Person", "require", "may"]

OPERATOR, SPECIALIST, CHANGE_MANAGER = "operator", "specialist", "change_manager"
ACCOUNT_MANAGER, MANAGER, ADMIN = "account_manager", "manager", "admin"
ROLES = (OPERATOR, SPECIALIST, CHANGE_MANAGER, ACCOUNT_MANAGER, MANAGER, ADMIN)

_DESK = frozenset({OPERATOR, SPECIALIST})

#: action -> roles allowed to perform it. Keep this the only place permissions are decided.
PERMISSIONS: dict[str, frozenset[str]] = {
    # reactive management: every call about a standard service
    "call.register": _DESK,
    "call.accept": _DESK,
    "call.make_exception": _DESK,
    "call.refer": _DESK,
    "call.wait_for_customer": _DESK,
    "call.wait_for_supplier": _DESK,
    "call.resume": _DESK,
    "call.escalate": _DESK,
    "call.resolve": _DESK,
    "call.reopen": _DESK,
    "call.close": _DESK,
    "call.cancel": _DESK,
    "call.log_contact": _DESK,
    # the catalogue
    "catalogue.sync": frozenset({ADMIN, CHANGE_MANAGER}),
    "demo.seed": frozenset({ADMIN}),
}


@dataclass(frozen=True)
class Person:
    """A member of staff as the library sees them when they act."""

    id: str
    name: str
    roles: frozenset[str]
    group: str


def may(person: Person, action: str) -> bool:
    """True when ``person`` holds a role that ``action`` allows (unknown actions: nobody)."""
    return bool(PERMISSIONS.get(action, frozenset()) & person.roles)


def require(person: Person, action: str) -> None:
    """Raise :class:`PermissionDenied` unless ``person`` may perform ``action``."""
    if not may(person, action):
        allowed = ", ".join(sorted(PERMISSIONS.get(action, ()))) or "nobody"
        raise PermissionDenied(person.id, action, f"needs role {allowed}; has {', '.join(sorted(person.roles))}")
