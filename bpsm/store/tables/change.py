"""Tables of the change area (filled in by its process)."""

from __future__ import annotations
