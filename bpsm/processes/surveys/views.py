"""What ``desk.surveys`` hands back: a survey, a run's summary, the relationship report."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from bpsm.processes.surveys.run import SurveyRun
from bpsm.views import View

__all__ = ["RelationshipReport", "RelationshipRow", "SurveyRun", "SurveyView"]


class SurveyView(View):
    """A survey as it stands: whom it asks, when it went out and ends, and the answers."""

    audit_type: ClassVar[str] = "survey"

    id: int
    kind: str
    """``call`` (about one closed call) or ``relationship`` (one department, one period)."""
    state: str
    """``pending``, ``sent``, ``answered``, ``declined`` or ``expired``."""
    call_id: int | None
    caller: str | None
    department: str | None
    period_start: datetime | None
    created_at: datetime
    send_at: datetime
    sent_at: datetime | None
    expires_at: datetime | None
    answered_at: datetime | None
    answered_by: str | None
    answered_via: str | None
    closed_at: datetime | None
    effort_score: int | None
    satisfaction: int | None
    note: str | None
    version: int
    updated_at: datetime

    @property
    def not_answered(self) -> bool:
        """Declined or expired: it ended without answers (counted, never a missing value)."""
        return self.state in ("declined", "expired")


class RelationshipRow(BaseModel):
    """The relationship survey's figures for one period (or ``total``) and department (or all)."""

    model_config = ConfigDict(frozen=True)

    period: str
    department: str | None
    figures: dict[str, int | float | None]


class RelationshipReport(BaseModel):
    """The relationship surveys whose period starts in ``[since, until)`` (``docs/surveys.md``)."""

    model_config = ConfigDict(frozen=True)

    since: datetime
    until: datetime
    by: str | None
    timezone: str
    periods: list[str]
    rows: list[RelationshipRow]

    def get(self, period: str = "total", department: str | None = None) -> dict[str, Any]:
        """The figures of one period and department (empty when there are none)."""
        for r in self.rows:
            if (r.period, r.department) == (period, department):
                return r.figures
        return {}
