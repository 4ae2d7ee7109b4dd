"""Pilots (``desk.pilots``): a service, or the whole catalogue, tried with a customer group.

A team piloting the catalogue names a pilot, its scope (some services, or every service of the
published catalogue), its customer group (caller patterns: calls only know their ``caller``) and
a window ``[since, until)``. The KPI engine then compares every KPI for the pilot's calls against
the rest of the scope in the same window, and against the pilot's own customers in the window
of the same length before — so the decision to roll out rests on evidence.

* :mod:`bpsm.pilots.facade` — define, list, get, end, compare;
* :mod:`bpsm.pilots.views` — what it hands back.

See ``docs/kpis.md`` ("Pilots").
"""

from bpsm.pilots.facade import PILOT_ROLES, Pilots
from bpsm.pilots.views import PilotComparison, PilotView

__all__ = ["PILOT_ROLES", "PilotComparison", "PilotView", "Pilots"]
