"""Tables of the relation area (filled in by its process)."""

from __future__ import annotations
