"""The BPSM processes, one package each: its step table, effects, facade and views.

This module is the one list the desk registers its processes from (:data:`FACADES`), and the
permission table generated from every step (:data:`PERMISSIONS`).
"""

from __future__ import annotations

from typing import Any

from bpsm.processes.base import Action, Ask, Context, Guard, Process, Step
from bpsm.processes.calls.facade import Calls
from bpsm.processes.changes.facade import Changes
from bpsm.processes.facade import DeskPort, ProcessFacade
from bpsm.processes.improvements.facade import Improvements
from bpsm.processes.maintenance.facade import Maintenance
from bpsm.processes.recommendations.facade import Recommendations
from bpsm.processes.relations.facade import Relations
from bpsm.roles import DESK_ACTIONS

#: ``desk.<name>`` → its facade, in the order the docs list them.
FACADES: dict[str, type[ProcessFacade[Any, Any]]] = {
    "calls": Calls,
    "relations": Relations,
    "changes": Changes,
    "maintenance": Maintenance,
    "improvements": Improvements,
    "recommendations": Recommendations,
}

#: process name (the audit trail's record type) → process.
PROCESSES: dict[str, Process] = {f.process.name: f.process for f in FACADES.values()}

#: ``"<process>.<trigger>"`` → the roles that may do it: every step's roles, plus the desk's
#: own actions.
PERMISSIONS: dict[str, frozenset[str]] = {
    **{key: roles for p in PROCESSES.values() for key, roles in p.permissions().items()},
    **DESK_ACTIONS,
}

__all__ = [
    "FACADES",
    "PERMISSIONS",
    "PROCESSES",
    "Action",
    "Ask",
    "Context",
    "DeskPort",
    "Guard",
    "Process",
    "ProcessFacade",
    "Step",
]
