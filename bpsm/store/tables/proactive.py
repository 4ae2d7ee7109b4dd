"""Tables of the proactive area (filled in by its process)."""

from __future__ import annotations
