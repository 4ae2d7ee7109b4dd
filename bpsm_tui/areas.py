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

from bpsm import Relations

__all__ = ["AREAS", "Area"]

EVERYONE = frozenset(
    {"operator", "specialist", "change_manager", "account_manager", "manager", "admin"}
)


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
        "relations",
        "Relation cases",
        "3",
        "bpsm_tui.screens.relations:RelationCasesScreen",
        # whoever the relation process lets work a case, and the manager who oversees them
        roles=frozenset().union(*(step.roles for step in Relations.process.table)) | {"manager"},
        home_for=frozenset({"account_manager"}),
    ),
    Area("catalogue", "Catalogue", "6", "bpsm_tui.screens.catalogue:CatalogueScreen"),
)
