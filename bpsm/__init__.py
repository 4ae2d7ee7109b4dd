"""bpsm — a service desk run the Best Practice Service Management way.

Open a desk, register calls, read KPIs::

    from bpsm import Desk
    desk = Desk.open()                      # embedded SQLite, example catalogue
    call = desk.calls.register(caller="Kim", channel="phone", summary="Laptop won't boot",
                               service="laptop", by="anna")

The processes hang off the desk: ``desk.calls`` (reactive management), ``desk.relations``
(requests for services we do not offer), ``desk.changes`` (catalogue changes through the change
manager's gate), ``desk.maintenance`` (preventative maintenance and account contacts),
``desk.improvements``, ``desk.recommendations`` (add-ons and leads) and ``desk.surveys``
(surveys of closed calls and of customer departments).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bpsm.business_hours import BusinessCalendar
    from bpsm.catalogue import Catalogue, CataloguePlan, DeskConfig, Service, load_catalogue
    from bpsm.desk import Desk
    from bpsm.errors import (
        BpsmError,
        ConcurrentModification,
        DatabaseError,
        DatabaseUnavailable,
        GuardFailed,
        InvalidTransition,
        NotFound,
        PermissionDenied,
        Problem,
        ValidationError,
    )
    from bpsm.kpis import KpiFilter, KpiReport, KpiSnapshot, Population
    from bpsm.pilots import PilotComparison, PilotView
    from bpsm.processes import Action, Ask, Process, Step
    from bpsm.processes.calls.facade import Calls
    from bpsm.processes.calls.lead_time import LeadTimeCompliance
    from bpsm.processes.calls.self_service import (
        FaqOpportunity,
        SelfServiceReport,
        ServiceOpportunity,
    )
    from bpsm.processes.calls.views import CallView, ContactView
    from bpsm.processes.changes.facade import (
        CatalogueDiff,
        Changes,
        ChangeView,
        ChecklistStatus,
        DefinitionDiff,
    )
    from bpsm.processes.effort.facade import Effort
    from bpsm.processes.effort.views import EffortBalance, EffortEntry, WorkShare
    from bpsm.processes.improvements.facade import Improvements, ImprovementView
    from bpsm.processes.maintenance.facade import (
        GenerationReport,
        Maintenance,
        PlanSyncReport,
        PlanView,
        TaskView,
    )
    from bpsm.processes.recommendations.facade import (
        Potential,
        Recommendations,
        RecommendationStats,
        RecommendationView,
        potential,
    )
    from bpsm.processes.relations.facade import Relations, StandardDeliveryView
    from bpsm.processes.relations.views import RelationCaseView
    from bpsm.processes.surveys.facade import Surveys
    from bpsm.processes.surveys.views import (
        RelationshipReport,
        RelationshipRow,
        SurveyRun,
        SurveyView,
    )
    from bpsm.roles import Person
    from bpsm.settings import Settings
    from bpsm.views import AuditEvent, Cursor, KeysetPage, Page, ServiceHit, ServiceView

    Suggestion = RelationCaseView.Suggestion

__version__ = "0.1.0"

__all__ = [
    "Action",
    "Ask",
    "AuditEvent",
    "BpsmError",
    "BusinessCalendar",
    "CallView",
    "Calls",
    "Catalogue",
    "CatalogueDiff",
    "CataloguePlan",
    "ChangeView",
    "Changes",
    "ChecklistStatus",
    "ConcurrentModification",
    "ContactView",
    "Cursor",
    "DatabaseError",
    "DatabaseUnavailable",
    "DefinitionDiff",
    "Desk",
    "DeskConfig",
    "Effort",
    "EffortBalance",
    "EffortEntry",
    "FaqOpportunity",
    "GenerationReport",
    "GuardFailed",
    "ImprovementView",
    "Improvements",
    "InvalidTransition",
    "KeysetPage",
    "KpiFilter",
    "KpiReport",
    "KpiSnapshot",
    "LeadTimeCompliance",
    "Maintenance",
    "NotFound",
    "Page",
    "PermissionDenied",
    "Person",
    "PilotComparison",
    "PilotView",
    "PlanSyncReport",
    "PlanView",
    "Population",
    "Potential",
    "Problem",
    "Process",
    "RecommendationStats",
    "RecommendationView",
    "Recommendations",
    "RelationCaseView",
    "Relations",
    "RelationshipReport",
    "RelationshipRow",
    "SelfServiceReport",
    "Service",
    "ServiceHit",
    "ServiceOpportunity",
    "ServiceView",
    "Settings",
    "StandardDeliveryView",
    "Step",
    "Suggestion",
    "SurveyRun",
    "SurveyView",
    "Surveys",
    "TaskView",
    "ValidationError",
    "WorkShare",
    "load_catalogue",
    "potential",
]

# Each public name is imported from its module on first use (PEP 562), so that importing one
# of them (``from bpsm import Desk``) loads only what it needs: the TUI and the console script
# start faster. ``from bpsm import X``, ``bpsm.X`` and ``__all__`` work as before.

_MODULES: dict[str, str] = {
    "Action": "bpsm.processes",
    "Ask": "bpsm.processes",
    "AuditEvent": "bpsm.views",
    "BpsmError": "bpsm.errors",
    "BusinessCalendar": "bpsm.business_hours",
    "Calls": "bpsm.processes.calls.facade",
    "CallView": "bpsm.processes.calls.views",
    "Catalogue": "bpsm.catalogue.loader",
    "CatalogueDiff": "bpsm.processes.changes.facade",
    "CataloguePlan": "bpsm.catalogue.sync",
    "Changes": "bpsm.processes.changes.facade",
    "ChangeView": "bpsm.processes.changes.facade",
    "ChecklistStatus": "bpsm.processes.changes.facade",
    "ConcurrentModification": "bpsm.errors",
    "ContactView": "bpsm.processes.calls.views",
    "Cursor": "bpsm.views",
    "DatabaseError": "bpsm.errors",
    "DatabaseUnavailable": "bpsm.errors",
    "DefinitionDiff": "bpsm.processes.changes.facade",
    "Desk": "bpsm.desk",
    "DeskConfig": "bpsm.catalogue.schema",
    "Effort": "bpsm.processes.effort.facade",
    "EffortBalance": "bpsm.processes.effort.views",
    "EffortEntry": "bpsm.processes.effort.views",
    "FaqOpportunity": "bpsm.processes.calls.self_service",
    "GenerationReport": "bpsm.processes.maintenance.facade",
    "GuardFailed": "bpsm.errors",
    "Improvements": "bpsm.processes.improvements.facade",
    "ImprovementView": "bpsm.processes.improvements.facade",
    "InvalidTransition": "bpsm.errors",
    "KeysetPage": "bpsm.views",
    "KpiFilter": "bpsm.kpis",
    "KpiReport": "bpsm.kpis",
    "KpiSnapshot": "bpsm.kpis",
    "LeadTimeCompliance": "bpsm.processes.calls.lead_time",
    "load_catalogue": "bpsm.catalogue.loader",
    "Maintenance": "bpsm.processes.maintenance.facade",
    "NotFound": "bpsm.errors",
    "Page": "bpsm.views",
    "PermissionDenied": "bpsm.errors",
    "Person": "bpsm.roles",
    "PlanSyncReport": "bpsm.processes.maintenance.facade",
    "PlanView": "bpsm.processes.maintenance.facade",
    "Potential": "bpsm.processes.recommendations.facade",
    "potential": "bpsm.processes.recommendations.facade",
    "Problem": "bpsm.errors",
    "Process": "bpsm.processes",
    "Recommendations": "bpsm.processes.recommendations.facade",
    "RecommendationStats": "bpsm.processes.recommendations.facade",
    "RecommendationView": "bpsm.processes.recommendations.facade",
    "RelationCaseView": "bpsm.processes.relations.views",
    "Relations": "bpsm.processes.relations.facade",
    "SelfServiceReport": "bpsm.processes.calls.self_service",
    "Service": "bpsm.catalogue.schema",
    "ServiceHit": "bpsm.views",
    "ServiceOpportunity": "bpsm.processes.calls.self_service",
    "ServiceView": "bpsm.views",
    "Settings": "bpsm.settings",
    "StandardDeliveryView": "bpsm.processes.relations.facade",
    "Step": "bpsm.processes",
    "TaskView": "bpsm.processes.maintenance.facade",
    "ValidationError": "bpsm.errors",
    "WorkShare": "bpsm.processes.effort.views",
    "Population": "bpsm.kpis",
    "PilotComparison": "bpsm.pilots",
    "PilotView": "bpsm.pilots",
    "Surveys": "bpsm.processes.surveys.facade",
    "RelationshipReport": "bpsm.processes.surveys.views",
    "RelationshipRow": "bpsm.processes.surveys.views",
    "SurveyRun": "bpsm.processes.surveys.views",
    "SurveyView": "bpsm.processes.surveys.views",
}


def __getattr__(name: str) -> Any:
    if name == "Suggestion":
        value = __getattr__("RelationCaseView").Suggestion
    elif name in _MODULES:
        value = getattr(import_module(_MODULES[name]), name)
    else:
        raise AttributeError(f"module 'bpsm' has no attribute {name!r}")
    globals()[name] = value  # found at once next time
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
