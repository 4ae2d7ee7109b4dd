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
