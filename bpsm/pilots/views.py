"""What ``desk.pilots`` hands back: a pilot, and the comparison of its KPIs."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from bpsm.kpis.engine import KpiFilter, KpiReport, Population
from bpsm.views import View

__all__ = ["PilotComparison", "PilotView"]


class PilotView(View):
    """One pilot as stored (see :class:`bpsm.store.tables.pilot.PilotRow`)."""

    audit_type: ClassVar[str] = "pilot"

    id: int
    name: str
    scope: str
    services: list[str] | None
    catalogue_revision: int | None
    group_name: str
    callers: list[str]
    since: datetime
    until: datetime
    state: str
    note: str | None
    defined_by: str
    defined_at: datetime
    ended_at: datetime | None
    ended_by: str | None
    version: int

    def population(self) -> Population:
        """The pilot's calls as a KPI population (:class:`bpsm.kpis.Population`)."""
        services = None if self.services is None else tuple(self.services)
        return Population(f"pilot {self.name}", tuple(self.callers), services)

    def filters(self, base: KpiFilter | None = None) -> KpiFilter:
        """``base`` (or no filter) with the pilot's population."""
        return dataclasses.replace(base or KpiFilter(), population=self.population())


class PilotComparison(BaseModel):
    """Every KPI of a pilot three ways, each a full :class:`~bpsm.kpis.KpiReport`:

    * ``pilot`` — the pilot's calls (scope and customer group) during the pilot;
    * ``rest`` — the other customers' calls of the same scope, same window;
    * ``before`` — the pilot's customers' calls of the scope in the window of the same length
      just before the pilot began.

    ``during`` ends at the pilot's ``until`` or now, whichever is first.
    """

    model_config = ConfigDict(frozen=True)

    pilot: PilotView
    pilot_report: KpiReport
    rest: KpiReport
    before: KpiReport

    def figures(self, kpi: str, period: str = "total", group: str | None = None) -> dict[str, dict]:
        """``{"pilot": figures, "rest": figures, "before": figures}`` of one KPI row."""
        return {
            "pilot": self.pilot_report.get(kpi, period, group),
            "rest": self.rest.get(kpi, period, group),
            "before": self.before.get(kpi, period, group),
        }
