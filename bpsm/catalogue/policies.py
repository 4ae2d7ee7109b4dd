"""``desk.yaml``'s calendar and effort settings: the holidays the desk is closed, the target split.

* :class:`HolidayCalendar` — the public holidays of a country (and subdivision) from the
  maintained ``holidays`` library, plus explicit extra closing days;
* :class:`EffortPolicy` — the target split of the team's time between the kinds of work
  (:data:`WORK_KINDS`, shares in percent summing to 100) and the most minutes one log entry may
  record.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import cache
from types import MappingProxyType
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

__all__ = [
    "STORED",
    "WORK_KINDS",
    "EffortPolicy",
    "HolidayCalendar",
    "WorkKind",
    "supported_countries",
]

WorkKind = Literal["reactive", "relation", "change", "maintenance", "improvement"]
#: The kinds of work the effort balance splits the team's time into, in the order shown.
WORK_KINDS: tuple[str, ...] = ("reactive", "relation", "change", "maintenance", "improvement")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


STORED: Mapping[str, bool] = MappingProxyType({"stored": True})
"""Validation context for settings read back from the desk's own database: they were checked in
full when they were published, so the ``holidays`` library (slow to import: its country tables)
is not asked again whether the country and subdivision exist; everything else is checked."""


def _stored(info: ValidationInfo) -> bool:
    return isinstance(info.context, Mapping) and info.context.get("stored") is True


@cache
def supported_countries() -> dict[str, tuple[str, ...]]:
    """ISO 3166 country code → its subdivision codes, as the ``holidays`` library knows them."""
    import holidays  # imported on first use: most commands never need a calendar

    return {k: tuple(v) for k, v in holidays.list_supported_countries().items()}


class HolidayCalendar(_Model):
    """The days the desk is closed besides its closed weekdays.

    ``country`` (ISO 3166 alpha-2, e.g. ``NL``) and optional ``subdivision`` (``BY`` for Bavaria)
    select the public holidays of the ``holidays`` library; ``extra`` lists further closing days
    (a company day off, the day after Ascension). No country: only the extra days.
    """

    country: str | None = Field(default=None, description="ISO 3166 alpha-2 code, e.g. NL")
    subdivision: str | None = Field(default=None, description="e.g. BY for Bavaria in DE")
    extra: list[date] = Field(default_factory=list, description="further closing days")

    @field_validator("country")
    @classmethod
    def _known_country(cls, country: str | None, info: ValidationInfo) -> str | None:
        if country is None:
            return None
        if not _stored(info) and country.upper() not in supported_countries():
            raise ValueError(
                f"{country!r} is not a country the holidays library knows "
                "(an ISO 3166 alpha-2 code such as NL, DE, GB)"
            )
        return country.upper()

    @model_validator(mode="after")
    def _known_subdivision(self, info: ValidationInfo) -> HolidayCalendar:
        if self.subdivision is None:
            return self
        if self.country is None:
            raise ValueError("subdivision: give the country it belongs to")
        if _stored(info):
            return self
        known = supported_countries()[self.country]
        if self.subdivision not in known:
            raise ValueError(
                f"subdivision: {self.subdivision!r} is not one of {self.country}'s "
                f"({', '.join(known) or 'it has none'})"
            )
        return self


_DEFAULT_TARGET: dict[WorkKind, int] = {
    "reactive": 50,
    "relation": 10,
    "change": 10,
    "maintenance": 20,
    "improvement": 10,
}


class EffortPolicy(_Model):
    """How the team means to split its time, and the most one effort entry may log.

    ``target`` gives each kind of work its share in percent; kinds left out get 0; the shares sum
    to exactly 100.
    """

    target: dict[WorkKind, int] = Field(
        default_factory=lambda: dict(_DEFAULT_TARGET),
        description="percent of the team's time per kind of work; the shares sum to 100",
    )
    max_minutes: int = Field(
        default=720, ge=1, le=1440, description="the most minutes one log entry may record"
    )

    @field_validator("target")
    @classmethod
    def _shares_sum_to_100(cls, target: dict[str, int]) -> dict[str, int]:
        wrong = sorted(k for k, v in target.items() if not 0 <= v <= 100)
        if wrong:
            raise ValueError(f"share of {', '.join(wrong)} must be 0–100 percent")
        total = sum(target.values())
        if total != 100:
            raise ValueError(f"the shares must sum to 100 percent (they sum to {total})")
        return {k: target.get(k, 0) for k in WORK_KINDS}
