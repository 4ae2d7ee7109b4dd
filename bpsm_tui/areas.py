"""The areas of the desk: one Textual mode each, one row each.

A row says which screen an area is, its title, its number key, which roles may open it and whose
home it is. The app builds its modes from :data:`AREAS`; a new screen joins the desk as one row.
The library still decides every action: an area a role may open only shows what it may do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from bpsm import Improvements, Maintenance, Process, Recommendations, Relations

__all__ = ["AREAS", "Area", "area", "home_area", "open_to", "roles_text"]

EVERYONE = frozenset(
    {"operator", "specialist", "change_manager", "account_manager", "manager", "admin"}
)


def _roles_of(*processes: Process) -> frozenset[str]:
    """Everyone who may fire some step of ``processes`` (from their step tables)."""
    return frozenset().union(*(step.roles for p in processes for step in p.table))


@dataclass(frozen=True)
class Area:
    """One area of work: a Textual mode.

    Attributes:
        mode: the mode's name (``"calls"``), also the palette's ``go:`` target.
        title: what the menu and the palette call it.
        key: the number key that opens it.
        screen: ``"module:Class"`` of its first screen, imported when first opened.
        roles: the roles that may open it.
        home_for: the roles that land here when the desk starts.
    """

    mode: str
    title: str
    key: str
    screen: str
    roles: frozenset[str] = EVERYONE
    home_for: frozenset[str] = frozenset()

    def factory(self, **options: Any) -> Callable[[], Any]:
        """A callable making the area's screen (the module is imported on first use)."""

        def make() -> Any:
            module, _, name = self.screen.partition(":")
            return getattr(import_module(module), name)(**options)

        return make


def open_to(roles: frozenset[str]) -> list[Area]:
    """The areas someone with ``roles`` may open, in menu order."""
    return [a for a in AREAS if a.roles & roles]


def home_area(roles: frozenset[str]) -> Area:
    """Where someone with ``roles`` lands: the first area that is home for one of them.

    Else the first area they may open, else the first area (where a person the desk does not
    know is told why they cannot act).
    """
    homes = [a for a in AREAS if a.home_for & roles]
    return (homes or open_to(roles) or list(AREAS))[0]


def area(mode: str) -> Area:
    """The area whose mode is ``mode`` (:class:`KeyError` for none)."""
    for row in AREAS:
        if row.mode == mode:
            return row
    raise KeyError(mode)


def roles_text(roles: frozenset[str]) -> str:
    """Roles in words, sorted: ``account manager, change manager``."""
    return ", ".join(sorted(r.replace("_", " ") for r in roles))


#: Every area, in menu order. One row per screen.
AREAS: tuple[Area, ...] = (
    Area(
        "calls",
        "Calls",
        "1",
        "bpsm_tui.screens.queue:QueueScreen",
        home_for=frozenset({"operator", "specialist", "admin"}),
    ),
    Area(
        "changes",
        "Change board",
        "2",
        "bpsm_tui.screens.change_board:ChangeBoardScreen",
        # proposers (account manager, specialist, manager) follow and work their changes;
        # specialists and account managers mark checklist items; the change manager decides
        roles=EVERYONE - {"operator"},
        home_for=frozenset({"change_manager"}),
    ),
    Area(
        "relations",
        "Relation cases",
        "3",
        "bpsm_tui.screens.relations:RelationCasesScreen",
        # whoever the relation process lets work a case, and the manager who oversees them
        roles=frozenset().union(*(step.roles for step in Relations.process.table)) | {"manager"},
        home_for=frozenset({"account_manager"}),
    ),
    Area(
        "proactive",
        "Proactive",
        "4",
        "bpsm_tui.screens.proactive:ProactiveScreen",
        roles=_roles_of(Maintenance.process, Improvements.process),
    ),
    Area(
        "recommendations",
        "Recommendations",
        "5",
        "bpsm_tui.screens.recommendations:RecommendationsScreen",
        roles=_roles_of(Recommendations.process),
    ),
    Area("catalogue", "Catalogue", "6", "bpsm_tui.screens.catalogue:CatalogueScreen"),
    Area(
        "kpis",
        "KPIs",
        "7",
        "bpsm_tui.screens.kpis:KpiScreen",
        home_for=frozenset({"manager"}),
    ),
)
