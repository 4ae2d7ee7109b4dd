"""Recurrence rules (RFC 5545 RRULEs) as the catalogue accepts them: checked before anything runs.

:func:`check_rule` is the one validator for a maintenance activity's ``rule``. It refuses, naming
the part and why, everything that would make ``dateutil`` loop, crash or silently produce nothing:

* a part that is not an RRULE part, a repeated part, a ``DTSTART``/``RDATE``/``EXDATE`` line
  (the anchor is the plan's, never the rule's);
* a missing or unknown ``FREQ``; ``INTERVAL`` below 1 (``INTERVAL=0`` never advances) or spanning
  more than :data:`MAX_INTERVAL_YEARS` years; ``COUNT`` below 1; ``COUNT`` together with ``UNTIL``;
* a ``BYxxx`` value out of its range (``BYMONTH=13``, ``BYMONTHDAY=0``, ``BYHOUR=24``...), a
  numbered ``BYDAY`` beyond the weeks of its period (``+99MO``: at most 5 in a month, 53 in a
  year) or with a frequency it has no meaning for, and the parts RFC 5545 forbids with a
  frequency (``BYWEEKNO`` outside ``YEARLY``, ``BYYEARDAY`` with ``DAILY``/``WEEKLY``/``MONTHLY``,
  ``BYMONTHDAY`` with ``WEEKLY``);
* a pattern with no occurrence within :data:`WINDOW_YEARS` years (``BYMONTH=2;BYMONTHDAY=30``).
  The pattern is checked at ``INTERVAL=1`` without ``COUNT``/``UNTIL``, from a fixed reference
  start, so the answer never depends on the day the catalogue is loaded: a rule valid today is
  valid tomorrow. Whether a plan's own start date falls in step with its ``INTERVAL`` is checked
  where the plan is made (see ``bpsm.processes.maintenance``).

Every exception ``dateutil`` raises while parsing or evaluating becomes the same one-line
:class:`ValueError`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrule, rrulestr

__all__ = [
    "FREQUENCIES",
    "MAX_INTERVAL_YEARS",
    "WINDOW_YEARS",
    "check_rule",
    "format_period",
    "month_end_rule",
    "parse_parts",
    "parse_period",
]

FREQUENCIES = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY", "SECONDLY")
#: A rule must have an occurrence within this many years of a start.
WINDOW_YEARS = 10
#: An INTERVAL may not span more than this (``FREQ=YEARLY;INTERVAL=100`` is the longest).
MAX_INTERVAL_YEARS = 100
_PERIODS_PER_CENTURY = {
    "YEARLY": 100,
    "MONTHLY": 1_200,
    "WEEKLY": 5_218,
    "DAILY": 36_525,
    "HOURLY": 876_600,
    "MINUTELY": 52_596_000,
    "SECONDLY": 3_155_760_000,
}
# 9600 has the calendar of 2000 (the Gregorian calendar repeats every 400 years, weekdays too), so
# the check's search for a pattern that never occurs ends at year 9999 after ~400 years instead
# of ~8000: a fraction of a second for any frequency.
_REFERENCE = datetime(9600, 1, 1)
_RANGES = {
    "BYSECOND": (0, 59, False),
    "BYMINUTE": (0, 59, False),
    "BYHOUR": (0, 23, False),
    "BYMONTHDAY": (1, 31, True),
    "BYYEARDAY": (1, 366, True),
    "BYWEEKNO": (1, 53, True),
    "BYMONTH": (1, 12, False),
    "BYSETPOS": (1, 366, True),
}
_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_BYDAY = re.compile(r"^([+-]?)(\d{1,3})?(MO|TU|WE|TH|FR|SA|SU)$")
_INTEGER = re.compile(r"^[+-]?\d{1,12}$")
_KNOWN = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "WKST", "BYDAY", *_RANGES}


def parse_parts(rule: str) -> dict[str, str]:
    """The rule's ``NAME=VALUE`` parts by upper-case name (an ``RRULE:`` prefix is allowed).

    Raises:
        ValueError: a second line, an empty, malformed, unknown or repeated part.
    """
    text = rule.strip()
    if "\n" in text or "\r" in text:
        raise ValueError("write one RRULE line; the start (DTSTART) is the plan's, not the rule's")
    if text.upper().startswith("RRULE:"):
        text = text[len("RRULE:") :]
    if text.upper().startswith(("DTSTART", "RDATE", "EXDATE", "EXRULE")):
        raise ValueError("write one RRULE line; the start (DTSTART) is the plan's, not the rule's")
    parts: dict[str, str] = {}
    for raw in text.split(";"):
        name, eq, value = raw.strip().partition("=")
        name, value = name.strip().upper(), value.strip().upper()
        if not eq or not name or not value:
            raise ValueError(f"{raw.strip()!r} is not a NAME=VALUE part (no empty parts)")
        if name not in _KNOWN:
            raise ValueError(f"{name} is not an RRULE part (known: {', '.join(sorted(_KNOWN))})")
        if name in parts:
            raise ValueError(f"{name} is given twice")
        parts[name] = value
    return parts


def _whole(name: str, value: str, low: int, high: int | None = None) -> int:
    if not _INTEGER.match(value) or int(value) < low or (high is not None and int(value) > high):
        span = f"from {low} to {high}" if high is not None else f"of at least {low}"
        raise ValueError(f"{name}={value} must be a whole number {span}")
    return int(value)


def _check_lists(freq: str, parts: dict[str, str]) -> None:
    for name, (low, high, signed) in _RANGES.items():
        for item in parts[name].split(",") if name in parts else ():
            ok = _INTEGER.match(item) and (
                low <= int(item) <= high or (signed and -high <= int(item) <= -low)
            )
            if not ok:
                span = f"{low}..{high}" + (f" or -{high}..-{low}" if signed else "")
                raise ValueError(f"{name}={item} is out of range ({span})")
    for item in parts["BYDAY"].split(",") if "BYDAY" in parts else ():
        m = _BYDAY.match(item)
        if not m:
            raise ValueError(f"BYDAY={item} is not a weekday like MO, 1MO or -1FR")
        if m.group(2) is None:
            continue
        most = 5 if freq == "MONTHLY" or "BYMONTH" in parts else 53
        if freq not in ("MONTHLY", "YEARLY") or "BYWEEKNO" in parts:
            raise ValueError(f"BYDAY={item}: a numbered weekday needs FREQ=MONTHLY or YEARLY")
        if not 1 <= int(m.group(2)) <= most:
            raise ValueError(
                f"BYDAY={item}: the number must be 1..{most} or -{most}..-1 "
                f"(a {'month' if most == 5 else 'year'} has at most {most} of each weekday)"
            )
    if "WKST" in parts and parts["WKST"] not in _DAYS:
        raise ValueError(f"WKST={parts['WKST']} is not a weekday (MO..SU)")
    forbidden = {
        "BYWEEKNO": [f for f in FREQUENCIES if f != "YEARLY"],
        "BYYEARDAY": ["DAILY", "WEEKLY", "MONTHLY"],
        "BYMONTHDAY": ["WEEKLY"],
    }
    for name, freqs in forbidden.items():
        if name in parts and freq in freqs:
            raise ValueError(f"{name} cannot be used with FREQ={freq} (RFC 5545)")


def _first_after(rule: rrule, start: datetime) -> datetime | None:
    try:
        return rule.after(start)
    except Exception as exc:  # dateutil raises IndexError, ValueError, OverflowError...
        raise ValueError(f"cannot be evaluated ({type(exc).__name__}: {exc})") from None


def check_rule(rule: str) -> str:
    """Check an RRULE as described in this module; return it unchanged.

    Raises:
        ValueError: one line naming the rule, the part and why it is refused.
    """
    try:
        parts = parse_parts(rule)
        freq = parts.get("FREQ")
        if freq is None:
            raise ValueError(f"FREQ is missing (one of {', '.join(FREQUENCIES)})")
        if freq not in FREQUENCIES:
            raise ValueError(f"FREQ={freq} is not one of {', '.join(FREQUENCIES)}")
        if "INTERVAL" in parts:
            _whole("INTERVAL", parts["INTERVAL"], 1, _PERIODS_PER_CENTURY[freq])
        if "COUNT" in parts:
            _whole("COUNT", parts["COUNT"], 1)
            if "UNTIL" in parts:
                raise ValueError("COUNT and UNTIL cannot both be given (RFC 5545)")
        _check_lists(freq, parts)
        # An UNTIL in UTC needs an aware start; one without "Z" is local wall-clock time.
        start = (
            _REFERENCE.replace(tzinfo=UTC) if parts.get("UNTIL", "").endswith("Z") else _REFERENCE
        )
        try:
            full = rrulestr(rule, dtstart=start)
        except Exception as exc:  # every parse error of dateutil, whatever its type
            raise ValueError(str(exc) or type(exc).__name__) from None
        assert isinstance(full, rrule)
        _first_after(full.replace(count=None, until=None), start)
        pattern = full.replace(interval=1, count=None, until=None)
        first = _first_after(pattern, start)
        if first is None or first > start + relativedelta(years=WINDOW_YEARS):
            raise ValueError(
                f"the pattern has no occurrence within {WINDOW_YEARS} years (a date that "
                "does not exist, like BYMONTH=2;BYMONTHDAY=30, or a BYSETPOS beyond the set?)"
            )
    except ValueError as exc:
        raise ValueError(f"{rule!r} is not a valid RRULE: {exc}") from None
    return rule


_PERIOD = re.compile(r"^P(?!$)(?:(?P<y>\d+)Y)?(?:(?P<m>\d+)M)?(?:(?P<w>\d+)W)?(?:(?P<d>\d+)D)?$")


def parse_period(value: object) -> relativedelta:
    """A calendar period: ``"P6M"``, ``"P1Y6M"``, ``"P4Y"``, ``"P2W"``, ``"P90D"`` (ISO 8601 dates).

    Months and years are calendar months and years: six months after 31 August is the last day
    of February (28th, or 29th in a leap year).

    Raises:
        ValueError: naming the value and the accepted form (no time parts, nothing zero).
    """
    m = _PERIOD.match(value.strip().upper()) if isinstance(value, str) else None
    if m is None or not any(int(v or 0) for v in m.groupdict().values()):
        raise ValueError(
            f"{value!r} is not a period; write ISO 8601 years, months, weeks or days "
            "like 'P6M', 'P1Y', 'P2W' or 'P90D' (more than zero, no time of day)"
        )
    n = {k: int(v or 0) for k, v in m.groupdict().items()}
    if n["y"] * 12 + n["m"] > MAX_INTERVAL_YEARS * 12 or n["w"] * 7 + n["d"] > 36_525:
        raise ValueError(f"{value!r} is longer than {MAX_INTERVAL_YEARS} years")
    return relativedelta(years=n["y"], months=n["m"], weeks=n["w"], days=n["d"])


def format_period(value: str) -> str:
    """The canonical spelling of a period (upper case, no spaces): what plans store."""
    parse_period(value)
    return value.strip().upper()


def month_end_rule(rule: str, start: datetime) -> str:
    """The rule as it is evaluated from ``start``, with the month's end made explicit.

    RFC 5545 (and dateutil) skip an occurrence whose date does not exist: monthly from the 31st
    falls due in seven months a year, yearly from 29 February only in leap years. When the day
    comes from the start itself (the rule names no day), that is never what a plan means: "every
    month from 31 January" is due on the last day of the shorter months (28/29 February, 30
    April...), "every year from 29 February 2024" on 28 February in the years without a 29th
    and on the 29th in leap years (so ``FREQ=YEARLY;INTERVAL=4`` stays on 29 February). A rule
    that names its days (``BYMONTHDAY=31``, ``BYDAY``...) is left as written.
    """
    parts = parse_parts(rule)
    named = {"BYMONTHDAY", "BYYEARDAY", "BYDAY", "BYWEEKNO", "BYSETPOS"}
    if named & parts.keys() or start.day < 29:
        return rule
    days = ",".join(str(d) for d in range(28, start.day + 1))
    if parts.get("FREQ") == "MONTHLY":
        return f"{rule};BYMONTHDAY={days};BYSETPOS=-1"
    if parts.get("FREQ") == "YEARLY" and "BYMONTH" not in parts and start.month == 2:
        return f"{rule};BYMONTH=2;BYMONTHDAY={days};BYSETPOS=-1"
    return rule
