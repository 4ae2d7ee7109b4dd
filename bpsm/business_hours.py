"""The desk's business hours: opening hours per weekday, less public holidays and closing days.

Business time between two instants is the part of ``[start, end)`` that falls inside an opening
interval of an open day, in the desk's time zone (``desk.yaml``'s ``timezone``, ``hours`` and
``holidays``; holidays from the maintained ``holidays`` library). It is additive —
``between(a, b) + between(b, c) == between(a, c)`` for ``a ≤ b ≤ c`` — and zero on closed days.

A lead time (a service's delivery terms, ``P5D``, ``PT4H``) is counted in business time by
:meth:`BusinessCalendar.due`: its whole days are **open days** (the same time of day on the
n-th next open day, kept within that day's hours), its hours and minutes **business hours**; the
clock starts at the first business moment at or after registration. So a call registered on a
Friday afternoon with a lead time of one day is due on Monday afternoon, or on Tuesday when that
Monday is a holiday.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from bpsm.catalogue.schema import DeskConfig

__all__ = ["BusinessCalendar"]

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
#: How far :meth:`BusinessCalendar.add` looks for open time before it gives up (no open day in
#: ten years means the calendar has none: every weekday closed, or every day a holiday).
_HORIZON_DAYS = 3660


_OPENINGS_KEPT = 100_000  # days of openings a calendar remembers (about 270 years)


@cache
def _public_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    import holidays  # the library's tables are built per year, on first use

    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))


class BusinessCalendar:
    """Business time in one zone: open intervals per weekday, minus holidays and closing days.

    Build it from a desk's settings with :meth:`of`, or directly for tests and tools.

    Args:
        zone: the IANA zone the hours are in (``Europe/Amsterdam``).
        hours: weekday name → ``(opening, closing)`` local times, or None when closed; a
            weekday left out is closed.
        country / subdivision: the public holidays to close on (``holidays`` library codes).
        extra: further closing days.
    """

    def __init__(
        self,
        zone: str,
        hours: dict[str, tuple[time, time] | None],
        *,
        country: str | None = None,
        subdivision: str | None = None,
        extra: frozenset[date] | set[date] | tuple[date, ...] = (),
    ):
        self.zone = ZoneInfo(zone)
        self._hours = tuple(hours.get(day) for day in _WEEKDAYS)
        self._country, self._subdivision = country, subdivision
        self._extra = frozenset(extra)
        self._openings: dict[date, tuple[datetime, datetime] | None] = {}  # worked out once

    @classmethod
    def of(cls, config: DeskConfig) -> BusinessCalendar:
        """The calendar of a desk's ``desk.yaml`` (timezone, hours, holidays)."""
        return _calendar(
            config.timezone,
            tuple(sorted(config.hours.items())),
            config.holidays.country,
            config.holidays.subdivision,
            frozenset(config.holidays.extra),
        )

    def is_open_day(self, day: date) -> bool:
        """Whether the desk opens on this local date (an open weekday, no holiday)."""
        return self._hours[day.weekday()] is not None and not self.is_holiday(day)

    def is_holiday(self, day: date) -> bool:
        """A public holiday of the configured country, or one of the extra closing days."""
        if day in self._extra:
            return True
        return self._country is not None and day in _public_holidays(
            self._country, self._subdivision, day.year
        )

    def opening(self, day: date) -> tuple[datetime, datetime] | None:
        """The open interval of a local date as UTC instants, or None on a closed day."""
        if day in self._openings:
            return self._openings[day]
        hours = self._hours[day.weekday()]
        found: tuple[datetime, datetime] | None = None
        if hours is not None and not self.is_holiday(day):
            start, end = (datetime.combine(day, t, self.zone).astimezone(UTC) for t in hours)
            found = start, end
        if len(self._openings) < _OPENINGS_KEPT:
            self._openings[day] = found
        return found

    def between(self, start: datetime, end: datetime) -> timedelta:
        """The business time within ``[start, end)`` (zero when ``end`` is not after ``start``)."""
        if end <= start:
            return timedelta()
        total = timedelta()
        for day in self._days(start, end):
            interval = self.opening(day)
            if interval is not None:
                low, high = max(interval[0], start), min(interval[1], end)
                if high > low:
                    total += high - low
        return total

    def minutes(self, start: datetime, end: datetime) -> int:
        """:meth:`between` in whole minutes (rounded down)."""
        return int(self.between(start, end).total_seconds() // 60)

    def add(self, start: datetime, span: timedelta) -> datetime:
        """The instant ``span`` of business time after ``start`` (``start`` itself for zero).

        Raises:
            ValueError: the calendar has no open time within ten years.
        """
        if span <= timedelta():
            return start
        day = self._local_date(start)
        for _ in range(_HORIZON_DAYS):
            interval = self.opening(day)
            if interval is not None and interval[1] > start:
                low = max(interval[0], start)
                if span <= interval[1] - low:
                    return low + span
                span -= interval[1] - low
            day += timedelta(days=1)
        raise ValueError("the desk's calendar has no open time (every day closed)")

    def next_open(self, at: datetime) -> datetime:
        """The first business moment at or after ``at`` (``at`` itself while the desk is open)."""
        day = self._local_date(at)
        for _ in range(_HORIZON_DAYS):
            interval = self.opening(day)
            if interval is not None and interval[1] > at:
                return max(interval[0], at)
            day += timedelta(days=1)
        raise ValueError("the desk's calendar has no open time (every day closed)")

    def due(self, start: datetime, lead_time: timedelta) -> datetime:
        """When a lead time counted in business time ends (see the module's docs).

        Whole days of ``lead_time`` are open days, the rest business hours; the clock starts at
        :meth:`next_open` of ``start``.
        """
        at = self.next_open(start)
        days = lead_time.days
        rest = lead_time - timedelta(days=days)
        local = at.astimezone(self.zone)
        day, clock_time = local.date(), local.time()
        for _ in range(days):
            day = self._next_open_day(day)
        if days:
            interval = self.opening(day)
            assert interval is not None  # an open day
            wanted = datetime.combine(day, clock_time, self.zone).astimezone(UTC)
            at = min(max(wanted, interval[0]), interval[1])
        return self.add(at, rest)

    def _next_open_day(self, day: date) -> date:
        for _ in range(_HORIZON_DAYS):
            day += timedelta(days=1)
            if self.is_open_day(day):
                return day
        raise ValueError("the desk's calendar has no open time (every day closed)")

    def _local_date(self, at: datetime) -> date:
        return at.astimezone(self.zone).date()

    def _days(self, start: datetime, end: datetime) -> list[date]:
        first, last = self._local_date(start), self._local_date(end)
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]


@cache
def _calendar(
    zone: str,
    hours: tuple[tuple[str, tuple[time, time] | None], ...],
    country: str | None,
    subdivision: str | None,
    extra: frozenset[date],
) -> BusinessCalendar:
    return BusinessCalendar(
        zone, dict(hours), country=country, subdivision=subdivision, extra=extra
    )
