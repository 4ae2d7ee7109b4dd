"""What the effort log hands back: an entry, and the balance of the team's time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bpsm.views import View

__all__ = ["EffortBalance", "EffortEntry", "WorkShare"]


class EffortEntry(View):
    """Minutes one person logged on one record."""

    id: int
    record_type: str
    record_id: int
    work: str
    minutes: int
    by: str
    at: datetime
    note: str | None


@dataclass(frozen=True)
class WorkShare:
    """One kind of work in the balance: its minutes, its share and the target share (percent)."""

    work: str
    minutes: int
    share: float | None
    """Percent of all minutes in the window; None when nothing was logged."""
    target: int
    """Percent ``desk.yaml``'s ``effort.target`` gives it."""

    @property
    def gap(self) -> float | None:
        """share − target in percentage points (negative: less time than planned)."""
        return None if self.share is None else self.share - self.target


@dataclass(frozen=True)
class EffortBalance:
    """The team's time in ``[since, until)`` by kind of work, against the target split."""

    since: datetime | None
    until: datetime | None
    minutes: int
    kinds: list[WorkShare]

    def of(self, work: str) -> WorkShare:
        """The share of one kind of work."""
        return next(k for k in self.kinds if k.work == work)
