"""The views of proactive service delivery: a recommendation, per-person figures, the potential."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, computed_field

from bpsm.views import View

__all__ = ["Potential", "RecommendationStats", "RecommendationView"]


class RecommendationView(View):
    """A recommendation as it stands."""

    audit_type: ClassVar[str] = "recommendation"

    id: int
    kind: str
    state: str
    call_id: int | None
    task_id: int | None
    customer: str
    description: str
    price_list_item: str | None
    value: float
    currency: str
    recommended_by: str
    recommended_at: datetime
    handed_over_at: datetime | None
    proposal_at: datetime | None
    closed_at: datetime | None
    closed_by: str | None
    booked_value: float | None
    outcome_note: str | None
    version: int

    @property
    def turnaround(self) -> timedelta | None:
        """Lead turnaround: from hand-over to sales until the proposal went out."""
        if self.handed_over_at is None or self.proposal_at is None:
            return None
        return self.proposal_at - self.handed_over_at


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


class RecommendationStats(BaseModel):
    """One person's proactive-delivery figures over a window (see the module docstring)."""

    model_config = ConfigDict(frozen=True)

    person: str
    name: str
    jobs: int
    recommendations: int
    add_ons: int
    add_ons_accepted: int
    add_ons_declined: int
    leads: int
    leads_won: int
    leads_lost: int
    booked_value: float
    add_on_value: float | None  # mean value of the add-ons offered
    lead_value: float | None  # mean estimated value of the leads handed over
    lead_turnaround_seconds: float | None  # mean, over leads with a proposal

    @computed_field  # type: ignore[prop-decorator]
    @property
    def recommendation_rate(self) -> float | None:
        """Recommendations per job handled."""
        return _share(self.recommendations, self.jobs)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def add_on_rate(self) -> float | None:
        """Add-ons offered per job handled."""
        return _share(self.add_ons, self.jobs)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def add_on_hit_rate(self) -> float | None:
        """Accepted add-ons out of those the customer decided on."""
        return _share(self.add_ons_accepted, self.add_ons_accepted + self.add_ons_declined)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def lead_rate(self) -> float | None:
        """Leads handed over per job handled."""
        return _share(self.leads, self.jobs)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def lead_hit_rate(self) -> float | None:
        """Won leads out of those decided (won or lost)."""
        return _share(self.leads_won, self.leads_won + self.leads_lost)

    @property
    def lead_turnaround(self) -> timedelta | None:
        """Mean lead turnaround (hand-over → proposal)."""
        s = self.lead_turnaround_seconds
        return None if s is None else timedelta(seconds=s)


@dataclass(frozen=True)
class Potential:
    """The proactive-delivery potential: add-on and lead sales, less what is already booked."""

    add_on: float
    lead: float
    baseline: float

    @property
    def value(self) -> float:
        """add-on potential + lead potential − baseline: what improving would add."""
        return self.add_on + self.lead - self.baseline
