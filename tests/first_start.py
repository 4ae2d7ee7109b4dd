"""A process that opens a database the moment it is told to (for the first-start race tests).

Kept apart from the test modules so that a spawned process imports only the library.
"""

from __future__ import annotations

from typing import Any


def open_when_released(url: str, start: Any, results: Any) -> None:
    """Wait at ``start`` (a barrier shared by all racers), open ``url``, report the outcome."""
    from bpsm.store.db import current_revision, open_engine

    start.wait()
    try:
        engine = open_engine(url)
        results.put(("ok", current_revision(engine)))
        engine.dispose()
    except BaseException as err:  # the test shows whatever went wrong, by type and text
        results.put(("failed", f"{type(err).__name__}: {err}"))
