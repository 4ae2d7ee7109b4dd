"""How the desk's values are shown: record labels, states, ages, local times, KPIs and errors.

Pure functions (no Textual), so they are tested and reused by every screen alike. Records are
named one way everywhere (:data:`RECORD_LABELS`: ``C-000159``, ``CH-000012``...), and every error a
person reads goes through :func:`error_text`, which speaks the screen's language: the library says
``call 159`` and ``'waiting_customer'``, the toast says ``C-000159`` and ``waiting: customer``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bpsm import (
    BpsmError,
    Calls,
    Changes,
    ConcurrentModification,
    DeskConfig,
    GuardFailed,
    Improvements,
    InvalidTransition,
    KpiSnapshot,
    Maintenance,
    Recommendations,
    Relations,
    ValidationError,
)

__all__ = [
    "RECORD_LABELS",
    "age",
    "error_text",
    "event_details",
    "kpi_line",
    "local_time",
    "mean_text",
    "minutes_text",
    "page_status",
    "period_label",
    "record_label",
    "share_text",
    "span_text",
    "speak",
    "staff_name",
    "state_label",
    "survey_label",
]

RECORD_LABELS: dict[str, str] = {
    "call": "C-{:06d}",
    "change": "CH-{:06d}",
    "relation": "R-{:06d}",
    "task": "T-{:06d}",
    "improvement": "IM-{:06d}",
    "recommendation": "REC-{:06d}",
    "survey": "S-{:06d}",
}
"""How each process's records are named on screen, by process name (``call`` → ``C-000159``).

The library's own numbers (``CallView.number``, ``ChangeView.number``,
``RelationCaseView.number``: ``C-``, ``CH-``, ``R-``, six digits) are the scheme; the records
without one follow it (``T-``, ``IM-``, ``REC-``)."""

_STATE_LABELS = {
    "registered": "registered",
    "in_progress": "in progress",
    "waiting_customer": "waiting: customer",
    "waiting_supplier": "waiting: supplier",
    "resolved": "resolved",
    "closed": "closed",
    "referred": "referred",
    "cancelled": "cancelled",
}


def record_label(kind: str, ident: int | str) -> str:
    """A record as the screens name it: ``record_label("call", 159)`` → ``"C-000159"``.

    A kind without a label scheme, or an id that is not a whole number, is shown as ``kind id``.
    """
    pattern = RECORD_LABELS.get(kind)
    if pattern is None or not str(ident).isdigit():
        return f"{kind} {ident}"
    return pattern.format(int(ident))


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def age(since: datetime, now: datetime | None = None) -> str:
    """How long ago ``since`` was, in the two largest units: ``"3d 4h"``, ``"2h 5m"``, ``"25m"``.

    Anything under a minute (or in the future, from clock skew between machines) is ``"<1m"``.
    """
    now = _aware(now or datetime.now(UTC))
    minutes = int((now - _aware(since)).total_seconds() // 60)
    if minutes < 1:
        return "<1m"
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {mins}m" if mins else f"{hours}h"
    return f"{mins}m"


def state_label(state: str, *, is_exception: bool = False) -> str:
    """A state in words (``waiting_customer`` → ``waiting: customer``), flagging exceptions."""
    label = _STATE_LABELS.get(state, state.replace("_", " "))
    return f"{label} (exception)" if is_exception else label


_SURVEY_LABELS = {
    "answered": "answered",
    "not_answered": "the customer did not answer",
    "not_asked": "not asked (survey policy)",
}


def survey_label(survey: str | None) -> str:
    """How a closed call's survey went, in words (``—`` while the call is open)."""
    return "—" if survey is None else _SURVEY_LABELS.get(survey, survey.replace("_", " "))


def local_time(at: datetime | None, zone: str) -> str:
    """A stored UTC time as the desk's local time (``2024-05-03 14:05``), or ``—`` when unset."""
    if at is None:
        return "—"
    return _aware(at).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def staff_name(config: DeskConfig, ident: str) -> str:
    """``"Anna de Vries"`` for ``"anna"``; the id itself for someone not (or no longer) on staff."""
    for member in config.staff:
        if member.id == ident:
            return member.name
    return ident


def kpi_line(kpis: KpiSnapshot, who: str, *, width: int | None = None) -> str:
    """The queue's header: today's first-time-right share, the open calls, and who is working.

    For example::

        First time right today: 67% (4 of 6 resolved) · Open calls: 23 · Anna de Vries (operator)

    When that is wider than ``width`` the short form is used, so the person's name and role
    stay in view on an 80-column terminal::

        First time right 67% (4/6) · Open 23 · Anna de Vries (operator)
    """
    share = kpis.first_time_right_share
    if share is None:
        ftr = "First time right today: — (nothing resolved yet)"
        short = "First time right —"
    else:
        ftr = (
            f"First time right today: {share:.0%} "
            f"({kpis.first_time_right} of {kpis.resolved} resolved)"
        )
        short = f"First time right {share:.0%} ({kpis.first_time_right}/{kpis.resolved})"
    line = f"{ftr} · Open calls: {kpis.open_now} · {who}"
    if width is not None and len(line) > width:
        return f"{short} · Open {kpis.open_now} · {who}"
    return line


