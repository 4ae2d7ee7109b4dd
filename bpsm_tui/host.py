"""What screens need from the application that hosts them, so that screens never import the app."""

from __future__ import annotations

from typing import Any, Protocol

from bpsm import Desk

__all__ = ["DeskHost"]


class DeskHost(Protocol):
    """The running desk application, as a screen sees it (:class:`bpsm_tui.app.DeskApp` is one)."""

    desk: Desk
    operator: str

    @property
    def who(self) -> str: ...

    @property
    def roles(self) -> frozenset[str]: ...

    def act(self, call: Any, name: str, *, first_contact: bool = False) -> None: ...

    def run_step(
        self,
        facade: str,
        record: Any,
        action: Any,
        *,
        first_contact: bool = False,
        dialog: Any = None,
    ) -> None: ...

    def show_error(
        self, error: BaseException, *, title: str | None = None, about: Any = None
    ) -> None: ...
