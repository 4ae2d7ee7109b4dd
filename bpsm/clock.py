"""The one place the library asks what time it is.

Everything reads time through :func:`now`, so ``freezegun`` controls it in tests and a bulk job
(demo data, imports) can replay the past with :func:`travel`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

__all__ = ["now", "to_utc", "travel"]

_override: ContextVar[datetime | None] = ContextVar("bpsm_clock_override", default=None)


def now() -> datetime:
    """Return the current time as an aware UTC datetime."""
    at = _override.get()
    return at if at is not None else datetime.now(UTC)


def to_utc(at: datetime) -> datetime:
    """Return ``at`` as aware UTC; naive values are taken to be UTC already (as stored)."""
    if at.tzinfo is None:
        return at.replace(tzinfo=UTC)
    return at.astimezone(UTC)


@contextmanager
def travel(at: datetime) -> Iterator[None]:
    """Within the block, :func:`now` returns ``at`` (used to replay history, e.g. demo data)."""
    token = _override.set(to_utc(at))
    try:
        yield
    finally:
        _override.reset(token)
