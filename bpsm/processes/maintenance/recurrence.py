"""When a plan's work falls due: the calendar rule, or a period after the last completion.

Two ways to recur, declared by the catalogue activity (``rule`` or ``after_completion``):

* **calendar** (:class:`Recurrence`): an RFC 5545 RRULE evaluated from the plan's anchor (08:00
  local time on its start day) in the desk's time zone, so "first Monday 08:00" stays 08:00
  local across DST changes. The anchor itself is never an occurrence. When the day comes from the
  start (the rule names none), a start on the 29th-31st keeps to the month's end
  (:func:`bpsm.catalogue.rules.month_end_rule`): bought 2024-02-29, every four years → 2028-02-29,
  2032-02-29; every year → 28 February in the years without a 29th.
* **after completion** (:func:`due_after`): the next task falls due a period (``P6M``) after the
  previous one was finished — on the local day it was completed, or, for a skipped task, on the
  day it was *due* (skipping is no work done, so it neither postpones the next one nor brings it
  forward) — at 08:00 local time. The first task falls due that period after the start. Months
  are calendar months: six months after 31 August is the last day of February.

Bounds, whatever the rule: at most :data:`MAX_OCCURRENCES` occurrences per plan per generation
run and at most :data:`MAX_STEPS` occurrences passed over in one evaluation (an iteration counts
every occurrence from the anchor on); past either, :class:`RecurrenceOverflow`. Rules are checked
by :func:`bpsm.catalogue.rules.check_rule` before they are evaluated (``INTERVAL=0``, which never
advances, cannot reach dateutil), and any exception dateutil raises while evaluating becomes a
:class:`ValueError` naming the rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from bpsm.catalogue.rules import check_rule, month_end_rule, parse_period

__all__ = [
    "ANCHOR_TIME",
    "MAX_OCCURRENCES",
    "MAX_STEPS",
    "Recurrence",
    "RecurrenceOverflow",
    "anchor_for",
    "due_after",
    "end_of_day",
]

ANCHOR_TIME = time(8, 0)
#: Per plan and generation run: a runaway rule (FREQ=MINUTELY over months) is refused.
MAX_OCCURRENCES = 10_000
#: Per evaluation: occurrences passed over from the anchor on (an HOURLY rule: ~114 years).
MAX_STEPS = 1_000_000


class RecurrenceOverflow(OverflowError):
    """An evaluation would pass more than its bound of occurrences (``limit``)."""

    def __init__(self, limit: int, what: str):
        super().__init__(f"more than {limit} {what}")
        self.limit = limit


class Recurrence:
    """A plan's rule evaluated in local time from its anchor; occurrences come back as aware UTC.

    Raises:
        ValueError: the rule is not a usable RRULE (see :func:`bpsm.catalogue.rules.check_rule`).
    """

    def __init__(self, rule: str, anchor: datetime, tz: ZoneInfo):
        self.anchor, self.tz = anchor, tz
        local = anchor.astimezone(tz)
        check_rule(rule)
        rule = month_end_rule(rule, local)
        try:
            self._rule, self._wall = rrulestr(rule, dtstart=local), False
        except Exception:
            try:  # an UNTIL written without "Z" is read as local wall-clock time
                self._rule, self._wall = rrulestr(rule, dtstart=local.replace(tzinfo=None)), True
            except Exception as exc:
                raise ValueError(f"{rule!r} is not a valid RRULE ({exc})") from None

    def _all(self) -> Iterator[datetime]:
        """Every occurrence from the anchor on, as aware UTC, within :data:`MAX_STEPS`.

        A local time in the spring DST gap takes the offset before the gap (RFC 5545), so an
        hourly rule's 02:00 is 03:00 summer time, which it already has: given once.
        """
        steps, last = 0, None
        it = iter(self._rule)
        while True:
            try:
                occ = next(it)
            except StopIteration:
                return
            except Exception as exc:  # whatever dateutil raises while evaluating
                raise ValueError(f"the rule cannot be evaluated ({exc})") from None
            steps += 1
            if steps > MAX_STEPS:
                raise RecurrenceOverflow(MAX_STEPS, "occurrences passed over")
            at = (occ.replace(tzinfo=self.tz) if self._wall else occ).astimezone(UTC)
            if last is None or at > last:
                last = at
                yield at

    def iter_after(self, at: datetime) -> Iterator[datetime]:
        """Occurrences strictly after ``at`` (and after the anchor), in order."""
        start = max(at, self.anchor)
        return (occ for occ in self._all() if occ > start)

    def after(self, at: datetime) -> datetime | None:
        """The first occurrence strictly after ``at``, or None when the rule has ended."""
        return next(self.iter_after(at), None)

    def before(self, at: datetime) -> datetime | None:
        """The last occurrence after the anchor and at or before ``at``, or None."""
        last = None
        for occ in self._all():
            if occ > at:
                break
            if occ > self.anchor:
                last = occ
        return last

    def between(
        self, after: datetime, until: datetime, limit: int = MAX_OCCURRENCES
    ) -> list[datetime]:
        """Occurrences in ``(after, until]``; :class:`RecurrenceOverflow` beyond ``limit``."""
        out: list[datetime] = []
        for occ in self.iter_after(after):
            if occ > until:
                break
            if len(out) == limit:
                raise RecurrenceOverflow(limit, "occurrences")
            out.append(occ)
        return out


def anchor_for(at: datetime | date, tz: ZoneInfo) -> datetime:
    """08:00 local time on ``at``'s local day (or on the date ``at``), as UTC: a plan's anchor."""
    day = at.astimezone(tz).date() if isinstance(at, datetime) else at
    return datetime.combine(day, ANCHOR_TIME, tzinfo=tz).astimezone(UTC)


def due_after(every: str, base: datetime, tz: ZoneInfo) -> datetime:
    """08:00 local time on the local day ``every`` (a period like ``P6M``) after ``base``.

    Raises:
        ValueError: ``every`` is not a period.
    """
    return anchor_for(base.astimezone(tz).date() + parse_period(every), tz)


def end_of_day(due_at: datetime, tz: ZoneInfo) -> datetime:
    """The next local midnight after ``due_at``: from then on the task is overdue."""
    day = due_at.astimezone(tz).date() + timedelta(days=1)
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
