"""The view of an improvement: its source, assessment, decision and the change it opened."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar

from bpsm.views import View

__all__ = ["ImprovementView"]


class ImprovementView(View):
    """An improvement as it stands: source, assessment, decision and the change it opened."""

    audit_type: ClassVar[str] = "improvement"

    id: int
    state: str
    source: str
    title: str
    description: str
    service_id: str | None
    identified_by: str
    identified_at: datetime
    burst_start: datetime | None
    burst_end: datetime | None
    burst_calls: int | None
    burst_window_seconds: int | None
    worth_it: bool | None
    effort_hours: float | None
    benefit: str | None
    assessed_by: str | None
    assessed_at: datetime | None
    decided_by: str | None
    decided_at: datetime | None
    drop_reason: str | None
    change_id: int | None
    version: int

    @property
    def burst_window(self) -> timedelta | None:
        """The detector's window when this improvement was proposed (None for ideas from people)."""
        return (
            None
            if self.burst_window_seconds is None
            else timedelta(seconds=self.burst_window_seconds)
        )
