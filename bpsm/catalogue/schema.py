"""The catalogue's schema: what a service and the desk's own settings must say.

One pydantic model per thing a catalogue file describes. The same models validate the YAML
files in ``catalogue/`` and the service definitions carried by change proposals.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, time, timedelta
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

from bpsm.catalogue.policies import EffortPolicy, HolidayCalendar
from bpsm.catalogue.rules import check_rule, format_period

__all__ = [
    "MAX_DURATION",
    "ChecklistItem",
    "Delivery",
    "DeskConfig",
    "Duration",
    "FaqEntry",
    "MaintenanceActivity",
    "PriceListItem",
    "QualityLevel",
    "RelationshipSurvey",
    "Service",
    "StaffMember",
    "SurveyPolicy",
    "format_duration",
    "parse_duration",
    "short_repr",
]

Department = Literal["IT", "Facilities", "HR"]
Role = Literal["operator", "specialist", "change_manager", "account_manager", "manager", "admin"]
Impact = Literal["low", "medium", "high"]
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAYS: tuple[str, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)

_UNITS = {"minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400}
_PLAIN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(minute|hour|day|week)s?\s*$", re.IGNORECASE)
_ISO = re.compile(
    r"^P(?!$)(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?(?:T(?=\d)(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)S)?)?$"
)
_SLUG = r"^[a-z0-9][a-z0-9-]*$"


#: The longest duration a catalogue may state (ten years of 365 days): lead times, targets,
#: maintenance durations and intervals. It also keeps every duration within the database's
#: 32-bit columns of seconds.
MAX_DURATION = timedelta(days=3650)
_MAX_DURATION_TEXT = 64


def short_repr(value: object, limit: int = 40) -> str:
    """``repr(value)`` cut to about ``limit`` characters, fit to quote in a one-line message."""
    if isinstance(value, str):
        return repr(value[:limit] + "…" if len(value) > limit else value)
    try:
        text = repr(value)
    except ValueError:  # an int too large to print
        return "a number too large to show"
    return text if len(text) <= limit else text[:limit] + "…"


def parse_duration(value: object) -> timedelta:
    """Parse ``"P5D"``, ``"PT4H"``, ``"P1W"`` (ISO 8601, no months/years) or ``"5 days"``.

    The result lies between zero and :data:`MAX_DURATION` (ten years).

    Raises:
        ValueError: naming the value and the accepted forms, or the limit it exceeds.
    """
    if isinstance(value, timedelta):
        seconds: float = value.total_seconds()
        if seconds < 0:
            raise ValueError(f"{format_duration(-value)} must not be negative")
    elif isinstance(value, str) and len(value) <= _MAX_DURATION_TEXT:
        text = value.strip()
        if m := _PLAIN.match(text):
            seconds = float(m.group(1)) * _UNITS[m.group(2).lower()]
        elif (m := _ISO.match(text.upper())) and text:
            parts = {k: int(v or 0) for k, v in m.groupdict().items()}
            seconds = (
                parts["w"] * _UNITS["week"]
                + parts["d"] * _UNITS["day"]
                + parts["h"] * _UNITS["hour"]
                + parts["m"] * _UNITS["minute"]
                + parts["s"]
            )
        else:
            seconds = -1
    else:
        seconds = -1
    if seconds < 0:
        raise ValueError(
            f"{short_repr(value)} is not a duration; write ISO 8601 like 'P5D' or 'PT4H', "
            "or '5 days', '4 hours', '2 weeks'"
        )
    if seconds > MAX_DURATION.total_seconds():
        raise ValueError(
            f"{short_repr(value)} is longer than {MAX_DURATION.days} days (about ten years), "
            "the longest duration a catalogue may state"
        )
    return value if isinstance(value, timedelta) else timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """Format a duration as ISO 8601 (the canonical form written back to files)."""
    secs = int(value.total_seconds())
    days, rest = divmod(secs, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    out = "P" + (f"{days}D" if days else "")
    clock = (
        (f"{hours}H" if hours else "")
        + (f"{minutes}M" if minutes else "")
        + (f"{seconds}S" if seconds else "")
    )
    return out + ("T" + clock if clock else ("" if days else "T0S"))


Duration = Annotated[
    timedelta, BeforeValidator(parse_duration), PlainSerializer(format_duration, return_type=str)
]
Slug = Annotated[str, Field(pattern=_SLUG, min_length=1, max_length=64)]
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _plain_text(value: str) -> str:
    """Refuse control characters (tab and line breaks are text): no database stores NUL."""
    if bad := _CONTROL.search(value):
        raise ValueError(f"control character U+{ord(bad.group()):04X} is not allowed in text")
    return value


Text = Annotated[str, Field(min_length=1), AfterValidator(_plain_text)]
#: A name shown in lists (a service's or a person's): at most 200 characters, as stored.
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_plain_text)]


class _Model(BaseModel):
    # Numbers are finite: ``.inf`` and ``.nan`` are no price, threshold or count.
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
        allow_inf_nan=False,
        defer_build=True,  # built on first use: a desk start validates only desk.yaml
    )


class FaqEntry(_Model):
    """A question customers ask, with the answer the desk gives."""

    q: Text
    a: Text


class QualityLevel(_Model):
    """A level the service can be delivered at (e.g. standard, premium), with its targets."""

    name: Slug
    description: Text
    response_time: Duration
    resolution_time: Duration


class Delivery(_Model):
    """Terms of delivery: how long it takes and where the customer gets it."""

    lead_time: Duration
    pickup: Text


class MaintenanceActivity(_Model):
    """Recurring preventative work on a service: a template for the plans that schedule it.

    Exactly one of two ways to recur:

    * ``rule``: an RFC 5545 RRULE — the calendar decides (``FREQ=YEARLY;INTERVAL=4``: every four
      years from the plan's start, whenever the work was actually done);
    * ``after_completion``: a period (``P6M``) — the next task falls due that long after the
      previous one was completed ("every six months after the last service").

    ``per``: ``service`` (default) — the activity is one plan of the service, starting the day the
    plan is made; ``subject`` — the activity is only a template for plans of single subjects (an
    asset, a person), each from its own start date (``desk.maintenance.plan_for_subject``). Any
    activity can be planned for a subject.
    """

    id: Slug
    activity: Text
    rule: Text | None = Field(
        default=None,
        description="RRULE, e.g. 'FREQ=YEARLY;INTERVAL=4' or 'FREQ=MONTHLY;BYDAY=1MO'",
    )
    after_completion: Text | None = Field(
        default=None,
        description="a period after the last completion, e.g. 'P6M', 'P1Y', 'P90D'",
    )
    duration: Duration = timedelta(hours=1)
    per: Literal["service", "subject"] = "service"

    @field_validator("rule")
    @classmethod
    def _rule_is_usable(cls, rule: str | None) -> str | None:
        return None if rule is None else check_rule(rule)

    @field_validator("after_completion")
    @classmethod
    def _period_is_usable(cls, period: str | None) -> str | None:
        return None if period is None else format_period(period)

    @model_validator(mode="after")
    def _one_way_to_recur(self) -> MaintenanceActivity:
        if (self.rule is None) == (self.after_completion is None):
            raise ValueError(
                "give either rule (a calendar RRULE like FREQ=MONTHLY;INTERVAL=6) or "
                "after_completion (a period after the last completion like P6M), "
                + ("not both" if self.rule else "one of them")
            )
        return self

    @property
    def recurrence(self) -> Literal["calendar", "after_completion"]:
        """``calendar`` (a ``rule``) or ``after_completion`` (a period)."""
        return "calendar" if self.rule is not None else "after_completion"


class Service(_Model):
    """One standard service in the catalogue."""

    id: Slug
    name: Name
    department: Department
    description: Text
    keywords: list[Text] = Field(min_length=1)
    faq: list[FaqEntry] = Field(min_length=2)
    quality_levels: list[QualityLevel] = Field(min_length=1)
    ordering: Text = Field(description="the ordering procedure, in the customer's words")
    delivery: Delivery
    owner: Text
    account_manager: Slug = Field(description="staff id of the account manager (desk.yaml)")
    group: Slug = Field(default="service-desk", description="the operator group that handles calls")
    alternatives: list[Slug] = Field(default_factory=list, description="ids of related services")
    maintenance: list[MaintenanceActivity] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_parts(self) -> Service:
        for what, ids in (
            ("quality_levels", [q.name for q in self.quality_levels]),
            ("maintenance", [m.id for m in self.maintenance]),
        ):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                raise ValueError(f"{what}: duplicate name(s) {', '.join(dupes)}")
        if self.id in self.alternatives:
            raise ValueError(f"alternatives: a service cannot be its own alternative ({self.id})")
        return self

    def search_text(self) -> str:
        """Lower-case text the desk searches: name, keywords, description and FAQ."""
        parts = [self.name, " ".join(self.keywords), self.description]
        parts += [f"{f.q} {f.a}" for f in self.faq]
        return " ".join(parts).lower()


def _parse_hours(value: object) -> object:
    if value is None or (isinstance(value, str) and value.strip().lower() == "closed"):
        return None
    if isinstance(value, str):
        m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", value)
        if not m:
            raise ValueError(f"{value!r} is not opening hours; write 'HH:MM-HH:MM' or 'closed'")
        h1, m1, h2, m2 = map(int, m.groups())
        try:
            start, end = time(h1, m1), time(h2, m2)
        except ValueError as exc:
            raise ValueError(f"{value!r}: {exc}") from None
        if end <= start:
            raise ValueError(f"{value!r}: closing time must be after opening time")
        return (start, end)
    return value


OpeningHours = Annotated[tuple[time, time] | None, BeforeValidator(_parse_hours)]


class ChecklistItem(_Model):
    """One condition the change manager checks before a change may make a service standard."""

    id: Slug
    text: Text


class StaffMember(_Model):
    """A person working the desk, with the roles that decide what they may do."""

    id: Slug
    name: Name
    roles: list[Role] = Field(min_length=1)
    group: Slug = "service-desk"


class PriceListItem(_Model):
    """An add-on staff may sell on the spot (the sign-up sheet)."""

    id: Slug
    name: Text
    price: float = Field(gt=0)
    service: Slug | None = None


class RelationshipSurvey(_Model):
    """A periodic survey of each customer department about the relationship, apart from calls.

    ``departments`` are the customer's departments (the people the desk serves, not the
    catalogue's service departments); each gets one survey per ``every`` (an ISO duration such as
    ``P90D``), the periods counted from ``start`` (a date, midnight in the desk's time zone).
    """

    departments: list[Name] = Field(default_factory=list)
    every: Duration = timedelta(days=90)
    start: date = date(2026, 1, 1)

    @model_validator(mode="after")
    def _usable(self) -> RelationshipSurvey:
        dupes = sorted({d for d in self.departments if self.departments.count(d) > 1})
        if dupes:
            raise ValueError(f"departments: duplicate name(s) {', '.join(dupes)}")
        if self.every < timedelta(days=1):
            raise ValueError(f"every: {format_duration(self.every)} is shorter than a day")
        return self


class SurveyPolicy(_Model):
    """How the desk asks customers about effort and satisfaction (``docs/surveys.md``).

    Asking at close (the operator asks on the phone): with ``ask_on_close`` every
    ``every_nth_call``-th call by number is asked before it is closed. The calls closed without
    being asked there get a survey afterwards with probability ``sample``, decided reproducibly
    per call (a hash of ``seed`` and the call number), sent ``delay`` after the close and open
    for ``open_for``; a caller already asked within ``cap_days`` days is not asked again (0: no
    cap). ``relationship``: the periodic survey per customer department.
    """

    ask_on_close: bool = True
    every_nth_call: int = Field(default=1, ge=1)
    effort_scale: Literal[7] = 7
    satisfaction_scale: Literal[5] = 5
    sample: float = Field(default=0.0, ge=0, le=1, description="share of closed calls surveyed")
    seed: Text = Field(default="bpsm", max_length=64, description="keeps the sampling stable")
    delay: Duration = timedelta(days=1)
    open_for: Duration = timedelta(days=14)
    cap_days: int = Field(default=30, ge=0, le=3650)
    relationship: RelationshipSurvey = RelationshipSurvey()

    @field_validator("open_for")
    @classmethod
    def _open_some_time(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("a survey must stay open for some time (e.g. P14D)")
        return value

    def due(self, call_id: int) -> bool:
        """Ask this call's customer at close? Only with ``ask_on_close``, then every n-th call."""
        return self.ask_on_close and call_id % self.every_nth_call == 0

    def sampled(self, call_id: int) -> bool:
        """Whether a call closed without being asked gets a survey afterwards.

        The same answer for the same call, seed and ``sample`` every time (a re-run or a second
        look never decides anew): the call number and the seed are hashed to a number in
        [0, 1), compared with ``sample``.
        """
        if self.sample <= 0:
            return False
        digest = hashlib.sha256(f"{self.seed}:{call_id}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64 < self.sample


class Recommendations(_Model):
    """Add-ons at or below the threshold are settled on the spot; above it they are sales leads."""

    lead_threshold: float = Field(gt=0)
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$", description="ISO 4217 code")
    price_list: list[PriceListItem] = Field(default_factory=list)


class RecurringDisruption(_Model):
    """Propose an improvement when a service collects ``calls`` calls within ``window``."""

    calls: int = Field(ge=2)
    window: Duration


class DeskConfig(_Model):
    """``desk.yaml``: the desk's hours, channels, groups, staff, checklist and thresholds.

    ``hours`` (a weekday left out is closed) and ``holidays`` make the desk's business hours
    (:mod:`bpsm.business_hours`); ``effort`` is the target split of the team's time.
    """

    name: Text
    timezone: Text = "UTC"
    hours: dict[Weekday, OpeningHours]
    channels: list[Slug] = Field(min_length=1)
    groups: list[Slug] = Field(min_length=1)
    staff: list[StaffMember] = Field(min_length=1)
    checklist: list[ChecklistItem] = Field(min_length=1)
    rollback_required_from: Impact = "medium"
    survey: SurveyPolicy = SurveyPolicy()
    recommendations: Recommendations
    recurring_disruption: RecurringDisruption
    account_contact_every: Duration = timedelta(days=90)
    holidays: HolidayCalendar = HolidayCalendar()
    effort: EffortPolicy = EffortPolicy()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, tz: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "Europe" is a folder
            raise ValueError(f"unknown time zone {short_repr(tz)}") from None
        return tz

    @model_validator(mode="after")
    def _consistent(self) -> DeskConfig:
        for what, ids in (
            ("staff", [s.id for s in self.staff]),
            ("checklist", [c.id for c in self.checklist]),
            ("recommendations.price_list", [p.id for p in self.recommendations.price_list]),
        ):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            if dupes:
                raise ValueError(f"{what}: duplicate id(s) {', '.join(dupes)}")
        for person in self.staff:
            if person.group not in self.groups:
                raise ValueError(f"staff {person.id}: group {person.group!r} is not in groups")
        return self

    def person(self, ident: str) -> StaffMember | None:
        """The staff member with that id, or None."""
        return next((s for s in self.staff if s.id == ident), None)
