"""What a process (and the KPI and catalogue services) may see of the desk: :class:`DeskPort`.

Processes never import :class:`bpsm.Desk`; the desk hands itself over as a ``DeskPort``. Keeping the
port below the processes is what lets every layer depend downwards only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from bpsm.catalogue.loader import Catalogue
    from bpsm.catalogue.schema import DeskConfig
    from bpsm.roles import Person
    from bpsm.store.uow import UnitOfWork

__all__ = ["DeskPort"]


class DeskPort(Protocol):
    """What a process needs from the desk it runs on."""

    @property
    def config(self) -> DeskConfig: ...

    @property
    def catalogue(self) -> Catalogue: ...

    def person(self, ident: str) -> Person: ...

    def unit(self) -> UnitOfWork: ...

    @property
    def relations(self) -> Any:
        """Relation management, for the reactive process's ``refer`` hand-over in the same unit."""
        ...
