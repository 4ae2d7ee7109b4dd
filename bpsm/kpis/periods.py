"""Periods (day, week, month) in the desk's time zone, as UTC boundaries the SQL compares with.

A period is a local calendar day (midnight to midnight), an ISO week (Monday 00:00 to the next
Monday) or a calendar month (the 1st 00:00 to the next 1st), in the time zone of ``desk.yaml``.
The boundaries are computed here, each local midnight converted to UTC on its own, so a day
across a daylight-saving change has its 23 or 25 hours. The first and last periods are cut to
the report's ``[since, until)``; each is labelled by its local start date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bpsm.errors import Problem, ValidationError

__all__ = ["BY", "Period", "local_moment", "periods"]

By = Literal["day", "week", "month"]
BY: tuple[By, ...] = ("day", "week", "month")


@dataclass(frozen=True)
class Period:
    """One period of a trend: its local start date and its UTC bounds ``[since, until)``."""

    label: date
    since: datetime
    until: datetime


def _floor(d: date, by: By) -> date:
    if by == "week":
        return d - timedelta(days=d.weekday())
    if by == "month":
        return d.replace(day=1)
    return d


def _next(d: date, by: By) -> date:
    if by == "day":
        return d + timedelta(days=1)
    if by == "week":
        return d + timedelta(weeks=1)
    return (d.replace(day=28) + timedelta(days=4)).replace(day=1)


def periods(since: datetime, until: datetime, by: By, timezone: str) -> list[Period]:
    """The periods covering ``[since, until)`` (aware datetimes), cut to it at both ends."""
    zone = ZoneInfo(timezone)
    start = _floor(since.astimezone(zone).date(), by)
    out: list[Period] = []
    while True:
        nxt = _next(start, by)
        lo = max(since, datetime.combine(start, time(), zone).astimezone(UTC))
        hi = min(until, datetime.combine(nxt, time(), zone).astimezone(UTC))
        if lo >= until:
            break
        out.append(Period(start, lo, hi))
        start = nxt
    return out


def local_moment(field: str, text: str | None, timezone: str, *, end: bool) -> datetime | None:
    """A bound typed on the command line: a date (the desk's local midnight; with ``end``, the
    end of that day) or an ISO time (without an offset: the desk's local time); None for None.

    Raises:
        ValidationError: neither a date nor an ISO time, naming ``field``.
    """
    if text is None:
        return None
    zone = ZoneInfo(timezone)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        try:
            at = datetime.fromisoformat(text)
        except ValueError:
            raise ValidationError(
                Problem(f"{text!r} is not a date (YYYY-MM-DD) or an ISO time", field=field)
            ) from None
        return at if at.tzinfo else at.replace(tzinfo=zone)
    return datetime.combine(day + timedelta(days=1) if end else day, time(), zone)
