"""Tables of the recommendation area (filled in by its process)."""

from __future__ import annotations
