"""Where the real ServiceNow incident event log is: ``BPSM_SERVICENOW_LOG``, or
``shared/data/incident_event_log.csv.gz`` beside the checkout or one of its parents (a git
worktree sits deeper than the main checkout)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAME = "incident_event_log.csv.gz"


def _find() -> Path:
    given = os.environ.get("BPSM_SERVICENOW_LOG")
    if given:
        return Path(given)
    for folder in ROOT.parents:
        candidate = folder / "shared" / "data" / NAME
        if candidate.exists():
            return candidate
    return ROOT.parent / "shared" / "data" / NAME


LOG = _find()
"""The log's path (it may not exist: the tests that need it skip)."""
