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
    # account managers register and accept the call for an alternative agreed in relation management
    "call.register": _DESK | {ACCOUNT_MANAGER},
    "call.accept": _DESK | {ACCOUNT_MANAGER},
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
    # relation management: requests for services we do not (yet) offer
    "relation.open": _DESK | {ACCOUNT_MANAGER},
    "relation.clarify_need": _DESK | {ACCOUNT_MANAGER},
    "relation.propose_alternatives": _DESK | {ACCOUNT_MANAGER},
    "relation.accept_alternative": _DESK | {ACCOUNT_MANAGER},
    "relation.decline_alternative": _DESK | {ACCOUNT_MANAGER},
    "relation.assess_bespoke": frozenset({ACCOUNT_MANAGER, SPECIALIST}),
    "relation.answer": frozenset({ACCOUNT_MANAGER, SPECIALIST}),
    "relation.refuse": frozenset({ACCOUNT_MANAGER}),
    "relation.agree": frozenset({ACCOUNT_MANAGER}),
    "relation.deliver": frozenset({ACCOUNT_MANAGER, SPECIALIST}),
    "relation.standardize": frozenset({ACCOUNT_MANAGER}),
    "relation.keep_standard_delivery": frozenset({ACCOUNT_MANAGER}),
    "relation.keep_bespoke": frozenset({ACCOUNT_MANAGER}),
    "relation.withdraw": _DESK | {ACCOUNT_MANAGER},
    # the change process: changes to the catalogue only; the change manager is the gatekeeper
    "change.propose": frozenset({ACCOUNT_MANAGER, SPECIALIST, CHANGE_MANAGER, MANAGER, ADMIN}),
    "change.amend": frozenset({ACCOUNT_MANAGER, SPECIALIST, CHANGE_MANAGER, MANAGER, ADMIN}),
    "change.submit": frozenset({ACCOUNT_MANAGER, SPECIALIST, CHANGE_MANAGER, MANAGER, ADMIN}),
    "change.check_item": frozenset({ACCOUNT_MANAGER, SPECIALIST, CHANGE_MANAGER, ADMIN}),
    "change.approve": frozenset({CHANGE_MANAGER}),
    "change.reject": frozenset({CHANGE_MANAGER}),
    "change.implement": frozenset({CHANGE_MANAGER}),
    "change.roll_back": frozenset({CHANGE_MANAGER}),
    "change.withdraw": frozenset({ACCOUNT_MANAGER, SPECIALIST, CHANGE_MANAGER, MANAGER, ADMIN}),
    # proactive management: preventative maintenance and account contacts (due work)
    "task.generate": frozenset({ADMIN, MANAGER, SPECIALIST, ACCOUNT_MANAGER, CHANGE_MANAGER}),
    "task.complete": _DESK | {ACCOUNT_MANAGER},
    "task.skip": _DESK | {ACCOUNT_MANAGER, MANAGER},
    # proactive management: improvements
    "improvement.identify": _DESK | {ACCOUNT_MANAGER, CHANGE_MANAGER, MANAGER},
    "improvement.assess": frozenset({SPECIALIST, ACCOUNT_MANAGER, CHANGE_MANAGER, MANAGER}),
    "improvement.approve": frozenset({MANAGER, CHANGE_MANAGER}),
    "improvement.drop": frozenset({MANAGER, CHANGE_MANAGER}),
    "improvement.detect": frozenset({ADMIN, MANAGER, CHANGE_MANAGER}),
    # recommendations made while serving: add-ons settled on the spot, leads handed to sales
    "recommendation.register": _DESK,
    "recommendation.accept": _DESK,
    "recommendation.decline": _DESK,
    "recommendation.send_proposal": frozenset({ACCOUNT_MANAGER, MANAGER}),
    "recommendation.win": frozenset({ACCOUNT_MANAGER, MANAGER}),
    "recommendation.lose": frozenset({ACCOUNT_MANAGER, MANAGER}),
    # the catalogue and the desk itself
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
