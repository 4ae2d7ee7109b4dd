"""The desk's screens, one module each: the queue, a call, the new-call form, and the areas.

The queue, a call's details and the new-call form are imported with the package (every desk
starts on them or opens them first). The other areas' screens are listed here too but imported
on first use (``from bpsm_tui.screens import ChangeBoardScreen`` imports that module then), so
the desk's start does not pay for screens nobody opened (:mod:`bpsm_tui.areas`).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from bpsm_tui.screens.call_detail import CallDetailScreen
from bpsm_tui.screens.call_screen import CallScreen, PaletteCommand
from bpsm_tui.screens.new_call import NewCallOutcome, NewCallScreen
from bpsm_tui.screens.queue import QueueScreen

if TYPE_CHECKING:
    from bpsm_tui.screens.catalogue import CatalogueScreen
    from bpsm_tui.screens.change_board import ChangeBoardScreen
    from bpsm_tui.screens.change_detail import ChangeDetailScreen
    from bpsm_tui.screens.help import HelpScreen
    from bpsm_tui.screens.kpis import KpiScreen
    from bpsm_tui.screens.menu import AreaMenu
    from bpsm_tui.screens.proactive import ProactiveScreen
    from bpsm_tui.screens.recommendations import RecommendationsScreen
    from bpsm_tui.screens.relation_case import RelationCaseScreen
    from bpsm_tui.screens.relations import RelationCasesScreen

__all__ = [
    "AreaMenu",
    "CallDetailScreen",
    "CallScreen",
    "CatalogueScreen",
    "ChangeBoardScreen",
    "ChangeDetailScreen",
    "HelpScreen",
    "KpiScreen",
    "NewCallOutcome",
    "NewCallScreen",
    "PaletteCommand",
    "ProactiveScreen",
    "QueueScreen",
    "RecommendationsScreen",
    "RelationCaseScreen",
    "RelationCasesScreen",
]

_LAZY = {
    "AreaMenu": "menu",
    "CatalogueScreen": "catalogue",
    "ChangeBoardScreen": "change_board",
    "ChangeDetailScreen": "change_detail",
    "HelpScreen": "help",
    "KpiScreen": "kpis",
    "ProactiveScreen": "proactive",
    "RecommendationsScreen": "recommendations",
    "RelationCaseScreen": "relation_case",
    "RelationCasesScreen": "relations",
}
"""The screens imported on first use, by the module that holds each."""


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)
