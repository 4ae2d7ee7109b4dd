"""How the desk's values are shown: ages, states, local times, the KPI line and the page status.

Pure functions (no Textual), so they are tested and reused by every screen alike.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bpsm import BpsmError, DeskConfig, KpiSnapshot, ValidationError

__all__ = [
    "age",
    "error_text",
    "kpi_line",
    "local_time",
    "page_status",
    "staff_name",
    "state_label",
    "survey_label",
]

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
    """A call state in words (``waiting_customer`` → ``waiting: customer``), flagging exceptions."""
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


def kpi_line(kpis: KpiSnapshot, who: str) -> str:
    """The queue's header: today's first-time-right share, the open calls, and who is working.

    For example::

        First time right today: 67% (4 of 6 resolved) · Open calls: 23 · Anna de Vries (operator)
    """
    share = kpis.first_time_right_share
    if share is None:
        ftr = "First time right today: — (nothing resolved yet)"
    else:
        ftr = (
            f"First time right today: {share:.0%} "
            f"({kpis.first_time_right} of {kpis.resolved} resolved)"
        )
    return f"{ftr} · Open calls: {kpis.open_now} · {who}"


def page_status(offset: int, shown: int, total: int, limit: int) -> str:
    """``"Calls 41–80 of 123 · page 2/4"`` for a page of ``shown`` calls starting at ``offset``."""
    if total == 0 or shown == 0:
        return "No open calls" if total == 0 else f"No calls on this page · {total:,} open"
    page, pages = offset // limit + 1, (total + limit - 1) // limit
    return f"Calls {offset + 1:,}–{offset + shown:,} of {total:,} · page {page}/{pages}"


def error_text(error: BaseException) -> str:
    """An error as the operator should read it: the library's message, one line per problem.

    Validation problems from forms have no file, so they are shown without the ``<input>:``
    prefix; anything that is not a :class:`bpsm.BpsmError` is named by its type.
    """
    if isinstance(error, ValidationError):
        return "\n".join(
            f"{p.field}: {p.message}" if p.field else p.message for p in error.problems
        )
    if isinstance(error, BpsmError):
        return str(error)
    return f"{type(error).__name__}: {error}"
