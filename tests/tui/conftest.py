"""The TUI tests' tiers: a screen's layout does not depend on the database.

Every TUI test runs on SQLite at each size it asks for. On PostgreSQL
(``BPSM_TEST_DATABASE_URL``) the flows run at 80×24, the size where most is at stake; their
160×48 runs, which check layout only, are skipped there with that reason, so the PostgreSQL
run spends its time on persistence.
"""

from __future__ import annotations

import os

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not os.environ.get("BPSM_TEST_DATABASE_URL"):
        return
    skip = pytest.mark.skip(reason="layout at 160×48 is checked on SQLite; same screen either way")
    for item in items:
        callspec = getattr(item, "callspec", None)
        size = callspec.params.get("size") if callspec is not None else None
        if size == (160, 48):
            item.add_marker(skip)