def page_status(offset: int, shown: int, total: int, limit: int) -> str:
    """``"Calls 41–80 of 123 · page 2/4"`` for a page of ``shown`` calls starting at ``offset``."""
    if total == 0 or shown == 0:
        return "No open calls" if total == 0 else f"No calls on this page · {total:,} open"
    page, pages = offset // limit + 1, (total + limit - 1) // limit
    return f"Calls {offset + 1:,}–{offset + shown:,} of {total:,} · page {page}/{pages}"


_RECORD = re.compile(
    r"\b(" + "|".join(RECORD_LABELS) + r")(?: case)? (?:#|id |number )?'?(\d+)'?(?![\w-])",
    re.IGNORECASE,
)
_QUOTED_STATE = re.compile(r"'([a-z]+(?:_[a-z]+)*)'")
_BARE_STATE = re.compile(r"(?<![\w'-])([a-z]+(?:_[a-z]+)+)(?![\w'-])")
_STATES = frozenset(
    state
    for facade in (Calls, Changes, Relations, Maintenance, Improvements, Recommendations)
    for state in facade.process.states
)


def speak(text: str) -> str:
    """The library's words with records and states as the screens show them.

    ``call 159`` (or ``Call #159``) becomes ``C-000159`` (:data:`RECORD_LABELS`); a state of any
    process, quoted or bare (``'waiting_customer'``, ``waiting_customer``), becomes
    ``waiting: customer``; other snake-case words (field names) are left as they are.
    """
    text = _RECORD.sub(lambda m: record_label(m.group(1).lower(), m.group(2)), text)
    text = _QUOTED_STATE.sub(
        lambda m: state_label(m.group(1)) if m.group(1) in _STATES else m.group(0), text
    )
    # a state named bare (``is waiting_customer``): only the states' own snake-case names
    return _BARE_STATE.sub(
        lambda m: state_label(m.group(1)) if m.group(1) in _STATES else m.group(0), text
    )


def error_text(error: BaseException) -> str:
    """An error as the person should read it: the library's message, one line per problem.

    Records and states are named as the screens name them (:func:`speak`). Validation problems
    from forms have no file, so they are shown without the ``<input>:`` prefix; anything that is
    not a :class:`bpsm.BpsmError` is named by its type.
    """
    if isinstance(error, ValidationError):
        text = "\n".join(
            f"{p.field}: {p.message}" if p.field else p.message for p in error.problems
        )
    elif isinstance(error, InvalidTransition):
        steps = ", ".join(t.replace("_", " ") for t in error.allowed)
        allowed = f"; possible here: {steps}" if steps else ""
        text = f"{error.record}: cannot {error.trigger.replace('_', ' ')} while "
        text += f"{state_label(error.state)}{allowed}"
    elif isinstance(error, ConcurrentModification) and error.expected is not None:
        text = f"{error.record} was changed by someone else meanwhile; it has been reloaded"
    elif isinstance(error, GuardFailed):
        text = error.reason  # the words for the person; the guard's name is the library's
    elif isinstance(error, BpsmError):
        text = str(error)
    else:
        text = f"{type(error).__name__}: {error}"
    return speak(text)


def event_details(reason: str | None, data: Mapping[str, Any] | None) -> str:
    """An audit event's why and details as a person reads them: ``origin: IM-000001``, never
    ``origin=improvement 1`` or ``state=waiting_customer`` (records and states as the screens
    name them, field names in words)."""
    extra = ", ".join(
        f"{key.replace('_', ' ')}: {_said(value)}"
        for key, value in (data or {}).items()
        if value is not None
    )
    said = speak(reason or "")
    return f"{said} ({extra})" if said and extra else said or extra


def _said(value: Any) -> str:
    text = str(value)
    if text in _STATES:
        return state_label(text)
    return speak(text)


def minutes_text(minutes: int) -> str:
    """``95`` → ``1h 35m``; under an hour ``40m``."""
    hours, rest = divmod(minutes, 60)
    return f"{hours}h {rest:02d}m" if hours else f"{rest}m"


def share_text(part: float | None, whole: float | None) -> str:
    """``7 of 11`` as ``64% (7/11)``; ``—`` when there is no whole."""
    if not whole:
        return "—"
    return f"{(part or 0) / whole:.0%} ({part or 0:.0f}/{whole:.0f})"


def mean_text(mean: float | None, answered: float | None) -> str:
    """A survey mean with how many answered, ``3.3 (7)``, so one answer is not taken for a
    trend; ``—`` without answers."""
    return "—" if mean is None else f"{mean:.1f} ({answered or 0:.0f})"


def period_label(start: str, by: str) -> str:
    """A period's short name on a plot's axis, from its ISO start date: ``03-14`` (a day),
    ``W11`` (an ISO week), ``Mar 25`` (a month)."""
    day = datetime.fromisoformat(start).date()
    if by == "week":
        return f"W{day.isocalendar().week:02d}"
    if by == "month":
        return f"{day:%b %y}"
    return f"{day:%m-%d}"


def span_text(since: datetime, until: datetime, zone: str) -> str:
    """The window's local dates, the last one inclusive: ``2025-01-06 – 2025-03-16``."""
    tz = ZoneInfo(zone)
    last = _aware(until).astimezone(tz) - timedelta(microseconds=1)
    return f"{_aware(since).astimezone(tz):%Y-%m-%d} – {last:%Y-%m-%d}"
