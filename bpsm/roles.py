"""Who acts: the roles, the person as the library sees them, and the permission check.

Who may fire a step is written on the step itself (``bpsm.processes.<name>`` tables); the
permission table :data:`bpsm.processes.PERMISSIONS` is generated from them. Actions are named
``"<process>.<trigger>"`` (``"call.resolve"``, ``"change.approve"``). Reading is open to all staff.
"""

from __future__ import annotations

from dataclasses import dataclass

from bpsm.errors import PermissionDenied

__all__ = ["DESK", "DESK_ACTIONS", "ROLES", "Person", "require"]

OPERATOR, SPECIALIST, CHANGE_MANAGER = "operator", "specialist", "change_manager"
ACCOUNT_MANAGER, MANAGER, ADMIN = "account_manager", "manager", "admin"
ROLES = (OPERATOR, SPECIALIST, CHANGE_MANAGER, ACCOUNT_MANAGER, MANAGER, ADMIN)

DESK = frozenset({OPERATOR, SPECIALIST})
"""The desk's own staff: operators and specialists (second line)."""

#: Actions of the desk itself, outside any process. Every other permission comes from the
#: processes' step tables (:data:`bpsm.processes.PERMISSIONS`).
DESK_ACTIONS: dict[str, frozenset[str]] = {
    "catalogue.load": frozenset({ADMIN, CHANGE_MANAGER}),
    "demo.seed": frozenset({ADMIN}),
    # every member of staff whose time goes into records; a manager reads the balance
    "effort.log": frozenset({OPERATOR, SPECIALIST, CHANGE_MANAGER, ACCOUNT_MANAGER, ADMIN}),
}


@dataclass(frozen=True)
class Person:
    """A member of staff as the library sees them when they act."""

    id: str
    name: str
    roles: frozenset[str]
    group: str


def require(person: Person, action: str, roles: frozenset[str] | None = None) -> None:
    """Raise :class:`PermissionDenied` unless ``person`` holds one of ``roles``.

    ``roles`` defaults to :data:`DESK_ACTIONS` for desk actions; processes pass their step's roles.
    """
    allowed = DESK_ACTIONS.get(action, frozenset()) if roles is None else roles
    if not allowed & person.roles:
        names = ", ".join(sorted(allowed)) or "nobody"
        raise PermissionDenied(
            person.id, action, f"needs role {names}; has {', '.join(sorted(person.roles))}"
        )
